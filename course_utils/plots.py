"""Matplotlib figures used across lessons. Each function draws and returns the Figure;
the numbers it shows are computed elsewhere (data, train, viz, attribution) and passed in.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from .data import CLASS_NAMES
from .train import History


def _as_numpy_image(img) -> np.ndarray:
    """Accept (H, W), (1, H, W), (3, H, W) or (H, W, 3), tensor or array; return (H, W[, 3])."""
    arr = img.detach().cpu().numpy() if isinstance(img, torch.Tensor) else np.asarray(img)
    if arr.ndim == 3 and arr.shape[0] in (1, 3) and arr.shape[-1] not in (1, 3):
        arr = arr.transpose(1, 2, 0)
    return arr.squeeze(-1) if arr.ndim == 3 and arr.shape[-1] == 1 else arr


def show_images(images, labels: Sequence[int] | None = None, preds: Sequence[int] | None = None,
                ncols: int = 8, title: str | None = None, size: float = 1.4, cmap: str = "gray"):
    """A grid of images with their class names; with ``preds``, wrong predictions are red.
    Without ``title`` the figure is titled "N images".

    images: (N, H, W), (N, 1, H, W) or (N, H, W, 3); labels/preds: class indices (N,).
    """
    n = len(images)
    nrows = max(1, (n + ncols - 1) // ncols)
    ncols = min(ncols, n)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.4 * (preds is not None)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(_as_numpy_image(images[i]), cmap=cmap)
        if labels is not None:
            text = CLASS_NAMES[int(labels[i])]
            color = "black"
            if preds is not None:
                text = f"true: {text}\npred: {CLASS_NAMES[int(preds[i])]}"
                color = "tab:green" if int(preds[i]) == int(labels[i]) else "tab:red"
            ax.set_title(text, fontsize=8, color=color)
    fig.suptitle(title or f"{n} images")
    fig.tight_layout()
    return fig


def show_panels(panels: Mapping[str, object], ncols: int | None = None, title: str | None = None,
                size: float = 2.0, cmap: str = "gray", vmin: float | None = None, vmax: float | None = None):
    """Pictures side by side, each under its own title, without axes: a photo and its channels,
    one template per class, a picture at several block sizes.

    panels: {panel title: image}, each (H, W) (drawn with ``cmap`` from ``vmin`` to ``vmax``) or
    (H, W, 3) / (3, H, W) colour, tensor or array, in row-major order; ``ncols`` per row (default:
    all in one row); each panel is ``size`` inches high and as wide as its picture needs.
    """
    images = [_as_numpy_image(img) for img in panels.values()]
    n = len(images)
    ncols = min(ncols or n, n)
    nrows = (n + ncols - 1) // ncols
    aspect = max(img.shape[1] / img.shape[0] for img in images)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * aspect * ncols, size * nrows + 0.4 * bool(title)),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, name, img in zip(axes.flat, panels, images):
        if img.ndim == 3:
            ax.imshow(img)  # colour: the values are the colours, no colour map
        else:
            ax.imshow(img, cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_title(name, fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_pixel_values(image, title: str | None = None, size: float = 3.4, threshold: int = 128):
    """A small grey uint8 image twice: every value written in its cell (values >= ``threshold`` in
    red), and the same values drawn as brightness. Each panel is ``size`` inches high.

    image: (H, W) with values 0..255, e.g. one (28, 28) Fashion-MNIST item.
    """
    arr = _as_numpy_image(image)
    h, w = arr.shape
    fig, (ax_num, ax_img) = plt.subplots(1, 2, figsize=(2 * size * w / h + 0.6, size + 0.4 * bool(title)))
    for (i, j), v in np.ndenumerate(arr):
        ax_num.text(j, i, str(int(v)), ha="center", va="center", fontsize=0.4 * 72 * size / max(h, w),
                    family="monospace", color="black" if v < threshold else "tab:red")
    ax_num.set(xlim=(-0.5, w - 0.5), ylim=(h - 0.5, -0.5), aspect="equal", xlabel="column", ylabel="row",
               title=f"the {h}x{w} numbers (values >= {threshold} in red)")
    ax_img.imshow(arr, cmap="gray", vmin=0, vmax=255)
    ax_img.set(xlabel="column", ylabel="row", title="the same numbers as brightness")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_history(histories: History | Mapping[str, History], title: str = "Learning curves"):
    """Loss and accuracy per epoch, train (dashed) and validation (solid), for one or several runs."""
    if isinstance(histories, History):
        histories = {"model": histories}
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.8))
    for i, (name, h) in enumerate(histories.items()):
        color = f"C{i}"
        epochs = np.arange(1, h.epochs + 1)
        ax_loss.plot(epochs, h.train_loss, "--", color=color, label=f"{name} train")
        ax_acc.plot(epochs, np.array(h.train_acc) * 100, "--", color=color, label=f"{name} train")
        if h.val_acc:
            ax_loss.plot(epochs, h.val_loss, "-o", color=color, ms=3, label=f"{name} validation")
            ax_acc.plot(epochs, np.array(h.val_acc) * 100, "-o", color=color, ms=3, label=f"{name} validation")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_surfaces(x1, x2, surfaces: Mapping[str, object], title: str | None = None, label: str = "y"):
    """Functions of two inputs side by side as filled contour maps, each with its colour bar.

    x1, x2: (H, W) grids of the two inputs (as from torch.meshgrid(..., indexing="xy"));
    surfaces: {panel title: values}, each with H * W values (any shape) in the grid's order.
    """
    x1, x2 = np.asarray(x1, dtype=float), np.asarray(x2, dtype=float)
    fig, axes = plt.subplots(1, len(surfaces), figsize=(5.75 * len(surfaces), 4.2), squeeze=False)
    for ax, (name, values) in zip(axes[0], surfaces.items()):
        values = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
        filled = ax.contourf(x1, x2, values.reshape(x1.shape), levels=20, cmap="coolwarm")
        fig.colorbar(filled, ax=ax, label=label)
        ax.set(xlabel="x1", ylabel="x2", title=name)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_activation_curves(activations: Sequence, alpha: float = 0.1, lo: float = -5.0, hi: float = 5.0,
                           title: str = "Activations (solid) and their derivatives (dashed)"):
    """Each activation f (solid) and its derivative f' (dashed) on [lo, hi], one panel each.

    activations: objects with ``name``, ``uses_alpha``, ``f(x, alpha)`` and ``f.grad(x, alpha)``,
    as in ``course_utils.activations.ACTIVATIONS.values()``; x: 401 points, a (401,) tensor.
    """
    xs = torch.linspace(lo, hi, 401)
    fig, axes = plt.subplots(1, len(activations), figsize=(3.5 * len(activations), 3.2), sharey=True, squeeze=False)
    for ax, act in zip(axes[0], activations):
        ax.plot(xs, act(xs, alpha), label="f(x)")
        ax.plot(xs, act.grad(xs, alpha), "--", label="f'(x)")
        ax.set(title=act.name + (f" (alpha = {alpha:g})" if act.uses_alpha else ""), xlabel="x", ylabel="value",
               ylim=(-1.2, 2.2))
        ax.grid(alpha=0.3)
    axes[0, 0].legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(cm, class_names: Sequence[str] = CLASS_NAMES, title: str = "Confusion matrix",
                          normalize: bool = True):
    """A confusion matrix (C, C) as a heat map: rows are true classes, columns predictions.

    With ``normalize`` each row is shown as percentages of that class's items; the cells are
    labelled with the numbers either way.
    """
    cm = cm.detach().cpu().numpy() if isinstance(cm, torch.Tensor) else np.asarray(cm)
    shown = cm / np.maximum(cm.sum(1, keepdims=True), 1) * 100 if normalize else cm
    fig, ax = plt.subplots(figsize=(5.6, 4.8))  # fits a 1280x720 slide under a title and three code lines
    im = ax.imshow(shown, cmap="Blues")
    fig.colorbar(im, ax=ax, label="% of the true class" if normalize else "items")
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=45, ha="right")
    ax.set_yticks(ticks, class_names)
    threshold = shown.max() / 2
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            text = f"{shown[i, j]:.0f}" if normalize else f"{int(cm[i, j])}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if shown[i, j] > threshold else "black")
    ax.set(xlabel="predicted class", ylabel="true class", title=title)
    fig.tight_layout()
    return fig


def show_grids(arrays: Mapping[str, np.ndarray], boxes: Mapping[str, tuple[int, int, int, int]] | None = None,
               title: str | None = None, size: float = 2.4, cmap: str = "viridis", max_cells: int = 12):
    """Small 2-D arrays side by side as heat maps with each value written in its cell.

    arrays: {panel title: (H, W) array}; boxes: {panel title: (row, col, height, width)}
    outlines a window (a receptive field, a pooling window). Arrays larger than ``max_cells``
    on a side are drawn without the numbers.
    """
    fig, axes = plt.subplots(1, len(arrays), figsize=(size * len(arrays), size + 0.3), squeeze=False)
    for ax, (name, arr) in zip(axes[0], arrays.items()):
        arr = np.asarray(arr, dtype=float)
        shown = ax.imshow(arr, cmap=cmap)
        if max(arr.shape) <= max_cells:
            for (i, j), v in np.ndenumerate(arr):
                r, g, b, _ = shown.cmap(shown.norm(v))
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=8,
                        color="black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white")
        if boxes and name in boxes:
            r, c, h, w = boxes[name]
            ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), w, h, fill=False, edgecolor="red", linewidth=2.5))
        ax.set_title(f"{name}\n{arr.shape[0]}x{arr.shape[1]}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set(xlabel="column", ylabel="row")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_layer_stack(table, title: str = "Layer stack", include_pooling: bool = True):
    """A network drawn as a row of boxes from a summary.LayerTable: one box per layer output,
    its height proportional to the map's side (or to log(units) for flat vectors), its width
    growing with the number of channels, labelled with the layer name and shape."""
    entries = [("input", tuple(table.input_shape))]
    entries += [(r.name, tuple(r.output_shape)) for r in table.rows
                if include_pooling or "Pool" not in r.kind]
    biggest = max(s[-1] if len(s) == 3 else 1 for _, s in entries)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.25 * len(entries)), 3.2))
    x = 0.0
    for i, (name, shape) in enumerate(entries):
        if len(shape) == 3 and shape[1] * shape[2] > 1:
            c, h, w = shape
            height = max(h / biggest, 0.08)
            width = 0.25 + 0.12 * np.log2(c)
            label = f"{c}@{h}x{w}"
        else:
            units = int(np.prod(shape))
            height = min(1.0, 0.12 + 0.1 * np.log2(units))
            width = 0.12
            label = f"{units:,}"
        ax.add_patch(plt.Rectangle((x, -height / 2), width, height, facecolor=f"C{i % 10}", alpha=0.55,
                                   edgecolor="black"))
        ax.text(x + width / 2, height / 2 + 0.05, name, ha="center", va="bottom", fontsize=8)
        ax.text(x + width / 2, -height / 2 - 0.05, label, ha="center", va="top", fontsize=7)
        x += width + 0.55
    ax.set(xlim=(-0.2, x - 0.3), ylim=(-0.8, 0.8), title=title)
    ax.axis("off")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- lesson 03: convolution

def plot_timings(seconds: Mapping[str, float], title: str = "Same computation, several implementations"):
    """Wall times as horizontal bars on a log scale, in milliseconds, one bar per implementation in the
    order given (the first on top). seconds: {name: seconds}, e.g. from timing.race."""
    names = list(seconds)
    fig, ax = plt.subplots(figsize=(7, 0.35 + 0.55 * len(names) + 0.8))
    ax.barh(names, [seconds[n] * 1000 for n in names], color=[f"C{(3, 0, 2, 1)[i % 4]}" for i in range(len(names))])
    ax.set_xscale("log")
    ax.set_xlim(left=min(0.1, min(seconds.values()) * 1000 / 2))
    ax.invert_yaxis()
    ax.set(xlabel="milliseconds (log scale)", ylabel="implementation", title=title)
    fig.tight_layout()
    return fig


def show_filtered(images: Mapping[str, np.ndarray], title: str | None = None, ncols: int = 4,
                  size: float = 2.9, signed: Sequence[str] = ()):
    """Filtered versions of one picture side by side, each titled with its name and shape.

    images: {name: (H, W) array}; names in ``signed`` are drawn with a diverging colour map centred
    on zero (blue negative, red positive, white zero), the others in grey.
    """
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * 0.75 * nrows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (name, img) in zip(axes.flat, images.items()):
        img = np.asarray(img, dtype=float)
        if name in signed:
            limit = float(np.abs(img).max()) or 1.0
            ax.imshow(img, cmap="RdBu_r", vmin=-limit, vmax=limit)
        else:
            ax.imshow(img, cmap="gray")
        ax.set_title(f"{name} {img.shape[0]}x{img.shape[1]}", fontsize=10)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- lesson 08: looking inside a network

def plot_layer_bars(labels: Sequence[str], panels: Mapping[str, tuple[Sequence[float], str]],
                    xlabel: str = "layer", figsize: tuple[float, float] = (11, 3.8)):
    """Bar charts of per-layer numbers, one panel per entry, stacked with a shared x axis (lesson 07:
    where VGG16's weights are and where its activations are).

    labels: (L,) layer names; panels: {panel title: ((L,) values, y-axis label)}; figsize in inches.
    """
    fig, axes = plt.subplots(len(panels), 1, figsize=figsize, sharex=True, squeeze=False)
    for i, (ax, (title, (values, ylabel))) in enumerate(zip(axes[:, 0], panels.items())):
        ax.bar(list(labels), np.asarray(values, dtype=float), color=f"C{i}")
        ax.set(title=title, ylabel=ylabel, xlabel=xlabel)
    axes[-1, 0].tick_params(axis="x", rotation=60)
    fig.tight_layout()
    return fig


def show_kernels(weights, ncols: int = 8, title: str | None = None, size: float = 0.9, channel: int = 0):
    """Convolution kernels as small images, one per output channel.

    weights: (K, C, kh, kw), e.g. ``model.conv1_1.weight``. With C == 3 each kernel is shown in
    colour (its values scaled to 0..1 per kernel); otherwise channel ``channel`` is shown on a
    blue-white-red scale centred on zero (red: the filter likes bright pixels there, blue: dark).
    """
    w = weights.detach().cpu().float() if isinstance(weights, torch.Tensor) else torch.as_tensor(weights).float()
    k = len(w)
    nrows = max(1, (k + ncols - 1) // ncols)
    ncols = min(ncols, k)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.5), squeeze=False)
    limit = float(w[:, channel].abs().max()) or 1.0
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= k:
            continue
        if w.shape[1] == 3:
            kernel = w[i]
            kernel = (kernel - kernel.min()) / (kernel.max() - kernel.min() + 1e-12)
            ax.imshow(kernel.permute(1, 2, 0).numpy(), interpolation="nearest")
        else:
            ax.imshow(w[i, channel].numpy(), cmap="bwr", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(str(i), fontsize=7)
    fig.suptitle(title or f"{k} kernels of {w.shape[2]}x{w.shape[3]}")
    fig.tight_layout()
    return fig


def show_feature_maps(maps, channels: Sequence[int] | None = None, ncols: int = 8, title: str | None = None,
                      size: float = 1.1, cmap: str = "viridis"):
    """The feature maps of one image, one panel per channel, each on its own colour scale.

    maps: (C, H, W), e.g. the captured output of a conv layer for one image; ``channels``
    picks which ones to draw (default: all). Panel titles give the channel and its maximum.
    """
    m = maps.detach().cpu().float() if isinstance(maps, torch.Tensor) else torch.as_tensor(maps).float()
    channels = list(range(len(m))) if channels is None else list(channels)
    nrows = max(1, (len(channels) + ncols - 1) // ncols)
    ncols = min(ncols, len(channels))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.5), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(channels):
            continue
        ax.imshow(m[channels[i]].numpy(), cmap=cmap, interpolation="nearest")
        ax.set_title(f"ch {channels[i]}\nmax {float(m[channels[i]].max()):.2g}", fontsize=7)
    fig.suptitle(title or f"{len(channels)} feature maps of {m.shape[1]}x{m.shape[2]}")
    fig.tight_layout()
    return fig


def show_layer_maps(image, acts: Mapping[str, object], layers: Sequence[str], n: int = 8,
                    title: str | None = None, size: float = 1.15):
    """One row per layer: the input image, then that layer's n most active channels for it.

    image: (C, H, W); acts: {layer: (1, C, h, w) or (C, h, w)}. Keep ``len(layers)`` at 3 or 4 for a
    figure that fits a 1280x720 slide.
    """
    fig, axes = plt.subplots(len(layers), n + 1, figsize=(size * (n + 1), size * len(layers) + 0.5), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    img = _as_numpy_image(image)
    axes[0, 0].imshow(img, cmap="gray" if img.ndim == 2 else None)
    axes[0, 0].set_title("input", fontsize=8)
    for row, name in enumerate(layers):
        maps = torch.as_tensor(acts[name]).detach().cpu().float()
        maps = maps[0] if maps.dim() == 4 else maps
        strongest = maps.flatten(1).mean(1).argsort(descending=True)[:n]
        axes[row, 1].text(-0.15, 0.5, name, transform=axes[row, 1].transAxes, rotation=90, va="center",
                          ha="right", fontsize=8)
        for col, ch in enumerate(strongest.tolist(), start=1):
            axes[row, col].imshow(maps[ch].numpy(), cmap="viridis")
            axes[row, col].set_title(f"ch {ch}", fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_top_patches(patches, labels, channels: Sequence[int], title: str | None = None, size: float = 1.0):
    """Rows of receptive-field crops, one row per channel (strongest first), each crop titled with
    the class of the image it came from. patches: (rows, k, C, h, w); labels: (rows, k)."""
    rows, k = patches.shape[:2]
    fig = show_images(patches.flatten(0, 1), labels=torch.as_tensor(labels).flatten(), ncols=k, size=size,
                      title=title)
    for r, ch in enumerate(channels):
        fig.axes[r * k].text(-0.1, 0.5, f"ch {ch}", transform=fig.axes[r * k].transAxes, rotation=90,
                             va="center", ha="right", fontsize=8)
    return fig


def show_projections(rows: Mapping[str, object], title: str | None = None, size: float = 1.1):
    """Rows of patches: {row title: (k, C, h, w)}. Rows whose values are all >= 0 are drawn in grey
    (image crops); signed rows (projections, gradients) on a blue-white-red scale centred on zero,
    each patch on its own scale."""
    k = len(next(iter(rows.values())))
    fig, axes = plt.subplots(len(rows), k, figsize=(size * k, size * len(rows) + 0.5), squeeze=False)
    for r, (name, stack) in enumerate(rows.items()):
        stack = torch.as_tensor(stack).detach().cpu().float()
        for j in range(k):
            ax = axes[r, j]
            ax.axis("off")
            if stack.min() < 0:
                img = stack[j].sum(0)                      # (h, w): colour channels added up
                limit = float(img.abs().max()) or 1.0
                ax.imshow(img.numpy(), cmap="bwr", vmin=-limit, vmax=limit)
            else:
                arr = _as_numpy_image(stack[j])
                ax.imshow(arr, cmap="gray" if arr.ndim == 2 else None)
        axes[r, 0].set_title(name, fontsize=8, loc="left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_randomization(layers: Sequence[str], correlations: Mapping[str, object], threshold: float | None = None,
                       title: str = "Model randomisation test", figsize: tuple[float, float] = (10, 4.2)):
    """Mean rank correlation with the trained network's map (y) as more layers are re-initialised
    from the top (x): one line per method. correlations: {method: (L + 1, N)} as in
    ``attribution.Randomization``; figsize in inches (width, height)."""
    fig, ax = plt.subplots(figsize=figsize)
    ticks = ["trained"] + [f"+{name}" for name in layers]
    for i, (name, corr) in enumerate(correlations.items()):
        c = torch.as_tensor(corr).float()
        ax.plot(range(len(ticks)), c.nanmean(1).numpy(), "-o", ms=3, color=plt.cm.tab10(i % 10), label=name)
    if threshold is not None:
        ax.axhline(threshold, color="gray", ls=":", label=f"threshold {threshold}")
    ax.set_xticks(range(len(ticks)), ticks, rotation=45, ha="right", fontsize=8)
    ax.set(xlabel="layers re-initialised so far (cascading, from the output down)",
           ylabel="rank correlation with\nthe trained map", title=title, ylim=(-0.4, 1.05))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig


def show_image_maps(images, maps: Mapping[str, object], row_titles: Sequence[str] | None = None,
                    title: str | None = None, size: float = 1.9, cmap: str = "inferno"):
    """Rows of [image, map 1, map 2, ...]: occlusion, saliency and similar maps beside their image.

    images: (N, C, H, W) or (N, H, W); maps: {column title: (N, h, w)}. A map with negative
    values is drawn on a blue-white-red scale centred on zero, otherwise with ``cmap``; each
    panel has its own scale (the colour bar is left out: the maps compare places, not numbers).
    """
    n = len(images)
    fig, axes = plt.subplots(n, 1 + len(maps), figsize=(size * (1 + len(maps)), size * n + 0.4), squeeze=False)
    for i in range(n):
        img = _as_numpy_image(images[i])
        axes[i, 0].imshow(img, cmap="gray" if img.ndim == 2 else None)
        axes[i, 0].set_title(row_titles[i] if row_titles is not None else "image", fontsize=8)
        for j, (name, stack) in enumerate(maps.items(), start=1):
            arr = stack[i]
            arr = arr.detach().cpu().float().numpy() if isinstance(arr, torch.Tensor) else np.asarray(arr)
            if arr.min() < 0:
                limit = float(np.abs(arr).max()) or 1.0
                axes[i, j].imshow(arr, cmap="bwr", vmin=-limit, vmax=limit)
            else:
                axes[i, j].imshow(arr, cmap=cmap)
            axes[i, j].set_title(name, fontsize=8)
    for ax in axes.flat:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_embedding(coords: Mapping[str, object], labels, class_names: Sequence[str] = CLASS_NAMES,
                   title: str | None = None, size: float = 5.0, point_size: float = 6.0):
    """2-D embeddings side by side, one panel per method ({"PCA": (N, 2), "t-SNE": (N, 2)}),
    points coloured by class, with one legend."""
    labels = np.asarray(labels)
    fig, axes = plt.subplots(1, len(coords), figsize=(size * len(coords) + 1.8, size), squeeze=False)
    for ax, (name, xy) in zip(axes[0], coords.items()):
        xy = xy.detach().cpu().numpy() if isinstance(xy, torch.Tensor) else np.asarray(xy)
        for c, cname in enumerate(class_names):
            sel = labels == c
            ax.scatter(xy[sel, 0], xy[sel, 1], s=point_size, color=plt.cm.tab10(c), label=cname, alpha=0.75)
        ax.set(title=name, xlabel="dimension 1", ylabel="dimension 2")
    axes[0, -1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8, markerscale=2)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_score_curves(scores, names: Sequence[str], steps=None, title: str = "Score during gradient ascent",
                      ylabel: str = "target score (logit)"):
    """One line per optimised image: scores (R, N) at gradient-ascent steps (R,) (default 0..R-1),
    as maximize.maximize_activation returns them."""
    s = scores.detach().cpu().numpy() if isinstance(scores, torch.Tensor) else np.asarray(scores)
    x = np.arange(len(s)) if steps is None else np.asarray(steps)
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    for i, name in enumerate(names):
        ax.plot(x, s[:, i], "-o", ms=3, color=plt.cm.tab10(i % 10), label=name)
    ax.set(xlabel="gradient-ascent step", ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def plot_accuracy_vs_shift(curves: Mapping[str, Sequence[float]], shifts: Sequence[int],
                           title: str = "Accuracy when the images are shifted"):
    """Accuracy (%) against the shift in pixels, one line per model.

    curves: {model name: accuracies 0..1, one per shift}, e.g. from features.accuracy_under_shift.
    """
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for name, accs in curves.items():
        ax.plot(list(shifts), np.asarray(accs, dtype=float) * 100, "-o", label=name)
    ax.axhline(100 / len(CLASS_NAMES), color="gray", ls=":", label="chance (10%)")
    ax.set(xlabel="shift (pixels, mean over right/left/down/up)", ylabel="accuracy (%)",
           title=title, ylim=(0, 100))
    ax.set_xticks(list(shifts))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_block_experiment(results: Sequence, shift_px: int = 3,
                          title: str = "Block-averaged features: detail against robustness"):
    """Validation accuracy (%) against the block size (log scale, with the number of features), on
    plain validation images and on images shifted by ``shift_px`` pixels.

    results: objects with ``block``, ``features``, ``val_acc`` and ``shifted_acc`` (0..1), one per
    block size, as returned by ``features.block_size_experiment``.
    """
    blocks = [r.block for r in results]
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ax.plot(blocks, [r.val_acc * 100 for r in results], "-o", label="plain validation images")
    ax.plot(blocks, [r.shifted_acc * 100 for r in results], "-s", label=f"validation images shifted by {shift_px} px")
    ax.set_xscale("log")
    ax.set_xticks(blocks, [f"{r.block}\n({r.features})" for r in results])
    ax.set(xlabel="block size (number of features)", ylabel="validation accuracy (%)", ylim=(0, 100), title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_change_under_shift(changes: Mapping[str, np.ndarray], shifts: Sequence[int], title: str):
    """Mean relative change of feature maps against the shift, one line per pooling, with a band
    for the middle 50% of the images. changes: {name: (len(shifts), N)}, e.g. from
    features.change_under_shift."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, per_image in changes.items():
        low, high = np.percentile(per_image, [25, 75], axis=1)
        ax.plot(list(shifts), per_image.mean(axis=1), "o-", label=name)
        ax.fill_between(list(shifts), low, high, alpha=0.15)
    ax.set(xlabel="shift (pixels)", ylabel="relative change of the feature maps", title=title)
    ax.set_xticks(list(shifts))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- lesson 06: training well

def plot_lr_range(lrs, losses, smoothed, marks: Mapping[str, float] | None = None,
                  title: str = "Learning-rate range test", ax=None):
    """Mini-batch loss against a learning rate that grows exponentially (log scale), raw and smoothed;
    ``marks`` draws labelled vertical lines, e.g. {"suggestion": 3e-3}."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.5, 3.1))
    ax.plot(lrs, losses, color="C0", alpha=0.3, lw=1, label="mini-batch loss")
    ax.plot(lrs, smoothed, color="C0", lw=2, label="smoothed")
    for i, (label, lr) in enumerate((marks or {}).items(), start=1):
        ax.axvline(lr, color=f"C{i}", ls="--", label=f"{label}: {lr:.1e}")
    top = min(float(np.nanmax(smoothed)), 2.5 * float(smoothed[0]))
    ax.set(xscale="log", xlabel="learning rate (log scale)", ylabel="cross-entropy loss",
           title=title, ylim=(0, top * 1.05))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_lr_schedules(schedules: Mapping[str, Sequence[float]], title: str = "Learning-rate schedules"):
    """The learning rate of every mini-batch, one line per schedule: {name: (steps,)}."""
    fig, ax = plt.subplots(figsize=(6.5, 3.1))
    for name, lrs in schedules.items():
        ax.plot(np.arange(len(lrs)), lrs, label=name)
    ax.set(xlabel="mini-batch (training step)", ylabel="learning rate", title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_layer_stds(stds: Mapping[str, Sequence[float]], title: str = "Spread of the activations, layer by layer"):
    """Standard deviation of each layer's output (log scale), one line per initialisation."""
    fig, ax = plt.subplots(figsize=(6.5, 3.1))
    for name, values in stds.items():
        ax.plot(np.arange(1, len(values) + 1), values, "-o", ms=3, label=name)
    ax.set(yscale="log", xlabel="layer (ReLU output)", ylabel="standard deviation (log scale)", title=title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_step_losses(curves: Mapping[str, Sequence[float]], title: str = "Training loss, mini-batch by mini-batch",
                     smoothed: Mapping[str, Sequence[float]] | None = None, ax=None, highlight: str | None = None):
    """Loss of every mini-batch, one line per run ({name: (steps,)}); ``smoothed`` curves, when
    given, are drawn over the raw ones. With ``highlight`` the other runs are drawn in grey."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.5, 3.1))
    for i, (name, losses) in enumerate(curves.items()):
        faded = highlight is not None and name != highlight
        color = "lightgray" if faded else f"C{i}"
        steps = np.arange(1, len(losses) + 1)
        if smoothed is None:
            ax.plot(steps, losses, color=color, lw=1.2, label=None if faded else name, zorder=1 if faded else 2)
        else:
            ax.plot(steps, losses, color=color, alpha=0.25, lw=0.8)
            ax.plot(steps, smoothed[name], color=color, lw=2, label=None if faded else name,
                    zorder=1 if faded else 2)
    ax.set(xlabel="mini-batch (training step)", ylabel="cross-entropy loss", title=title)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
