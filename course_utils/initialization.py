"""Weight initialisation and what it does to a deep network's activations (lesson 06).

A plain stack of Linear + ReLU layers shows the problem in its purest form: if every layer
multiplies the spread of its input by a factor a little below or above one, after 20 layers
the signal has vanished or exploded. Kaiming (He) initialisation picks the weights' spread so
the factor is one for ReLU: std = sqrt(2 / fan_in).
"""
from __future__ import annotations

import math

import torch
from torch import nn

INITS = ("normal_0.01", "normal_1", "kaiming")


def plain_stack(depth: int = 20, width: int = 256, in_features: int = 28 * 28,
                classes: int = 10, batchnorm: bool = False) -> nn.Sequential:
    """Flatten -> [Linear(width) -> ReLU] x depth -> Linear(classes); with ``batchnorm`` each
    hidden block is Linear -> BatchNorm1d -> ReLU."""
    layers: list[nn.Module] = [nn.Flatten()]
    for i in range(depth):
        layers.append(nn.Linear(in_features if i == 0 else width, width))
        if batchnorm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.ReLU())
    layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


def initialise(model: nn.Module, scheme: str, seed: int = 0) -> nn.Module:
    """Re-draw the weights of every Linear and Conv2d layer of ``model`` in place; biases become 0.

    ``scheme``: 'normal_0.01' (N(0, 0.01^2)), 'normal_1' (N(0, 1)) or 'kaiming'
    (N(0, 2 / fan_in), fan_in = inputs per output unit). Returns the model.
    """
    if scheme not in INITS:
        raise ValueError(f"scheme must be one of {', '.join(map(repr, INITS))}, not {scheme!r}")
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.modules():
            if not isinstance(layer, (nn.Linear, nn.Conv2d)):
                continue
            fan_in = layer.weight[0].numel()
            std = {"normal_0.01": 0.01, "normal_1": 1.0, "kaiming": math.sqrt(2 / fan_in)}[scheme]
            layer.weight.copy_(torch.randn(layer.weight.shape, generator=gen) * std)
            if layer.bias is not None:
                layer.bias.zero_()
    return model


@torch.no_grad()
def activation_stds(model: nn.Module, x: torch.Tensor, layer_type: type = nn.ReLU) -> list[float]:
    """Standard deviation of the output of every ``layer_type`` layer for the batch x, in order."""
    stds: list[float] = []
    hooks = [m.register_forward_hook(lambda mod, inp, out: stds.append(out.float().std().item()))
             for m in model.modules() if isinstance(m, layer_type)]
    try:
        model(x)
    finally:
        for h in hooks:
            h.remove()
    return stds
