"""Looking inside a trained CNN (lesson 08): activations, receptive fields, top-k patches,
occlusion, gradient saliency, activation maximisation and embeddings.

Plain functions on tensors; the figures are drawn by ``plots`` and the notebook. Every
function takes a model and images ``x: (N, C, H, W)`` and runs the model in eval mode
(batch norm uses its running statistics, dropout is off), restoring the mode afterwards.

Layers are named as ``model.named_modules()`` names them, e.g. ``"conv2_1"`` in
``models.vgg_fashion()`` or ``"features.28"`` in torchvision's vgg16.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from . import summary

# ---------------------------------------------------------------- small helpers


def _device_of(model: nn.Module) -> torch.device:
    return next(model.parameters(), torch.empty(0)).device


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def get_layer(model: nn.Module, name: str) -> nn.Module:
    """The sub-module called ``name``; a ValueError lists the names that exist."""
    modules = dict(model.named_modules())
    if name not in modules or name == "":
        names = [n for n in modules if n]
        shown = ", ".join(names[:40]) + (", ..." if len(names) > 40 else "")
        raise ValueError(f"The model has no layer called {name!r}. Layer names: {shown}.")
    return modules[name]


def _check_images(x: torch.Tensor, what: str = "x") -> None:
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{what} must be a batch of images (N, C, H, W), got {shape}; "
                         f"for one image (C, H, W) use x[None] or x.unsqueeze(0).")


def _targets(target: int | Sequence[int] | torch.Tensor, n: int) -> torch.Tensor:
    t = torch.as_tensor(target, dtype=torch.long).flatten()
    if t.numel() == 1:
        t = t.expand(n)
    if t.numel() != n:
        raise ValueError(f"Got {t.numel()} targets for {n} images; give one class index per image or one for all.")
    return t


# ---------------------------------------------------------------- activations via forward hooks


@contextmanager
def capture(model: nn.Module, layers: str | Sequence[str], detach: bool = True) -> Iterator[dict[str, torch.Tensor]]:
    """Record the outputs of named layers during the forward passes run inside the block.

    ``with capture(model, ["conv1_1", "pool1"]) as acts: model(x)`` leaves
    ``acts["conv1_1"]`` of shape (N, C, H, W), the layer's output for the last forward pass.
    A forward hook is registered on each layer and removed when the block ends, also when
    the block raises. ``detach=False`` keeps the outputs attached to the autograd graph.
    """
    names = [layers] if isinstance(layers, str) else list(layers)
    modules = [get_layer(model, n) for n in names]  # raises before any hook is registered
    recorded: dict[str, torch.Tensor] = {}
    handles = []

    def hook_for(name: str):
        def hook(module, inputs, output):
            recorded[name] = output.detach() if detach else output
        return hook

    try:
        for name, module in zip(names, modules):
            handles.append(module.register_forward_hook(hook_for(name)))
        yield recorded
    finally:
        for handle in handles:
            handle.remove()


@torch.no_grad()
def activations(model: nn.Module, x: torch.Tensor, layers: str | Sequence[str],
                batch_size: int = 500) -> dict[str, torch.Tensor]:
    """Outputs of the named layers for all images x: (N, C, H, W), in eval mode, on the CPU.

    Returns {layer: (N, ...)}, e.g. (N, 32, 28, 28) for ``"conv1_1"`` of ``vgg_fashion``.
    """
    _check_images(x)
    names = [layers] if isinstance(layers, str) else list(layers)
    device = _device_of(model)
    parts: dict[str, list[torch.Tensor]] = {n: [] for n in names}
    with _eval_mode(model), capture(model, names) as acts:
        for i in range(0, len(x), batch_size):
            model(x[i:i + batch_size].to(device))
            for n in names:
                parts[n].append(acts[n].cpu())
    return {n: torch.cat(p) for n, p in parts.items()}


def hook_count(model: nn.Module) -> int:
    """How many forward (pre-)hooks are registered on ``model`` and all its sub-modules."""
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


# ---------------------------------------------------------------- receptive fields

_SPATIAL_NEUTRAL = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.ELU, nn.Identity,
                    nn.Dropout, nn.Dropout2d, nn.modules.batchnorm._BatchNorm)


@dataclass(frozen=True)
class ReceptiveField:
    """Where a unit of a layer looks in the input.

    ``size``: side of the square input window one unit sees (pixels); ``jump``: input pixels
    between neighbouring units (the product of the strides so far); ``offset``: input row (and
    column) of the top-left corner of unit (0, 0)'s window; negative when padding lets it
    start outside the image. Unit (y, x) sees rows ``offset + y * jump`` ... ``+ size - 1``.
    """

    size: int
    jump: int
    offset: int

    def window(self, y: int, x: int) -> tuple[int, int]:
        """(top, left) input coordinates of unit (y, x)'s window; may be negative."""
        return self.offset + y * self.jump, self.offset + x * self.jump


def receptive_field(model: nn.Module, layer: str) -> ReceptiveField:
    """The receptive field of a unit in ``layer``'s output, from the model's conv and pool layers.

    The geometry comes from ``summary.receptive_fields`` (the lesson-06 calculator, which also
    tracks where the window starts); a layer that changes no geometry (ReLU, batch norm, dropout)
    has the receptive field of the conv or pool before it. A Linear, Flatten or adaptive pool
    before ``layer`` raises ValueError (a unit there sees the whole image).
    """
    get_layer(model, layer)
    steps = {step.name: step for step in summary.receptive_fields(model)}
    current = ReceptiveField(1, 1, 0)
    for name, module in model.named_modules():
        if name in steps:
            step = steps[name]
            current = ReceptiveField(step.receptive_field, step.jump, step.start)
        elif not any(True for _ in module.children()) and not isinstance(module, _SPATIAL_NEUTRAL):
            raise ValueError(f"Layer {name!r} ({type(module).__name__}) comes before or is {layer!r} and has no "
                             "spatial receptive field: units from here on see the whole image.")
        if name == layer:
            return current
    raise AssertionError("unreachable: get_layer found the layer")  # pragma: no cover


def receptive_field_patch(image: torch.Tensor, rf: ReceptiveField, y: int, x: int,
                          fill: float = 0.0) -> torch.Tensor:
    """The input window seen by unit (y, x): image (C, H, W) -> (C, rf.size, rf.size).

    Parts of the window outside the image (at the borders, where the layer saw padding)
    are filled with ``fill``, so every patch of a layer has the same size.
    """
    if image.dim() != 3:
        raise ValueError(f"image must be (C, H, W), got {tuple(image.shape)}")
    c, h, w = image.shape
    top, left = rf.window(y, x)
    patch = image.new_full((c, rf.size, rf.size), fill)
    y0, y1 = max(top, 0), min(top + rf.size, h)
    x0, x1 = max(left, 0), min(left + rf.size, w)
    if y0 < y1 and x0 < x1:
        patch[:, y0 - top:y1 - top, x0 - left:x1 - left] = image[:, y0:y1, x0:x1]
    return patch


def receptive_field_box(rf: ReceptiveField, y: int, x: int, height: int, width: int) -> tuple[int, int, int, int]:
    """Unit (y, x)'s window clipped to an image of height x width: (top, left, bottom, right), end exclusive."""
    top, left = rf.window(y, x)
    return max(top, 0), max(left, 0), min(top + rf.size, height), min(left + rf.size, width)


# ---------------------------------------------------------------- top-k activating images


@dataclass
class TopK:
    """The k images (and positions) that excite each channel of a layer most.

    values, images, ys, xs: (channels, k). ``images`` indexes the x passed in; (ys, xs) is
    the position of the strongest unit of that channel in that image (0 for a flat layer).
    """

    layer: str
    values: torch.Tensor
    images: torch.Tensor
    ys: torch.Tensor
    xs: torch.Tensor


@torch.no_grad()
def top_k_by_layer(model: nn.Module, x: torch.Tensor, layers: Sequence[str], k: int = 9,
                   batch_size: int = 500) -> dict[str, TopK]:
    """``top_k_activations`` for several layers from one pass over x: {layer: TopK}."""
    _check_images(x)
    if not 1 <= k <= len(x):
        raise ValueError(f"k={k} must be between 1 and the number of images ({len(x)}).")
    device = _device_of(model)
    best: dict[str, list[torch.Tensor]] = {n: [] for n in layers}
    where: dict[str, list[torch.Tensor]] = {n: [] for n in layers}
    with _eval_mode(model), capture(model, layers) as acts:
        for i in range(0, len(x), batch_size):
            model(x[i:i + batch_size].to(device))
            for name in layers:
                a = acts[name].float().cpu()
                if a.dim() == 4:
                    value, pos = a.flatten(2).max(2)                 # (B, C): strongest unit, its flat index
                    width = a.shape[3]
                    where[name].append(torch.stack([pos // width, pos % width], -1))
                elif a.dim() == 2:
                    value = a
                    where[name].append(torch.zeros(*a.shape, 2, dtype=torch.long))
                else:
                    raise ValueError(f"Layer {name!r} gives outputs of shape {tuple(a.shape)}; "
                                     "expected (N, C, H, W) or (N, F).")
                best[name].append(value)
    result = {}
    for name in layers:
        best_t, where_t = torch.cat(best[name]), torch.cat(where[name])   # (N, C), (N, C, 2)
        values, idx = best_t.topk(k, dim=0)                                # (k, C)
        pos = where_t[idx, torch.arange(best_t.shape[1]).expand(k, -1)]    # (k, C, 2)
        result[name] = TopK(name, values.T.contiguous(), idx.T.contiguous(),
                            pos[..., 0].T.contiguous(), pos[..., 1].T.contiguous())
    return result


def top_k_activations(model: nn.Module, x: torch.Tensor, layer: str, k: int = 9,
                      batch_size: int = 500) -> TopK:
    """For every channel of ``layer``, the k images of x: (N, C, H, W) with the largest activation.

    An image's activation for a channel is its strongest unit (max over positions), so each
    image appears at most once per channel. Only (N, channels) maxima are kept per batch,
    never the whole (N, C, H', W') output, so this runs on thousands of images.
    """
    return top_k_by_layer(model, x, [layer], k, batch_size)[layer]


def top_k_patches(x: torch.Tensor, top: TopK, rf: ReceptiveField, channels: Sequence[int] | None = None,
                  fill: float = 0.0) -> torch.Tensor:
    """The receptive-field crops behind ``top``: (len(channels), k, C, rf.size, rf.size)."""
    channels = range(top.values.shape[0]) if channels is None else channels
    return torch.stack([
        torch.stack([receptive_field_patch(x[int(top.images[c, j])], rf, int(top.ys[c, j]), int(top.xs[c, j]), fill)
                     for j in range(top.values.shape[1])])
        for c in channels])


def class_purity(top: TopK, labels: torch.Tensor) -> torch.Tensor:
    """Per channel, the share of its top-k images that belong to their most common class: (channels,).

    1.0 means all k images are of one class (a class-specific detector); about 1/classes
    up to a few tenths means the channel fires on many classes (a generic feature).
    """
    lab = labels[top.images]                                   # (C, k)
    counts = F.one_hot(lab, int(labels.max()) + 1).sum(1)       # (C, classes)
    return counts.max(1).values.float() / lab.shape[1]


# ---------------------------------------------------------------- occlusion sensitivity


@dataclass
class Occlusion:
    """Result of ``occlusion``.

    drops: (rows, cols) score drop per patch position (positive: hiding it hurts the class);
    pixel_map: (H, W) the mean drop over all patches covering each pixel (0 where none does);
    tops, lefts: patch corners of the rows and columns; base: the score of the intact image.
    """

    drops: torch.Tensor
    pixel_map: torch.Tensor
    tops: torch.Tensor
    lefts: torch.Tensor
    base: float


def occlusion_masks(height: int, width: int, patch: int,
                    stride: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """All square patch positions at once: masks (P, H, W) bool, tops (rows,), lefts (cols,).

    Patches start at 0, stride, 2*stride, ... and stay inside the image; P = rows * cols.
    """
    if not (1 <= patch <= min(height, width)) or stride < 1:
        raise ValueError(f"patch={patch} must be between 1 and the image size {min(height, width)} "
                         f"and stride={stride} at least 1.")
    tops = torch.arange(0, height - patch + 1, stride)
    lefts = torch.arange(0, width - patch + 1, stride)
    rows = (torch.arange(height)[None] >= tops[:, None]) & (torch.arange(height)[None] < tops[:, None] + patch)
    cols = (torch.arange(width)[None] >= lefts[:, None]) & (torch.arange(width)[None] < lefts[:, None] + patch)
    masks = rows[:, None, :, None] & cols[None, :, None, :]   # (rows, cols, H, W)
    return masks.reshape(-1, height, width), tops, lefts


def _score(logits: torch.Tensor, target: torch.Tensor, score: str) -> torch.Tensor:
    if score == "logit":
        return logits.gather(1, target[:, None]).squeeze(1)
    if score == "prob":
        return logits.softmax(1).gather(1, target[:, None]).squeeze(1)
    raise ValueError(f"score must be 'logit' or 'prob', not {score!r}")


@torch.no_grad()
def occlusion(model: nn.Module, image: torch.Tensor, target: int, patch: int = 6, stride: int = 2,
              fill: float = 0.5, score: str = "prob", batch_size: int = 256) -> Occlusion:
    """Zeiler & Fergus occlusion: slide a ``fill``-valued square over image (C, H, W) and
    record how much the ``target`` class score drops at each position.

    All occluded copies are built at once from boolean masks and run in batches of
    ``batch_size`` (one forward pass per batch, not per position). ``score`` is "prob"
    (softmax probability, as in the paper) or "logit" (the raw class score).
    """
    if image.dim() != 3:
        raise ValueError(f"image must be (C, H, W), got {tuple(image.shape)}")
    device = _device_of(model)
    c, h, w = image.shape
    masks, tops, lefts = occlusion_masks(h, w, patch, stride)
    image = image.to(device)
    t = torch.tensor([target], device=device)
    with _eval_mode(model):
        base = _score(model(image[None]), t, score).item()
        scores = []
        for i in range(0, len(masks), batch_size):
            m = masks[i:i + batch_size, None].to(device)                       # (B, 1, H, W)
            occluded = torch.where(m, torch.as_tensor(fill, dtype=image.dtype, device=device), image[None])
            scores.append(_score(model(occluded), t.expand(len(m)), score).cpu())
    drops = base - torch.cat(scores)                                           # (P,)
    cover = masks.float()
    pixel_map = (drops[:, None, None] * cover).sum(0) / cover.sum(0).clamp(min=1)
    return Occlusion(drops.reshape(len(tops), len(lefts)), pixel_map, tops, lefts, base)


# ---------------------------------------------------------------- gradient saliency


def input_gradient(model: nn.Module, x: torch.Tensor, target: int | Sequence[int] | torch.Tensor) -> torch.Tensor:
    """d score[target] / d input for every image: x (N, C, H, W) -> gradient (N, C, H, W).

    The score is the class logit (before softmax). Eval mode, so each image's gradient
    depends on that image only.
    """
    _check_images(x)
    device = _device_of(model)
    t = _targets(target, len(x)).to(device)
    x = x.detach().to(device).requires_grad_(True)
    with _eval_mode(model):
        scores = model(x).gather(1, t[:, None]).sum()
        (grad,) = torch.autograd.grad(scores, x)
    return grad.detach().cpu()


def saliency(model: nn.Module, x: torch.Tensor, target: int | Sequence[int] | torch.Tensor) -> torch.Tensor:
    """Simonyan et al. (2014) saliency: |input gradient|, max over colour channels: (N, H, W)."""
    return input_gradient(model, x, target).abs().amax(1)


def smoothgrad(model: nn.Module, x: torch.Tensor, target: int | Sequence[int] | torch.Tensor,
               samples: int = 32, noise: float = 0.15, seed: int = 0, batch_size: int = 512) -> torch.Tensor:
    """SmoothGrad (Smilkov et al., 2017): the input gradient averaged over noisy copies of
    each image: x (N, C, H, W) -> (N, C, H, W). ``noise`` is the Gaussian std as a fraction of
    each image's value range. Take ``.abs().amax(1)`` for a map like ``saliency``.
    """
    _check_images(x)
    gen = torch.Generator().manual_seed(seed)
    t = _targets(target, len(x))
    span = (x.amax((1, 2, 3)) - x.amin((1, 2, 3))).clamp(min=1e-8)[:, None, None, None]
    noisy = x[:, None] + noise * span[:, None] * torch.randn(len(x), samples, *x.shape[1:], generator=gen)
    flat, flat_t = noisy.flatten(0, 1), t.repeat_interleave(samples)
    grads = torch.cat([input_gradient(model, flat[i:i + batch_size], flat_t[i:i + batch_size])
                       for i in range(0, len(flat), batch_size)])
    return grads.reshape(len(x), samples, *x.shape[1:]).mean(1)


def integrated_gradients(model: nn.Module, x: torch.Tensor, target: int | Sequence[int] | torch.Tensor,
                         baseline: torch.Tensor | float = 0.0, steps: int = 32,
                         batch_size: int = 512) -> torch.Tensor:
    """Integrated gradients (Sundararajan et al., 2017): (x - baseline) times the mean input
    gradient along the straight path from baseline to x (midpoint rule with ``steps`` points).

    x: (N, C, H, W) -> attributions (N, C, H, W). They add up to about
    score(x) - score(baseline) (the "completeness" property; closer with more steps).
    """
    _check_images(x)
    base = torch.as_tensor(baseline, dtype=x.dtype).expand_as(x)
    t = _targets(target, len(x))
    alphas = (torch.arange(steps, dtype=x.dtype) + 0.5) / steps                          # (S,)
    path = base[:, None] + alphas[None, :, None, None, None] * (x - base)[:, None]       # (N, S, C, H, W)
    flat, flat_t = path.flatten(0, 1), t.repeat_interleave(steps)
    grads = torch.cat([input_gradient(model, flat[i:i + batch_size], flat_t[i:i + batch_size])
                       for i in range(0, len(flat), batch_size)])
    return (x - base) * grads.reshape(len(x), steps, *x.shape[1:]).mean(1)


# ---------------------------------------------------------------- activation maximisation


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Blur images x (N, C, H, W) with a Gaussian of std ``sigma`` pixels (separable, reflect padding)."""
    radius = max(1, int(round(3 * sigma)))
    coords = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-coords ** 2 / (2 * sigma ** 2))
    kernel = kernel / kernel.sum()
    c = x.shape[1]
    x = F.pad(x, (radius, radius, radius, radius), mode="reflect")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def unit_score(output: torch.Tensor, units: torch.Tensor) -> torch.Tensor:
    """The score of unit ``units[i]`` for item i: a channel's mean for (N, C, H, W) outputs,
    the value itself for (N, F) outputs. Returns (N,)."""
    picked = output[torch.arange(len(units), device=output.device), units.to(output.device)]
    return picked.flatten(1).mean(1) if picked.dim() > 1 else picked


@dataclass
class Maximized:
    """Result of ``maximize_activation``: images (N, C, H, W); scores (R, N), the target scores
    of the clean (unjittered) images after the steps listed in ``steps`` (R,), starting with 0
    (the start image) and ending with the last step."""

    images: torch.Tensor
    scores: torch.Tensor
    steps: torch.Tensor


def maximize_activation(model: nn.Module, units: int | Sequence[int], layer: str | None = None,
                        shape: tuple[int, int, int] = (1, 28, 28), steps: int = 200, lr: float = 0.05,
                        jitter: int = 2, l2_decay: float = 1e-3, blur_every: int = 4, blur_sigma: float = 0.5,
                        value_range: tuple[float, float] = (0.0, 1.0), init: torch.Tensor | None = None,
                        record_every: int = 1, seed: int = 0) -> Maximized:
    """Gradient ascent on the input to excite ``units`` of ``layer`` (the model's output,
    i.e. class logits, when ``layer`` is None): one image per unit, optimised together.

    Each step (Yosinski et al. 2015 style regularisation): roll the images by a random
    shift of up to ``jitter`` pixels, take an Adam step that raises the unit's score, shrink
    the images towards zero by ``l2_decay`` (weight decay on pixels), clamp them to
    ``value_range`` and, every ``blur_every`` steps, blur them with ``blur_sigma``.
    The start is a dim, slightly noisy grey image (or ``init``: (N, C, H, W)). The clean
    images are scored every ``record_every`` steps (an extra forward pass each time) and after the last.
    """
    units_t = torch.as_tensor(units, dtype=torch.long).flatten()
    n = len(units_t)
    device = _device_of(model)
    gen = torch.Generator().manual_seed(seed)
    lo, hi = value_range
    if init is None:
        init = lo + (hi - lo) * (0.2 + 0.05 * torch.randn(n, *shape, generator=gen))
    img = init.detach().clone().to(device).clamp(lo, hi).requires_grad_(True)
    opt = torch.optim.Adam([img], lr=lr)

    def scores_of(batch: torch.Tensor) -> torch.Tensor:
        if layer is None:
            return unit_score(model(batch), units_t)
        with capture(model, layer, detach=False) as acts:
            model(batch)
        return unit_score(acts[layer], units_t)

    params = list(model.parameters())
    flags = [p.requires_grad for p in params]
    history, recorded = [], []
    try:
        for p in params:
            p.requires_grad_(False)
        with _eval_mode(model):
            with torch.no_grad():
                history.append(scores_of(img).cpu())
                recorded.append(0)
            for step in range(steps):
                dy, dx = (torch.randint(-jitter, jitter + 1, (2,), generator=gen).tolist() if jitter else (0, 0))
                opt.zero_grad()
                loss = -scores_of(torch.roll(img, shifts=(dy, dx), dims=(2, 3))).sum()
                loss.backward()
                opt.step()
                with torch.no_grad():
                    img.mul_(1 - l2_decay)
                    if blur_every and (step + 1) % blur_every == 0 and blur_sigma > 0:
                        img.copy_(gaussian_blur(img, blur_sigma))
                    img.clamp_(lo, hi)
                    if (step + 1) % record_every == 0 or step + 1 == steps:
                        history.append(scores_of(img).cpu())
                        recorded.append(step + 1)
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)
    return Maximized(img.detach().cpu(), torch.stack(history), torch.tensor(recorded))


# ---------------------------------------------------------------- embeddings


def embed(model: nn.Module, x: torch.Tensor, layer: str, batch_size: int = 500) -> torch.Tensor:
    """The output of ``layer`` for every image, flattened: x (N, C, H, W) -> features (N, D)."""
    return activations(model, x, layer, batch_size)[layer].flatten(1)


def pca_2d(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Project features (N, D) on their two main directions: (N, 2) coordinates and the
    share of the total variance each direction explains (2,). Uses an exact SVD of the centred data."""
    if features.dim() != 2 or len(features) < 3:
        raise ValueError(f"features must be (N, D) with N >= 3, got {tuple(features.shape)}")
    centred = features.double() - features.double().mean(0)
    _, s, vt = torch.linalg.svd(centred, full_matrices=False)
    coords = centred @ vt[:2].T
    explained = s[:2] ** 2 / (s ** 2).sum()
    return coords.float(), explained.float()


def tsne_2d(features: torch.Tensor, perplexity: float = 30.0, seed: int = 0, pca_dims: int = 50,
            iterations: int = 1000) -> torch.Tensor:
    """t-SNE (scikit-learn) of features (N, D) -> (N, 2), after PCA to ``pca_dims`` dimensions
    (the usual speed-up), optimised for ``iterations`` steps (at least 250).
    Distances between far-apart clusters in the result mean little."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    arr = features.double().numpy()
    if arr.shape[1] > pca_dims and len(arr) > pca_dims:
        arr = PCA(pca_dims, random_state=seed).fit_transform(arr)
    perplexity = min(perplexity, (len(arr) - 1) / 3)
    tsne = TSNE(2, perplexity=perplexity, init="pca", random_state=seed, max_iter=max(250, iterations))
    out = tsne.fit_transform(arr)
    return torch.from_numpy(np.ascontiguousarray(out)).float()


def centroid_distances(features: torch.Tensor, labels: torch.Tensor, classes: int = 10) -> torch.Tensor:
    """Euclidean distances between class means of features (N, D): (classes, classes)."""
    centroids = torch.stack([features[labels == c].mean(0) for c in range(classes)])
    return torch.cdist(centroids[None], centroids[None])[0]


# ---------------------------------------------------------------- what the lesson's explorer shows


@dataclass
class FeatureMapView:
    """What the feature-map explorer draws for one (image, layer, channel) choice.

    maps: (C, h, w) all channels of the layer for the image; peak: (y, x) of the channel's
    strongest unit; box: that unit's receptive field in the input, (top, left, bottom, right)
    clipped to the image (None for a layer without one); probs: (classes,) the prediction.
    """

    layer: str
    channel: int
    maps: torch.Tensor
    peak: tuple[int, int]
    box: tuple[int, int, int, int] | None
    probs: torch.Tensor

    @property
    def fmap(self) -> torch.Tensor:
        """The chosen channel's map (h, w)."""
        return self.maps[self.channel]


@torch.no_grad()
def feature_map_view(model: nn.Module, image: torch.Tensor, layer: str, channel: int) -> FeatureMapView:
    """Feature maps of ``layer`` for one image (C, H, W), the chosen channel's peak and its
    receptive field. Raises ValueError for a layer without spatial maps or a channel out of range."""
    if image.dim() != 3:
        raise ValueError(f"image must be (C, H, W), got {tuple(image.shape)}")
    with _eval_mode(model), capture(model, layer) as acts:
        logits = model(image[None].to(_device_of(model)))
    maps = acts[layer][0].float().cpu()
    if maps.dim() != 3:
        raise ValueError(f"Layer {layer!r} outputs {tuple(maps.shape)} per image, not feature maps (C, H, W).")
    if not 0 <= channel < len(maps):
        raise ValueError(f"Layer {layer!r} has {len(maps)} channels (0..{len(maps) - 1}); got channel {channel}.")
    w = maps.shape[2]
    flat = int(maps[channel].flatten().argmax())
    peak = (flat // w, flat % w)
    rf = receptive_field(model, layer)
    box = receptive_field_box(rf, *peak, image.shape[1], image.shape[2])
    return FeatureMapView(layer, channel, maps, peak, box, logits[0].softmax(0).cpu())
