"""Checkers for the lesson-04 build exercises: max pooling forward and backward written by the
student with loops, overlapping windows and ties included. References: course_utils.scratch."""
from __future__ import annotations

import numpy as np

from .. import scratch
from . import Feedback, attempt, checker, close, right, wrong
from .mistakes import diagnose, out_and_cache

# (x shape, f, stride, padding): side by side, overlapping (F=3, S=2 and F=2, S=1), padded
POOL_CASES = [((2, 3, 4, 6), 2, 2, 0), ((2, 2, 7, 5), 3, 2, 0), ((1, 3, 5, 5), 2, 1, 0),
              ((2, 2, 5, 7), 3, 2, 1), ((2, 1, 6, 6), 3, 3, 0)]


def pool_cases(ties: bool, seed: int = 7) -> list[dict]:
    """Random inputs; with ``ties`` small integers (many equal maxima), else distinct negative values
    (so that zero padding would win where -inf must not)."""
    rng = np.random.default_rng(seed)
    cases = []
    for shape, f, stride, padding in POOL_CASES:
        if ties:
            x = rng.integers(0, 3, size=shape).astype(float)
        else:
            x = -1.0 - rng.permutation(int(np.prod(shape))).reshape(shape) / 3.0
        cases.append(dict(x=x, f=f, stride=stride, padding=padding))
    return cases


def _pool(case, reduce="max", **change):
    c = {**case, **change}
    forward = scratch.max_pool_forward_naive if reduce == "max" else scratch.avg_pool_forward_naive
    return forward(c["x"], c["f"], c["stride"], c["padding"])


def _describe(case) -> str:
    return f"x {case['x'].shape}, F={case['f']}, S={case['stride']}, P={case['padding']}"


def _pool_floor(case, stride) -> np.ndarray:
    """Max pooling at another stride, rounding the number of windows down as a loop with // does."""
    x, f, p = case["x"], case["f"], case["padding"]
    xpad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    used = [(size - f) // stride * stride + f for size in xpad.shape[2:]]
    return scratch.max_pool_forward_naive(xpad[:, :, :used[0], :used[1]], f, stride)[0]


def _forward_mistakes(case) -> dict[str, np.ndarray]:
    x, f, p = case["x"], case["f"], case["padding"]
    right_out = _pool(case)[0]
    zero_padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    return {
        "That is average pooling; take the largest value of each window (field.max()).": _pool(case, "avg")[0],
        "You took the smallest value of each window; max pooling takes the largest.": -_pool(case, x=-x)[0],
        "You ignored the stride: the windows must move by S (they overlap when S < F), giving "
        "(H - F + 2P)/S + 1 positions.": lambda: _pool_floor(case, stride=f),
        "You forgot the padding: pad P on every side first, which gives (H - F + 2P)/S + 1 positions.":
            lambda: _pool(case, padding=0)[0],
        "You padded with zeros, and a zero beat the negative values; pad with -inf so padding never wins.":
            lambda: _pool(dict(case, x=zero_padded, padding=0))[0],
        "Your output is channels last (NHWC); keep PyTorch's (N, C, H2, W2).": right_out.transpose(0, 2, 3, 1),
    }


@checker
def check_max_pool_forward(max_pool_forward) -> Feedback:
    """``max_pool_forward(x, f, stride, padding) -> (out, (x, f, stride, padding))``, x (N, C, H, W)."""
    for case in pool_cases(ties=False):
        result = attempt(max_pool_forward, case["x"].copy(), case["f"], case["stride"], case["padding"])
        out, cache = out_and_cache(result, "max_pool_forward", 4)
        expected = _pool(case)[0]
        if not close(out, expected):
            return diagnose(out, expected, _forward_mistakes(case), _describe(case), "out (N, C, H2, W2)",
                            "out[n, c, i, j] is the max of xpad[n, c, i*S:i*S+F, j*S:j*S+F].")
        if not (close(cache[0], case["x"]) and cache[1:] == (case["f"], case["stride"], case["padding"])):
            return wrong("The output is right, but the cache must be (x, f, stride, padding), the format of "
                         "scratch.max_pool_forward_naive, so that the backward pass can find the switches.")
    return right("right on side-by-side, overlapping and padded windows.")


def _backward_variant(dout, case, ties="first", add=True, weight="dout") -> np.ndarray:
    """A loop backward pass with one knob turned: how ties are routed, += or =, what is sent."""
    x, f, stride, p = case["x"], case["f"], case["stride"], case["padding"]
    xpad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    dxpad = np.zeros(xpad.shape)
    for n, c, i, j in np.ndindex(dout.shape):
        rows, cols = slice(i * stride, i * stride + f), slice(j * stride, j * stride + f)
        field = xpad[n, c, rows, cols]
        if ties == "all":
            mask = field == field.max()
        else:
            flat = np.argmax(field) if ties == "first" else field.size - 1 - np.argmax(field.ravel()[::-1])
            mask = np.zeros(field.shape, bool)
            mask.flat[flat] = True
        value = {"dout": dout[n, c, i, j], "one": 1.0, "avg": dout[n, c, i, j] / field.size}[weight]
        if weight == "avg":
            mask = np.ones(field.shape, bool)
        if add:
            dxpad[n, c, rows, cols] += mask * value
        else:
            dxpad[n, c, rows, cols] = np.where(mask, value, dxpad[n, c, rows, cols])
    return dxpad[:, :, p:p + x.shape[2], p:p + x.shape[3]]


def _backward_mistakes(dout, case) -> dict[str, np.ndarray]:
    return {
        "A tie sent the gradient to every tied maximum; PyTorch (and this course) sends it to ONE of them, "
        "the first in row-major window order (np.argmax), so the gradient is not multiplied.":
            _backward_variant(dout, case, ties="all"),
        "A tie sent the gradient to the last maximum; take the first in row-major order (np.argmax), as PyTorch does.":
            _backward_variant(dout, case, ties="last"),
        "Where windows overlap a pixel can be the max of several windows: add their gradients (+=), do not "
        "overwrite.": _backward_variant(dout, case, add=False),
        "That is the gradient of average pooling; only the max (the switch) receives dout.":
            _backward_variant(dout, case, weight="avg"),
        "Right places, but each switch must receive the upstream gradient dout[n, c, i, j], not 1.":
            _backward_variant(dout, case, weight="one"),
    }


@checker
def check_max_pool_backward(max_pool_backward) -> Feedback:
    """``max_pool_backward(dout, cache) -> dx`` with cache = (x, f, stride, padding); ties go to the first
    maximum of each window in row-major order, as in PyTorch."""
    rng = np.random.default_rng(8)
    for case in pool_cases(ties=False) + pool_cases(ties=True):
        out, cache = _pool(case)
        dout = rng.standard_normal(out.shape)
        dx = attempt(max_pool_backward, dout.copy(), (case["x"].copy(), *cache[1:]))
        if not isinstance(dx, np.ndarray):
            return wrong(f"max_pool_backward must return dx as a NumPy array, got {type(dx).__name__}.")
        expected = scratch.max_pool_backward_naive(dout, cache)
        if not close(dx, expected):
            return diagnose(dx, expected, _backward_mistakes(dout, case), _describe(case), "dx (the shape of x)",
                            "Each dout[n, c, i, j] goes to the position of its window's max, every other pixel gets 0.")
    return right("the switches get dout, ties go to one maximum, overlapping windows add up.")
