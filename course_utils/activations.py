"""Activation functions with their derivatives, softmax and the two losses of lesson 02.

Each activation is written from its formula (not by calling ``torch.sigmoid`` and friends), with
its derivative beside it, so the lesson can check both against PyTorch's autograd:

=============  ===================================  ====================================
name           f(x)                                 f'(x)
=============  ===================================  ====================================
sigmoid        1 / (1 + exp(-x))                    f(x) (1 - f(x))
tanh           (e^x - e^-x) / (e^x + e^-x)          1 - f(x)^2
relu           max(0, x)                            1 if x > 0 else 0
leaky_relu     max(0, x) + alpha min(0, x)          1 if x > 0 else alpha
=============  ===================================  ====================================

At x = 0 ReLU has no derivative; like PyTorch we use 0 there (any value in [0, 1] is a valid
subgradient). All functions take and return tensors of any shape.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """1 / (1 + exp(-x)), computed without overflow for large negative x."""
    e = torch.exp(-x.abs())  # never larger than 1
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_derivative(x: torch.Tensor) -> torch.Tensor:
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x: torch.Tensor) -> torch.Tensor:
    """(e^x - e^-x) / (e^x + e^-x) = 2 sigmoid(2x) - 1 (the second form does not overflow)."""
    return 2 * sigmoid(2 * x) - 1


def tanh_derivative(x: torch.Tensor) -> torch.Tensor:
    return 1 - tanh(x) ** 2


def relu(x: torch.Tensor) -> torch.Tensor:
    return x.clamp(min=0)


def relu_derivative(x: torch.Tensor) -> torch.Tensor:
    return (x > 0).to(x.dtype)


def leaky_relu(x: torch.Tensor, alpha: float = 0.01) -> torch.Tensor:
    return x.clamp(min=0) + alpha * x.clamp(max=0)


def leaky_relu_derivative(x: torch.Tensor, alpha: float = 0.01) -> torch.Tensor:
    return torch.where(x > 0, torch.ones_like(x), torch.full_like(x, alpha))


@dataclass(frozen=True)
class Activation:
    """An activation function with its derivative and formulas (LaTeX, for the lesson's tables)."""

    name: str
    function: Callable[..., torch.Tensor]
    derivative: Callable[..., torch.Tensor]
    formula: str
    derivative_formula: str
    uses_alpha: bool = False

    def __call__(self, x: torch.Tensor, alpha: float = 0.01) -> torch.Tensor:
        return self.function(x, alpha) if self.uses_alpha else self.function(x)

    def grad(self, x: torch.Tensor, alpha: float = 0.01) -> torch.Tensor:
        return self.derivative(x, alpha) if self.uses_alpha else self.derivative(x)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_derivative,
                          r"\sigma(x) = \frac{1}{1 + e^{-x}}", r"\sigma(x)\,(1 - \sigma(x))"),
    "tanh": Activation("tanh", tanh, tanh_derivative,
                       r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}", r"1 - \tanh^2(x)"),
    "relu": Activation("relu", relu, relu_derivative,
                       r"\mathrm{ReLU}(x) = \max(0, x)", r"1 \text{ if } x > 0 \text{ else } 0"),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_derivative,
                             r"\mathrm{LeakyReLU}(x) = \max(0, x) + \alpha \min(0, x)",
                             r"1 \text{ if } x > 0 \text{ else } \alpha", uses_alpha=True),
}


def get_activation(name: str) -> Activation:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}.")
    return ACTIVATIONS[name]


def autograd_derivative(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """df/dx at every point of x (any shape) for an elementwise f, computed by PyTorch's autograd."""
    x = x.detach().clone().requires_grad_(True)
    f(x).sum().backward()  # elementwise f: d(sum f)/dx_i = f'(x_i)
    return x.grad


def activation_curve(name: str, alpha: float = 0.1, lo: float = -5.0, hi: float = 5.0,
                     n: int = 401) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """What the activation explorer draws: x (n,), f(x) (n,) and f'(x) (n,) on [lo, hi]."""
    if not lo < hi or n < 2:
        raise ValueError(f"need lo < hi and n >= 2, got lo={lo}, hi={hi}, n={n}.")
    act = get_activation(name)
    x = torch.linspace(lo, hi, n, dtype=torch.float64)
    return x, act(x, alpha), act.grad(x, alpha)


# ---------------------------------------------------------------- softmax and the losses

def softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """exp(z_i) / sum_j exp(z_j) along ``dim``; the row maximum is subtracted first so exp never overflows."""
    z = logits - logits.amax(dim=dim, keepdim=True)
    e = torch.exp(z)
    return e / e.sum(dim=dim, keepdim=True)


def log_softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log softmax = z - logsumexp(z), with logsumexp(z) = m + log sum exp(z - m), m = max(z)."""
    m = logits.amax(dim=dim, keepdim=True)
    return logits - m - torch.log(torch.exp(logits - m).sum(dim=dim, keepdim=True))


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean of -log softmax(logits)[target] over the batch: logits (N, C), targets (N,) class indices.

    Equal to ``torch.nn.functional.cross_entropy`` and finite even for logits in the thousands.
    """
    if logits.ndim != 2 or targets.shape != logits.shape[:1]:
        raise ValueError(f"logits must be (N, C) and targets (N,), got {tuple(logits.shape)} and "
                         f"{tuple(targets.shape)}.")
    return -log_softmax(logits, dim=1).gather(1, targets.long()[:, None]).mean()


def mse(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error: mean of (prediction - target)^2 over every element (same shapes)."""
    if prediction.shape != target.shape:
        raise ValueError(f"prediction {tuple(prediction.shape)} and target {tuple(target.shape)} "
                         "must have the same shape.")
    return ((prediction - target) ** 2).mean()
