"""Looking inside a trained CNN (lesson 08): activations recorded with forward hooks, feature
maps, receptive fields and the crops a unit sees, the top-k images of a channel, and embeddings.
Which pixels a decision rests on (occlusion, saliency, Grad-CAM, ...) is in ``attribution``; the
input a unit "wants" (activation maximisation) in ``maximize``.

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


def device_of(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (the CPU for a model without parameters)."""
    return next(model.parameters(), torch.empty(0)).device


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Run the block with the model in eval mode (batch norm's running statistics, no dropout),
    then restore the mode it had."""
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


def check_images(x: torch.Tensor, what: str = "x") -> None:
    """Raise ValueError unless x is a batch of images (N, C, H, W)."""
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{what} must be a batch of images (N, C, H, W), got {shape}; "
                         f"for one image (C, H, W) use x[None] or x.unsqueeze(0).")


# ---------------------------------------------------------------- first-layer filters


def flatness(weight: torch.Tensor) -> torch.Tensor:
    """|sum of weights| / sum of |weights| per filter: weight (F, C, k, k) -> (F,).

    0 for a pure difference filter (its positive and negative weights cancel: an edge or line
    detector, like Sobel), 1 when all weights have one sign (it measures brightness).
    """
    w = weight.detach().flatten(1)
    return w.sum(1).abs() / w.abs().sum(1).clamp(min=1e-12)


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
    check_images(x)
    names = [layers] if isinstance(layers, str) else list(layers)
    device = device_of(model)
    parts: dict[str, list[torch.Tensor]] = {n: [] for n in names}
    with eval_mode(model), capture(model, names) as acts:
        for i in range(0, len(x), batch_size):
            model(x[i:i + batch_size].to(device))
            for n in names:
                parts[n].append(acts[n].cpu())
    return {n: torch.cat(p) for n, p in parts.items()}


def hook_count(model: nn.Module) -> int:
    """How many forward (pre-)hooks are registered on ``model`` and all its sub-modules."""
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


# ---------------------------------------------------------------- receptive fields

def receptive_field(model: nn.Module, layer: str) -> summary.RFStep:
    """Where a unit of ``layer``'s output looks in the input: its entry of ``summary.receptive_fields``.

    The result's ``receptive_field`` is the side of the window (pixels), ``jump`` the distance
    between neighbouring units and ``start`` the first row (and column) of unit (0, 0)'s window, so
    unit (y, x) sees rows ``start + y * jump`` to ``start + y * jump + receptive_field - 1``.
    A layer that changes no geometry (ReLU, batch norm) has the field of the conv or pool before it;
    a layer before any of them sees one pixel. A layer after the end of the convolutional part
    (Flatten, Linear, adaptive pooling: units there see the whole image) raises ValueError.
    """
    get_layer(model, layer)
    names = [name for name, module in model.named_modules() if not any(True for _ in module.children())]
    inside = [i for i, name in enumerate(names) if name == layer or name.startswith(layer + ".")]
    leaves = dict(model.named_modules())
    # summary's walk stops where the convolutional part ends; a 1x1 probe after ``layer`` tells
    # whether the walk still reaches the point just after it.
    chain = nn.Sequential(*[leaves[n] for n in names[:inside[-1] + 1]], nn.Conv2d(1, 1, 1))
    steps = summary.receptive_fields(chain)
    if not steps or steps[-1].name != str(len(chain) - 1):
        raise ValueError(f"Layer {layer!r} comes after the end of the convolutional part (a Flatten, Linear or "
                         "adaptive pooling layer): its units see the whole image, not a window.")
    if len(steps) == 1:
        return summary.RFStep(layer, 1, 1, 1, receptive_field=1, jump=1, start=0)
    by_position = {str(i): n for i, n in enumerate(names)}
    step = steps[-2]
    return summary.RFStep(by_position[step.name], step.kernel, step.stride, step.dilation,
                          step.receptive_field, step.jump, step.start)


def receptive_field_patch(image: torch.Tensor, rf: summary.RFStep, y: int, x: int,
                          fill: float = 0.0) -> torch.Tensor:
    """The input window seen by unit (y, x): image (C, H, W) -> (C, size, size), size = rf.receptive_field.

    Parts of the window outside the image (at the borders, where the layer saw padding)
    are filled with ``fill``, so every patch of a layer has the same size.
    """
    if image.dim() != 3:
        raise ValueError(f"image must be (C, H, W), got {tuple(image.shape)}")
    c, h, w = image.shape
    size = rf.receptive_field
    top, left = rf.start + y * rf.jump, rf.start + x * rf.jump
    patch = image.new_full((c, size, size), fill)
    y0, x0, y1, x1 = receptive_field_box(rf, y, x, h, w)
    if y0 < y1 and x0 < x1:
        patch[:, y0 - top:y1 - top, x0 - left:x1 - left] = image[:, y0:y1, x0:x1]
    return patch


def receptive_field_box(rf: summary.RFStep, y: int, x: int, height: int, width: int) -> tuple[int, int, int, int]:
    """Unit (y, x)'s window clipped to an image of height x width: (top, left, bottom, right), end exclusive."""
    top, left = rf.start + y * rf.jump, rf.start + x * rf.jump
    size = rf.receptive_field
    return max(top, 0), max(left, 0), min(top + size, height), min(left + size, width)


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
    check_images(x)
    if not 1 <= k <= len(x):
        raise ValueError(f"k={k} must be between 1 and the number of images ({len(x)}).")
    device = device_of(model)
    best: dict[str, list[torch.Tensor]] = {n: [] for n in layers}
    where: dict[str, list[torch.Tensor]] = {n: [] for n in layers}
    with eval_mode(model), capture(model, layers) as acts:
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


def top_k_patches(x: torch.Tensor, top: TopK, rf: summary.RFStep, channels: Sequence[int] | None = None,
                  fill: float = 0.0) -> torch.Tensor:
    """The receptive-field crops behind ``top``: (len(channels), k, C, size, size), size = rf.receptive_field."""
    channels = range(top.values.shape[0]) if channels is None else channels
    return torch.stack([patches_at(x[top.images[c]], rf, top.ys[c], top.xs[c], fill) for c in channels])


def patches_at(images: torch.Tensor, rf: summary.RFStep, ys: torch.Tensor, xs: torch.Tensor,
               fill: float = 0.0) -> torch.Tensor:
    """Image i's window of the unit at (ys[i], xs[i]): images (k, C, H, W) -> (k, C, size, size).

    Used for the top-k crops and for anything drawn in the same windows (e.g. deconvnet projections)."""
    return torch.stack([receptive_field_patch(img, rf, int(y), int(x), fill) for img, y, x in zip(images, ys, xs)])


def spread_channels(top: TopK, n: int = 6) -> list[int]:
    """n channels spread evenly over the channels of ``top`` that fire at all: a sample for a figure
    that is not cherry-picked."""
    alive = torch.nonzero(top.values[:, 0] > 0).flatten()
    return alive[torch.linspace(0, len(alive) - 1, min(n, len(alive))).round().long()].tolist()


def class_purity(top: TopK, labels: torch.Tensor) -> torch.Tensor:
    """Per channel, the share of its top-k images that belong to their most common class: (channels,).

    1.0 means all k images are of one class (a class-specific detector); about 1/classes
    up to a few tenths means the channel fires on many classes (a generic feature).
    """
    lab = labels[top.images]                                   # (C, k)
    counts = F.one_hot(lab, int(labels.max()) + 1).sum(1)       # (C, classes)
    return counts.max(1).values.float() / lab.shape[1]


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
    with eval_mode(model), capture(model, layer) as acts:
        logits = model(image[None].to(device_of(model)))
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
