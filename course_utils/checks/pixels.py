"""Checkers for lesson 01 (pixels as features).

- ``check_flatten_normalise(f)``: uint8 tensor (N, H, W) -> float32 tensor (N, H*W) in [0, 1];
- ``check_to_pytorch_layout(f)``: NumPy photos (N, H, W, 3) uint8 -> torch float32 (N, 3, H, W) in [0, 1];
- ``check_dense_weights(f)``: weights of one dense neuron that sees a whole H x W x C image.

``flatten_normalise_reference`` and ``to_pytorch_reference`` are the course's answers, which the
cells after an exercise use while the student's own is not done (``checks.yours_or_reference``).
"""
from __future__ import annotations

import numpy as np
import torch

from . import Feedback, attempt, checker, close, expect_int, expect_tensor, right, shape_of, to_numpy, wrong


def _uint8_images(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Random uint8 images with every item's brightest pixel below 255 except in item 0,
    so dividing by each image's maximum is told apart from dividing by 255."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 200, size=shape, dtype=np.uint8)
    images.reshape(shape[0], -1)[0, 0] = 255
    return images


def flatten_normalise_reference(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (N, H, W) -> float32 (N, H*W) in [0, 1], one row per image."""
    return images.reshape(len(images), -1).float() / 255


@checker
def check_flatten_normalise(flatten_normalise) -> Feedback:
    """``flatten_normalise(images)``: images uint8 tensor (N, H, W) -> float32 tensor (N, H*W) in [0, 1]."""
    for shape, seed in (((5, 28, 28), 0), ((3, 4, 6), 1), ((1, 28, 28), 2)):
        images = _uint8_images(shape, seed)
        n, h, w = shape
        got_raw = attempt(flatten_normalise, torch.from_numpy(images.copy()))
        if not isinstance(got_raw, (torch.Tensor, np.ndarray)):
            return wrong(expect_tensor(got_raw, (n, h * w), torch.float32, f"for images {shape} your function"))
        got = to_numpy(got_raw)
        x = images.astype(np.float64)
        expected = x.reshape(n, h * w) / 255
        if close(got, expected):
            bad = expect_tensor(got_raw, (n, h * w), torch.float32, "your function")
            if bad:
                return wrong(bad)
            continue
        gshape = shape_of(got)
        if gshape == (n, h, w):
            return wrong(f"the result still has shape {gshape}: you normalised but did not flatten; "
                         "use images.reshape(len(images), -1) or images.flatten(1).")
        if gshape == (n * h * w,):
            return wrong(f"the result has shape {gshape}: you flattened the batch axis too. "
                         f"Keep one row per image, shape ({n}, {h * w}): use flatten(1), not flatten().")
        if gshape == (h * w, n):
            return wrong(f"the result has shape {gshape}, transposed: put the images in rows, "
                         f"shape ({n}, {h * w}).")
        if gshape != (n, h * w):
            return wrong(f"for images of shape {shape} the result should have shape ({n}, {h * w}), "
                         f"one row of {h * w} features per image, not {gshape}.")
        if close(got, x.reshape(n, h * w)):
            return wrong("the values still run from 0 to 255: you forgot to divide by 255.")
        if close(got, np.floor(x.reshape(n, h * w) / 255)):
            return wrong("almost every value is 0: that is integer division. Convert to float "
                         "first (images.float() / 255).")
        if close(got, x.reshape(n, h * w) / 256):
            return wrong("divide by 255, not 256, so that white (255) becomes exactly 1.0.")
        per_image_max = x.reshape(n, -1).max(axis=1, keepdims=True)
        if close(got, x.reshape(n, h * w) / per_image_max):
            return wrong("you divided each image by its own brightest pixel; divide every image "
                         "by 255 so that one value means the same brightness in every picture.")
        if close(got, x.transpose(0, 2, 1).reshape(n, h * w) / 255):
            return wrong("the features come column by column: the image was transposed before "
                         "flattening. Flatten row by row (reshape without transposing).")
        if got.size and (got.min() < 0 or got.max() > 1):
            return wrong(f"values should lie in [0, 1] but run from {got.min():.4g} to {got.max():.4g}.")
        return wrong(expect_tensor(got_raw, (n, h * w), torch.float32, "your function")
                     or f"the shape ({n}, {h * w}) is right but the values differ from images / 255 "
                     "laid out row by row.")
    return right("each image is now a row of features in [0, 1], ready for a linear layer.")


def to_pytorch_reference(photos: np.ndarray) -> torch.Tensor:
    """NumPy uint8 photos (N, H, W, 3) -> float32 tensor (N, 3, H, W) in [0, 1]."""
    return torch.from_numpy(photos).permute(0, 3, 1, 2).float() / 255


@checker
def check_to_pytorch_layout(to_pytorch) -> Feedback:
    """``to_pytorch(photos)``: NumPy uint8 (N, H, W, 3) -> torch float32 (N, 3, H, W) in [0, 1]."""
    for shape, seed in (((2, 5, 7, 3), 0), ((1, 6, 4, 3), 1), ((3, 3, 3, 3), 2)):
        photos = _uint8_images(shape, seed)
        n, h, w, c = shape
        got_raw = attempt(to_pytorch, photos.copy())
        if not isinstance(got_raw, (torch.Tensor, np.ndarray)):
            return wrong(expect_tensor(got_raw, (n, c, h, w), torch.float32, f"for photos {shape} your function"))
        got = to_numpy(got_raw)
        x = photos.astype(np.float64)
        expected = x.transpose(0, 3, 1, 2) / 255
        if close(got, expected):
            bad = expect_tensor(got_raw, (n, c, h, w), torch.float32, "your function")
            if bad:
                return wrong(bad)
            continue
        gshape = shape_of(got)
        if gshape == shape and h != w:
            return wrong(f"the result still has shape {gshape}, channels last; PyTorch wants "
                         f"(N, C, H, W) = {(n, c, h, w)}: use .permute(0, 3, 1, 2).")
        if gshape == (n, c, w, h) and h != w:
            return wrong(f"the result has shape {gshape}: height and width are swapped. "
                         "The axes of (N, H, W, C) go to positions (0, 3, 1, 2).")
        if gshape != (n, c, h, w):
            return wrong(f"for photos of shape {shape} the result should have shape {(n, c, h, w)}, "
                         f"not {gshape}.")
        if close(got, x.reshape(n, c, h, w) / 255) or close(got, x.reshape(n, c, h, w)):
            return wrong("the shape is right but the pixels are scrambled: reshape/view only "
                         "re-reads memory in a new shape. Move axes with .permute(0, 3, 1, 2).")
        if close(got, x.transpose(0, 3, 1, 2)):
            return wrong("the layout is right but the values run from 0 to 255: divide by 255.")
        if close(got, np.floor(expected)):
            return wrong("almost every value is 0: that is integer division. Convert to float "
                         "first (.float() / 255).")
        if close(got, x.transpose(0, 3, 2, 1) / 255):
            return wrong("height and width are swapped (each picture is transposed): use .permute(0, 3, 1, 2).")
        if close(got, x[..., ::-1].transpose(0, 3, 1, 2).copy() / 255):
            return wrong("the channels come out as B, G, R: keep their order, only move the axis.")
        return wrong(expect_tensor(got_raw, (n, c, h, w), torch.float32, "your function")
                     or "the shape is right but the values differ from photos / 255 with the channel "
                     "axis moved to position 1.")
    return right("channels first, floats in [0, 1]: the layout PyTorch's layers expect.")


@checker
def check_dense_weights(dense_weights) -> Feedback:
    """``dense_weights(h, w, c)``: how many weights one dense neuron has on an H x W x C image."""
    for h, w, c in ((32, 32, 3), (200, 200, 3), (28, 28, 1), (5, 7, 2)):
        got = attempt(dense_weights, h, w, c)
        bad = expect_int(got, f"dense_weights({h}, {w}, {c})")
        if bad:
            return wrong(bad)
        expected = h * w * c
        if got == expected:
            continue
        if got == expected + 1:
            return wrong(f"{got} counts the bias too; the question asks for the weights only "
                         f"({expected}; the bias is one parameter more).")
        if got == h * w and c > 1:
            return wrong(f"{got} forgets the channels: every pixel has {c} values, each with its own weight.")
        if got == h + w + c or got == (h + w) * c:
            return wrong("the neuron has one weight per input value, so multiply the sizes, don't add them.")
        return wrong(f"dense_weights({h}, {w}, {c}) returned {got}; count one weight per input value.")
    return right("one neuron on a 200x200 colour photo already has 120,000 weights.")
