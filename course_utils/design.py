"""Designing a ConvNet (lesson 07): what one choice of depth, width and pooling gives.

``design_report`` builds ``models.pattern_convnet`` and collects what the design widget
(``widgets.vgg``) shows: the layer table, the receptive field of the last conv/pool layer,
the map the FC head receives, the training memory, and notes on choices that waste something.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn

from .memory import MemoryEstimate, param_copies
from .models import pattern_convnet
from .summary import LayerTable, layer_table, receptive_field


@dataclass
class DesignReport:
    """What the lesson-07 design widget shows for one choice of depth, width and pooling."""
    model: nn.Sequential
    table: LayerTable
    receptive_field: int             # pixels seen by one value of the last conv/pool layer
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
    param_copies(optimizer)  # an unknown optimizer fails before the model is built
    model = pattern_convnet(convs_per_block, blocks, fc_layers, input_shape, width=width, pool=pool,
                            hidden=hidden, classes=classes)
    table = layer_table(model, input_shape)
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
