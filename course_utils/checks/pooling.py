"""Checkers for lesson 04 (pooling): output size, max pooling a small array, and where the
gradient of a max pool goes. Each names the likely mistake when the answer is wrong."""
from __future__ import annotations

import numpy as np

from .. import scratch
from . import Feedback, attempt, checker, close, expect_array, right, shape_of, to_numpy, value_of, wrong
from .conv import size_kind_problem, size_slip

# ----------------------------------------------------------------------------- output size

POOL_SIZE_CASES = [  # ((W, F, S), W2): a pooling window has no padding
    (args, scratch.output_size(*args))
    for args in [(6, 3, 3), (224, 2, 2), (55, 3, 2), (10, 3, 1), (8, 4, 2), (13, 3, 2)]
]

_POOL_SLIPS = {
    "forgot the + 1 (the first window position)": lambda w, f, s: (w - f) / s,
    "divided W by S and ignored the window size F; the formula is (W - F)/S + 1": lambda w, f, s: w / s,
    "left out the stride: (W - F)/S + 1": lambda w, f, s: w - f + 1,
}


@checker
def check_pool_output_size(pool_output_size) -> Feedback:
    """``pool_output_size(w, f, s)``: the width after pooling with an f x f window and stride s."""
    got = {args: attempt(pool_output_size, *args) for args, _ in POOL_SIZE_CASES}
    problem = size_kind_problem(got, "pool_output_size", whole=False)
    if problem:
        return wrong(problem)
    expected = dict(POOL_SIZE_CASES)
    bad = [args for args in got if not close(got[args], expected[args])]
    if bad:
        slip = size_slip(got, _POOL_SLIPS)
        if slip:
            return wrong(f"You {slip}.")
        w, f, s = bad[0]
        return wrong(f"For W={w}, F={f}, S={s} you returned {got[bad[0]]!r}; (W - F)/S + 1 gives {expected[bad[0]]}.")
    problem = size_kind_problem(got, "pool_output_size", whole=True)
    if problem:
        return wrong(problem)
    return right("W2 = (W - F)/S + 1, the convolution formula without padding.")


# ----------------------------------------------------------------------------- max pool a small array

def _pool(x, f, stride, kind="max"):
    pool = scratch.max_pool_forward_im2col if kind == "max" else scratch.avg_pool_forward_im2col
    return pool(np.asarray(x, float)[None, None], f, stride)[0][0, 0]


def max_pool_cases() -> list[dict]:
    """A square and a non-square array, side-by-side and overlapping windows; no ties."""
    rng = np.random.default_rng(4)
    distinct = lambda h, w: rng.permutation(h * w).reshape(h, w).astype(float)  # noqa: E731
    return [dict(x=distinct(4, 4), f=2, stride=2), dict(x=distinct(6, 6), f=3, stride=3),
            dict(x=distinct(4, 6), f=2, stride=2), dict(x=distinct(5, 7), f=3, stride=2)]


def _block_max(x: np.ndarray, f: int, axes: tuple[int, int]) -> np.ndarray | None:
    """The reshape trick with a choice of axes (the right ones are (1, 3))."""
    h, w = x.shape
    if h % f or w % f:
        return None
    return x.reshape(h // f, f, w // f, f).max(axis=axes)


def _diagnose_pool(got, case: dict) -> str:
    x, f, stride = case["x"], case["f"], case["stride"]
    expected = _pool(x, f, stride)
    where = f"x {x.shape[0]}x{x.shape[1]}, window {f}, stride {stride}"
    if close(got, _pool(x, f, stride, "average")):
        return f"That is average pooling ({where}): take the largest value of each window, not the mean."
    if close(got, -_pool(-x, f, stride)):
        return f"You took the smallest value of each window ({where}); max pooling keeps the largest."
    for wrong_stride in {1, f} - {stride}:
        try:
            if close(got, _pool(x, f, wrong_stride)):
                return (f"Wrong stride ({where}): your windows move by {wrong_stride}; they should move "
                        f"by {stride}, so the output is {expected.shape[0]}x{expected.shape[1]}.")
        except ValueError:
            pass
    if close(got, expected.T) or shape_of(got) == expected.shape[::-1] != expected.shape:
        return f"Rows and columns are swapped ({where}): output[i, j] comes from rows i*S.. and columns j*S.."
    for axes in ((0, 2), (0, 1), (1, 2), (2, 3), (0, 3)):
        candidate = _block_max(x, f, axes)
        if candidate is not None and close(got, candidate):
            return (f"Wrong axes ({where}): after x.reshape(H//F, F, W//F, F) the positions inside a "
                    f"window are axes 1 and 3, so take .max(axis=(1, 3)); you used {axes}.")
    shape = shape_of(got)
    if shape != expected.shape:
        return f"Your output has shape {shape}, expected {expected.shape} ({where}): (W - F)/S + 1 per axis."
    return (f"Wrong values for {where}: the largest difference is {np.abs(to_numpy(got) - expected).max():.3g}. "
            f"The window under output (i, j) is x[i*S:i*S+F, j*S:j*S+F].")


@checker
def check_max_pool(max_pool) -> Feedback:
    """``max_pool(x, f, stride)``: x (H, W) -> (H2, W2), the max of each f x f window."""
    for case in max_pool_cases():
        got = attempt(max_pool, case["x"].copy(), case["f"], case["stride"])
        where = f"for x {case['x'].shape}, window {case['f']}, stride {case['stride']} the output"
        bad = expect_array(got, None, where)
        if bad:
            return wrong(bad)
        if got.ndim != 2:
            return wrong(f"{where} has shape {got.shape}; it should be 2-D (H2, W2).")
        if not close(got, _pool(**case)):
            return wrong(_diagnose_pool(got, case))
    return right(f"your max pooling matches the reference on {len(max_pool_cases())} arrays, "
                 f"including non-square ones and overlapping windows.")


# ----------------------------------------------------------------------------- where the gradient goes

GRAD_X = np.array([[1., 6., 2., 0.],
                   [4., 3., 8., 5.],
                   [7., 0., 1., 3.],
                   [2., 5., 9., 4.]])
GRAD_DOUT = np.array([[10., 20.],
                      [30., 40.]])   # dloss/dout for the 2x2 output of a 2x2, stride-2 max pool


def max_pool_grad(x=GRAD_X, dout=GRAD_DOUT) -> np.ndarray:
    """dloss/dx for a 2x2 stride-2 max pool of x (H, W) given dout (H/2, W/2)."""
    _, cache = scratch.max_pool_forward_im2col(np.asarray(x, float)[None, None], 2)
    return scratch.max_pool_backward_im2col(dout[None, None], cache)[0, 0]


def _grad_slips() -> dict[str, np.ndarray]:
    spread = np.kron(GRAD_DOUT, np.ones((2, 2)))
    return {
        "That is the gradient of average pooling (dout/4 on every pixel). In max pooling only the "
        "pixel that was the max influenced the output, so only it gets dout; the others get 0.": spread / 4,
        "Every pixel got the whole dout, but only the max of each window influenced the output; "
        "the other three pixels get 0.": spread,
        "Right places, but each switch gets the upstream gradient dout (10, 20, 30, 40), not 1.":
            max_pool_grad(dout=np.ones((2, 2))),
        "You sent the gradient to the smallest pixel of each window; it goes to the largest.":
            -max_pool_grad(x=-GRAD_X, dout=-GRAD_DOUT),
        "Rows and columns are swapped: GRAD_DOUT[i, j] belongs to the window in rows 2i..2i+1 and "
        "columns 2j..2j+1.": max_pool_grad(dout=GRAD_DOUT.T),
    }


@checker
def check_max_pool_grad(answer) -> Feedback:
    """dloss/dx (4, 4) for max pooling GRAD_X with a 2x2 window and stride 2, given GRAD_DOUT."""
    got = value_of(answer)
    bad = expect_array(got, (4, 4), "dx")
    if bad:
        return wrong(f"{bad} dx has the shape of the input x, (4, 4).")
    if close(got, max_pool_grad()):
        return right("each dout value goes to the arg-max of its window (the 'switch'); the other "
                     "pixels get 0.")
    for message, candidate in _grad_slips().items():
        if close(got, candidate):
            return wrong(message)
    if close(got.T, max_pool_grad()):
        return wrong("Your dx is transposed: dx[i, j] belongs to GRAD_X[i, j] (row i, column j).")
    return wrong("Not yet: for each 2x2 window find the position of its max in GRAD_X and put that "
                 "window's GRAD_DOUT value there; every other pixel gets 0.")
