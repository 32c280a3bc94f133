"""Checkers for lesson 08 (what a CNN learns): a forward hook, a receptive field, an occlusion drop, Grad-CAM."""
from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .. import models, summary, viz
from . import Feedback, attempt, checker, expect_int, expect_number, expect_tensor, right, value_of, wrong


def _hook_model() -> nn.Sequential:
    torch.manual_seed(7)
    return nn.Sequential(OrderedDict(
        conv=nn.Conv2d(1, 3, 3, padding=1), relu=nn.ReLU(), pool=nn.MaxPool2d(2),
        flatten=nn.Flatten(), fc=nn.Linear(3 * 4 * 4, 5),
    )).eval()


def _remove_all_hooks(model: nn.Module) -> None:
    for m in model.modules():
        m._forward_hooks.clear()
        m._forward_pre_hooks.clear()


@checker
def check_record_output(record_output) -> Feedback:
    """``record_output(model, layer_name, x)`` returns the named layer's output for x, detached,
    using a forward hook that it removes again."""
    model = _hook_model()
    x = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        outputs, inputs, h = {}, {}, x
        for name, layer in model.named_children():
            inputs[name], h = h, layer(h)
            outputs[name] = h
    for layer in ("conv", "pool", "fc"):
        got = attempt(record_output, model, layer, x)
        if viz.hook_count(model):
            _remove_all_hooks(model)
            return wrong("the hook is still registered after your function returned: keep the handle from "
                         "`register_forward_hook` and call `handle.remove()` (in a `finally:` block).")
        if isinstance(got, (tuple, list)):
            return wrong("you returned a tuple: the hook's `inputs` argument is a tuple of the layer's inputs; "
                         "the hook signature is hook(module, inputs, output) and you want `output`.")
        bad = expect_tensor(got, None, outputs[layer].dtype, f"record_output(model, {layer!r}, x)")
        if bad:
            return wrong(f"{bad} Return the tensor the hook recorded.")
        if tuple(got.shape) == tuple(inputs[layer].shape) and torch.allclose(got.detach(), inputs[layer]) \
                and tuple(got.shape) != tuple(outputs[layer].shape):
            return wrong(f"you recorded the layer's input {tuple(got.shape)} instead of its output "
                         f"{tuple(outputs[layer].shape)}: the hook's arguments are (module, inputs, output).")
        for other, value in outputs.items():
            if other != layer and got.shape == value.shape and torch.allclose(got.detach(), value):
                return wrong(f"asked for layer {layer!r}, you returned the output of {other!r}: "
                             "look the layer up by name, e.g. dict(model.named_modules())[layer_name].")
        if tuple(got.shape) != tuple(outputs[layer].shape):
            return wrong(f"for layer {layer!r} you returned shape {tuple(got.shape)}, expected "
                         f"{tuple(outputs[layer].shape)} (the whole batch, no reshaping).")
        if not torch.allclose(got.detach(), outputs[layer], atol=1e-5):
            return wrong(f"the shape of layer {layer!r}'s output is right but the values are not: "
                         "record `output` itself during the forward pass of x.")
        if got.requires_grad or got.grad_fn is not None:
            return wrong("the recorded tensor is still attached to the autograd graph (it has a grad_fn): "
                         "store `output.detach()` or run the forward pass under torch.no_grad(), "
                         "otherwise every stored activation keeps the whole graph in memory.")
    return right("a forward hook, the output detached, and the hook removed afterwards.")


RF_LAYER = "conv2_2"


def _layers_up_to(model: nn.Module, layer: str) -> list[tuple[str, int, int]]:
    """(name, kernel, stride) of the conv and pool layers of ``model`` up to and including ``layer``."""
    steps = summary.receptive_fields(model)
    last = next(i for i, step in enumerate(steps) if step.name.split(".")[-1] == layer)
    return [(step.name.split(".")[-1], step.kernel, step.stride) for step in steps[:last + 1]]


def _rf_slips(layers: list[tuple[str, int, int]]) -> list[tuple[str, set[int]]]:
    """(message, answers) of the usual slips for a stack of (name, kernel, stride) layers, each
    computed with summary.receptive_field on the stack changed the way the slip changes it."""
    rf = summary.receptive_field
    first_pool = next((i for i, (_, _, stride) in enumerate(layers) if stride > 1), len(layers))
    later = f"continue through the layers up to {layers[-1][0]}"
    return [
        ("you let the pooling layer add a pixel but did not multiply the step: after a 2x2 pooling "
         "neighbouring units are 2 input pixels apart, so each later 3x3 conv adds 2 x 2 pixels.",
         {rf([(k, 1) for _, k, _ in layers])}),
        ("you ignored the pooling: besides adding one pixel, it doubles the distance between units, "
         "so each later 3x3 conv adds 4 pixels, not 2.", {rf([(k, 1) for _, k, s in layers if s == 1])}),
        ("nearly: the 2x2 pooling also widens the field by (2 - 1) x step = 1 pixel before doubling the step.",
         {rf([(1 if s > 1 else k, s) for _, k, s in layers])}),
        ("receptive fields do not add kernel sizes: each layer adds (kernel - 1) x step, "
         "where step is the product of the strides before it.",
         {sum(k for _, k, s in layers if s == 1), sum(k for _, k, _ in layers)}),
        (f"that is the field after block 1; {later}.", {rf([(k, s) for _, k, s in layers[:first_pool]])}),
        (f"that is the field after block 1 and its pooling; {later}.",
         {rf([(k, s) for _, k, s in layers[:first_pool + 1]])}),
    ]


@checker
def check_rf_conv2_2(answer) -> Feedback:
    """The receptive field (an int, pixels on a side) of one unit of ``conv2_2`` in ``models.vgg_fashion()``."""
    got = value_of(answer)
    bad = expect_int(got, "your answer")
    if bad:
        return wrong(f"{bad} Answer with one whole number of pixels on a side.")
    layers = _layers_up_to(models.vgg_fashion(), RF_LAYER)
    steps = [(k, s) for _, k, s in layers]
    expected = summary.receptive_field(steps)
    if got == expected:
        sizes = " -> ".join(str(step.receptive_field) for step in summary.receptive_fields(steps))
        return right(f"{expected} x {expected} pixels: the field grows {sizes} through "
                     f"{', '.join(name for name, _, _ in layers)}.")
    for message, answers in _rf_slips(layers):
        if got in answers - {expected}:
            return wrong(message)
    return wrong(f"{got} is not it. Start at 1 and for every layer add (kernel - 1) x step, then multiply "
                 "step by the layer's stride.")


def _occlusion_model() -> nn.Sequential:
    torch.manual_seed(11)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 10 * 10, 3)).eval()


def _drop(model, image, target, top, left, patch, fill, base_score="logit", occ_score="logit", n_rows=None):
    hidden = _painted(image, top, left, patch, fill, n_rows)
    with torch.no_grad():
        logits = model(torch.stack([image, hidden]))
    probs = logits.softmax(1)
    pick = {"logit": logits[:, target], "prob": probs[:, target]}
    return float(pick[base_score][0] - pick[occ_score][1])


@checker
def check_occlusion_drop(occlusion_drop) -> Feedback:
    """``occlusion_drop(model, image, target, top, left, patch, fill)``: the target class's score
    (logit) on image (C, H, W) minus its score when the square image[:, top:top+patch,
    left:left+patch] is set to ``fill``; positive when hiding the square hurts the class."""
    model = _occlusion_model()
    image = torch.rand(1, 10, 10, generator=torch.Generator().manual_seed(5))
    cases = [(0, 2, 5, 3, 0.5), (2, 6, 1, 4, 0.25), (1, 0, 3, 5, 1.0), (2, 1, 1, 6, 0.0)]
    for target, top, left, patch, fill in cases:
        original = image.clone()
        got = attempt(occlusion_drop, model, image, target, top, left, patch, fill)
        if not torch.equal(image, original):
            return wrong("your function changed the image it was given: paint the patch into a copy "
                         "(`hidden = image.clone()`), so the caller's image stays intact.")
        bad = expect_number(got, f"occlusion_drop(model, image, {target}, {top}, {left}, {patch}, {fill})",
                            tensor_ok=True)
        if bad:
            return wrong(f"{bad} The drop is one number, score(original) - score(occluded).")
        got = float(got)
        args = (model, image, target, top, left, patch, fill)
        expected = _drop(*args)

        def near(value: float) -> bool:
            return abs(got - value) <= 1e-4 + 1e-4 * abs(value)

        if near(expected):
            continue
        where = f"(target {target}, top {top}, left {left}, patch {patch}, fill {fill})"
        if near(-expected):
            return wrong(f"the sign is flipped {where}: the drop is score(original) - score(occluded), "
                         "positive when hiding the patch lowers the class score.")
        if near(_drop(*args, base_score="prob", occ_score="prob")):
            return wrong("you compared softmax probabilities; this exercise uses the raw class score (logit) "
                         "for both images, `model(x)[0, target]`.")
        if near(_drop(*args, base_score="logit", occ_score="prob")) or \
                near(_drop(*args, base_score="prob", occ_score="logit")):
            return wrong("you mixed a logit and a probability: compute the same kind of score (the logit) "
                         "for the original and for the occluded image.")
        with torch.no_grad():
            occluded_only = float(model(_painted(image, top, left, patch, fill)[None])[0, target])
        if near(occluded_only):
            return wrong("you returned the occluded image's score; the answer is the drop, "
                         "score(original) - score(occluded).")
        if near(_drop(model, image, target, left, top, patch, fill)):
            return wrong(f"top and left are swapped {where}: rows come first, "
                         "image[:, top:top + patch, left:left + patch].")
        for size in (patch - 1, patch + 1):
            if size > 0 and (near(_drop(model, image, target, top, left, size, fill))
                             or near(_drop(model, image, target, top, left, patch, fill, n_rows=size))):
                return wrong(f"the patch has the wrong size {where}: it covers rows top ... top + patch - 1, "
                             "i.e. the slice top:top + patch (the end is excluded).")
        if fill != 0 and near(_drop(model, image, target, top, left, patch, 0.0)):
            return wrong(f"you filled the patch with 0 instead of fill={fill}.")
        return wrong(f"occlusion_drop{where} returned {got:.4f}, expected {expected:.4f}.")
    return right("that is one pixel of an occlusion map; attribution.occlusion computes all positions in batches.")


def _painted(image: torch.Tensor, top: int, left: int, patch: int, fill: float,
             n_rows: int | None = None) -> torch.Tensor:
    """A copy of image (C, H, W) with the patch (``n_rows`` or ``patch`` rows, ``patch`` columns) set to fill."""
    hidden = image.clone()
    hidden[:, top:top + (n_rows or patch), left:left + patch] = fill
    return hidden


# ---------------------------------------------------------------- Grad-CAM


def _grad_cam_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(activations, gradients) pairs: non-negative feature maps (they come after a ReLU), signed
    gradients, non-square maps so that swapped axes show, and some positions where the sum is negative."""
    gen = torch.Generator().manual_seed(13)
    cases = []
    for n, k, h, w in [(2, 3, 4, 5), (1, 6, 7, 3), (3, 4, 2, 6)]:
        acts = torch.rand(n, k, h, w, generator=gen) * (torch.rand(n, k, h, w, generator=gen) > 0.3)
        grads = torch.randn(n, k, h, w, generator=gen) - 0.2
        cases.append((acts, grads))
    return cases


@checker
def check_grad_cam(grad_cam_map) -> Feedback:
    """``grad_cam_map(activations, gradients)``: feature maps A (N, K, h, w) and dScore/dA (N, K, h, w)
    -> Grad-CAM maps (N, h, w): ReLU(sum_k alpha_k A_k) with alpha_k the mean of channel k's gradient."""
    for acts, grads in _grad_cam_cases():
        n, k, h, w = acts.shape
        a_in, g_in = acts.clone(), grads.clone()
        got = attempt(grad_cam_map, a_in, g_in)
        if not (torch.equal(a_in, acts) and torch.equal(g_in, grads)):
            return wrong("your function changed the tensors it was given (an in-place operation such as "
                         "`relu_` or `+=`): compute new tensors instead.")
        if not isinstance(got, torch.Tensor):
            return wrong(f"return a torch tensor of shape (N, h, w), not a {type(got).__name__}.")
        if got.dtype != acts.dtype:
            return wrong(f"the maps have dtype {got.dtype}; keep the dtype of the activations, {acts.dtype}.")
        if tuple(got.shape) != (n, h, w):
            hint = (" Sum over the channel axis (dim=1) without keepdim." if got.dim() == 4 else
                    " Average the gradients over the positions (dims 2 and 3), sum the weighted maps over "
                    "the channels (dim 1).")
            return wrong(f"for {n} images with {k} maps of {h}x{w} the result should have shape ({n}, {h}, {w}), "
                         f"got {tuple(got.shape)}.{hint}")
        got = got.detach()
        alpha = grads.mean((2, 3), keepdim=True)
        raw = (alpha * acts).sum(1)
        expected = raw.clamp(min=0)

        def near(value: torch.Tensor) -> bool:
            return bool(torch.allclose(got, value, atol=1e-5, rtol=1e-4))

        if near(expected):
            continue
        if near(raw):
            return wrong("the map has negative values: apply a ReLU at the end (`.clamp(min=0)`), since "
                         "Grad-CAM keeps only the evidence *for* the class.")
        if near(raw.abs()):
            return wrong("you took the absolute value; Grad-CAM applies a ReLU: negative evidence becomes 0.")
        if near(expected * h * w):
            return wrong("the values are h*w times too large: the weight alpha_k is the *mean* of the "
                         "gradient over the positions, not its sum.")
        if near(expected / k):
            return wrong("the values are K times too small: sum the weighted maps over the channels, do not average.")
        if near((grads * acts).sum(1).clamp(min=0)):
            return wrong("you weighted every position by its own gradient; Grad-CAM gives each channel one weight, "
                         "the mean of its gradient over all positions, `gradients.mean((2, 3), keepdim=True)`.")
        if near((acts.mean((2, 3), keepdim=True) * grads).sum(1).clamp(min=0)):
            return wrong("activations and gradients are swapped: average the *gradients* over the positions and "
                         "use them to weight the *activations*.")
        return wrong(f"for maps of shape {(n, k, h, w)} the values are not ReLU(sum_k alpha_k A_k), "
                     "alpha_k = mean of gradients[:, k] over the positions.")
    return right("one weight per channel from the averaged gradient, a weighted sum of the maps, a ReLU: Grad-CAM. "
                 "attribution.grad_cam adds the forward pass, the gradient and the upsampling.")
