"""Pixels as features (lesson 01) and how they break when a picture moves (lessons 01 and 05).

- ``accuracy_under_shift``: a classifier's accuracy as the images move by 0, 1, 2 ... pixels;
- ``adjust_contrast`` and ``shifted_view``: what lesson 01's explorer shows for its slider values;
- ``block_classifier`` and ``block_size_experiment``: the simplest hand-made features, pixel
  averages over b x b blocks, fed to a linear classifier;
- ``edge_maps`` and ``change_under_shift`` (lesson 04): how much fixed edge features change when
  the picture moves, with and without pooling.

Plain tensors and numbers in and out; the figures and widgets live in ``plots`` and ``widgets``.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from . import config, kernels
from .evaluation import class_probabilities
from .models import NUM_CLASSES
from .train import evaluate, fit, predict
from .transforms import shift

#: the four directions an image is moved in: right, left, down, up (dx, dy per pixel of shift)
FOUR_DIRECTIONS: tuple[tuple[int, int], ...] = ((1, 0), (-1, 0), (0, 1), (0, -1))


def accuracy_under_shift(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                         shifts: Iterable[int] = range(7),
                         directions: Sequence[tuple[int, int]] = FOUR_DIRECTIONS) -> np.ndarray:
    """Accuracy (0..1) of ``model`` on images moved by each number of pixels in ``shifts``.

    x: (N, C, H, W) floats, y: (N,) labels. For a shift s every image is moved by s pixels in
    each of ``directions`` (default: right, left, down, up; zero fill) and the accuracies are
    averaged, so no direction is favoured. Shift 0 is the plain accuracy.
    Returns an array (len(shifts),), one accuracy per shift, in the order given.
    """
    if x.ndim != 4:
        raise ValueError(f"x must be a batch (N, C, H, W), got shape {tuple(x.shape)}; "
                         "add the channel axis with x.unsqueeze(1).")
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} images but y has {len(y)} labels.")
    if not directions:
        raise ValueError("directions is empty; pass at least one (dx, dy), e.g. ((1, 0),).")
    y = y.cpu()
    accuracies = []
    for s in shifts:
        moves = [(dx * s, dy * s) for dx, dy in directions] if s else [(0, 0)]
        per_move = [(predict(model, shift(x, dx, dy)).argmax(1) == y).float().mean().item()
                    for dx, dy in moves]
        accuracies.append(float(np.mean(per_move)))
    return np.array(accuracies)


def adjust_contrast(x: torch.Tensor, contrast: float) -> torch.Tensor:
    """Stretch (contrast > 1) or flatten (contrast < 1) brightness around mid-grey 0.5, clipped to [0, 1].

    x: any shape, floats in [0, 1]. contrast 1 leaves x unchanged; 0 gives a flat grey picture.
    """
    if contrast < 0:
        raise ValueError(f"contrast must be >= 0 (1 = unchanged), got {contrast}.")
    return (0.5 + contrast * (x - 0.5)).clamp(0.0, 1.0)


def shifted_view(model: nn.Module, image: torch.Tensor, dx: int = 0, dy: int = 0,
                 contrast: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """What lesson 01's explorer shows: ``image`` (1, H, W) in [0, 1] moved by (dx, dy) pixels
    (dx > 0 right, dy > 0 down, zero fill), its contrast changed, and the model's class
    probabilities for it. Returns (picture (1, H, W), probabilities (classes,))."""
    if image.ndim != 3:
        raise ValueError(f"image must be (C, H, W), got shape {tuple(image.shape)}; "
                         "index one item of the batch, e.g. x_val[i].")
    view = adjust_contrast(shift(image, dx, dy), contrast)
    return view, class_probabilities(model, view[None])[0]


def block_classifier(block: int, size: int = 28, channels: int = 1) -> nn.Sequential:
    """A linear classifier on block averages: average b x b blocks (AvgPool2d), flatten, Linear.

    Input (N, channels, size, size); block must divide size, giving (size // block)^2 * channels
    features. block = 1 is the plain pixel classifier; block = size keeps one mean brightness.
    """
    if block < 1 or size % block:
        divisors = [b for b in range(1, size + 1) if size % b == 0]
        raise ValueError(f"block size {block} does not tile a {size}x{size} image; "
                         f"choose one of {divisors}.")
    n_features = channels * (size // block) ** 2
    return nn.Sequential(OrderedDict(
        average=nn.AvgPool2d(block), flatten=nn.Flatten(), fc=nn.Linear(n_features, NUM_CLASSES)))


@dataclass(frozen=True)
class BlockResult:
    """One block size of the experiment: accuracies 0..1 on the validation images, plain and shifted."""

    block: int
    features: int
    val_acc: float
    shifted_acc: float


def block_size_experiment(x_train: torch.Tensor, y_train: torch.Tensor, x_val: torch.Tensor,
                          y_val: torch.Tensor, blocks: Sequence[int] = (1, 2, 4, 7, 14, 28),
                          shift_px: int = 3, progress: bool = False, **fit_kwargs) -> list[BlockResult]:
    """Train one ``block_classifier`` per block size and measure it on plain validation images and
    on validation images moved by ``shift_px`` pixels (mean over four directions): the block size
    is a choice, so it is compared on validation, never on the test set.

    x_*: (N, 1, H, W) with square H = W; fit_kwargs go to train.fit (epochs, lr, batch_size ...).
    ``progress`` shows one bar over the block sizes (one line on a slide, not one bar per model).
    """
    size = x_train.shape[-1]
    results = []
    for block in tqdm(blocks, desc="block sizes", unit="model", disable=not progress):
        config.seed_everything(0)
        model = block_classifier(block, size=size, channels=x_train.shape[1])
        fit(model, x_train, y_train, progress=False, **fit_kwargs)
        model.cpu()
        _, acc = evaluate(model, x_val, y_val)
        shifted = accuracy_under_shift(model, x_val, y_val, shifts=[shift_px])[0]
        results.append(BlockResult(block, model.fc.in_features, acc, float(shifted)))
    return results


# ----------------------------------------------------------------------------- shifts and pooling

_DIAGONAL = np.array([[0.0, 1.0, 2.0], [-1.0, 0.0, 1.0], [-2.0, -1.0, 0.0]])
#: four fixed 3x3 edge filters (4, 3, 3): Sobel x, Sobel y and the two diagonals
EDGE_BANK = np.stack([kernels.sobel_x(), kernels.sobel_y(), _DIAGONAL, _DIAGONAL[:, ::-1]])


def edge_maps(images: torch.Tensor) -> torch.Tensor:
    """Non-negative edge responses: ReLU of the four EDGE_BANK filters ("same" padding).

    images: (N, 1, H, W) floats -> (N, 4, H, W).
    """
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"images must be (N, 1, H, W) grey images, got shape {tuple(images.shape)}.")
    bank = torch.tensor(EDGE_BANK, dtype=images.dtype)[:, None]
    with torch.no_grad():
        return F.relu(F.conv2d(images, bank, padding=1))


def change_under_shift(features: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                       poolings: Mapping[str, Callable[[torch.Tensor], torch.Tensor]],
                       shifts: Sequence[int]) -> dict[str, np.ndarray]:
    """How much features(x), after each pooling, change when the images move by s pixels.

    For every image the relative change ||P(A_shifted) - P(A)|| / ||P(A)|| (A = features of the
    image, P the pooling) is averaged over a shift of s pixels right and one of s pixels down.
    x: (N, C, H, W); poolings: {name: function of a batch of maps}.
    Returns {name: array (len(shifts), N)}; shift 0 gives zeros.
    """
    base = features(x)
    changes = {name: np.zeros((len(shifts), len(x))) for name in poolings}
    for row, s in enumerate(shifts):
        for dx, dy in ((s, 0), (0, s)):
            moved = features(shift(x, dx, dy))
            for name, pool in poolings.items():
                a, b = pool(base).flatten(1), pool(moved).flatten(1)
                changes[name][row] += ((b - a).norm(dim=1) / a.norm(dim=1).clamp_min(1e-8)).numpy() / 2
    return changes
