"""Layer tables for any nn.Module: output shape, activations, weights, biases and memory per layer.

``layer_table(model, (1, 28, 28))`` runs one forward pass on zeros with hooks on the layers
that compute something (convolutions, linear layers, pooling, normalisation) and returns the
rows plus totals. Activation functions, dropout and flatten are left out: they change no
shape and hold no parameters, and the classic tables (CS231n's VGG16) do not list them.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

COUNTED = (nn.modules.conv._ConvNd, nn.Linear, nn.modules.pooling._MaxPoolNd,
           nn.modules.pooling._AvgPoolNd, nn.modules.pooling._AdaptiveAvgPoolNd,
           nn.modules.pooling._AdaptiveMaxPoolNd, nn.modules.batchnorm._BatchNorm)


@dataclass
class LayerRow:
    name: str
    kind: str
    output_shape: tuple[int, ...]  # without the batch dimension
    activations: int               # values in the output, per image
    weights: int
    biases: int

    @property
    def params(self) -> int:
        return self.weights + self.biases


@dataclass
class LayerTable:
    input_shape: tuple[int, ...]
    rows: list[LayerRow]
    bytes_per_value: int = 4

    @property
    def input_activations(self) -> int:
        return int(torch.Size(self.input_shape).numel())

    @property
    def total_weights(self) -> int:
        return sum(r.weights for r in self.rows)

    @property
    def total_biases(self) -> int:
        return sum(r.biases for r in self.rows)

    @property
    def total_params(self) -> int:
        return self.total_weights + self.total_biases

    @property
    def total_activations(self) -> int:
        """Values stored per image in a forward pass: the input plus every listed layer's output."""
        return self.input_activations + sum(r.activations for r in self.rows)

    @property
    def activation_bytes(self) -> int:
        return self.total_activations * self.bytes_per_value

    @property
    def param_bytes(self) -> int:
        return self.total_params * self.bytes_per_value

    def __str__(self) -> str:
        lines = [f"{'layer':<22}{'kind':<18}{'output shape':<18}{'activations':>13}{'weights':>13}{'biases':>9}",
                 f"{'input':<22}{'':<18}{str(self.input_shape):<18}{self.input_activations:>13,}"]
        for r in self.rows:
            lines.append(f"{r.name:<22}{r.kind:<18}{str(r.output_shape):<18}"
                         f"{r.activations:>13,}{r.weights:>13,}{r.biases:>9,}")
        lines.append(f"{'total':<58}{self.total_activations:>13,}{self.total_weights:>13,}{self.total_biases:>9,}")
        lines.append(f"parameters: {self.total_params:,} ({self.param_bytes / 2**20:.1f} MB); "
                     f"activations per image: {self.total_activations:,} "
                     f"({self.activation_bytes / 2**20:.1f} MB at {self.bytes_per_value} bytes each)")
        return "\n".join(lines)

    __repr__ = __str__


def _own_counts(module: nn.Module) -> tuple[int, int]:
    weights = biases = 0
    for name, p in module.named_parameters(recurse=False):
        if name == "bias":
            biases += p.numel()
        else:
            weights += p.numel()
    return weights, biases


@torch.no_grad()
def layer_table(model: nn.Module, input_shape: tuple[int, ...], bytes_per_value: int = 4) -> LayerTable:
    """One row per conv / linear / pooling / norm layer of ``model`` for an input (C, H, W) or (F,).

    The model is run once in eval mode on a batch of one zero input on the CPU.
    """
    rows: list[LayerRow] = []
    handles = []

    def hook_for(name: str):
        def hook(module, inputs, output):
            w, b = _own_counts(module)
            shape = tuple(output.shape[1:])
            rows.append(LayerRow(name, type(module).__name__, shape, int(output[0].numel()), w, b))
        return hook

    for name, module in model.named_modules():
        if isinstance(module, COUNTED):
            handles.append(module.register_forward_hook(hook_for(name)))
    was_training = model.training
    device = next(model.parameters(), torch.empty(0)).device
    try:
        model.eval()
        model(torch.zeros((1, *input_shape), device=device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    counted = sum(r.params for r in rows)
    total = sum(p.numel() for p in model.parameters())
    if counted != total:  # a layer type that holds parameters but is not in COUNTED
        rows.append(LayerRow("(other layers)", "-", (), 0, total - counted, 0))
    return LayerTable(tuple(input_shape), rows, bytes_per_value)
