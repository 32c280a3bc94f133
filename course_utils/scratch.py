"""Convolution and pooling from scratch in NumPy: the reference code the lessons read.

Layout follows PyTorch: images are ``x: (N, C, H, W)`` (batch, channels, height, width),
kernels are ``w: (K, C, FH, FW)`` (K filters, each spanning all C input channels).
Like every deep-learning library, "convolution" here is cross-correlation: the kernel is
not flipped (lesson 03 shows the difference).

Contents, forward and backward side by side:

- ``output_size``: how many positions a window takes along one axis; a configuration that
  does not tile the input is an error, never a silent floor.
- ``conv2d_naive``: four explicit loops, one dot product per output value.
- ``im2col`` / ``col2im``: every receptive field as one column of a matrix, and back.
- ``conv2d_im2col``: convolution as one matrix product; ``conv2d_backward``: its gradients.
- ``max_pool2d`` / ``max_pool2d_backward`` and ``avg_pool2d`` / ``avg_pool2d_backward``.

``stride``, ``padding`` and ``dilation`` take an int (same for both axes) or a pair
``(along H, along W)``. Nothing here imports torch: the tests compare these functions with
``torch.nn.functional`` on hundreds of random configurations.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

IntOrPair = int | tuple[int, int]


# ----------------------------------------------------------------------------- sizes

def output_size(n: int, f: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Number of window positions along one axis: ``(n - F + 2 * padding) / stride + 1``.

    n: input length (W or H); f: kernel length; with dilation d the kernel spans
    ``F = d * (f - 1) + 1`` input pixels. Raises ValueError, naming the numbers and the
    fractional result, when the windows do not tile the padded input exactly
    (n=10, f=3, padding=0, stride=2 gives 4.5) or do not fit at all.
    """
    for name, value, low in (("n", n, 1), ("f", f, 1), ("stride", stride, 1),
                             ("padding", padding, 0), ("dilation", dilation, 1)):
        if int(value) != value or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    span = dilation * (f - 1) + 1
    f_text = f"{span}" if dilation == 1 else f"{span} (kernel {f} with dilation {dilation})"
    room = n + 2 * padding - span
    if room < 0:
        raise ValueError(f"A window of size F={f_text} does not fit in an input of size {n} with "
                         f"padding {padding} (padded size {n + 2 * padding}); use a smaller kernel "
                         f"or more padding.")
    if room % stride:
        fixes = [f"padding P={p}" for p in range(padding, padding + stride)
                 if (n + 2 * p - span) % stride == 0]
        bigger = n + (stride - room % stride)
        fixes.append(f"an input of size {bigger} (gives {(bigger + 2 * padding - span) // stride + 1})")
        raise ValueError(
            f"Invalid configuration: (W - F + 2P)/S + 1 = ({n} - {span} + 2*{padding})/{stride} + 1 "
            f"= {room / stride + 1:g} is not a whole number, so windows of size F={f_text} at "
            f"stride {stride} do not tile an input of size {n} with padding {padding}. "
            f"Try {' or '.join(fixes)}.")
    return room // stride + 1


def _pair(value: IntOrPair, name: str) -> tuple[int, int]:
    """An int or a pair of ints as a pair (along H, along W)."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    try:
        a, b = value
        return int(a), int(b)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}.") from None


@dataclass(frozen=True)
class Window:
    """Geometry of a sliding window over an (N, C, H, W) input: kernel, stride, padding,
    dilation per axis and the output size (h2, w2) it produces."""

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


def window(x_shape: tuple[int, ...], fh: int, fw: int, stride: IntOrPair = 1,
           padding: IntOrPair = 0, dilation: IntOrPair = 1) -> Window:
    """Check the window settings against the input shape (N, C, H, W) and return its Window."""
    if len(x_shape) != 4:
        raise ValueError(f"x must be 4-D (N, C, H, W), got shape {tuple(x_shape)}; "
                         f"for one grey image use x[None, None], for one colour image x[None].")
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation")
    _, _, h, w = x_shape
    sizes = []
    for axis, n, f, s, p, d in (("height", h, fh, sh, ph, dh), ("width", w, fw, sw, pw, dw)):
        try:
            sizes.append(output_size(n, f, s, p, d))
        except ValueError as err:
            raise ValueError(f"Along the {axis} of x {tuple(x_shape)}: {err}") from None
    return Window(fh, fw, sh, sw, ph, pw, dh, dw, *sizes)


def _check_conv_args(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> None:
    if x.ndim != 4:
        raise ValueError(f"x must be 4-D (N, C, H, W), got shape {x.shape}; "
                         f"for one grey image use x[None, None], for one colour image x[None].")
    if w.ndim != 4:
        raise ValueError(f"w must be 4-D (K, C, FH, FW), got shape {w.shape}; "
                         f"for one 2-D kernel use w[None, None].")
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"w has {w.shape[1]} input channels but x has {x.shape[1]}: "
                         f"x {x.shape}, w {w.shape}; w must have shape (K, {x.shape[1]}, FH, FW).")
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(f"b must have shape ({w.shape[0]},), one bias per filter, got {b.shape}.")


def _pad(x: np.ndarray, ph: int, pw: int, value: float = 0) -> np.ndarray:
    """x: (N, C, H, W) -> (N, C, H + 2ph, W + 2pw), the border filled with ``value``."""
    if ph == pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


# ----------------------------------------------------------------------------- convolution

def conv2d_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: IntOrPair = 1,
                 padding: IntOrPair = 0, dilation: IntOrPair = 1) -> np.ndarray:
    """Convolution (cross-correlation) with explicit loops: clear, and very slow.

    x: (N, C, H, W), w: (K, C, FH, FW), b: (K,) or None -> out: (N, K, H2, W2) with
    H2 = (H - FH + 2P)/S + 1 (and FH replaced by dilation * (FH - 1) + 1 when dilated).
    out[n, k, i, j] = sum over c, u, v of xpad[n, c, i*S + u*D, j*S + v*D] * w[k, c, u, v] + b[k]
    """
    x, w = np.asarray(x), np.asarray(w)
    b = None if b is None else np.asarray(b)
    _check_conv_args(x, w, b)
    n_images, _, _, _ = x.shape
    n_filters, _, fh, fw = w.shape
    g = window(x.shape, fh, fw, stride, padding, dilation)
    bias = np.zeros(n_filters, dtype=np.result_type(x, w)) if b is None else b
    xp = _pad(x, g.ph, g.pw)
    out = np.zeros((n_images, n_filters, g.h2, g.w2), dtype=np.result_type(x, w, bias))
    for n in range(n_images):
        for k in range(n_filters):
            for i in range(g.h2):
                for j in range(g.w2):
                    top, left = i * g.sh, j * g.sw
                    field = xp[n, :, top:top + g.dh * (fh - 1) + 1:g.dh,
                               left:left + g.dw * (fw - 1) + 1:g.dw]     # (C, FH, FW)
                    out[n, k, i, j] = np.sum(field * w[k]) + bias[k]
    return out


def _windows(xp: np.ndarray, g: Window) -> np.ndarray:
    """All receptive fields of a padded input as a strided view (no copy).

    xp: (N, C, Hp, Wp) -> (N, C, H2, W2, FH, FW); [n, c, i, j] is the window under output (i, j).
    """
    span = (g.dh * (g.fh - 1) + 1, g.dw * (g.fw - 1) + 1)
    view = sliding_window_view(xp, span, axis=(2, 3))   # every start position, stride 1
    return view[:, :, ::g.sh, ::g.sw, ::g.dh, ::g.dw]


def im2col(x: np.ndarray, fh: int, fw: int, stride: IntOrPair = 1, padding: IntOrPair = 0,
           dilation: IntOrPair = 1) -> np.ndarray:
    """Stretch every receptive field into a column.

    x: (N, C, H, W) -> cols: (C*FH*FW, N*H2*W2). Row order (c, u, v) matches
    ``w.reshape(K, -1)``; column order (n, i, j). For AlexNet conv1 (x 1x3x227x227, 11x11,
    stride 4) cols is 363 x 3025. Overlapping fields are copied, so cols is larger than x.
    """
    x = np.asarray(x)
    g = window(x.shape, fh, fw, stride, padding, dilation)
    n_images, channels = x.shape[:2]
    fields = _windows(_pad(x, g.ph, g.pw), g)            # (N, C, H2, W2, FH, FW), a view
    cols = fields.transpose(1, 4, 5, 0, 2, 3)             # (C, FH, FW, N, H2, W2), still a view
    return cols.reshape(channels * fh * fw, n_images * g.h2 * g.w2)   # the one copy


def col2im(cols: np.ndarray, x_shape: tuple[int, int, int, int], fh: int, fw: int,
           stride: IntOrPair = 1, padding: IntOrPair = 0, dilation: IntOrPair = 1) -> np.ndarray:
    """The adjoint of im2col: add every column back onto the pixels it came from.

    cols: (C*FH*FW, N*H2*W2) -> (N, C, H, W). Pixels shared by overlapping fields receive the
    sum of their entries, which is exactly what a gradient needs.
    """
    n_images, channels, h, w = x_shape
    g = window(x_shape, fh, fw, stride, padding, dilation)
    cols = np.asarray(cols).reshape(channels, fh, fw, n_images, g.h2, g.w2)
    out = np.zeros((n_images, channels, h + 2 * g.ph, w + 2 * g.pw), dtype=cols.dtype)
    for u in range(fh):            # one kernel offset at a time: its fields never overlap
        for v in range(fw):
            top, left = u * g.dh, v * g.dw
            out[:, :, top:top + g.sh * (g.h2 - 1) + 1:g.sh,
                left:left + g.sw * (g.w2 - 1) + 1:g.sw] += cols[:, u, v].transpose(1, 0, 2, 3)
    return out[:, :, g.ph:g.ph + h, g.pw:g.pw + w]


def conv2d_im2col(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: IntOrPair = 1,
                  padding: IntOrPair = 0, dilation: IntOrPair = 1) -> np.ndarray:
    """Convolution as one matrix product: W_row (K, C*FH*FW) @ X_col (C*FH*FW, N*H2*W2).

    x: (N, C, H, W), w: (K, C, FH, FW), b: (K,) or None -> out: (N, K, H2, W2), the same
    numbers as conv2d_naive. For AlexNet conv1: 96x363 @ 363x3025 = 96x3025 -> 55x55x96.
    """
    x, w = np.asarray(x), np.asarray(w)
    b = None if b is None else np.asarray(b)
    _check_conv_args(x, w, b)
    n_filters, _, fh, fw = w.shape
    g = window(x.shape, fh, fw, stride, padding, dilation)
    cols = im2col(x, fh, fw, stride, padding, dilation)     # (C*FH*FW, N*H2*W2)
    out = w.reshape(n_filters, -1) @ cols                     # (K, N*H2*W2)
    if b is not None:
        out += b[:, None]
    out = out.reshape(n_filters, x.shape[0], g.h2, g.w2)     # (K, N, H2, W2)
    return np.ascontiguousarray(out.transpose(1, 0, 2, 3))


def conv2d_backward(dout: np.ndarray, x: np.ndarray, w: np.ndarray, stride: IntOrPair = 1,
                    padding: IntOrPair = 0, dilation: IntOrPair = 1
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the loss with respect to x, w and b, given dout = dloss/dout.

    dout: (N, K, H2, W2), x: (N, C, H, W), w: (K, C, FH, FW)
    -> dx: (N, C, H, W), dw: (K, C, FH, FW), db: (K,).
    The forward pass is out = W_row @ X_col + b, so dW_row = dout_rows @ X_col.T,
    dX_col = W_row.T @ dout_rows (scattered back to pixels by col2im), db = sum of dout.
    dx is itself a convolution: dout (spread out by the stride, zero-padded) with the kernel
    flipped and its channel axes swapped; lesson 03 checks that against autograd.
    """
    dout, x, w = np.asarray(dout), np.asarray(x), np.asarray(w)
    _check_conv_args(x, w, None)
    n_filters, _, fh, fw = w.shape
    g = window(x.shape, fh, fw, stride, padding, dilation)
    expected = (x.shape[0], n_filters, g.h2, g.w2)
    if dout.shape != expected:
        raise ValueError(f"dout must have the forward output's shape {expected}, got {dout.shape}.")
    cols = im2col(x, fh, fw, stride, padding, dilation)                 # (C*FH*FW, N*H2*W2)
    dout_rows = dout.transpose(1, 0, 2, 3).reshape(n_filters, -1)      # (K, N*H2*W2)
    db = dout.sum(axis=(0, 2, 3))
    dw = (dout_rows @ cols.T).reshape(w.shape)
    dcols = w.reshape(n_filters, -1).T @ dout_rows                      # (C*FH*FW, N*H2*W2)
    dx = col2im(dcols, x.shape, fh, fw, stride, padding, dilation)
    return dx, dw, db


# ----------------------------------------------------------------------------- pooling

def _pool_cols(x: np.ndarray, f: IntOrPair, stride: IntOrPair | None, padding: IntOrPair,
               fill: float) -> tuple[np.ndarray, Window]:
    """Each channel's windows as columns: x (N, C, H, W) -> (FH*FW, N*C*H2*W2) and the Window.

    Pooling treats channels independently, so the channels are folded into the batch and
    im2col runs on single-channel images padded with ``fill``.
    """
    x = np.asarray(x)
    g = _pool_window(x.shape, f, stride, padding)
    n_images, channels, h, w = x.shape
    xp = _pad(x.reshape(n_images * channels, 1, h, w), g.ph, g.pw, fill)
    return im2col(xp, g.fh, g.fw, (g.sh, g.sw)), g


def _pool_window(x_shape: tuple[int, ...], f: IntOrPair, stride: IntOrPair | None,
                 padding: IntOrPair) -> Window:
    """The Window of a pooling layer; stride defaults to the window size."""
    fh, fw = _pair(f, "f")
    g = window(x_shape, fh, fw, (fh, fw) if stride is None else stride, padding)
    if g.ph > fh // 2 or g.pw > fw // 2:
        raise ValueError(f"padding {(g.ph, g.pw)} must be at most half the window {(fh, fw)}, "
                         f"otherwise some windows hold only padding.")
    return g


def _lowest(dtype: np.dtype) -> float:
    """A padding value that never wins a max: -inf for floats, the smallest integer otherwise."""
    return -np.inf if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).min


def max_pool2d(x: np.ndarray, f: IntOrPair, stride: IntOrPair | None = None,
               padding: IntOrPair = 0) -> np.ndarray:
    """Max pooling: the largest value of each F x F window, channel by channel.

    x: (N, C, H, W) -> (N, C, H2, W2), H2 = (H - F + 2P)/S + 1; stride defaults to F
    (windows side by side). Padding is filled with -inf, so it is never the max, and may be
    at most F // 2 (as in PyTorch). No parameters: nothing here is learned.
    """
    x = np.asarray(x)
    cols, g = _pool_cols(x, f, stride, padding, _lowest(x.dtype))
    return cols.max(axis=0).reshape(*x.shape[:2], g.h2, g.w2)


def max_pool2d_backward(dout: np.ndarray, x: np.ndarray, f: IntOrPair, stride: IntOrPair | None = None,
                        padding: IntOrPair = 0) -> np.ndarray:
    """Gradient of max pooling: each window passes dout only to its arg-max (the "switch").

    dout: (N, C, H2, W2), x: (N, C, H, W) the forward input -> dx: (N, C, H, W).
    Ties go to the first maximum in row-major window order, as PyTorch does on the CPU.
    Where windows overlap, a pixel that is the max of several windows sums their gradients.
    """
    x, dout = np.asarray(x), np.asarray(dout)
    cols, g = _pool_cols(x, f, stride, padding, _lowest(x.dtype))     # (FH*FW, M)
    _check_pooled(dout, x.shape, g)
    switches = cols.argmax(axis=0)                                       # (M,)
    dcols = np.zeros(cols.shape, dtype=np.result_type(dout, float))
    dcols[switches, np.arange(cols.shape[1])] = dout.reshape(-1)
    return _pool_col2im(dcols, x.shape, g)


def avg_pool2d(x: np.ndarray, f: IntOrPair, stride: IntOrPair | None = None,
               padding: IntOrPair = 0) -> np.ndarray:
    """Average pooling: the mean of each F x F window, channel by channel.

    x: (N, C, H, W) -> (N, C, H2, W2); stride defaults to F. Padding is zeros and counts
    towards the average (PyTorch's default, count_include_pad=True).
    """
    x = np.asarray(x)
    cols, g = _pool_cols(x, f, stride, padding, 0)
    return cols.mean(axis=0).reshape(*x.shape[:2], g.h2, g.w2)


def avg_pool2d_backward(dout: np.ndarray, x: np.ndarray, f: IntOrPair, stride: IntOrPair | None = None,
                        padding: IntOrPair = 0) -> np.ndarray:
    """Gradient of average pooling: each window shares dout equally among its F*F pixels.

    dout: (N, C, H2, W2), x: (N, C, H, W) the forward input (only its shape is used)
    -> dx: (N, C, H, W).
    """
    x, dout = np.asarray(x), np.asarray(dout)
    g = _pool_window(x.shape, f, stride, padding)
    _check_pooled(dout, x.shape, g)
    share = dout.reshape(1, -1) / (g.fh * g.fw)                          # (1, M)
    dcols = np.broadcast_to(share, (g.fh * g.fw, share.shape[1]))
    return _pool_col2im(dcols, x.shape, g)


def _check_pooled(dout: np.ndarray, x_shape: tuple[int, ...], g: Window) -> None:
    expected = (*x_shape[:2], g.h2, g.w2)
    if dout.shape != expected:
        raise ValueError(f"dout must have the pooled shape {expected}, got {dout.shape}.")


def _pool_col2im(dcols: np.ndarray, x_shape: tuple[int, int, int, int], g: Window) -> np.ndarray:
    """Scatter pooling gradients (FH*FW, N*C*H2*W2) back onto x's pixels: (N, C, H, W)."""
    n_images, channels, h, w = x_shape
    padded = (n_images * channels, 1, h + 2 * g.ph, w + 2 * g.pw)
    dxp = col2im(dcols, padded, g.fh, g.fw, (g.sh, g.sw))
    return dxp.reshape(n_images, channels, *padded[2:])[:, :, g.ph:g.ph + h, g.pw:g.pw + w]
