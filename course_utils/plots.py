"""Matplotlib figures used across lessons. Each function draws and returns the Figure;
the numbers it shows are computed elsewhere (data, train, viz) and passed in.
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
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_history(histories: History | Mapping[str, History], title: str = "Learning curves"):
    """Loss and accuracy per epoch, train (dashed) and test (solid), for one or several runs."""
    if isinstance(histories, History):
        histories = {"model": histories}
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.8))
    for i, (name, h) in enumerate(histories.items()):
        color = f"C{i}"
        epochs = np.arange(1, h.epochs + 1)
        ax_loss.plot(epochs, h.train_loss, "--", color=color, label=f"{name} train")
        ax_acc.plot(epochs, np.array(h.train_acc) * 100, "--", color=color, label=f"{name} train")
        if h.test_acc:
            ax_loss.plot(epochs, h.test_loss, "-o", color=color, ms=3, label=f"{name} test")
            ax_acc.plot(epochs, np.array(h.test_acc) * 100, "-o", color=color, ms=3, label=f"{name} test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
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
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
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
        ax.imshow(arr, cmap=cmap)
        if max(arr.shape) <= max_cells:
            mid = (arr.max() + arr.min()) / 2
            for (i, j), v in np.ndenumerate(arr):
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=8,
                        color="black" if v > mid else "white")
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
