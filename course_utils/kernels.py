"""Image filtering with small kernels: the classic kernels of lesson 03, grey images from the
photos, and the plain functions behind the convolution and pooling explorers (what the widgets
show for given control values), so tests can call them without a browser.

Images here are single 2-D arrays ``(H, W)``; the work is done by ``course_utils.scratch``.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

from . import scratch

PRESETS = ("identity", "box blur", "gaussian blur", "sharpen", "sobel x", "sobel y")
CUSTOM = "custom 3x3"
POOL_KINDS = ("max", "average")


# ----------------------------------------------------------------------------- images

def to_gray(photo: np.ndarray) -> np.ndarray:
    """A uint8 colour photo (H, W, 3) as grey values (H, W) in [0, 1] (ITU-R 601 luma weights)."""
    photo = np.asarray(photo)
    if photo.ndim != 3 or photo.shape[-1] != 3:
        raise ValueError(f"photo must be (H, W, 3), got shape {photo.shape}.")
    return photo.astype(np.float64) @ np.array([0.299, 0.587, 0.114]) / 255.0


def shrink(image: np.ndarray, factor: int) -> np.ndarray:
    """Make an image (H, W) ``factor`` times smaller by averaging factor x factor blocks.

    The last rows/columns that do not fill a whole block are cropped first.
    """
    image = np.asarray(image, dtype=float)
    h, w = (image.shape[0] // factor) * factor, (image.shape[1] // factor) * factor
    pooled, _ = scratch.avg_pool_forward_im2col(image[None, None, :h, :w], factor)
    return pooled[0, 0]


# ----------------------------------------------------------------------------- kernels

def _check_size(size: int, smallest: int = 1) -> None:
    if size < smallest or size % 2 == 0:
        raise ValueError(f"kernel size must be odd and at least {smallest} (so it has a centre), got {size}.")


def identity(size: int = 3) -> np.ndarray:
    """(size, size) zeros with a 1 in the centre: the output equals the input."""
    _check_size(size)
    k = np.zeros((size, size))
    k[size // 2, size // 2] = 1.0
    return k


def box_blur(size: int = 3) -> np.ndarray:
    """(size, size) of 1/size^2: every output pixel is the mean of its neighbourhood."""
    _check_size(size)
    return np.full((size, size), 1.0 / size**2)


def binomial(n: int) -> np.ndarray:
    """Row n of Pascal's triangle, e.g. [1, 2, 1] for n=2: a cheap stand-in for a Gaussian."""
    return np.array([comb(n, i) for i in range(n + 1)], dtype=float)


def gaussian_blur(size: int = 3) -> np.ndarray:
    """(size, size) Gaussian-like weights (binomial coefficients), largest in the centre, sum 1."""
    _check_size(size)
    row = binomial(size - 1)
    k = np.outer(row, row)
    return k / k.sum()


def sharpen(size: int = 3) -> np.ndarray:
    """(size, size) image + (image - blur): boosts what differs from its neighbourhood."""
    return 2 * identity(size) - box_blur(size)


def sobel_x(size: int = 3) -> np.ndarray:
    """(size, size) horizontal gradient (responds to vertical edges): smooth down, differentiate across.

    size 3 gives [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]].
    """
    _check_size(size, smallest=3)
    derivative = 0.0 - np.convolve(binomial(size - 2), [1, -1])    # [-1, 0, 1] for size 3
    return np.outer(binomial(size - 1), derivative)


def sobel_y(size: int = 3) -> np.ndarray:
    """(size, size) vertical gradient (responds to horizontal edges): sobel_x transposed."""
    return sobel_x(size).T


_MAKERS = {"identity": identity, "box blur": box_blur, "gaussian blur": gaussian_blur,
           "sharpen": sharpen, "sobel x": sobel_x, "sobel y": sobel_y}


def preset_kernel(name: str, size: int = 3) -> np.ndarray:
    """One of PRESETS at the given odd size, as a (size, size) array."""
    if name not in _MAKERS:
        raise ValueError(f"unknown kernel {name!r}; choose one of {', '.join(PRESETS)}.")
    return _MAKERS[name](size)


# ----------------------------------------------------------------------------- filtering

def filter2d(image: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0,
             dilation: int = 1) -> np.ndarray:
    """Slide ``kernel`` (FH, FW) over ``image`` (H, W) (cross-correlation, as in CNNs) -> (H2, W2)."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"image and kernel must be 2-D, got shapes {image.shape} and {kernel.shape}.")
    out, _ = scratch.conv_forward_im2col(image[None, None], kernel[None, None], None, stride, padding, dilation)
    return out[0, 0]


def same_padding(f: int) -> int:
    """The padding P = (F - 1) / 2 that keeps the size at stride 1 (F odd)."""
    if f % 2 == 0:
        raise ValueError(f"an even kernel ({f}) cannot keep the size with the same padding on both sides.")
    return (f - 1) // 2


def filter_same(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """filter2d at stride 1 with zero padding (F - 1)/2: the output has the input's size."""
    return filter2d(image, kernel, padding=same_padding(np.asarray(kernel).shape[0]))


def edge_magnitude(image: np.ndarray) -> np.ndarray:
    """sqrt(gx^2 + gy^2) from the 3x3 Sobel filters, same size as ``image`` (H, W)."""
    gx, gy = filter_same(image, sobel_x()), filter_same(image, sobel_y())
    return np.sqrt(gx**2 + gy**2)


# ----------------------------------------------------------------------------- explorers

@dataclass
class ConvView:
    """What the convolution explorer shows: input, kernel, output (None when invalid) and a caption."""

    image: np.ndarray
    kernel: np.ndarray
    output: np.ndarray | None
    message: str
    padding: int = 0

    @property
    def ok(self) -> bool:
        return self.output is not None

    @property
    def padded(self) -> np.ndarray:
        """The input with its frame of zeros, as the kernel sees it: (H + 2P, W + 2P)."""
        return np.pad(self.image, self.padding)


def conv_view(image: np.ndarray, preset: str = "identity", size: int = 3, stride: int = 1,
              padding: int = 0, dilation: int = 1, custom: np.ndarray | None = None) -> ConvView:
    """Filter ``image`` (H, W) with a preset kernel (or ``custom`` (3, 3) when preset is CUSTOM).

    An invalid setting does not raise: the view carries no output and the ValueError's message.
    """
    image = np.asarray(image, dtype=float)
    try:
        kernel = np.asarray(custom, dtype=float) if preset == CUSTOM else preset_kernel(preset, size)
    except ValueError as err:
        return ConvView(image, np.zeros((1, 1)), None, f"Invalid setting: {err}", padding)
    try:
        out = filter2d(image, kernel, stride, padding, dilation)
    except ValueError as err:
        return ConvView(image, kernel, None, f"Invalid setting: {err}", padding)
    h, w = image.shape
    f = kernel.shape[0]
    span = dilation * (f - 1) + 1
    spans = f" (spans {span}x{span} with dilation {dilation})" if dilation > 1 else ""
    message = (f"input {h}x{w}, kernel {f}x{f}{spans}, stride {stride}, padding {padding} -> "
               f"output {out.shape[0]}x{out.shape[1]}; rows: ({h} - {span} + 2*{padding})/{stride} + 1 "
               f"= {out.shape[0]}")
    return ConvView(image, kernel, out, message, padding)


@dataclass
class PoolView:
    """What the pooling explorer shows: input, output (None when invalid) and a caption."""

    image: np.ndarray
    output: np.ndarray | None
    message: str

    @property
    def ok(self) -> bool:
        return self.output is not None


def pool_view(image: np.ndarray, kind: str = "max", f: int = 2, stride: int = 2) -> PoolView:
    """Pool ``image`` (H, W) with an f x f window ("max" or "average"); invalid settings give a message."""
    if kind not in POOL_KINDS:
        raise ValueError(f"unknown pooling kind {kind!r}; choose one of {', '.join(POOL_KINDS)}.")
    pool = scratch.max_pool_forward_im2col if kind == "max" else scratch.avg_pool_forward_im2col
    image = np.asarray(image, dtype=float)
    try:
        out = pool(image[None, None], f, stride)[0][0, 0]
    except ValueError as err:
        return PoolView(image, None, f"Invalid setting: {err}")
    h, w = image.shape
    kept = out.size / image.size
    return PoolView(image, out, f"{kind} pooling {f}x{f}, stride {stride}: {h}x{w} -> {out.shape[0]}x{out.shape[1]} "
                                f"({kept:.1%} of the values kept, 0 parameters)")
