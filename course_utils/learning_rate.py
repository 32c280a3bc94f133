"""Choosing and scheduling the learning rate (lesson 06).

- ``one_cycle_lr``: the one-cycle schedule, step by step, exactly as PyTorch's OneCycleLR
  computes it (the tests compare the two);
- ``train_steps``: a short training loop that sets the learning rate of every mini-batch
  and records every mini-batch's loss (``train.fit`` records whole epochs);
- ``lr_range_test``: the "learning-rate finder": train with a learning rate that grows
  exponentially from tiny to huge, and watch where the loss falls fastest and where it blows up.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from . import config
from .train import make_optimizer


# ---------------------------------------------------------------- schedules

def cosine_ramp(start: float, end: float, fraction: float) -> float:
    """Half a cosine wave from ``start`` (fraction 0) to ``end`` (fraction 1): flat at both ends."""
    return end + (start - end) * (1 + math.cos(math.pi * fraction)) / 2


def one_cycle_lr(step: int, total_steps: int, max_lr: float, pct_start: float = 0.3,
                 div_factor: float = 25.0, final_div_factor: float = 1e4) -> float:
    """Learning rate at ``step`` (0 .. total_steps - 1) of a one-cycle schedule.

    Warm-up: from max_lr / div_factor up to max_lr, reached at step ``pct_start * total_steps - 1``;
    then annealing down to max_lr / div_factor / final_div_factor at the last step. Both
    phases follow ``cosine_ramp``. Same numbers as ``torch.optim.lr_scheduler.OneCycleLR``.
    """
    if not 0 <= step < total_steps:
        raise ValueError(f"step must be in 0 .. total_steps - 1 = {total_steps - 1}, got {step}.")
    start_lr = max_lr / div_factor
    peak = pct_start * total_steps - 1
    if step <= peak:
        return cosine_ramp(start_lr, max_lr, step / peak)
    return cosine_ramp(max_lr, start_lr / final_div_factor, (step - peak) / (total_steps - 1 - peak))


def exponential_lrs(start: float, end: float, steps: int) -> np.ndarray:
    """``steps`` learning rates from ``start`` to ``end``, each a constant factor above the last: (steps,)."""
    if not 0 < start < end:
        raise ValueError(f"need 0 < start < end, got start={start}, end={end}.")
    return np.geomspace(start, end, steps)


# ---------------------------------------------------------------- a loop with a learning rate per batch

def smooth(losses: Sequence[float], beta: float = 0.9) -> np.ndarray:
    """Exponential moving average of a noisy curve, corrected for its start at zero: (steps,)."""
    out, avg = [], 0.0
    for i, loss in enumerate(losses, start=1):
        avg = beta * avg + (1 - beta) * loss
        out.append(avg / (1 - beta ** i))
    return np.array(out)


def train_steps(model: nn.Module, x: torch.Tensor, y: torch.Tensor, lrs: Sequence[float], *,
                batch_size: int = 64, optimizer: str = "adamw", weight_decay: float = 0.0,
                seed: int = 0, stop_factor: float | None = None, device: torch.device | None = None
                ) -> np.ndarray:
    """Train ``model`` for ``len(lrs)`` mini-batches, step i with learning rate ``lrs[i]``.

    x: (N, ...) float, y: (N,) class indices; batches come from shuffled passes over them.
    Returns the training loss of every mini-batch: (steps,). With ``stop_factor`` the run
    stops once the smoothed loss exceeds stop_factor x its lowest value (it has diverged), and
    the losses so far are returned. ``optimizer`` is a name ``train.fit`` accepts.
    """
    config.seed_everything(seed)
    device = device or config.get_device()
    model.to(device).train()
    opt = make_optimizer(model, optimizer, float(lrs[0]), weight_decay)
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(x), generator=gen)
    losses: list[float] = []
    best, avg = math.inf, 0.0
    for step, lr in enumerate(lrs):
        start = (step * batch_size) % len(x)
        if start + batch_size > len(x):  # a new shuffled pass
            order, start = torch.randperm(len(x), generator=gen), 0
        idx = order[start:start + batch_size]
        for group in opt.param_groups:
            group["lr"] = float(lr)
        loss = F.cross_entropy(model(x[idx].to(device)), y[idx].to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if stop_factor is not None:
            avg = 0.9 * avg + 0.1 * losses[-1]
            smoothed = avg / (1 - 0.9 ** len(losses))
            best = min(best, smoothed)
            if not math.isfinite(smoothed) or smoothed > stop_factor * best:
                break
    model.eval()
    return np.array(losses)


# ---------------------------------------------------------------- the range test

@dataclass(frozen=True)
class RangeTest:
    """The result of a learning-rate range test: the rate and loss of every step tried."""

    lrs: np.ndarray      # (steps,)
    losses: np.ndarray   # (steps,) raw mini-batch losses
    smoothed: np.ndarray  # (steps,) their moving average

    @property
    def lowest_loss_lr(self) -> float:
        """The learning rate where the smoothed loss was lowest (already near the edge of stability)."""
        return float(self.lrs[int(np.argmin(self.smoothed))])

    @property
    def suggestion(self) -> float:
        """A rule of thumb: a tenth of the rate with the lowest loss, where the loss still falls fast."""
        return self.lowest_loss_lr / 10


def lr_range_test(model: nn.Module, x: torch.Tensor, y: torch.Tensor, start: float = 1e-6,
                  end: float = 1.0, steps: int = 200, batch_size: int = 64, optimizer: str = "adamw",
                  seed: int = 0, stop_factor: float = 4.0) -> RangeTest:
    """Train a fresh ``model`` for up to ``steps`` mini-batches while the learning rate grows
    exponentially from ``start`` to ``end``; stop when the loss has diverged (see ``train_steps``).

    The model's weights change: build a new model for the real training afterwards.
    """
    lrs = exponential_lrs(start, end, steps)
    losses = train_steps(model, x, y, lrs, batch_size=batch_size, optimizer=optimizer, seed=seed,
                         stop_factor=stop_factor)
    return RangeTest(lrs[:len(losses)], losses, smooth(losses))
