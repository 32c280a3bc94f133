"""How big is a network? Layer tables and receptive fields.

- ``layer_table(model, (1, 28, 28))`` runs one forward pass on zeros with hooks on the layers
  that compute something (convolutions, linear layers, pooling, normalisation) and returns the
  rows plus totals. Activation functions, dropout and flatten are left out: they change no
  shape and hold no parameters, and the classic tables (CS231n's VGG16) do not list them.
  The table's ``memory`` and ``largest_batch`` pass its counts to ``course_utils.memory``.
- ``receptive_fields(layers)``: how many input pixels one output value of each conv/pool layer sees.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Iterable, Sequence

import torch
from torch import nn

from .memory import MemoryEstimate, format_bytes, largest_batch, memory_estimate

COUNTED = (nn.modules.conv._ConvNd, nn.Linear, nn.modules.pooling._MaxPoolNd,
           nn.modules.pooling._AvgPoolNd, nn.modules.pooling._AdaptiveAvgPoolNd,
           nn.modules.pooling._AdaptiveMaxPoolNd, nn.modules.batchnorm._BatchNorm)
ADAPTIVE = (nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd)


# ---------------------------------------------------------------- layer table

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

    def row(self, name: str) -> LayerRow:
        """The row of the layer called ``name`` (ValueError naming the layers if there is none)."""
        for r in self.rows:
            if r.name == name:
                return r
        raise ValueError(f"unknown layer {name!r}; choose one of {[r.name for r in self.rows]}")

    def memory(self, batch_size: int = 1, optimizer: str = "sgd_momentum",
               misc_bytes: int = 0) -> MemoryEstimate:
        """Memory to train (or run, optimizer='inference') this network on ``batch_size`` images."""
        return memory_estimate(self.total_activations, self.total_params, batch_size, optimizer,
                               self.bytes_per_value, misc_bytes)

    def largest_batch(self, memory_bytes: float, optimizer: str = "sgd_momentum",
                      misc_bytes: int = 0) -> int:
        """The most images per batch whose memory_estimate fits in ``memory_bytes`` (0 if none)."""
        return largest_batch(self.total_activations, self.total_params, memory_bytes, optimizer,
                             self.bytes_per_value, misc_bytes)

    # -- rendering -------------------------------------------------------------------------

    def _cells(self) -> tuple[list[str], list[list[str]], list[str]]:
        head = ["layer", "kind", "output shape", "activations", "weights", "biases", "memory / image"]
        shape = lambda s: " x ".join(map(str, s)) if s else "-"  # noqa: E731
        body = [["input", "", shape(self.input_shape), f"{self.input_activations:,}", "", "",
                 format_bytes(self.input_activations * self.bytes_per_value)]]
        for r in self.rows:
            body.append([r.name, r.kind, shape(r.output_shape), f"{r.activations:,}", f"{r.weights:,}",
                         f"{r.biases:,}", format_bytes(r.activations * self.bytes_per_value)])
        total = ["total", "", "", f"{self.total_activations:,}", f"{self.total_weights:,}",
                 f"{self.total_biases:,}", format_bytes(self.activation_bytes)]
        return head, body, total

    def _caption(self) -> str:
        return (f"parameters: {self.total_params:,} ({format_bytes(self.param_bytes)}); "
                f"activations per image: {self.total_activations:,} "
                f"({format_bytes(self.activation_bytes)} at {self.bytes_per_value} bytes each)")

    #: tables longer than this many layer rows render compactly (small font, tight rows), so VGG16's
    #: 21 layers fit a 1280x720 slide and a notebook screen without scrolling
    COMPACT_ROWS = 12

    def to_html(self, compact: bool | None = None) -> str:
        """The table as an HTML fragment (Jupyter shows it when a LayerTable ends a cell).

        compact: small font and tight rows (inline styles, so they hold in JupyterLab and in the
        offline slides); None (default) means compact when the table has more than ``COMPACT_ROWS`` rows.
        """
        head, body, total = self._cells()
        if compact is None:
            compact = len(self.rows) > self.COMPACT_ROWS
        tight = "padding:1px 8px;line-height:1.2;" if compact else ""
        cell = lambda tag, i, c: (f'<{tag} style="{tight}text-align:{"right" if i >= 3 else "left"}">'  # noqa: E731
                                  f"{html.escape(c)}</{tag}>")
        rows = ["<tr>" + "".join(cell("th", i, c) for i, c in enumerate(head)) + "</tr>"]
        rows += ["<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>" for r in body]
        rows.append("<tr style=\"font-weight:bold\">" + "".join(cell("td", i, c) for i, c in enumerate(total))
                    + "</tr>")
        table = '<table style="font-size:15px">' if compact else "<table>"
        caption = '<p style="font-size:16px">' if compact else "<p>"
        return f"{table}{''.join(rows)}</table>{caption}{html.escape(self._caption())}</p>"

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        lines = [f"{'layer':<22}{'kind':<18}{'output shape':<18}{'activations':>13}{'weights':>13}{'biases':>9}",
                 f"{'input':<22}{'':<18}{str(self.input_shape):<18}{self.input_activations:>13,}"]
        for r in self.rows:
            lines.append(f"{r.name:<22}{r.kind:<18}{str(r.output_shape):<18}"
                         f"{r.activations:>13,}{r.weights:>13,}{r.biases:>9,}")
        lines.append(f"{'total':<58}{self.total_activations:>13,}{self.total_weights:>13,}{self.total_biases:>9,}")
        lines.append(self._caption())
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
def layer_table(model: nn.Module, input_shape: tuple[int, ...], bytes_per_value: int = 4,
                skip_identity: bool = False) -> LayerTable:
    """One row per conv / linear / pooling / norm layer of ``model`` for an input (C, H, W) or (F,).

    The model is run once in eval mode on a batch of one zero input (on the device of its
    parameters; the 'meta' device works too and gives shapes without memory or compute).
    ``skip_identity=True`` leaves out adaptive pooling layers whose output has the shape of
    their input (torchvision's VGG16 ends its features with AdaptiveAvgPool2d((7, 7)), which
    does nothing on a 224x224 input and is not part of the original VGG table).
    """
    rows: list[LayerRow] = []
    handles = []

    def hook_for(name: str):
        def hook(module, inputs, output):
            if skip_identity and isinstance(module, ADAPTIVE) and inputs[0].shape == output.shape:
                return
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


# ---------------------------------------------------------------- receptive field

@dataclass(frozen=True)
class RFStep:
    """One conv/pool layer in a receptive-field calculation.

    ``receptive_field``: side of the input square (pixels) that one output value of this layer
    sees; ``jump``: input pixels between two neighbouring outputs (the product of the strides so far);
    ``start``: input row (and column) where output (0, 0)'s window begins, negative when padding
    lets it start outside the image, so output (y, x) sees rows ``start + y*jump`` onwards.
    """
    name: str
    kernel: int
    stride: int
    dilation: int
    receptive_field: int
    jump: int
    start: int = 0


def _square(value, what: str, name: str) -> int:
    if isinstance(value, (tuple, list)):
        if len(set(value)) != 1:
            raise ValueError(f"layer {name}: the receptive-field calculator handles square {what}s "
                             f"only, got {tuple(value)}")
        value = value[0]
    return int(value)


def _geometry_layers(model: nn.Module) -> list[tuple[str, int, int, int, int]]:
    """(name, kernel, stride, dilation, padding) of the conv/pool layers of a plain chain, in order;
    stops at the first Flatten, Linear or adaptive pooling (the end of the convolutional part)."""
    out = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.Flatten, nn.Linear) + ADAPTIVE):
            break
        if isinstance(m, (nn.modules.conv._ConvNd, nn.modules.pooling._MaxPoolNd,
                          nn.modules.pooling._AvgPoolNd)):
            kernel = _square(m.kernel_size, "kernel", name)
            stride = _square(m.stride if m.stride is not None else m.kernel_size, "stride", name)
            dilation = _square(getattr(m, "dilation", 1), "dilation", name)
            padding = m.padding
            if isinstance(padding, str):  # Conv2d(padding="same" | "valid")
                padding = dilation * (kernel - 1) // 2 if padding == "same" else 0
            out.append((name, kernel, stride, dilation, _square(padding, "padding", name)))
    return out


def receptive_fields(layers: nn.Module | Iterable[Sequence[int]]) -> list[RFStep]:
    """Receptive field after every layer of a stack of convolutions and poolings.

    ``layers``: a plain chain ``nn.Module`` (e.g. ``nn.Sequential``; layers that change no
    geometry, such as ReLU or batch norm, are skipped; the walk stops at Flatten/Linear), or
    tuples ``(kernel, stride)`` / ``(kernel, stride, dilation)`` (no padding, so ``start`` stays 0).
    Residual networks are not chains.

    The rule, with r = 1 and j = 1 for the input pixel: each layer with kernel F, stride S and
    dilation D grows the field by (D*(F-1)) * j, i.e. r <- r + D*(F-1)*j, then j <- j*S. Three
    3x3 stride-1 convolutions: 1 -> 3 -> 5 -> 7.
    """
    if isinstance(layers, nn.Module):
        spec = _geometry_layers(layers)
    else:
        spec = []
        for i, layer in enumerate(layers):
            layer = tuple(layer)
            if len(layer) not in (2, 3):
                raise ValueError(f"layer {i}: expected (kernel, stride) or (kernel, stride, dilation), "
                                 f"got {layer}")
            kernel, stride, dilation = (*layer, 1)[:3]
            spec.append((f"layer{i + 1}", kernel, stride, dilation, 0))
    r, j, start, steps = 1, 1, 0, []
    for name, kernel, stride, dilation, padding in spec:
        for what, v in (("kernel", kernel), ("stride", stride), ("dilation", dilation)):
            if int(v) != v or v < 1:
                raise ValueError(f"layer {name}: {what} must be a whole number >= 1, got {v}")
        r += dilation * (kernel - 1) * j
        start -= padding * j
        j *= stride
        steps.append(RFStep(name, int(kernel), int(stride), int(dilation), int(r), int(j), int(start)))
    return steps


def receptive_field(layers: nn.Module | Iterable[Sequence[int]]) -> int:
    """The receptive field (pixels on a side) of the last layer of the stack; 1 for an empty stack."""
    steps = receptive_fields(layers)
    return steps[-1].receptive_field if steps else 1
