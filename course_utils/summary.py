"""How big is a network? Layer tables, receptive fields, memory, and a small design builder.

- ``layer_table(model, (1, 28, 28))`` runs one forward pass on zeros with hooks on the layers
  that compute something (convolutions, linear layers, pooling, normalisation) and returns the
  rows plus totals. Activation functions, dropout and flatten are left out: they change no
  shape and hold no parameters, and the classic tables (CS231n's VGG16) do not list them.
- ``receptive_fields(layers)``: how many input pixels one output value of each conv/pool layer sees.
- ``memory_estimate`` / ``largest_batch``: activations + parameters (with gradients and optimizer
  state) in bytes, and the largest batch that fits a memory budget; ``format_bytes`` for MB vs MiB.
- ``pattern_convnet`` / ``design_report``: build INPUT -> [[CONV -> RELU]*N -> POOL?]*M ->
  [FC -> RELU]*K -> FC and report its table, receptive field and memory (the lesson-06 widget).
"""
from __future__ import annotations

import html
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import torch
from torch import nn

COUNTED = (nn.modules.conv._ConvNd, nn.Linear, nn.modules.pooling._MaxPoolNd,
           nn.modules.pooling._AvgPoolNd, nn.modules.pooling._AdaptiveAvgPoolNd,
           nn.modules.pooling._AdaptiveMaxPoolNd, nn.modules.batchnorm._BatchNorm)
ADAPTIVE = (nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd)


# ---------------------------------------------------------------- bytes and units

UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9,
         "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}


def to_unit(n_bytes: float, unit: str) -> float:
    """``n_bytes`` expressed in ``unit``: 'KB', 'MB', 'GB' are powers of 1000 (SI);
    'KiB', 'MiB', 'GiB' are powers of 1024 (binary), e.g. to_unit(2**30, 'GB') = 1.074."""
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {list(UNITS)}, not {unit!r}")
    return n_bytes / UNITS[unit]


def format_bytes(n_bytes: float, binary: bool = True) -> str:
    """A readable size: format_bytes(60_950_432) = '58.1 MiB'; with binary=False '61.0 MB'."""
    units = ("B", "KiB", "MiB", "GiB") if binary else ("B", "KB", "MB", "GB")
    for unit in reversed(units):
        if abs(n_bytes) >= UNITS[unit] or unit == "B":
            return f"{n_bytes / UNITS[unit]:.1f} {unit}" if unit != "B" else f"{int(n_bytes)} B"
    raise AssertionError("unreachable")


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
        """The row of the layer called ``name`` (KeyError naming the layers if there is none)."""
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"no layer {name!r}; the table has {[r.name for r in self.rows]}")

    def memory(self, batch_size: int = 1, optimizer: str = "sgd_momentum",
               misc_bytes: int = 0) -> "MemoryEstimate":
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

    def to_markdown(self) -> str:
        """The table as GitHub Markdown (numbers right-aligned)."""
        head, body, total = self._cells()
        lines = ["| " + " | ".join(head) + " |", "| --- | --- | --- | ---: | ---: | ---: | ---: |"]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        lines.append("| " + " | ".join(f"**{c}**" if c else "" for c in total) + " |")
        return "\n".join(lines) + "\n\n" + self._caption()

    def to_html(self) -> str:
        """The table as an HTML fragment (Jupyter shows it when a LayerTable ends a cell)."""
        head, body, total = self._cells()
        cell = lambda tag, i, c: (f'<{tag} style="text-align:{"right" if i >= 3 else "left"}">'  # noqa: E731
                                  f"{html.escape(c)}</{tag}>")
        rows = ["<tr>" + "".join(cell("th", i, c) for i, c in enumerate(head)) + "</tr>"]
        rows += ["<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>" for r in body]
        rows.append("<tr style=\"font-weight:bold\">" + "".join(cell("td", i, c) for i, c in enumerate(total))
                    + "</tr>")
        return (f"<table>{''.join(rows)}</table><p>{html.escape(self._caption())}</p>")

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


# ---------------------------------------------------------------- memory

# How many copies of the parameters training keeps, by optimizer (float values of the same size):
PARAM_COPIES = {
    "inference": 1,     # the weights only, no gradients
    "sgd": 2,           # weights + gradients
    "sgd_momentum": 3,  # weights + gradients + one momentum buffer: CS231n's "parameters x3"
    "adam": 4,          # weights + gradients + Adam's first and second moments (m and v)
    "adamw": 4,         # AdamW keeps the same two moments as Adam
}


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes needed to run a batch through a network.

    activations: forward values of every layer for the whole batch, x2 when training (the
    backward pass needs a gradient of the same size for each; CS231n's "~x2 for bwd").
    parameters: weights x PARAM_COPIES[optimizer] (gradients and optimizer state).
    misc: whatever else you add: the framework, the CUDA context, cuDNN work space, the data.
    """
    batch_size: int
    optimizer: str
    bytes_per_value: int
    activation_bytes: int
    param_bytes: int
    misc_bytes: int = 0

    @property
    def total_bytes(self) -> int:
        return self.activation_bytes + self.param_bytes + self.misc_bytes

    def __str__(self) -> str:
        return (f"batch {self.batch_size}, {self.optimizer}: activations {format_bytes(self.activation_bytes)}"
                f" + parameters {format_bytes(self.param_bytes)} + misc {format_bytes(self.misc_bytes)}"
                f" = {format_bytes(self.total_bytes)} ({format_bytes(self.total_bytes, binary=False)})")

    __repr__ = __str__


def _check_optimizer(optimizer: str) -> int:
    if optimizer not in PARAM_COPIES:
        raise ValueError(f"optimizer must be one of {list(PARAM_COPIES)}, not {optimizer!r}")
    return PARAM_COPIES[optimizer]


def memory_estimate(activations_per_image: int, params: int, batch_size: int = 1,
                    optimizer: str = "sgd_momentum", bytes_per_value: int = 4,
                    misc_bytes: int = 0) -> MemoryEstimate:
    """Memory for one training step (or one forward pass with optimizer='inference').

    activations_per_image: forward values per image (LayerTable.total_activations); params:
    number of parameters. float32 has bytes_per_value=4 (32 bits), float16/bfloat16 2.
    """
    copies = _check_optimizer(optimizer)
    if batch_size < 0:
        raise ValueError(f"batch_size must be >= 0, got {batch_size}")
    factor = 1 if optimizer == "inference" else 2
    return MemoryEstimate(batch_size, optimizer, bytes_per_value,
                          activation_bytes=batch_size * activations_per_image * factor * bytes_per_value,
                          param_bytes=params * copies * bytes_per_value, misc_bytes=misc_bytes)


def largest_batch(activations_per_image: int, params: int, memory_bytes: float,
                  optimizer: str = "sgd_momentum", bytes_per_value: int = 4, misc_bytes: int = 0) -> int:
    """The largest batch size whose memory_estimate fits in ``memory_bytes`` (rounded down).

    Returns 0 when the parameters, their gradients and optimizer state (plus misc) alone do not fit.
    """
    fixed = memory_estimate(activations_per_image, params, 0, optimizer, bytes_per_value, misc_bytes)
    per_image = memory_estimate(activations_per_image, 0, 1, optimizer, bytes_per_value).activation_bytes
    free = memory_bytes - fixed.total_bytes
    if free < per_image:
        return 0
    return int(free // per_image)


# ---------------------------------------------------------------- designing a ConvNet

def _valid_count(value, what: str, low: int = 0) -> int:
    if int(value) != value or value < low:
        raise ValueError(f"{what} must be a whole number >= {low}, got {value}")
    return int(value)


def pattern_convnet(n: int, m: int, k: int, input_shape: tuple[int, int, int] = (1, 28, 28), *,
                    width: int = 32, growth: int = 2, max_width: int = 512, pool: bool = True,
                    hidden: int = 128, classes: int = 10, batchnorm: bool = False) -> nn.Sequential:
    """The ConvNet layer pattern INPUT -> [[CONV -> RELU]*N -> POOL?]*M -> [FC -> RELU]*K -> FC.

    Convolutions are 3x3, stride 1, padding 1 (they keep the size); POOL is 2x2 max pooling with
    stride 2 (it halves the size, rounding down) when ``pool``. Block b has
    min(width * growth**(b-1), max_width) channels (VGG: 64, 128, 256, 512, 512). Layers are
    named conv{b}_{i}, bn{b}_{i}, relu{b}_{i}, pool{b}, flatten, fc{j}, relu_fc{j}, out.

    Raises ValueError with the size sequence when a pooling layer would get a map smaller than 2x2.
    """
    n, m, k = (_valid_count(v, name) for v, name in ((n, "N (convs per block)"), (m, "M (blocks)"),
                                                       (k, "K (hidden FC layers)")))
    c, h, w = input_shape
    sizes = [h]
    layers: list[tuple[str, nn.Module]] = []
    for b in range(1, m + 1):
        c_out = min(width * growth ** (b - 1), max_width)
        for i in range(1, n + 1):
            layers.append((f"conv{b}_{i}", nn.Conv2d(c, c_out, 3, padding=1, bias=not batchnorm)))
            if batchnorm:
                layers.append((f"bn{b}_{i}", nn.BatchNorm2d(c_out)))
            layers.append((f"relu{b}_{i}", nn.ReLU()))
            c = c_out
        if pool:
            if min(h, w) < 2:
                path = " -> ".join(map(str, sizes))
                raise ValueError(f"block {b}'s 2x2 pooling gets a {h}x{w} map and cannot halve it "
                                 f"(sizes {path}). Use at most {b - 1} pooling blocks for a "
                                 f"{input_shape[1]}x{input_shape[2]} input, switch pooling off, "
                                 f"or start from a larger input.")
            layers.append((f"pool{b}", nn.MaxPool2d(2)))
            h, w = h // 2, w // 2
            sizes.append(h)
    layers.append(("flatten", nn.Flatten()))
    features = c * h * w
    for j in range(1, k + 1):
        layers += [(f"fc{j}", nn.Linear(features, hidden)), (f"relu_fc{j}", nn.ReLU())]
        features = hidden
    layers.append(("out", nn.Linear(features, classes)))
    return nn.Sequential(OrderedDict(layers))


@dataclass
class DesignReport:
    """What the lesson-06 design widget shows for one choice of depth, width and pooling."""
    model: nn.Sequential
    table: LayerTable
    receptive_field: int           # pixels seen by one value of the last conv/pool layer
    final_map: tuple[int, int, int]  # (C, H, W) that the FC head receives
    memory: MemoryEstimate
    notes: list[str] = field(default_factory=list)

    @property
    def params(self) -> int:
        return self.table.total_params

    def __str__(self) -> str:
        c, h, w = self.final_map
        lines = [f"parameters: {self.params:,}",
                 f"map before the FC head: {c} x {h} x {w}",
                 f"receptive field of the last conv/pool layer: {self.receptive_field} x {self.receptive_field} px",
                 f"training memory: {self.memory}"]
        return "\n".join(lines + [f"note: {n}" for n in self.notes])


def design_report(blocks: int, convs_per_block: int, width: int, pool: bool = True, fc_layers: int = 1,
                  input_shape: tuple[int, int, int] = (1, 28, 28), batch_size: int = 128,
                  optimizer: str = "adam", hidden: int = 128, classes: int = 10) -> DesignReport:
    """Build pattern_convnet(N=convs_per_block, M=blocks, K=fc_layers) and describe it.

    Raises ValueError (with the reason and a fix) for designs that cannot work.
    """
    _valid_count(width, "width", low=1)
    model = pattern_convnet(convs_per_block, blocks, fc_layers, input_shape, width=width, pool=pool,
                            hidden=hidden, classes=classes)
    table = layer_table(model, input_shape)
    _check_optimizer(optimizer)
    conv_rows = [r for r in table.rows if len(r.output_shape) == 3]
    final = conv_rows[-1].output_shape if conv_rows else tuple(input_shape)
    rf = receptive_field(model)
    notes = []
    sizes = [input_shape[1]] + [r.output_shape[1] for r in table.rows if r.kind == "MaxPool2d"]
    odd = [s for s in sizes[:-1] if s % 2] if pool else []
    if odd:
        notes.append(f"pooling a map of odd size {odd[0]} drops its last row and column; inputs "
                     f"divisible by 2 many times avoid that")
    if rf < min(input_shape[1:]) and blocks > 0 and convs_per_block > 0:
        notes.append(f"the last conv layer sees only {rf}x{rf} of the {input_shape[1]}x{input_shape[2]} "
                     f"input; only the FC head combines the whole image")
    first_fc = next((r for r in table.rows if r.kind == "Linear"), None)
    if first_fc is not None and first_fc.params > table.total_params / 2:
        notes.append(f"the first FC layer holds {first_fc.params / table.total_params:.0%} of the parameters")
    return DesignReport(model, table, rf, tuple(final), table.memory(batch_size, optimizer), notes)
