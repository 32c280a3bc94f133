"""Which pixels does a decision rest on? Attribution maps for lesson 08.

- occlusion (Zeiler & Fergus): hide a square, measure the drop of the class score;
- gradients: ``input_gradient``, ``saliency`` (Simonyan et al.), ``smoothgrad`` (Smilkov et al.),
  ``integrated_gradients`` (Sundararajan et al.);
- other backward rules through the ReLUs: ``guided_backprop`` (Springenberg et al.), ``deconvnet``
  (Zeiler & Fergus), and ``project_unit``, which sends one strong unit of an inner layer back to the pixels;
- ``grad_cam`` (Selvaraju et al.): a coarse map from the last feature maps and their gradients;
- the sanity check of Adebayo et al. (2018): ``cascading_randomization`` re-initialises the layers from
  the top down and measures, with ``rank_correlation``, how much each map changes.

Every function takes a model and images ``x: (N, C, H, W)`` and runs the model in eval mode; the
score of a class is its logit (before softmax) unless a docstring says otherwise.
tests/test_attribution.py compares these functions with Captum, PyTorch's attribution library;
where Captum's defaults differ the docstring says how.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator, Mapping, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .viz import capture, check_images, device_of, eval_mode, get_layer

Target = int | Sequence[int] | torch.Tensor


def _targets(target: Target, n: int) -> torch.Tensor:
    t = torch.as_tensor(target, dtype=torch.long).flatten()
    if t.numel() == 1:
        t = t.expand(n)
    if t.numel() != n:
        raise ValueError(f"Got {t.numel()} targets for {n} images; give one class index per image or one for all.")
    return t


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
    device = device_of(model)
    c, h, w = image.shape
    masks, tops, lefts = occlusion_masks(h, w, patch, stride)
    image = image.to(device)
    t = torch.tensor([target], device=device)
    with eval_mode(model):
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


# ---------------------------------------------------------------- backward rules through the ReLUs

RULES = ("gradient", "guided", "deconvnet")


@contextmanager
def relu_rule(model: nn.Module, rule: str) -> Iterator[nn.Module]:
    """Inside the block, every ``nn.ReLU`` of the model sends the signal back by ``rule``.

    For a ReLU with input z, the signal g arriving from above is passed down as
      - "gradient":  g * (z > 0)            (the true derivative: plain backpropagation);
      - "guided":    g * (z > 0) * (g > 0)  (guided backpropagation, Springenberg et al., 2015);
      - "deconvnet": g * (g > 0)            (Zeiler & Fergus's deconvnet: a ReLU on the way back,
                                             blind to where the forward pass was active).
    Everything else (convolutions, max-pool switches, batch norm) backpropagates as usual, which is
    what the deconvnet paper does with transposed filters and pooling switches. ReLUs are set to
    ``inplace=False`` during the block (a backward hook cannot see an in-place ReLU) and restored
    afterwards. ReLUs written as ``F.relu`` inside ``forward`` are not modules and keep the true derivative.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, not {rule!r}")
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    was_inplace = [m.inplace for m in relus]

    def backward(module, grad_input, grad_output):
        if rule == "guided":
            return (grad_input[0].clamp(min=0),)      # grad_input = g * (z > 0) already
        return (grad_output[0].clamp(min=0),)          # deconvnet: ignore z

    handles = []
    try:
        if rule != "gradient":
            for m in relus:
                m.inplace = False
                handles.append(m.register_full_backward_hook(backward))
        yield model
    finally:
        for handle in handles:
            handle.remove()
        for m, flag in zip(relus, was_inplace):
            m.inplace = flag


# ---------------------------------------------------------------- gradient maps


def input_gradient(model: nn.Module, x: torch.Tensor, target: Target, rule: str = "gradient") -> torch.Tensor:
    """d score[target] / d input for every image: x (N, C, H, W) -> gradient (N, C, H, W).

    The score is the class logit (before softmax). Eval mode, so each image's gradient depends
    on that image only. ``rule`` says how the ReLUs pass the signal back (see ``relu_rule``):
    "gradient" is the true gradient, "guided" and "deconvnet" give the maps of those methods.
    """
    check_images(x)
    device = device_of(model)
    t = _targets(target, len(x)).to(device)
    x = x.detach().to(device).requires_grad_(True)
    with eval_mode(model), relu_rule(model, rule):
        scores = model(x).gather(1, t[:, None]).sum()
        (grad,) = torch.autograd.grad(scores, x)
    return grad.detach().cpu()


def saliency(model: nn.Module, x: torch.Tensor, target: Target) -> torch.Tensor:
    """Simonyan et al. (2014) saliency: |input gradient|, max over colour channels: (N, H, W).

    Captum's ``Saliency(model).attribute(x, target)`` returns the |gradient| per channel (N, C, H, W);
    ours is its maximum over C, as in the paper.
    """
    return input_gradient(model, x, target).abs().amax(1)


def guided_backprop(model: nn.Module, x: torch.Tensor, target: Target) -> torch.Tensor:
    """Guided backpropagation (Springenberg et al., 2015): (N, C, H, W), signed.

    The gradient of the class score where every ReLU also drops negative signals on the way back,
    so only evidence that increases the score and passed an active unit reaches the pixels.
    Same as Captum's ``GuidedBackprop``.
    """
    return input_gradient(model, x, target, rule="guided")


def deconvnet(model: nn.Module, x: torch.Tensor, target: Target) -> torch.Tensor:
    """The class score sent back by a deconvnet (Zeiler & Fergus, 2014): (N, C, H, W), signed.

    Like the gradient, but each ReLU applies a ReLU to the backward signal instead of the forward
    mask. Same as Captum's ``Deconvolution``.
    """
    return input_gradient(model, x, target, rule="deconvnet")


def project_unit(model: nn.Module, x: torch.Tensor, layer: str, channel: int,
                 rule: str = "deconvnet") -> torch.Tensor:
    """Zeiler & Fergus's projection: for each image, take the strongest unit of ``channel`` in ``layer``
    (all other activations of the layer set to zero) and send it back to the pixels by ``rule``.

    x: (N, C, H, W) -> (N, C, H, W). Only the strongest unit's value is differentiated, so the map
    lies inside that unit's receptive field (``viz.receptive_field``).
    """
    check_images(x)
    get_layer(model, layer)
    x = x.detach().to(device_of(model)).requires_grad_(True)
    with eval_mode(model), relu_rule(model, rule), capture(model, layer, detach=False) as acts:
        model(x)
        maps = acts[layer]
        if not 0 <= channel < maps.shape[1]:
            raise ValueError(f"Layer {layer!r} has {maps.shape[1]} channels; got channel {channel}.")
        strongest = maps[:, channel].flatten(1).amax(1)                  # (N,)
        (grad,) = torch.autograd.grad(strongest.sum(), x)
    return grad.detach().cpu()


def smoothgrad(model: nn.Module, x: torch.Tensor, target: Target,
               samples: int = 32, noise: float = 0.15, seed: int = 0, batch_size: int = 512) -> torch.Tensor:
    """SmoothGrad (Smilkov et al., 2017): the input gradient averaged over noisy copies of
    each image: x (N, C, H, W) -> (N, C, H, W). Take ``.abs().amax(1)`` for a map like ``saliency``.

    ``noise`` is the Gaussian std as a fraction of each image's value range (max - min), as in the
    paper; Captum's ``NoiseTunnel(Saliency(model)).attribute(x, nt_type="smoothgrad", stdevs=...)``
    takes an absolute std instead, and draws from the global random generator: with
    ``torch.manual_seed(seed)`` before it and images whose range is 1, both draw the same noise.
    """
    check_images(x)
    gen = torch.Generator().manual_seed(seed)
    t = _targets(target, len(x))
    span = (x.amax((1, 2, 3)) - x.amin((1, 2, 3))).clamp(min=1e-8)[:, None, None, None]
    draws = torch.randn(len(x), samples, *x.shape[1:], generator=gen)           # (N, S, C, H, W)
    noisy = x[:, None] + noise * span[:, None] * draws
    flat, flat_t = noisy.flatten(0, 1), t.repeat_interleave(samples)
    grads = torch.cat([input_gradient(model, flat[i:i + batch_size], flat_t[i:i + batch_size])
                       for i in range(0, len(flat), batch_size)])
    return grads.reshape(len(x), samples, *x.shape[1:]).mean(1)


def integrated_gradients(model: nn.Module, x: torch.Tensor, target: Target,
                         baseline: torch.Tensor | float = 0.0, steps: int = 32,
                         batch_size: int = 512) -> torch.Tensor:
    """Integrated gradients (Sundararajan et al., 2017): (x - baseline) times the mean input
    gradient along the straight path from baseline to x.

    x: (N, C, H, W) -> attributions (N, C, H, W). ``baseline``: a number (0.0 is a black image) or
    images broadcastable to x. The attributions add up to about score(x) - score(baseline)
    ("completeness", see ``score_gap``; closer with more steps). A pixel equal to its baseline
    gets exactly 0, whatever the network does with it.

    The path integral uses the midpoint rule with ``steps`` points, alpha = (i + 0.5) / steps.
    Captum's ``IntegratedGradients`` uses Gauss-Legendre points by default; with
    ``method="riemann_middle"`` and ``n_steps=steps`` it computes the same sum.
    """
    check_images(x)
    base = torch.as_tensor(baseline, dtype=x.dtype).expand_as(x)
    t = _targets(target, len(x))
    alphas = (torch.arange(steps, dtype=x.dtype) + 0.5) / steps                          # (S,)
    path = base[:, None] + alphas[None, :, None, None, None] * (x - base)[:, None]       # (N, S, C, H, W)
    flat, flat_t = path.flatten(0, 1), t.repeat_interleave(steps)
    grads = torch.cat([input_gradient(model, flat[i:i + batch_size], flat_t[i:i + batch_size])
                       for i in range(0, len(flat), batch_size)])
    return (x - base) * grads.reshape(len(x), steps, *x.shape[1:]).mean(1)


@torch.no_grad()
def score_gap(model: nn.Module, x: torch.Tensor, target: Target,
              baseline: torch.Tensor | float = 0.0) -> torch.Tensor:
    """score(x) - score(baseline) of the target class per image: (N,). Integrated gradients'
    attributions of image i add up to entry i (completeness)."""
    check_images(x)
    device = device_of(model)
    t = _targets(target, len(x)).to(device)
    x = x.to(device)
    base = torch.as_tensor(baseline, dtype=x.dtype, device=device).expand_as(x)
    with eval_mode(model):
        return (model(x) - model(base)).gather(1, t[:, None]).squeeze(1).cpu()


# ---------------------------------------------------------------- Grad-CAM


def cam_from_gradients(activations: torch.Tensor, gradients: torch.Tensor, relu: bool = True) -> torch.Tensor:
    """Grad-CAM's map from one layer's feature maps A and the gradients dScore/dA: (N, K, h, w) -> (N, h, w).

    Each channel k gets the weight alpha_k = the mean of its gradient over the h x w positions;
    the map is sum_k alpha_k A_k, passed through a ReLU (the paper keeps only the evidence *for* the class).
    """
    weights = gradients.mean((2, 3), keepdim=True)              # (N, K, 1, 1)
    cam = (weights * activations).sum(1)                        # (N, h, w)
    return cam.clamp(min=0) if relu else cam


def grad_cam(model: nn.Module, x: torch.Tensor, target: Target, layer: str, relu: bool = True) -> torch.Tensor:
    """Grad-CAM (Selvaraju et al., 2017) at ``layer`` (a name from ``model.named_modules()``,
    usually the last convolutional block): x (N, C, H, W) -> maps (N, H, W).

    The coarse (h, w) map of ``cam_from_gradients`` is upsampled bilinearly to the input size.
    Captum: ``LayerGradCam(model, layer_module).attribute(x, target, relu_attributions=True)``
    (its ReLU is off by default) followed by ``LayerAttribution.interpolate(cam, (H, W), "bilinear")``.
    """
    check_images(x)
    device = device_of(model)
    t = _targets(target, len(x)).to(device)
    with eval_mode(model), capture(model, layer, detach=False) as acts:
        scores = model(x.detach().to(device)).gather(1, t[:, None]).sum()
        maps = acts[layer]
        if maps.dim() != 4:
            raise ValueError(f"Grad-CAM needs feature maps (N, K, h, w); layer {layer!r} gives {tuple(maps.shape)}.")
        (grads,) = torch.autograd.grad(scores, maps)
    cam = cam_from_gradients(maps.detach(), grads, relu)
    return F.interpolate(cam[:, None], size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0].cpu()


# ---------------------------------------------------------------- the randomisation sanity check


def _ranks(v: torch.Tensor) -> torch.Tensor:
    """Ranks 0..D-1 of the values of v (D,), ties sharing their average rank (as Spearman needs)."""
    sorted_v, order = v.sort()
    _, group, counts = torch.unique_consecutive(sorted_v, return_inverse=True, return_counts=True)
    last = counts.cumsum(0) - 1                                  # last sorted position of each group
    average = (last - (counts - 1) / 2).double()                 # mean of the group's positions
    ranks = torch.empty(len(v), dtype=torch.float64)
    ranks[order] = average[group]
    return ranks


def rank_correlation(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Spearman's rank correlation between maps a and b, per image: (N, ...) and (N, ...) -> (N,).

    The Pearson correlation of the ranks of the values (ties get their average rank); 1 means
    the same ordering of pixels, 0 none in common. A constant map has no ordering: its correlation is nan.
    """
    if a.shape != b.shape:
        raise ValueError(f"the maps must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    out = []
    for u, v in zip(a.flatten(1), b.flatten(1)):
        ru, rv = _ranks(u) - (len(u) - 1) / 2, _ranks(v) - (len(v) - 1) / 2
        out.append((ru * rv).sum() / (ru.norm() * rv.norm()))
    return torch.stack(out).float()


Method = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class Randomization:
    """Result of ``cascading_randomization``.

    layers: the layers re-initialised, top (output side) first; correlations: {method: (L + 1, N)},
    row i the rank correlation of |map| with the trained network's |map| after re-initialising
    ``layers[:i]`` (row 0, nothing random yet, is 1).
    """

    layers: list[str]
    correlations: dict[str, torch.Tensor]

    def after(self, layer: str) -> dict[str, float]:
        """Mean correlation per method once ``layer`` and all layers above it (listed before it) are random."""
        if layer not in self.layers:
            raise ValueError(f"{layer!r} was not re-initialised; the layers were {self.layers}.")
        row = self.layers.index(layer) + 1
        return {m: float(c[row].nanmean()) for m, c in self.correlations.items()}


def cascading_randomization(model: nn.Module, x: torch.Tensor, target: Target, methods: Mapping[str, Method],
                            layers: Sequence[str] | None = None, seed: int = 0) -> Randomization:
    """Adebayo et al.'s (2018) model-randomisation test, cascading version.

    On a copy of the model, re-initialise ``layers`` one at a time from the output down (default:
    every module with parameters of its own, in reverse order; each by its ``reset_parameters()``,
    so batch norm also forgets its running statistics) and after each one recompute every method's map
    ``method(model, x, target)``. A method whose maps stay the same while the weights become random
    explains the input (or the architecture), not what the network learned.
    """
    check_images(x)
    t = _targets(target, len(x))
    copy_ = copy.deepcopy(model)
    modules = dict(copy_.named_modules())
    if layers is None:
        layers = [n for n, m in copy_.named_modules() if n and any(True for _ in m.parameters(recurse=False))][::-1]
    for name in layers:
        get_layer(copy_, name)
    trained = {m: fn(copy_, x, t).abs() for m, fn in methods.items()}
    rows = {m: [torch.ones(len(x))] for m in methods}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for name in layers:
            modules[name].reset_parameters()
            for m, fn in methods.items():
                rows[m].append(rank_correlation(fn(copy_, x, t).abs(), trained[m]))
    return Randomization(list(layers), {m: torch.stack(r) for m, r in rows.items()})
