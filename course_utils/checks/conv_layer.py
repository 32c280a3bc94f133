"""Checkers for the lesson-03 build exercises: the convolution layer written by the student, with
loops (forward and backward), with im2col, and im2col itself. The references are the functions of
course_utils.scratch; each checker names the likely mistake."""
from __future__ import annotations

import numpy as np

from .. import scratch
from . import Feedback, attempt, checker, close, right, wrong
from .mistakes import arrays, diagnose, named_mistake, out_and_cache

# (x shape, w shape, stride, padding): batches of several images and filters, square and
# non-square, with and without padding, stride 1 to 3
CONV_CASES = [((2, 3, 5, 5), (4, 3, 3, 3), 1, 1), ((2, 3, 7, 5), (4, 3, 3, 3), 2, 0),
              ((3, 2, 5, 7), (2, 2, 3, 3), 2, 1), ((2, 3, 5, 8), (3, 3, 3, 3), 3, 2),
              ((2, 2, 4, 6), (3, 2, 2, 3), 1, 0)]


def conv_cases(seed: int = 3) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [dict(x=rng.standard_normal(xs), w=rng.standard_normal(ws), b=rng.standard_normal(ws[0]),
                 stride=s, padding=p) for xs, ws, s, p in CONV_CASES]


def _forward(case, **change) -> np.ndarray:
    c = {**case, **change}
    return scratch.conv_forward_naive(c["x"], c["w"], c["b"], c["stride"], c["padding"])[0]


def _describe(case) -> str:
    return (f"x {case['x'].shape}, w {case['w'].shape}, stride {case['stride']}, padding {case['padding']}")


def _forward_mistakes(case) -> dict[str, np.ndarray]:
    x, w, b = case["x"], case["w"], case["b"]
    right_out = _forward(case)
    h2, w2 = right_out.shape[2:]
    return {
        "You flipped the kernel (true convolution); a CNN layer slides it unflipped: "
        "xpad[n, :, i*S + u, j*S + v] * w[k, :, u, v].": _forward(case, w=w[:, :, ::-1, ::-1]),
        "You forgot the bias: add b[k] to every output of filter k.": _forward(case, b=0 * b),
        "You did not sum over the input channels: each output adds the products over all C channels "
        "(the window is xpad[n, :, rows, cols], all channels).": _forward(case, x=x[:, :1], w=w[:, :1]),
        "Only the last channel counted: sum the products over all C channels at once.":
            _forward(case, x=x[:, -1:], w=w[:, -1:]),
        "You forgot the padding: pad x with P zeros on every side (np.pad) before sliding; the output then "
        "has (H - FH + 2P)/S + 1 rows.": lambda: _forward(case, padding=0),
        "The stride is applied wrongly: the window of output (i, j) starts at row i*S and column j*S of the "
        "padded input, not at (i, j).": _forward(case, stride=1)[:, :, :h2, :w2],
        "You ignored the stride: move the window by S pixels, which gives (H - FH + 2P)/S + 1 positions.":
            _forward(case, stride=1),
        "Your output is (N, H2, W2, K), channels last (NHWC); return PyTorch's layout (N, K, H2, W2).":
            right_out.transpose(0, 2, 3, 1),
        "The bias was added once per channel; add b[k] once per output value.":
            right_out + (x.shape[1] - 1) * b[None, :, None, None],
    }


def _naive_cache(case) -> tuple:
    return (case["x"], case["w"], case["b"], case["stride"], case["padding"], 1)


@checker
def check_conv_forward(conv_forward) -> Feedback:
    """``conv_forward(x, w, b, stride, padding) -> (out, (x, w, b, stride, padding, 1))`` with loops;
    x (N, C, H, W), w (K, C, FH, FW), b (K,) -> out (N, K, H2, W2)."""
    for case in conv_cases():
        result = attempt(conv_forward, case["x"].copy(), case["w"].copy(), case["b"].copy(), case["stride"],
                         case["padding"])
        out, cache = out_and_cache(result, "conv_forward", 6)
        expected = _forward(case)
        if not close(out, expected):
            return diagnose(out, expected, _forward_mistakes(case), _describe(case), "out (N, K, H2, W2)",
                            "out[n, k, i, j] = sum(xpad[n, :, i*S:i*S+FH, j*S:j*S+FW] * w[k]) + b[k].")
        expected_cache = _naive_cache(case)
        if not (all(close(c, e) for c, e in zip(cache[:3], expected_cache)) and cache[3:] == expected_cache[3:]):
            return wrong("The output is right, but the cache must be (x, w, b, stride, padding, 1), the format of "
                         "scratch.conv_forward_naive (the 1 is the dilation), so that the backward pass can use it.")
    return right(f"matches the reference on {len(CONV_CASES)} batches (strides 1-3, padding 0-2, non-square inputs).")


# ----------------------------------------------------------------------------- im2col

def _im2col_mistakes(case, f) -> dict[str, np.ndarray]:
    x, (fh, fw), s, p = case["x"], f, case["stride"], case["padding"]
    cols = scratch.im2col(x, fh, fw, s, p)
    n, c = x.shape[:2]
    h2, w2 = (scratch.output_size(size, k, s, p) for size, k in zip(x.shape[2:], f))
    return {
        "The rows are in (u, v, c) order; they must follow w.reshape(K, -1), which is (c, u, v): channel first.":
            cols.reshape(c, fh, fw, -1).transpose(1, 2, 0, 3).reshape(c * fh * fw, -1),
        "The columns are in (i, j, n) order; number them image first: column n*H2*W2 + i*W2 + j.":
            cols.reshape(-1, n, h2, w2).transpose(0, 2, 3, 1).reshape(c * fh * fw, -1),
        "You returned the transpose: cols has one ROW per kernel weight (C*FH*FW) and one COLUMN per "
        "receptive field (N*H2*W2).": cols.T,
        "You forgot the padding: pad x with P zeros before cutting out the windows.":
            lambda: scratch.im2col(x, fh, fw, s, 0),
        "You ignored the stride: the window of output (i, j) starts at (i*S, j*S).": scratch.im2col(x, fh, fw, 1, p),
    }


@checker
def check_im2col(im2col) -> Feedback:
    """``im2col(x, fh, fw, stride, padding) -> cols (C*FH*FW, N*H2*W2)``, row order (c, u, v), column
    order (n, i, j)."""
    for case in conv_cases(4):
        f = case["w"].shape[2:]
        cols = attempt(im2col, case["x"].copy(), *f, case["stride"], case["padding"])
        expected = scratch.im2col(case["x"], *f, case["stride"], case["padding"])
        if not isinstance(cols, np.ndarray):
            return wrong(f"im2col must return a NumPy array, got {type(cols).__name__}.")
        if not close(cols, expected):
            label = f"x {case['x'].shape}, a {f[0]}x{f[1]} window, stride {case['stride']}, padding {case['padding']}"
            return diagnose(cols, expected, _im2col_mistakes(case, f), label, "cols (C*FH*FW, N*H2*W2)",
                            "Column n*H2*W2 + i*W2 + j is xpad[n, :, i*S:i*S+FH, j*S:j*S+FW].ravel().")
    return right("every receptive field is a column, in the order w.reshape(K, -1) expects.")


# ----------------------------------------------------------------------------- convolution via im2col

def _im2col_forward_mistakes(case) -> dict[str, np.ndarray]:
    x, w, b, s, p = (case[k] for k in ("x", "w", "b", "stride", "padding"))
    right_out = _forward(case)
    n, k, h2, w2 = right_out.shape
    product = w.reshape(len(w), -1) @ scratch.im2col(x, *w.shape[2:], s, p)    # (K, N*H2*W2)
    return {
        "You reshaped the (K, N*H2*W2) product straight to (N, K, H2, W2); reshape to (K, N, H2, W2) "
        "first, then transpose(1, 0, 2, 3).": (product + b[:, None]).reshape(n, k, h2, w2),
        "You returned (K, N, H2, W2); transpose to (N, K, H2, W2).": right_out.transpose(1, 0, 2, 3),
        "You forgot the bias: add b[:, None] to the (K, N*H2*W2) product.": _forward(case, b=0 * b),
        "W_row must be w.reshape(K, -1) (rows in (c, u, v) order, like the rows of cols).":
            _forward(case, w=w.transpose(0, 2, 3, 1).reshape(w.shape)),
    }


@checker
def check_conv_forward_im2col(conv_forward_im2col) -> Feedback:
    """``conv_forward_im2col(x, w, b, stride, padding) -> (out, (x, w, cols, stride, padding, 1))``."""
    for case in conv_cases(5):
        result = attempt(conv_forward_im2col, case["x"].copy(), case["w"].copy(), case["b"].copy(),
                         case["stride"], case["padding"])
        out, cache = out_and_cache(result, "conv_forward_im2col", 6)
        expected = _forward(case)
        if not close(out, expected):
            slip = named_mistake(out, {**_im2col_forward_mistakes(case), **_forward_mistakes(case)})
            if slip:
                return wrong(f"For {_describe(case)}: {slip}")
            return wrong(f"For {_describe(case)} the output should have shape {expected.shape} and equal "
                         f"(w.reshape(K, -1) @ cols + b[:, None]) reshaped to (K, N, H2, W2), then transposed.")
        cols = scratch.im2col(case["x"], *case["w"].shape[2:], case["stride"], case["padding"])
        if not (close(cache[0], case["x"]) and close(cache[1], case["w"]) and close(cache[2], cols)
                and cache[3:] == (case["stride"], case["padding"], 1)):
            return wrong("The output is right, but the cache must be (x, w, cols, stride, padding, 1), cols being "
                         "the im2col matrix, so that the backward pass need not build it again.")
    return right("one matrix product gives the same numbers as the loops.")


# ----------------------------------------------------------------------------- backward, loops

def _dx_overwritten(dout, x, w, stride, padding) -> np.ndarray:
    """The wrong dx of a loop that writes dxpad[window] = ... instead of adding to it."""
    n_images, _, height, width = x.shape
    fh, fw = w.shape[2:]
    dxpad = np.zeros((n_images, x.shape[1], height + 2 * padding, width + 2 * padding))
    for n, k, i, j in np.ndindex(dout.shape):
        dxpad[n, :, i * stride:i * stride + fh, j * stride:j * stride + fw] = dout[n, k, i, j] * w[k]
    return dxpad[:, :, padding:padding + height, padding:padding + width]


def _backward_mistakes(case, dout) -> list[tuple[int, str, np.ndarray]]:
    """(index of the wrong gradient in (dx, dw, db), message, wrong value)."""
    x, w, b, s, p = (case[k] for k in ("x", "w", "b", "stride", "padding"))
    dx, dw, db = scratch.conv_backward_naive(dout, _naive_cache(case))
    last = scratch.conv_backward_naive(dout[-1:], (x[-1:], w, b, s, p, 1))
    xpad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    return [
        (1, "dw holds only the last image: add (+=) every image's contribution, dw sums over the batch.", last[1]),
        (1, "dw is averaged over the batch; the gradient of a sum is a sum: do not divide by N.", dw / len(x)),
        (2, "db holds only the last image: sum dout over the batch and all positions, axis (0, 2, 3).", last[2]),
        (2, "db is averaged; it is the plain sum of dout over axes (0, 2, 3).", db / np.prod(dout.shape) * len(db)),
        (0, "dx is overwritten where windows overlap; a pixel in several windows collects the sum: use +=.",
         _dx_overwritten(dout, x, w, s, p)),
        (0, "dx still has the padding: cut the border off, dx = dxpad[:, :, P:P+H, P:P+W].",
         lambda: scratch.conv_backward_naive(dout, (xpad, w, b, s, 0, 1))[0]),
        (0, "dx used the flipped kernel; in the loop form each window sends dout[n, k, i, j] * w[k] back, unflipped.",
         scratch.conv_backward_naive(dout, (x, w[:, :, ::-1, ::-1], b, s, p, 1))[0]),
    ]


@checker
def check_conv_backward(conv_backward) -> Feedback:
    """``conv_backward(dout, cache) -> (dx, dw, db)`` with cache = (x, w, b, stride, padding, 1)."""
    rng = np.random.default_rng(6)
    for case in conv_cases(6):
        dout = rng.standard_normal(_forward(case).shape)
        cache = tuple(v.copy() if isinstance(v, np.ndarray) else v for v in _naive_cache(case))
        grads = arrays(attempt(conv_backward, dout.copy(), cache), "conv_backward", ("dx", "dw", "db"))
        expected = scratch.conv_backward_naive(dout, _naive_cache(case))
        for index, name in enumerate(("dx", "dw", "db")):
            if close(grads[index], expected[index]):
                continue
            mistakes = {message: candidate for where, message, candidate in _backward_mistakes(case, dout)
                        if where == index}
            return diagnose(grads[index], expected[index], mistakes, _describe(case), f"{name} (the shape of {name[1:]})",
                            "Each output (n, k, i, j) adds dout[n, k, i, j] * w[k] to dxpad's window and "
                            "dout[n, k, i, j] * xpad's window to dw[k].")
    return right("dx, dw and db agree with the reference; now confirm them with your own gradient check.")
