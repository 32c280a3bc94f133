"""Checkers for lesson 03 (convolution): output size, one value by hand, conv2d for one channel,
and the im2col shapes. Each names the likely mistake when the answer is wrong."""
from __future__ import annotations

import numpy as np

from .. import scratch
from . import (Feedback, StudentError, attempt, checker, close, expect_array, expect_int, expect_number, expect_tuple,
               right, shape_of, to_numpy, value_of, wrong)

# ----------------------------------------------------------------------------- output size

SIZE_CASES = [  # ((W, F, S, P), W2); stride 3 with padding catches a tiling test that ignores P
    (args, scratch.output_size(*args)) for args in
    [(7, 3, 1, 0), (7, 3, 2, 0), (5, 3, 1, 1), (5, 3, 2, 1), (227, 11, 4, 0), (32, 5, 1, 2), (13, 3, 2, 2),
     (8, 3, 3, 2), (12, 4, 3, 2)]
]
INVALID_SIZE_CASES = [  # windows that do not tile: (W - F + 2P)/S + 1 is not whole
    (10, 3, 2, 0),   # 4.5
    (9, 3, 3, 1),    # 3.67, although (W - F) % S == 0
    (9, 5, 3, 2),    # 3.67, although (W - F + P) % S == 0
]

_SIZE_SLIPS = {
    "forgot the + 1: W - F + 2P counts the steps between positions, add 1 for the first position":
        lambda w, f, s, p: (w - f + 2 * p) / s,
    "counted the padding once; it is added on both sides, so it is 2P":
        lambda w, f, s, p: (w - f + p) / s + 1,
    "left out the padding P; it adds 2P pixels (P on each side)":
        lambda w, f, s, p: (w - f) / s + 1,
    "left out the stride: divide W - F + 2P by S before adding 1":
        lambda w, f, s, p: w - f + 2 * p + 1,
    "divided after adding 1; the formula is (W - F + 2P)/S + 1":
        lambda w, f, s, p: (w - f + 2 * p + 1) / s,
}


class _Refused:
    """What a size function 'returned' when it raised ValueError (it refused the configuration)."""

    def __repr__(self) -> str:
        return "ValueError"


def _size_or_refusal(conv_output_size, args):
    try:
        return attempt(conv_output_size, *args)
    except StudentError as err:
        if isinstance(err.__cause__, ValueError):
            return _Refused()
        raise


def _tiling_hint(w: int, f: int, s: int, p: int) -> str:
    """Which wrong tiling test gives the wrong verdict on (w, f, s, p), as a sentence ('' if none)."""
    tiles = (w - f + 2 * p) % s == 0
    if ((w - f) % s == 0) != tiles:
        return " Your tiling test seems to ignore the padding: test (W - F + 2P) % S."
    if ((w - f + p) % s == 0) != tiles:
        return " Your tiling test seems to count the padding once: test (W - F + 2P) % S."
    return ""


@checker
def check_output_size(conv_output_size) -> Feedback:
    """``conv_output_size(w, f, s, p)`` returns the output width as an int, and raises ValueError
    when the windows do not tile the input (e.g. W=10, F=3, S=2, P=0 gives 4.5)."""
    got = {args: _size_or_refusal(conv_output_size, args) for args, _ in SIZE_CASES}
    expected = dict(SIZE_CASES)
    for args, answer in got.items():
        if isinstance(answer, _Refused):
            w, f, s, p = args
            return wrong(f"You raised ValueError for W={w}, F={f}, S={s}, P={p}, which tiles: "
                         f"({w} - {f} + 2*{p})/{s} + 1 = {expected[args]}.{_tiling_hint(w, f, s, p)}")
    problem = size_kind_problem(got, "conv_output_size", whole=False)
    if problem:
        return wrong(problem)
    bad = [args for args in got if not close(got[args], expected[args])]
    if bad:
        slip = size_slip(got, _SIZE_SLIPS)
        if slip:
            return wrong(f"You {slip}.")
        w, f, s, p = bad[0]
        return wrong(f"For W={w}, F={f}, S={s}, P={p} you returned {got[bad[0]]!r}; "
                     f"(W - F + 2P)/S + 1 gives {expected[bad[0]]}.")
    problem = size_kind_problem(got, "conv_output_size", whole=True)
    if problem:
        return wrong(problem)
    for w, f, s, p in INVALID_SIZE_CASES:
        result = _size_or_refusal(conv_output_size, (w, f, s, p))
        if isinstance(result, _Refused):
            continue
        return wrong(f"The formula is right, but for W={w}, F={f}, S={s}, P={p} you returned {result!r}: "
                     f"({w} - {f} + 2*{p})/{s} + 1 = {(w - f + 2 * p) / s + 1:.3g} is not a whole number of "
                     f"positions. Raise ValueError there.{_tiling_hint(w, f, s, p)}")
    return right("the size formula is right, and a size like 4.5 is refused instead of silently rounded.")


def size_kind_problem(got: dict, name: str, whole: bool) -> str | None:
    """Why an answer in ``got`` ({args: answer}) is not a size: not a number at all, or (``whole``)
    not an int. Checked in two steps so a wrong formula is named before a float that should be an int."""
    for args, answer in got.items():
        if whole or expect_number(answer, "") is not None:
            problem = expect_int(answer, f"{name}{args}")
            if problem:
                return problem
    return None


def size_slip(got: dict, slips: dict) -> str | None:
    """The slip whose wrong formula reproduces every answer in ``got`` ({args: answer}), if any.

    Students divide with / or //, so a slip matches with or without rounding down.
    """
    for slip, formula in slips.items():
        if all(close(answer, formula(*args)) or close(answer, formula(*args) // 1) for args, answer in got.items()):
            return slip
    return None


# ----------------------------------------------------------------------------- one value by hand

HAND_X = np.array([[3, 0, 1, 2],
                   [1, 5, 0, 4],
                   [2, 1, 3, 0],
                   [0, 2, 1, 6]])
HAND_K = np.array([[1, 0, -1],
                   [2, 1, 0],
                   [0, -1, 3]])
HAND_B = 3
HAND_POS = (1, 0)   # output row 1, column 0; stride 1, no padding


def hand_value(x=HAND_X, k=HAND_K, b=HAND_B, pos=HAND_POS) -> int:
    """out[i, j] = sum(x[i:i+3, j:j+3] * k) + b (cross-correlation, as in CNNs)."""
    i, j = pos
    return int(np.sum(x[i:i + 3, j:j + 3] * k) + b)


def _hand_slips() -> dict[str, int]:
    i, j = HAND_POS
    return {
        "That is the value with the kernel flipped (true convolution). CNN layers do not flip: "
        "multiply x[i+u, j+v] by k[u, v].": hand_value(k=HAND_K[::-1, ::-1]),
        f"You forgot the bias: add b = {HAND_B}.": hand_value(b=0),
        f"You swapped rows and columns: output ({i}, {j}) uses input rows {i}..{i + 2} and "
        f"columns {j}..{j + 2}.": hand_value(pos=(j, i)),
        "That is output (0, 0); (1, 0) means row 1, column 0: move the window down one row.":
            hand_value(pos=(0, 0)),
        "That is output (1, 1); (1, 0) means row 1, column 0.": hand_value(pos=(1, 1)),
    }


@checker
def check_one_value(answer) -> Feedback:
    """The output at HAND_POS of HAND_X convolved with HAND_K plus HAND_B (stride 1, no padding)."""
    got = value_of(answer)
    bad = expect_number(got, "your answer")
    if bad:
        return wrong(bad)
    expected = hand_value()
    if close(got, expected):
        return right(f"sum(x[1:4, 0:3] * k) + b = {expected}.")
    for message, value in _hand_slips().items():
        if close(got, value):
            return wrong(message)
    return wrong(f"{got!r} is not it: multiply the 3x3 window x[1:4, 0:3] by the kernel element by "
                 f"element, add the nine products, then add the bias.")


# ----------------------------------------------------------------------------- conv2d, one channel

def _reference(image, kernel, bias=0.0, stride=1, padding=0):
    """The right answer: scratch.conv_forward_naive on a single image and kernel -> (H2, W2)."""
    out, _ = scratch.conv_forward_naive(np.asarray(image, float)[None, None], np.asarray(kernel, float)[None, None],
                                        np.array([float(bias)]), stride, padding)
    return out[0, 0]


def conv_cases() -> list[dict]:
    """Test cases: non-square images, an asymmetric kernel, bias, padding, stride."""
    rng = np.random.default_rng(3)
    k3 = np.array([[1., 2., 0.], [0., -1., 3.], [-2., 0., 1.]])
    return [
        dict(image=rng.integers(0, 9, (5, 6)).astype(float), kernel=k3, bias=0.5, stride=1, padding=0),
        dict(image=rng.integers(0, 9, (6, 4)).astype(float), kernel=k3, bias=-1.0, stride=1, padding=1),
        dict(image=rng.integers(0, 9, (7, 9)).astype(float), kernel=k3, bias=0.25, stride=2, padding=0),
        dict(image=rng.integers(0, 9, (4, 7)).astype(float), kernel=np.array([[1., -1., 2.], [3., 0., 1.]]),
             bias=1.0, stride=1, padding=0),
        dict(image=rng.integers(0, 9, (7, 10)).astype(float), kernel=k3, bias=2.0, stride=3, padding=1),
    ]


def _describe(case: dict) -> str:
    return (f"image {case['image'].shape[0]}x{case['image'].shape[1]}, kernel "
            f"{case['kernel'].shape[0]}x{case['kernel'].shape[1]}, bias {case['bias']}, "
            f"stride {case['stride']}, padding {case['padding']}")


def _diagnose_conv(got: np.ndarray, case: dict) -> str:
    expected = _reference(**case)
    image, kernel, bias, stride, padding = (case[k] for k in ("image", "kernel", "bias", "stride", "padding"))
    where = _describe(case)
    variant = lambda **kw: _reference(**{**case, **kw})  # noqa: E731
    if padding and close(got, variant(padding=0)):
        return (f"You left out the padding ({where}): pad the image with {padding} row(s)/column(s) of "
                f"zeros on every side first, e.g. np.pad(image, {padding}).")
    if stride > 1 and close(got, variant(stride=1)):
        return f"You moved the window by 1 instead of by the stride {stride} ({where})."
    if close(got, variant(kernel=kernel[::-1, ::-1])):
        return ("Your kernel is flipped (that is true convolution). CNN layers compute "
                "cross-correlation: out[i, j] = sum(window * kernel), with no flip.")
    if close(got, variant(bias=0.0)):
        return f"You forgot the bias: add {bias} to every output value."
    if close(got, expected.T) or close(got, _safe_reference(image.T, kernel.T, bias, stride, padding)):
        return (f"Rows and columns are swapped ({where}): index the image as image[row, column], "
                f"and loop over output rows with the height, columns with the width.")
    if close(got, _safe_reference(image, kernel.T, bias, stride, padding)):
        return "You used the kernel transposed: kernel[u, v] multiplies image[i + u, j + v]."
    shape, want = shape_of(got), expected.shape
    if shape == want[::-1] and shape != want:
        return (f"Your output has shape {shape}, expected {want} ({where}): height and width are swapped. "
                f"The output has (H - FH + 2P)//S + 1 rows and (W - FW + 2P)//S + 1 columns.")
    if len(shape) == 2 and shape != want and abs(shape[0] - want[0]) <= 1 and abs(shape[1] - want[1]) <= 1:
        return (f"Off by one: your output is {shape[0]}x{shape[1]}, expected {want[0]}x{want[1]} ({where}). "
                f"The window fits (H - F + 2P)//S + 1 times: loop over range(H2) with that H2 "
                f"(range(H - F) misses the last position).")
    if shape != want:
        return f"Your output has shape {shape}, expected {want} ({where})."
    return (f"Wrong values for {where}: the largest difference is "
            f"{np.abs(to_numpy(got) - expected).max():.3g}. Check the window x[i*S:i*S+F, j*S:j*S+F].")


def _safe_reference(image, kernel, bias, stride, padding):
    try:
        return _reference(image, kernel, bias, stride, padding)
    except ValueError:
        return None


@checker
def check_conv2d_single(conv2d_single) -> Feedback:
    """``conv2d_single(image, kernel, bias=0.0, stride=1, padding=0)``: image (H, W), kernel (FH, FW)
    -> (H2, W2), compared with the reference on several cases."""
    for case in conv_cases():
        got = attempt(conv2d_single, case["image"].copy(), case["kernel"].copy(), case["bias"],
                      case["stride"], case["padding"])
        bad = expect_array(got, None, f"the output for {_describe(case)}")
        if bad:
            return wrong(bad)
        if got.ndim != 2:
            return wrong(f"the output for {_describe(case)} has shape {got.shape}; it should be 2-D (H2, W2).")
        if not close(got, _reference(**case)):
            return wrong(_diagnose_conv(got, case))
    return right(f"your convolution matches the reference on {len(conv_cases())} cases "
                 f"(non-square images and kernels, bias, padding, stride).")


# ----------------------------------------------------------------------------- im2col shapes

IM2COL_EXERCISE = dict(x_shape=(1, 3, 32, 32), filters=16, f=5, stride=1, padding=2)


def im2col_shapes(x_shape=(1, 3, 32, 32), filters=16, f=5, stride=1, padding=2):
    """(X_col, W_row, W_row @ X_col) shapes for a convolution of x (N, C, H, W) with K FxF filters."""
    n, c, h, w = x_shape
    h2 = scratch.output_size(h, f, stride, padding)
    w2 = scratch.output_size(w, f, stride, padding)
    return (c * f * f, n * h2 * w2), (filters, c * f * f), (filters, n * h2 * w2)


@checker
def check_im2col_shapes(answer) -> Feedback:
    """The three shapes (X_col, W_row, product) for IM2COL_EXERCISE, as a tuple of tuples."""
    got = value_of(answer)
    bad = expect_tuple(got, 3, "your answer")
    if bad:
        return wrong(f"{bad} Give three shapes (X_col, W_row, W_row @ X_col), e.g. ((rows, cols), (rows, cols), "
                     "(rows, cols)).")
    for name, shape in zip(("X_col", "W_row", "W_row @ X_col"), got):
        bad = expect_tuple(shape, len(shape) if isinstance(shape, tuple) else 2, f"the shape of {name}") or next(
            filter(None, (expect_int(v, f"the shape of {name}") for v in shape)), None)
        if bad:
            return wrong(f"{bad} A matrix shape is a tuple of ints, (rows, cols).")
    got = tuple(tuple(int(v) for v in shape) for shape in got)
    x_col, w_row, product = expected = im2col_shapes(**IM2COL_EXERCISE)
    if got == expected:
        return right(f"X_col {x_col}, W_row {w_row}, product {product}, reshaped to 16 maps of 32x32.")
    if got[0] == x_col[::-1]:
        return wrong("X_col is transposed: each receptive field (3*5*5 = 75 numbers) is one column, "
                     "and there is one column per output position.")
    if got[0][0] == 5 * 5:
        return wrong("Each column holds the receptive field through all 3 channels: 5*5*3 numbers, not 5*5.")
    if got[0][1] == 28 * 28:
        return wrong("With padding 2 the output stays 32x32, so there are 32*32 = 1024 positions (columns), not 28*28.")
    if got[0] == x_col and got[1] == w_row[::-1]:
        return wrong("W_row has one row per filter: 16 rows of 75 weights.")
    if got[:2] == (x_col, w_row) and got[2] != product:
        return wrong(f"The product of a {w_row[0]}x{w_row[1]} and a {x_col[0]}x{x_col[1]} matrix is "
                     f"{w_row[0]}x{x_col[1]}.")
    return wrong(f"{got} is not it; start with X_col: (C*F*F, number of output positions).")

