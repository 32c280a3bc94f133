"""The sliding window, one position at a time: what the step-through explorers of lessons 03 and
04 show, as plain numbers that tests compare with PyTorch.

A layer that slides a window visits the output cells in reading order: step 0 fills output
(0, 0), step 1 fills (0, 1), ..., step ``n_steps - 1`` fills the last cell. For a step index
these functions return everything about that position and the work done so far:

- ``conv_step``: one filter over a multi-channel input; the windows, the products with the
  kernel, their sum plus the bias, and the output filled up to this step;
- ``conv_backward_step``: the same walk for the gradients; step k adds ``dout[i, j] * kernel``
  into the input window (dx), ``dout[i, j] * window`` into dw and ``dout[i, j]`` into db;
- ``pool_step`` / ``pool_backward_step``: max pooling, channel by channel; which input wins
  each window, and the gradient that goes to the winner only.

Inputs are one image ``x: (C, H, W)``; a convolution kernel is ``w: (C, FH, FW)`` (one filter)
with a scalar bias. Coordinates (rows, columns, winners) are in the *padded* input, so a
window that starts in the padding has row 0. After the last step the outputs equal
``torch.nn.functional.conv2d`` / ``max_pool2d`` and the gradients equal autograd's
(tests/test_stepper.py). A configuration that does not tile raises the ValueError of
``scratch.output_size``, which the explorers show instead of a picture.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import scratch


@dataclass(frozen=True)
class Position:
    """Where the window is at one step: output cell (i, j) and the padded-input rows and columns
    its taps read (FH,) and (FW,); with dilation d they are d apart."""

    step: int
    n_steps: int
    i: int
    j: int
    rows: np.ndarray
    cols: np.ndarray

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(row, col, height, width) of the square the window spans in the padded input."""
        return int(self.rows[0]), int(self.cols[0]), int(self.rows[-1] - self.rows[0] + 1), int(self.cols[-1] - self.cols[0] + 1)


@dataclass(frozen=True)
class ConvStep:
    """One convolution step. windows, kernel, products: (C, FH, FW); padded: (C, Hp, Wp);
    output: (H2, W2) with NaN in the cells later steps fill."""

    at: Position
    padded: np.ndarray
    windows: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    bias: float
    value: float
    output: np.ndarray


@dataclass(frozen=True)
class ConvBackwardStep:
    """One step of the convolution's backward pass. grad = dout[i, j]; contribution =
    grad * kernel (C, FH, FW), added into dx_padded (C, Hp, Wp) at the window's taps; dx is
    dx_padded without the padding (C, H, W); dw (C, FH, FW) and db hold the sums so far."""

    at: Position
    dout: np.ndarray
    grad: float
    kernel: np.ndarray
    contribution: np.ndarray
    dx_padded: np.ndarray
    dx: np.ndarray
    dw: np.ndarray
    db: float


@dataclass(frozen=True)
class PoolStep:
    """One max-pooling step. windows: (C, FH, FW); winners: (C, 2) padded (row, col) of each
    channel's maximum (the first one in reading order on a tie, as PyTorch on the CPU);
    values: (C,) the maxima; output: (C, H2, W2) with NaN where later steps write."""

    at: Position
    padded: np.ndarray
    windows: np.ndarray
    winners: np.ndarray
    values: np.ndarray
    output: np.ndarray


@dataclass(frozen=True)
class PoolBackwardStep:
    """One step of max pooling's backward pass: grads = dout[:, i, j] (C,) go to winners (C, 2)
    only; dx_padded (C, Hp, Wp) and dx (C, H, W) hold the sums so far (overlapping windows add)."""

    at: Position
    dout: np.ndarray
    grads: np.ndarray
    winners: np.ndarray
    dx_padded: np.ndarray
    dx: np.ndarray


# ----------------------------------------------------------------------------- the walk

@dataclass(frozen=True)
class Window:
    """A window's geometry over one image: kernel (fh, fw), stride (sh, sw), padding (ph, pw),
    dilation (dh, dw) and the output size (h2, w2), as ``scratch.window_settings`` checked it."""

    fh: int
    fw: int
    sh: int
    sw: int
    ph: int
    pw: int
    dh: int
    dw: int
    h2: int
    w2: int


def _geometry(x: np.ndarray, fh: int, fw: int, stride: int, padding: int, dilation: int) -> Window:
    if x.ndim != 3:
        raise ValueError(f"x must be one image (C, H, W), got shape {x.shape}; for a grey image use x[None].")
    (sh, sw), (ph, pw), (dh, dw), (h2, w2) = scratch.window_settings((1, *x.shape), fh, fw, stride, padding, dilation)
    return Window(fh, fw, sh, sw, ph, pw, dh, dw, h2, w2)


def _position(g: Window, step: int) -> Position:
    n_steps = g.h2 * g.w2
    if not 0 <= step < n_steps:
        raise ValueError(f"step must be in 0..{n_steps - 1} ({g.h2}x{g.w2} output cells), got {step}.")
    i, j = divmod(step, g.w2)
    return Position(step, n_steps, i, j, i * g.sh + g.dh * np.arange(g.fh), j * g.sw + g.dw * np.arange(g.fw))


def _walk(g: Window, step: int) -> list[Position]:
    """The positions of steps 0..step, in reading order."""
    return [_position(g, k) for k in range(step + 1)]


def _pad(x: np.ndarray, p: int, fill: float) -> np.ndarray:
    return np.pad(x, ((0, 0), (p, p), (p, p)), constant_values=fill)


# ----------------------------------------------------------------------------- convolution

def _check_kernel(x: np.ndarray, w: np.ndarray) -> None:
    if w.ndim != 3 or w.shape[0] != x.shape[0]:
        raise ValueError(f"w must be one filter (C, FH, FW) with the C={x.shape[0]} channels of x, got shape {w.shape}.")


def conv_step(x: np.ndarray, w: np.ndarray, b: float = 0.0, stride: int = 1, padding: int = 0,
              dilation: int = 1, step: int = 0) -> ConvStep:
    """The convolution of x (C, H, W) with one filter w (C, FH, FW) and bias b, after ``step``.

    At the step's position: windows = the C input patches under the taps, products =
    windows * w, value = products.sum() + b, written to output[i, j].
    """
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    g = _geometry(x, w.shape[-2], w.shape[-1], stride, padding, dilation)
    _check_kernel(x, w)
    padded = _pad(x, padding, 0.0)
    output = np.full((g.h2, g.w2), np.nan)
    for at in _walk(g, step):
        windows = padded[:, at.rows[:, None], at.cols[None, :]]        # (C, FH, FW)
        products = windows * w
        output[at.i, at.j] = products.sum() + b
    return ConvStep(at, padded, windows, w, products, float(b), float(output[at.i, at.j]), output)


def conv_backward_step(x: np.ndarray, w: np.ndarray, dout: np.ndarray, stride: int = 1, padding: int = 0,
                       dilation: int = 1, step: int = 0) -> ConvBackwardStep:
    """The gradients of the convolution after the output cells 0..step have sent theirs back.

    x: (C, H, W), w: (C, FH, FW), dout: (H2, W2) = dloss/doutput. Each output cell (i, j) read
    its window through the kernel, so it sends dout[i, j] * w back into that window of dx,
    dout[i, j] * window into dw and dout[i, j] into db. After the last step: dx, dw, db.
    """
    x, w, dout = (np.asarray(a, dtype=float) for a in (x, w, dout))
    g = _geometry(x, w.shape[-2], w.shape[-1], stride, padding, dilation)
    _check_kernel(x, w)
    if dout.shape != (g.h2, g.w2):
        raise ValueError(f"dout must have the output's shape {(g.h2, g.w2)}, got {dout.shape}.")
    padded = _pad(x, padding, 0.0)
    dx_padded, dw, db = np.zeros_like(padded), np.zeros_like(w), 0.0
    for at in _walk(g, step):
        grad = dout[at.i, at.j]
        dx_padded[:, at.rows[:, None], at.cols[None, :]] += grad * w
        dw += grad * padded[:, at.rows[:, None], at.cols[None, :]]
        db += grad
    h, wd = x.shape[1:]
    return ConvBackwardStep(at, dout, float(grad), w, grad * w, dx_padded,
                            dx_padded[:, padding:padding + h, padding:padding + wd], dw, float(db))


# ----------------------------------------------------------------------------- max pooling

def _pool_geometry(x: np.ndarray, f: int, stride: int | None, padding: int) -> Window:
    g = _geometry(x, f, f, f if stride is None else stride, padding, 1)
    if padding > f // 2:
        raise ValueError(f"padding {padding} must be at most half the window ({f} // 2 = {f // 2}), "
                         f"otherwise some windows hold only padding.")
    return g


def _winners(padded: np.ndarray, at: Position) -> tuple[np.ndarray, np.ndarray]:
    """Each channel's window (C, FH, FW) and the padded (row, col) of its first maximum (C, 2)."""
    windows = padded[:, at.rows[:, None], at.cols[None, :]]
    u, v = np.unravel_index(windows.reshape(len(windows), -1).argmax(axis=1), windows.shape[1:])
    return windows, np.stack([at.rows[u], at.cols[v]], axis=1)


def pool_step(x: np.ndarray, f: int, stride: int | None = None, padding: int = 0, step: int = 0) -> PoolStep:
    """Max pooling of x (C, H, W) with an f x f window (stride defaults to f) after ``step``.

    Padding is -inf (never the maximum) and at most f // 2, as in PyTorch. Windows overlap
    when stride < f.
    """
    x = np.asarray(x, dtype=float)
    g = _pool_geometry(x, f, stride, padding)
    padded = _pad(x, padding, -np.inf)
    output = np.full((len(x), g.h2, g.w2), np.nan)
    for at in _walk(g, step):
        windows, winners = _winners(padded, at)
        output[:, at.i, at.j] = windows.max(axis=(1, 2))
    return PoolStep(at, padded, windows, winners, output[:, at.i, at.j].copy(), output)


def pool_backward_step(x: np.ndarray, dout: np.ndarray, f: int, stride: int | None = None, padding: int = 0,
                       step: int = 0) -> PoolBackwardStep:
    """Max pooling's gradient after the output cells 0..step have sent theirs back.

    x: (C, H, W) the forward input, dout: (C, H2, W2). Output cell (i, j) of channel c passes
    dout[c, i, j] to the winner of its window only; a pixel that wins several overlapping
    windows receives the sum.
    """
    x, dout = np.asarray(x, dtype=float), np.asarray(dout, dtype=float)
    g = _pool_geometry(x, f, stride, padding)
    if dout.shape != (len(x), g.h2, g.w2):
        raise ValueError(f"dout must have the pooled shape {(len(x), g.h2, g.w2)}, got {dout.shape}.")
    padded = _pad(x, padding, -np.inf)
    dx_padded = np.zeros_like(padded)
    channels = np.arange(len(x))
    for at in _walk(g, step):
        _, winners = _winners(padded, at)
        dx_padded[channels, winners[:, 0], winners[:, 1]] += dout[:, at.i, at.j]   # one pixel per channel
    h, w = x.shape[1:]
    return PoolBackwardStep(at, dout, dout[:, at.i, at.j].copy(), winners, dx_padded,
                            dx_padded[:, padding:padding + h, padding:padding + w])
