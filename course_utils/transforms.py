"""Whole-batch image transforms on tensors (no per-item Python loops), used for the shift
experiments, for data augmentation during training and for blurring in lesson 08.
"""
from __future__ import annotations

import math

import torch
from torch.nn import functional as F


def shift(x: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """Translate images by whole pixels, filling with zeros (black).

    x: (..., H, W); dx > 0 moves content right, dy > 0 moves it down. Returns the same shape.
    """
    h, w = x.shape[-2:]
    out = torch.zeros_like(x)
    if abs(dx) >= w or abs(dy) >= h:
        return out
    src_y = slice(max(0, -dy), h - max(0, dy))
    src_x = slice(max(0, -dx), w - max(0, dx))
    dst_y = slice(max(0, dy), h - max(0, -dy))
    dst_x = slice(max(0, dx), w - max(0, -dx))
    out[..., dst_y, dst_x] = x[..., src_y, src_x]
    return out


def random_augment(x: torch.Tensor, max_shift: int = 2, max_degrees: float = 10.0,
                   flip: bool = True, generator: torch.Generator | None = None) -> torch.Tensor:
    """Random shifts, small rotations and horizontal flips of a whole batch in one resampling.

    x: (N, C, H, W) on any device. Each image gets its own shift (up to ``max_shift`` pixels),
    rotation (up to ``max_degrees``) and, when ``flip``, a 50% chance of a mirror image.
    """
    n, _, h, w = x.shape
    rand = lambda *s: torch.rand(*s, generator=generator).to(x.device)  # noqa: E731
    angle = (rand(n) * 2 - 1) * math.radians(max_degrees)
    sign = torch.where(rand(n) < 0.5, -1.0, 1.0).to(x.device) if flip else torch.ones(n, device=x.device)
    tx = (rand(n) * 2 - 1) * max_shift * 2 / w
    ty = (rand(n) * 2 - 1) * max_shift * 2 / h
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([cos * sign, -sin, tx], 1),
                         torch.stack([sin * sign, cos, ty], 1)], 1).to(x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def gaussian_filter(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Blur images x (N, C, H, W) with a Gaussian of std ``sigma`` pixels (separable, reflect padding).

    Not ``kernels.gaussian_blur``, which builds the small integer kernel of lesson 03.
    """
    radius = max(1, int(round(3 * sigma)))
    coords = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-coords ** 2 / (2 * sigma ** 2))
    kernel = kernel / kernel.sum()
    c = x.shape[1]
    x = F.pad(x, (radius, radius, radius, radius), mode="reflect")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
