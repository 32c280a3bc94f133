"""Checkers for lesson 07 (VGG and ConvNet design): a VGG block's size, the receptive field of a
stack, and the largest batch that fits in memory.

Each checker calls the student's function on several cases, compares with the reference, and
when the answer is wrong, tries the typical mistakes one by one to name the likely one.
"""
from __future__ import annotations

import math
from typing import Callable

from .. import memory, summary
from . import Feedback, attempt, checker, expect_int, expect_tuple, right, wrong
from .lenet import conv_params_reference

# ---------------------------------------------------------------- 1. a VGG block

# (c_in, c_out, n_convs, size): VGG16's first and third blocks, a Fashion-MNIST block, an odd size
BLOCK_CASES = [(3, 64, 2, 224), (128, 256, 3, 56), (1, 32, 2, 28), (64, 128, 2, 7)]


def vgg_block_reference(c_in: int, c_out: int, n_convs: int, size: int) -> tuple[int, tuple[int, int, int]]:
    """Parameters (weights + biases) and output shape (C, H, W) of a VGG block on a size x size map:
    ``n_convs`` 3x3 convolutions (stride 1, padding 1, with biases) then 2x2 max pooling, stride 2."""
    params = sum(conv_params_reference(c_in if i == 0 else c_out, c_out, 3) for i in range(n_convs))
    return params, (c_out, size // 2, size // 2)


def _block_param_mistakes(c_in, c_out, n, size) -> dict[str, int]:
    ins = [c_in] + [c_out] * (n - 1)
    return {
        "forgot the biases: each of the c_out filters has one bias besides its 3*3*c_in weights":
            sum(9 * c * c_out for c in ins),
        "forgot the input channels: a 3x3 filter spans all c_in input channels, so it has 3*3*c_in weights":
            sum((9 + 1) * c_out for _ in ins),
        "forgot the input channels and the biases: one filter has 3*3*c_in weights plus a bias":
            sum(9 * c_out for _ in ins),
        "gave every convolution c_in inputs: only the first one sees c_in channels, the later ones see c_out":
            n * (9 * c_in + 1) * c_out,
        "counted only the first convolution: the block has n_convs of them":
            (9 * c_in + 1) * c_out,
    }


def _block_shape_mistakes(c_in, c_out, n, size) -> dict[str, tuple]:
    return {
        "the 2x2 pooling with stride 2 halves the height and width; the padded 3x3 convolutions keep them":
            (c_out, size, size),
        "PyTorch orders a feature map (C, H, W): channels first":
            (size // 2, size // 2, c_out),
        "with padding 1 a 3x3 convolution keeps the size; only the pooling shrinks the map":
            (c_out, (size - 2 * n) // 2, (size - 2 * n) // 2),
        "the block outputs c_out channels (one per filter of the last convolution), not c_in":
            (c_in, size // 2, size // 2),
        "pooling rounds down: a 7x7 map gives 3x3 (the last row and column are dropped)":
            (c_out, math.ceil(size / 2), math.ceil(size / 2)),
    }


def _block_kind(answer, case) -> str | None:
    """Why ``answer`` is not (params, (C, H, W)) with ints, or None."""
    what = f"vgg_block{case}"
    bad = expect_tuple(answer, 2, what)
    if bad:
        return f"{bad} Return a pair (params, (C, H, W))."
    params, shape = answer
    if expect_int(params, "") and not expect_tuple(params, 3, "") and not expect_int(shape, ""):
        return f"{what} returned ((C, H, W), params); put the parameter count first: (params, (C, H, W))."
    bad = expect_int(params, f"the parameter count of {what}") or expect_tuple(shape, 3, f"the shape of {what}")
    if bad:
        return f"{bad} Return a pair (params, (C, H, W))."
    return next(filter(None, (expect_int(v, f"the shape of {what}") for v in shape)), None)


@checker
def check_vgg_block(vgg_block: Callable) -> Feedback:
    """``vgg_block(c_in, c_out, n_convs, size) -> (params, (C, H, W))``, all ints."""
    got = {case: attempt(vgg_block, *case) for case in BLOCK_CASES}
    for case, answer in got.items():
        bad = _block_kind(answer, case)
        if bad:
            return wrong(bad)
    got = {case: (int(params), tuple(int(v) for v in shape)) for case, (params, shape) in got.items()}
    params_ok = all(got[c][0] == vgg_block_reference(*c)[0] for c in BLOCK_CASES)
    shapes_ok = all(got[c][1] == vgg_block_reference(*c)[1] for c in BLOCK_CASES)
    if params_ok and shapes_ok:
        p, s = vgg_block_reference(*BLOCK_CASES[0])
        return right(f"e.g. VGG16's first block has {p:,} parameters and outputs {s[0]} x {s[1]} x {s[2]}.")
    if not params_ok:
        for message in _block_param_mistakes(*BLOCK_CASES[0]):
            if all(got[c][0] == _block_param_mistakes(*c)[message] for c in BLOCK_CASES):
                return wrong(f"The parameter count is off: you {message}.")
        case = next(c for c in BLOCK_CASES if got[c][0] != vgg_block_reference(*c)[0])
        return wrong(f"vgg_block{case} gives {got[case][0]:,} parameters; expected "
                     f"{vgg_block_reference(*case)[0]:,}. Count (3*3*inputs + 1) * c_out per convolution.")
    for message in _block_shape_mistakes(*BLOCK_CASES[0]):
        if all(got[c][1] == _block_shape_mistakes(*c)[message] for c in BLOCK_CASES):
            return wrong(f"The parameters are right, the shape is not: {message}.")
    # a mistake that shows only on the odd size
    odd = BLOCK_CASES[-1]
    rounding_up = list(_block_shape_mistakes(*odd))[-1]
    if got[odd][1] == _block_shape_mistakes(*odd)[rounding_up]:
        return wrong(f"The parameters are right, the shape is not: {rounding_up}.")
    case = next(c for c in BLOCK_CASES if got[c][1] != vgg_block_reference(*c)[1])
    return wrong(f"The parameters are right; vgg_block{case} gives shape {got[case][1]}, "
                 f"expected {vgg_block_reference(*case)[1]}.")


# ---------------------------------------------------------------- 2. receptive field

RF_CASES = [
    [(3, 1)] * 3,                                   # three 3x3: 7
    [(5, 1)],                                       # one layer: its kernel
    [(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2)],  # two VGG blocks: 16
    [(7, 2), (3, 2), (3, 1)],                       # a strided stem: 19
    [(11, 4), (3, 2), (5, 1)],                      # AlexNet's start: 51
]


def receptive_field_reference(layers: list[tuple[int, int]]) -> int:
    """Receptive field (pixels on a side) of the last layer of a stack of (kernel, stride) layers."""
    return summary.receptive_field(layers)


def _rf_mistakes(layers) -> dict[str, int]:
    return {
        "You added the kernel sizes. Each layer adds (F - 1) * jump pixels, where jump is the product "
        "of the strides before it: three 3x3 layers see 7, not 9.": sum(k for k, _ in layers),
        "You ignored the strides. After a layer with stride S, neighbouring outputs are S input pixels "
        "apart, so later layers grow the field S times faster: r += (F - 1) * jump, then jump *= S.":
            summary.receptive_field([(k, 1) for k, _ in layers]),
        "You multiplied by the layer's own stride too early: a layer grows the field with the jump of "
        "the layers BEFORE it (r += (F - 1) * jump), and only then jump *= S.":
            summary.receptive_field([(k, s, s) for k, s in layers]),  # dilation S: (F - 1) * S * jump
        "You multiplied the kernel sizes. The field grows by addition: r += (F - 1) * jump.":
            math.prod(k for k, _ in layers),
        "Off by one: start from r = 1 (one input pixel sees itself), then add (F - 1) * jump per layer.":
            receptive_field_reference(layers) - 1,
    }


@checker
def check_receptive_field_of(receptive_field_of: Callable) -> Feedback:
    """``receptive_field_of([(kernel, stride), ...]) -> int``, pixels on a side."""
    got = [attempt(receptive_field_of, list(layers)) for layers in RF_CASES]
    for layers, answer in zip(RF_CASES, got):
        bad = expect_int(answer, f"receptive_field_of({layers})")
        if bad:
            return wrong(f"{bad} The receptive field is one whole number of pixels on a side.")
    got = [int(g) for g in got]
    expected = [receptive_field_reference(layers) for layers in RF_CASES]
    if got == expected:
        return right(f"three 3x3 layers see {expected[0]}x{expected[0]} pixels; two VGG blocks see "
                     f"{expected[2]}x{expected[2]}.")
    for message in _rf_mistakes(RF_CASES[0]):
        if got == [_rf_mistakes(layers)[message] for layers in RF_CASES]:
            return wrong(message)
    i = next(i for i, (g, e) in enumerate(zip(got, expected)) if g != e)
    return wrong(f"for the stack {RF_CASES[i]} you got {got[i]}, expected {expected[i]}.")


# ---------------------------------------------------------------- 3. the largest batch

# (params, activations per image, memory in GiB)
BATCH_CASES = [(138_357_544, 15_237_608, 16), (1_000_000, 100_000, 1), (25_557_032, 22_000_000, 24),
               (434_000, 99_000, 0.5), (500_000_000, 1_000_000, 4)]


def largest_batch_reference(params: int, activations: int, memory_gib: float) -> int:
    """Training in float32 (4 bytes a value) with SGD with momentum: parameters x3 (weights,
    gradients, momentum), activations x2 per image (values and their gradients); 1 GiB = 2**30
    bytes. The largest whole batch that fits, 0 if the parameters alone do not fit."""
    return memory.largest_batch(activations, params, memory_gib * 2**30, "sgd_momentum", bytes_per_value=4)


def _batch(params, acts, memory_bytes, param_copies=3, act_factor=2, bytes_per_value=4, rounding=math.floor):
    """The largest batch under a mistaken accounting (change one of the exercise's numbers)."""
    free = memory_bytes - params * param_copies * bytes_per_value
    return max(0, int(rounding(free / (acts * act_factor * bytes_per_value))))


def _batch_mistakes(params, acts, gib) -> dict[str, int]:
    b = gib * 2**30
    return {
        "You forgot the optimizer state and the gradients: training keeps the weights, their gradients and "
        "the momentum buffer, 3 copies of the parameters (Adam keeps 4).": _batch(params, acts, b, param_copies=1),
        "You counted weights and gradients but forgot SGD's momentum buffer: 3 copies of the parameters.":
            _batch(params, acts, b, param_copies=2),
        "That is the answer for Adam (4 copies: weights, gradients, two moments); this exercise uses SGD "
        "with momentum: 3 copies.": _batch(params, acts, b, param_copies=4),
        "Bits vs bytes: a float32 value is 32 bits = 4 bytes, not 32 bytes.":
            _batch(params, acts, b, bytes_per_value=32),
        "Bits vs bytes: a float32 value is 4 bytes; 4 bits is half a byte.":
            _batch(params, acts, b, bytes_per_value=0.5),
        "GB vs GiB: the budget is in GiB, 1 GiB = 2**30 = 1,073,741,824 bytes, not 10**9.":
            _batch(params, acts, gib * 10**9),
        "MB vs MiB: 1 GiB = 1024 MiB of 2**20 bytes, not 1000 * 2**20.":
            _batch(params, acts, gib * 1000 * 2**20),
        "You forgot that the backward pass needs a gradient for every activation: x2 per image.":
            _batch(params, acts, b, act_factor=1),
        "Round down: a batch that does not fit is no use (use // or math.floor).":
            _batch(params, acts, b, rounding=math.ceil),
    }


@checker
def check_largest_batch(largest_batch: Callable) -> Feedback:
    """``largest_batch(params, activations, memory_gib) -> int``, a whole number of images."""
    got = [attempt(largest_batch, *case) for case in BATCH_CASES]
    for case, answer in zip(BATCH_CASES, got):
        bad = expect_int(answer, f"largest_batch{case}")
        if bad:
            return wrong(f"{bad} A batch is a whole number of images.")
    got = [int(g) for g in got]
    expected = [largest_batch_reference(*case) for case in BATCH_CASES]
    if got == expected:
        return right(f"VGG16 trains with at most {expected[0]} images per batch in 16 GiB (by this estimate).")
    fits = [i for i, e in enumerate(expected) if e > 0]
    for message in _batch_mistakes(*BATCH_CASES[0]):
        if all(got[i] == _batch_mistakes(*BATCH_CASES[i])[message] for i in fits):
            return wrong(message)
    if all(got[i] == expected[i] for i in fits):
        i = next(i for i, (g, e) in enumerate(zip(got, expected)) if g != e)
        return wrong(f"when the parameters alone need more than the memory (case {BATCH_CASES[i]}), "
                     f"no batch fits: return 0, not {got[i]}.")
    i = next(i for i, (g, e) in enumerate(zip(got, expected)) if g != e)
    return wrong(f"largest_batch{BATCH_CASES[i]} returned {got[i]}, expected {expected[i]}.")
