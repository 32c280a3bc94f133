"""Universal approximation in one dimension (lesson 02).

Cybenko (1989): one hidden layer of sigmoid-like units, wide enough, approximates any continuous
function on a closed interval as closely as we like. Here we fit y = f(x) on [lo, hi] with the
network  x -> Linear(1, width) -> activation -> Linear(width, 1)  and watch the error fall as
the layer widens. The fit uses L-BFGS in float64 on the whole grid at once: for a problem this
small it reaches a far lower error than Adam in the same time, so the curve shows what the
network can represent rather than how patient the optimiser was.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import torch
from torch import nn

HIDDEN_ACTIVATIONS: dict[str, type[nn.Module]] = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "relu": nn.ReLU}


def wavy(x: torch.Tensor) -> torch.Tensor:
    """The lesson's target: sin(2x) + 0.5 sin(5x), a slow wave with a faster ripple on top."""
    return torch.sin(2 * x) + 0.5 * torch.sin(5 * x)


@dataclass
class ApproxFit:
    """One fitted network: grid x (n,), target f(x) (n,), network output (n,), mean squared error."""

    width: int
    x: torch.Tensor
    target: torch.Tensor
    prediction: torch.Tensor
    mse: float
    model: nn.Sequential


def one_hidden_layer(width: int, activation: str = "tanh") -> nn.Sequential:
    """x (N, 1) -> Linear(1, width) -> activation -> Linear(width, 1) -> (N, 1)."""
    if width < 1:
        raise ValueError(f"width must be at least 1 hidden unit, got {width}.")
    if activation not in HIDDEN_ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(HIDDEN_ACTIVATIONS)}.")
    return nn.Sequential(nn.Linear(1, width), HIDDEN_ACTIVATIONS[activation](), nn.Linear(width, 1))


def fit_one_hidden_layer(width: int, f: Callable[[torch.Tensor], torch.Tensor] = wavy,
                         lo: float = -3.0, hi: float = 3.0, n_points: int = 256,
                         activation: str = "tanh", iters: int = 1000, seed: int = 0) -> ApproxFit:
    """Fit ``one_hidden_layer(width)`` to f on an even grid of ``n_points`` in [lo, hi] by
    minimising the mean squared error with L-BFGS (``iters`` iterations at most)."""
    if not lo < hi:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}.")
    torch.manual_seed(seed)
    model = one_hidden_layer(width, activation).double()
    x = torch.linspace(lo, hi, n_points, dtype=torch.float64)[:, None]
    y = f(x)
    opt = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=iters, history_size=50,
                            line_search_fn="strong_wolfe", tolerance_grad=1e-12, tolerance_change=1e-15)

    def closure():
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        pred = model(x)
    return ApproxFit(width, x[:, 0], y[:, 0], pred[:, 0], ((pred - y) ** 2).mean().item(), model.eval())


def fits_by_width(widths: Iterable[int], **kwargs) -> dict[int, ApproxFit]:
    """``fit_one_hidden_layer`` for each width (same target, grid and seed): {width: ApproxFit}."""
    return {w: fit_one_hidden_layer(w, **kwargs) for w in widths}
