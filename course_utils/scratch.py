"""Convolution and pooling from scratch in NumPy: the reference code the lessons read.

Layout follows PyTorch: images are ``x: (N, C, H, W)`` (batch, channels, height, width),
kernels are ``w: (K, C, FH, FW)`` (K filters, each spanning all C input channels).
Like every deep-learning library, "convolution" here is cross-correlation: the kernel is
not flipped (lesson 03 shows the difference).

Every layer comes twice, in the style of CS231n's ``layers.py``: a plain loop version
(``*_naive``, the one to read first) and a vectorised one built on im2col (``*_im2col``).
A forward pass returns ``(out, cache)``; its backward pass takes ``(dout, cache)`` and
returns the gradients, so it always sees the settings the forward pass used.

- ``dense_forward`` / ``dense_backward``: the fully-connected layer (lesson 02).
- ``numerical_gradient`` / ``relative_error``: the gradient check every backward pass must pass.
- ``output_size``: how many positions a window takes along one axis; a configuration that
  does not tile the input is an error, never a silent floor.
- ``conv_forward_naive`` / ``conv_backward_naive``, ``conv_forward_im2col`` /
  ``conv_backward_im2col``.
- ``im2col`` / ``col2im``: every receptive field as one column of a matrix, and back.
- ``max_pool_forward_naive`` / ``max_pool_backward_naive``, ``max_pool_forward_im2col`` /
  ``max_pool_backward_im2col``, and the same four for ``avg_pool``.
- ``window_settings`` / ``pool_settings``: a window's stride, padding, dilation and output size
  per axis, checked against the input (what widgets that walk a window need).

``stride``, ``padding`` and ``dilation`` take an int (same for both axes) or a pair
``(along H, along W)``. Nothing here imports torch: the tests compare these functions with
``torch.nn.functional`` on hundreds of random configurations.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

IntOrPair = int | tuple[int, int]


# ----------------------------------------------------------------------------- dense layer

def dense_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """A fully-connected layer: every output is a weighted sum of all inputs plus a bias.

    x: (N, D) or (N, d1, ..., dk) with D = d1*...*dk (flattened per example), w: (D, M),
    b: (M,) -> out: (N, M) = x_flat @ w + b, cache = (x, w, b).
    """
    x, w, b = np.asarray(x), np.asarray(w), np.asarray(b)
    out = x.reshape(len(x), -1) @ w + b
    return out, (x, w, b)


def dense_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of dense_forward: dout (N, M), cache -> dx (shape of x), dw (D, M), db (M,).

    out = x_flat @ w + b, so dx = dout @ w.T, dw = x_flat.T @ dout (a sum over the batch) and
    db = dout summed over the batch.
    """
    x, w, b = cache
    dout = _check_dout(dout, (len(x), w.shape[1]))
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(len(x), -1).T @ dout
    return dx, dw, dout.sum(axis=0)


# ----------------------------------------------------------------------------- gradient check

def numerical_gradient(f, x: np.ndarray, dout: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """The gradient of ``sum(f(x) * dout)`` with respect to x by central differences.

    f: a function of the array x (any shape) returning an array shaped like dout. Each entry of
    x is nudged by +h and -h in place (and restored): grad = sum((f(x+h) - f(x-h)) * dout) / 2h.
    The error shrinks like h**2; use float64. -> grad, shaped like x.
    """
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        plus = np.sum(f(x) * dout)
        x[index] = saved - h
        minus = np.sum(f(x) * dout)
        x[index] = saved
        grad[index] = (plus - minus) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """The largest ``|a - b| / max(|a| + |b|, 1e-8)`` over all entries: about 1e-7 (below 1e-6) when a
    backward pass agrees with its numerical gradient, 1e-2 or more when it is wrong."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))


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


def _check_batch(x_shape: tuple[int, ...]) -> None:
    if len(x_shape) != 4:
        raise ValueError(f"x must be 4-D (N, C, H, W), got shape {tuple(x_shape)}; "
                         f"for one grey image use x[None, None], for one colour image x[None].")


def window_settings(x_shape: tuple[int, ...], fh: int, fw: int, stride: IntOrPair = 1,
                    padding: IntOrPair = 0, dilation: IntOrPair = 1) -> tuple[tuple[int, int], ...]:
    """Check a window against an input of shape (N, C, H, W) and spell out its settings as pairs.

    Returns ``(stride_h, stride_w), (pad_h, pad_w), (dil_h, dil_w), (out_h, out_w)``; raises
    ValueError naming the axis when the windows do not tile the padded input.
    """
    _check_batch(x_shape)
    strides, pads, dils = _pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation")
    sizes = []
    for axis, n, f, s, p, d in zip(("height", "width"), x_shape[2:], (fh, fw), strides, pads, dils):
        try:
            sizes.append(output_size(n, f, s, p, d))
        except ValueError as err:
            raise ValueError(f"Along the {axis} of x {tuple(x_shape)}: {err}") from None
    return strides, pads, dils, tuple(sizes)


def _pad(x: np.ndarray, pad_h: int, pad_w: int, value: float = 0) -> np.ndarray:
    """x: (N, C, H, W) -> (N, C, H + 2 pad_h, W + 2 pad_w), the border filled with ``value``."""
    if pad_h == pad_w == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w)), constant_values=value)


def _conv_inputs(x, w, b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, w, b as arrays after checking their shapes; a missing bias becomes zeros."""
    x, w = np.asarray(x), np.asarray(w)
    _check_batch(x.shape)
    if w.ndim != 4:
        raise ValueError(f"w must be 4-D (K, C, FH, FW), got shape {w.shape}; "
                         f"for one 2-D kernel use w[None, None].")
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"w has {w.shape[1]} input channels but x has {x.shape[1]}: "
                         f"x {x.shape}, w {w.shape}; w must have shape (K, {x.shape[1]}, FH, FW).")
    b = np.zeros(w.shape[0], dtype=np.result_type(x, w)) if b is None else np.asarray(b)
    if b.shape != (w.shape[0],):
        raise ValueError(f"b must have shape ({w.shape[0]},), one bias per filter, got {b.shape}.")
    return x, w, b


def _check_dout(dout, expected: tuple[int, ...]) -> np.ndarray:
    dout = np.asarray(dout)
    if dout.shape != tuple(expected):
        raise ValueError(f"dout must have the forward output's shape {tuple(expected)}, got {dout.shape}.")
    return dout


# ----------------------------------------------------------------------------- convolution, loops

def conv_forward_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: IntOrPair = 1,
                       padding: IntOrPair = 0, dilation: IntOrPair = 1) -> tuple[np.ndarray, tuple]:
    """Convolution (cross-correlation) with explicit loops: clear, and slow.

    x: (N, C, H, W), w: (K, C, FH, FW), b: (K,) or None -> out: (N, K, H2, W2), cache, with
    H2 = (H - FH + 2P)/S + 1 (FH replaced by D * (FH - 1) + 1 when dilated by D).
    out[n, k, i, j] = sum over c, u, v of xpad[n, c, i*S + u*D, j*S + v*D] * w[k, c, u, v] + b[k]
    """
    x, w, b = _conv_inputs(x, w, b)
    n_images, _, _, _ = x.shape
    n_filters, _, fh, fw = w.shape
    (stride_h, stride_w), (pad_h, pad_w), (dil_h, dil_w), (out_h, out_w) = window_settings(
        x.shape, fh, fw, stride, padding, dilation)
    xpad = _pad(x, pad_h, pad_w)
    out = np.zeros((n_images, n_filters, out_h, out_w), dtype=np.result_type(x, w, b))
    for n in range(n_images):
        for k in range(n_filters):
            for i in range(out_h):
                for j in range(out_w):
                    top, left = i * stride_h, j * stride_w
                    field = xpad[n, :, top:top + dil_h * (fh - 1) + 1:dil_h,
                                 left:left + dil_w * (fw - 1) + 1:dil_w]      # (C, FH, FW)
                    out[n, k, i, j] = np.sum(field * w[k]) + b[k]
    return out, (x, w, b, stride, padding, dilation)


def conv_backward_naive(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of a convolution with explicit loops: every output value sends dout back along
    the products that made it.

    dout: (N, K, H2, W2), cache from conv_forward_naive -> dx: (N, C, H, W), dw: (K, C, FH, FW),
    db: (K,). Where windows overlap, a pixel collects the sum of its windows' gradients; dw and
    db sum over every image and position.
    """
    x, w, b, stride, padding, dilation = cache
    n_images, _, height, width = x.shape
    n_filters, _, fh, fw = w.shape
    (stride_h, stride_w), (pad_h, pad_w), (dil_h, dil_w), (out_h, out_w) = window_settings(
        x.shape, fh, fw, stride, padding, dilation)
    dout = _check_dout(dout, (n_images, n_filters, out_h, out_w))
    xpad = _pad(x, pad_h, pad_w)
    dxpad = np.zeros(xpad.shape, dtype=np.result_type(dout, x, w))
    dw = np.zeros(w.shape, dtype=np.result_type(dout, x))
    for n in range(n_images):
        for k in range(n_filters):
            for i in range(out_h):
                for j in range(out_w):
                    rows = slice(i * stride_h, i * stride_h + dil_h * (fh - 1) + 1, dil_h)
                    cols = slice(j * stride_w, j * stride_w + dil_w * (fw - 1) + 1, dil_w)
                    dw[k] += dout[n, k, i, j] * xpad[n, :, rows, cols]
                    dxpad[n, :, rows, cols] += dout[n, k, i, j] * w[k]
    db = dout.sum(axis=(0, 2, 3))
    return dxpad[:, :, pad_h:pad_h + height, pad_w:pad_w + width], dw, db


# ----------------------------------------------------------------------------- convolution, im2col

def im2col(x: np.ndarray, fh: int, fw: int, stride: IntOrPair = 1, padding: IntOrPair = 0,
           dilation: IntOrPair = 1) -> np.ndarray:
    """Stretch every receptive field into a column.

    x: (N, C, H, W) -> cols: (C*FH*FW, N*H2*W2). Row order (c, u, v) matches
    ``w.reshape(K, -1)``; column order (n, i, j). For AlexNet conv1 (x 1x3x227x227, 11x11,
    stride 4) cols is 363 x 3025. Overlapping fields are copied, so cols is larger than x.
    """
    x = np.asarray(x)
    (stride_h, stride_w), (pad_h, pad_w), (dil_h, dil_w), (out_h, out_w) = window_settings(
        x.shape, fh, fw, stride, padding, dilation)
    n_images, channels = x.shape[:2]
    span = (dil_h * (fh - 1) + 1, dil_w * (fw - 1) + 1)
    every_start = sliding_window_view(_pad(x, pad_h, pad_w), span, axis=(2, 3))  # a view, no copy
    fields = every_start[:, :, ::stride_h, ::stride_w, ::dil_h, ::dil_w]  # (N, C, H2, W2, FH, FW)
    cols = fields.transpose(1, 4, 5, 0, 2, 3)                             # (C, FH, FW, N, H2, W2)
    return cols.reshape(channels * fh * fw, n_images * out_h * out_w)    # the one copy


def col2im(cols: np.ndarray, x_shape: tuple[int, int, int, int], fh: int, fw: int,
           stride: IntOrPair = 1, padding: IntOrPair = 0, dilation: IntOrPair = 1) -> np.ndarray:
    """The adjoint of im2col: add every column back onto the pixels it came from.

    cols: (C*FH*FW, N*H2*W2) -> (N, C, H, W). Pixels shared by overlapping fields receive the
    sum of their entries, which is exactly what a gradient needs. Padding is cut off.
    """
    n_images, channels, height, width = x_shape
    (stride_h, stride_w), (pad_h, pad_w), (dil_h, dil_w), (out_h, out_w) = window_settings(
        x_shape, fh, fw, stride, padding, dilation)
    cols = np.asarray(cols).reshape(channels, fh, fw, n_images, out_h, out_w)
    out = np.zeros((n_images, channels, height + 2 * pad_h, width + 2 * pad_w), dtype=cols.dtype)
    for u in range(fh):            # one kernel offset at a time: its fields never overlap
        for v in range(fw):
            top, left = u * dil_h, v * dil_w
            out[:, :, top:top + stride_h * (out_h - 1) + 1:stride_h,
                left:left + stride_w * (out_w - 1) + 1:stride_w] += cols[:, u, v].transpose(1, 0, 2, 3)
    return out[:, :, pad_h:pad_h + height, pad_w:pad_w + width]


def conv_forward_im2col(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: IntOrPair = 1,
                        padding: IntOrPair = 0, dilation: IntOrPair = 1) -> tuple[np.ndarray, tuple]:
    """Convolution as one matrix product: W_row (K, C*FH*FW) @ X_col (C*FH*FW, N*H2*W2).

    x: (N, C, H, W), w: (K, C, FH, FW), b: (K,) or None -> out: (N, K, H2, W2), cache; the
    same numbers as conv_forward_naive. For AlexNet conv1: 96x363 @ 363x3025 = 96x3025 -> 55x55x96.
    """
    x, w, b = _conv_inputs(x, w, b)
    n_filters, _, fh, fw = w.shape
    *_, (out_h, out_w) = window_settings(x.shape, fh, fw, stride, padding, dilation)
    cols = im2col(x, fh, fw, stride, padding, dilation)          # (C*FH*FW, N*H2*W2)
    out = w.reshape(n_filters, -1) @ cols + b[:, None]            # (K, N*H2*W2)
    out = out.reshape(n_filters, x.shape[0], out_h, out_w).transpose(1, 0, 2, 3)
    return np.ascontiguousarray(out), (x, w, cols, stride, padding, dilation)


def conv_backward_im2col(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of conv_forward_im2col: the matrix product's rule, then col2im.

    dout: (N, K, H2, W2), cache -> dx: (N, C, H, W), dw: (K, C, FH, FW), db: (K,).
    The forward pass is out = W_row @ X_col + b, so dW_row = dout_rows @ X_col.T,
    dX_col = W_row.T @ dout_rows (scattered back to pixels by col2im), db = sum of dout.
    dx is itself a convolution: dout (spread out by the stride, zero-padded) with the kernel
    rotated by 180 degrees and its channel axes swapped; lesson 03 checks that against autograd.
    """
    x, w, cols, stride, padding, dilation = cache
    n_filters, _, fh, fw = w.shape
    *_, (out_h, out_w) = window_settings(x.shape, fh, fw, stride, padding, dilation)
    dout = _check_dout(dout, (x.shape[0], n_filters, out_h, out_w))
    dout_rows = dout.transpose(1, 0, 2, 3).reshape(n_filters, -1)      # (K, N*H2*W2)
    dw = (dout_rows @ cols.T).reshape(w.shape)
    dcols = w.reshape(n_filters, -1).T @ dout_rows                      # (C*FH*FW, N*H2*W2)
    dx = col2im(dcols, x.shape, fh, fw, stride, padding, dilation)
    return dx, dw, dout.sum(axis=(0, 2, 3))


# ----------------------------------------------------------------------------- pooling

def pool_settings(x_shape: tuple[int, ...], f: IntOrPair, stride: IntOrPair | None = None,
                  padding: IntOrPair = 0) -> tuple[tuple[int, int], ...]:
    """A pooling window's settings as pairs: ``(fh, fw), (stride_h, stride_w), (pad_h, pad_w),
    (out_h, out_w)``. The stride defaults to the window (windows side by side); padding may be
    at most half the window, as in PyTorch, so no window holds only padding."""
    fh, fw = _pair(f, "f")
    strides, pads, _, out_size = window_settings(x_shape, fh, fw, (fh, fw) if stride is None else stride, padding)
    if pads[0] > fh // 2 or pads[1] > fw // 2:
        raise ValueError(f"padding {pads} must be at most half the window {(fh, fw)}, "
                         f"otherwise some windows hold only padding.")
    return (fh, fw), strides, pads, out_size


def _lowest(dtype: np.dtype) -> float:
    """A padding value that never wins a max: -inf for floats, the smallest integer otherwise."""
    return -np.inf if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).min


def _pool_naive(x, f, stride, padding, reduce, fill) -> tuple[np.ndarray, tuple]:
    """Loop over every window of every channel and reduce it (max or mean): (N, C, H2, W2), cache."""
    x = np.asarray(x)
    (fh, fw), (stride_h, stride_w), (pad_h, pad_w), (out_h, out_w) = pool_settings(x.shape, f, stride, padding)
    xpad = _pad(x, pad_h, pad_w, fill)
    out = np.zeros((*x.shape[:2], out_h, out_w), dtype=reduce(xpad[:1, :1, :1, :1]).dtype)
    for i in range(out_h):
        for j in range(out_w):
            top, left = i * stride_h, j * stride_w
            out[:, :, i, j] = reduce(xpad[:, :, top:top + fh, left:left + fw])
    return out, (x, f, stride, padding)


def max_pool_forward_naive(x: np.ndarray, f: IntOrPair, stride: IntOrPair | None = None,
                           padding: IntOrPair = 0) -> tuple[np.ndarray, tuple]:
    """Max pooling with loops: the largest value of each FH x FW window, channel by channel.

    x: (N, C, H, W) -> out: (N, C, H2, W2), cache; H2 = (H - F + 2P)/S + 1, stride defaults
    to F. Padding is filled with -inf, so it is never the max. No parameters: nothing is learned.
    """
    x = np.asarray(x)
    return _pool_naive(x, f, stride, padding, lambda field: field.max(axis=(2, 3)), _lowest(x.dtype))


def max_pool_backward_naive(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of max pooling with loops: each window passes dout only to its arg-max, the "switch".

    dout: (N, C, H2, W2), cache from max_pool_forward_naive -> dx: (N, C, H, W).
    A tie goes to the first maximum in row-major window order (np.argmax), as PyTorch does on
    the CPU, never to every tied pixel. Where windows overlap, a pixel that is the max of
    several windows sums their gradients.
    """
    x, f, stride, padding = cache
    n_images, channels, height, width = x.shape
    (fh, fw), (stride_h, stride_w), (pad_h, pad_w), (out_h, out_w) = pool_settings(x.shape, f, stride, padding)
    dout = _check_dout(dout, (n_images, channels, out_h, out_w))
    xpad = _pad(x, pad_h, pad_w, _lowest(x.dtype))
    dxpad = np.zeros(xpad.shape, dtype=np.result_type(dout, float))
    for n in range(n_images):
        for c in range(channels):
            for i in range(out_h):
                for j in range(out_w):
                    top, left = i * stride_h, j * stride_w
                    field = xpad[n, c, top:top + fh, left:left + fw]
                    u, v = np.unravel_index(np.argmax(field), field.shape)
                    dxpad[n, c, top + u, left + v] += dout[n, c, i, j]
    return dxpad[:, :, pad_h:pad_h + height, pad_w:pad_w + width]


def avg_pool_forward_naive(x: np.ndarray, f: IntOrPair, stride: IntOrPair | None = None,
                           padding: IntOrPair = 0) -> tuple[np.ndarray, tuple]:
    """Average pooling with loops: the mean of each FH x FW window, channel by channel.

    x: (N, C, H, W) -> out: (N, C, H2, W2), cache; stride defaults to F. Padding is zeros and
    counts towards the average (PyTorch's default, count_include_pad=True).
    """
    return _pool_naive(x, f, stride, padding, lambda field: field.mean(axis=(2, 3)), 0)


def avg_pool_backward_naive(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of average pooling with loops: each window shares dout equally among its pixels.

    dout: (N, C, H2, W2), cache from avg_pool_forward_naive -> dx: (N, C, H, W).
    """
    x, f, stride, padding = cache
    n_images, channels, height, width = x.shape
    (fh, fw), (stride_h, stride_w), (pad_h, pad_w), (out_h, out_w) = pool_settings(x.shape, f, stride, padding)
    dout = _check_dout(dout, (n_images, channels, out_h, out_w))
    dxpad = np.zeros((n_images, channels, height + 2 * pad_h, width + 2 * pad_w), dtype=np.result_type(dout, float))
    for i in range(out_h):
        for j in range(out_w):
            top, left = i * stride_h, j * stride_w
            dxpad[:, :, top:top + fh, left:left + fw] += dout[:, :, i, j, None, None] / (fh * fw)
    return dxpad[:, :, pad_h:pad_h + height, pad_w:pad_w + width]


def _pool_cols(x: np.ndarray, f, stride, padding, fill) -> np.ndarray:
    """Every window of every channel as a column: x (N, C, H, W) -> (FH*FW, N*C*H2*W2).

    Pooling treats channels independently, so they are folded into the batch and im2col runs
    on one-channel images, padded here with ``fill`` (-inf for max, 0 for average).
    """
    (fh, fw), strides, (pad_h, pad_w), _ = pool_settings(x.shape, f, stride, padding)
    n_images, channels, height, width = x.shape
    xpad = _pad(x, pad_h, pad_w, fill).reshape(n_images * channels, 1, height + 2 * pad_h, width + 2 * pad_w)
    return im2col(xpad, fh, fw, strides)


def _pool_col2im(dcols: np.ndarray, x_shape: tuple[int, ...], f, stride, padding) -> np.ndarray:
    """The gradient columns (FH*FW, N*C*H2*W2) of _pool_cols scattered back onto x: (N, C, H, W)."""
    (fh, fw), strides, pads, _ = pool_settings(x_shape, f, stride, padding)
    n_images, channels, height, width = x_shape
    dx = col2im(dcols, (n_images * channels, 1, height, width), fh, fw, strides, pads)
    return dx.reshape(x_shape)


def max_pool_forward_im2col(x: np.ndarray, f: IntOrPair, stride: IntOrPair | None = None,
                            padding: IntOrPair = 0) -> tuple[np.ndarray, tuple]:
    """Max pooling, vectorised: the max of each im2col column. Same result as max_pool_forward_naive.

    x: (N, C, H, W) -> out: (N, C, H2, W2), cache holding the switches (the arg-max of each window).
    """
    x = np.asarray(x)
    *_, (out_h, out_w) = pool_settings(x.shape, f, stride, padding)
    cols = _pool_cols(x, f, stride, padding, _lowest(x.dtype))      # (FH*FW, N*C*H2*W2)
    switches = cols.argmax(axis=0)                                  # first maximum on ties
    out = cols[switches, np.arange(cols.shape[1])].reshape(*x.shape[:2], out_h, out_w)
    return out, (x.shape, switches, f, stride, padding)


def max_pool_backward_im2col(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of max_pool_forward_im2col: dout goes to each window's switch, then col2im.

    dout: (N, C, H2, W2), cache -> dx: (N, C, H, W).
    """
    x_shape, switches, f, stride, padding = cache
    (fh, fw), _, _, out_size = pool_settings(x_shape, f, stride, padding)
    dout = _check_dout(dout, (*x_shape[:2], *out_size))
    dcols = np.zeros((fh * fw, switches.size), dtype=np.result_type(dout, float))
    dcols[switches, np.arange(switches.size)] = dout.reshape(-1)
    return _pool_col2im(dcols, x_shape, f, stride, padding)


def avg_pool_forward_im2col(x: np.ndarray, f: IntOrPair, stride: IntOrPair | None = None,
                            padding: IntOrPair = 0) -> tuple[np.ndarray, tuple]:
    """Average pooling, vectorised: the mean of each im2col column (zero padding counts).

    x: (N, C, H, W) -> out: (N, C, H2, W2), cache.
    """
    x = np.asarray(x)
    *_, (out_h, out_w) = pool_settings(x.shape, f, stride, padding)
    out = _pool_cols(x, f, stride, padding, 0).mean(axis=0).reshape(*x.shape[:2], out_h, out_w)
    return out, (x.shape, f, stride, padding)


def avg_pool_backward_im2col(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of avg_pool_forward_im2col: dout / (FH*FW) in every row of its column, then col2im.

    dout: (N, C, H2, W2), cache -> dx: (N, C, H, W).
    """
    x_shape, f, stride, padding = cache
    (fh, fw), _, _, out_size = pool_settings(x_shape, f, stride, padding)
    dout = _check_dout(dout, (*x_shape[:2], *out_size))
    share = dout.reshape(1, -1) / (fh * fw)                               # (1, N*C*H2*W2)
    dcols = np.broadcast_to(share, (fh * fw, share.shape[1]))
    return _pool_col2im(dcols, x_shape, f, stride, padding)
