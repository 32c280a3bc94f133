"""Activation maximisation (lesson 08): gradient ascent on the input until a chosen unit (a class
score or one channel of an inner layer) fires strongly, regularised so the image stays readable.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from . import transforms
from .viz import capture, device_of, eval_mode


def unit_score(output: torch.Tensor, units: torch.Tensor) -> torch.Tensor:
    """The score of unit ``units[i]`` for item i: a channel's mean for (N, C, H, W) outputs,
    the value itself for (N, F) outputs. Returns (N,)."""
    picked = output[torch.arange(len(units), device=output.device), units.to(output.device)]
    return picked.flatten(1).mean(1) if picked.dim() > 1 else picked


@dataclass
class Maximized:
    """Result of ``maximize_activation``: images (N, C, H, W); scores (R, N), the target scores
    of the clean (unjittered) images after the steps listed in ``steps`` (R,), starting with 0
    (the start image) and ending with the last step."""

    images: torch.Tensor
    scores: torch.Tensor
    steps: torch.Tensor


def maximize_activation(model: nn.Module, units: int | Sequence[int], layer: str | None = None,
                        shape: tuple[int, int, int] = (1, 28, 28), steps: int = 200, lr: float = 0.05,
                        jitter: int = 2, l2_decay: float = 1e-3, blur_every: int = 4, blur_sigma: float = 0.5,
                        value_range: tuple[float, float] = (0.0, 1.0), init: torch.Tensor | None = None,
                        record_every: int = 1, seed: int = 0) -> Maximized:
    """Gradient ascent on the input to excite ``units`` of ``layer`` (the model's output,
    i.e. class logits, when ``layer`` is None): one image per unit, optimised together.

    Each step (Yosinski et al. 2015 style regularisation): roll the images by a random
    shift of up to ``jitter`` pixels, take an Adam step that raises the unit's score, shrink
    the images towards zero by ``l2_decay`` (weight decay on pixels), clamp them to
    ``value_range`` and, every ``blur_every`` steps, blur them with ``blur_sigma``.
    The start is a dim, slightly noisy grey image (or ``init``: (N, C, H, W)). The clean
    images are scored every ``record_every`` steps (an extra forward pass each time) and after the last.
    """
    units_t = torch.as_tensor(units, dtype=torch.long).flatten()
    n = len(units_t)
    device = device_of(model)
    gen = torch.Generator().manual_seed(seed)
    lo, hi = value_range
    if init is None:
        init = lo + (hi - lo) * (0.2 + 0.05 * torch.randn(n, *shape, generator=gen))
    img = init.detach().clone().to(device).clamp(lo, hi).requires_grad_(True)
    opt = torch.optim.Adam([img], lr=lr)

    def scores_of(batch: torch.Tensor) -> torch.Tensor:
        if layer is None:
            return unit_score(model(batch), units_t)
        with capture(model, layer, detach=False) as acts:
            model(batch)
        return unit_score(acts[layer], units_t)

    params = list(model.parameters())
    flags = [p.requires_grad for p in params]
    history, recorded = [], []
    try:
        for p in params:
            p.requires_grad_(False)
        with eval_mode(model):
            with torch.no_grad():
                history.append(scores_of(img).cpu())
                recorded.append(0)
            for step in range(steps):
                dy, dx = (torch.randint(-jitter, jitter + 1, (2,), generator=gen).tolist() if jitter else (0, 0))
                opt.zero_grad()
                loss = -scores_of(torch.roll(img, shifts=(dy, dx), dims=(2, 3))).sum()
                loss.backward()
                opt.step()
                with torch.no_grad():
                    img.mul_(1 - l2_decay)
                    if blur_every and (step + 1) % blur_every == 0 and blur_sigma > 0:
                        img.copy_(transforms.gaussian_filter(img, blur_sigma))
                    img.clamp_(lo, hi)
                    if (step + 1) % record_every == 0 or step + 1 == steps:
                        history.append(scores_of(img).cpu())
                        recorded.append(step + 1)
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)
    return Maximized(img.detach().cpu(), torch.stack(history), torch.tensor(recorded))


