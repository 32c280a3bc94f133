"""Lesson 07: a ConvNet design explorer. Choose depth, width and pooling of a small network
following INPUT -> [[CONV -> RELU]*N -> POOL?]*M -> [FC -> RELU]*K -> FC and see its layer
table, parameter count, receptive field and training memory update.

The numbers come from ``design.design_report``; ``design_html`` turns them (or the reason a
design cannot work) into the HTML the widget shows, and is tested without a browser.
"""
from __future__ import annotations

import html

import ipywidgets as W

from ..design import design_report
from ..memory import PARAM_COPIES, format_bytes

INPUT_SIZES = {"28 x 28 x 1 (Fashion-MNIST)": (1, 28, 28), "32 x 32 x 3 (CIFAR-10)": (3, 32, 32),
               "64 x 64 x 3": (3, 64, 64), "224 x 224 x 3 (ImageNet)": (3, 224, 224)}


def design_html(blocks: int, convs_per_block: int, width: int, pool: bool, fc_layers: int,
                input_shape: tuple[int, int, int] = (1, 28, 28), batch_size: int = 128,
                optimizer: str = "adam", hidden: int = 128) -> str:
    """The widget's page for one design: headline numbers, notes and the layer table, or a red
    message saying why the design cannot work (e.g. pooling a 1x1 map)."""
    try:
        report = design_report(blocks, convs_per_block, width, pool, fc_layers, input_shape, batch_size,
                               optimizer, hidden)
    except ValueError as err:
        return (f'<div style="color:#cf222e"><b>This design cannot be built:</b> '
                f"{html.escape(str(err))}</div>")
    c, h, w = report.final_map
    mem = report.memory
    facts = [
        f"<b>parameters:</b> {report.params:,} ({format_bytes(report.table.param_bytes)} in float32)",
        f"<b>map entering the FC head:</b> {c} x {h} x {w} = {c * h * w:,} values",
        f"<b>receptive field</b> of the last conv/pool layer: {report.receptive_field} x "
        f"{report.receptive_field} pixels of the {input_shape[1]} x {input_shape[2]} input",
        f"<b>activations per image:</b> {report.table.total_activations:,} "
        f"({format_bytes(report.table.activation_bytes)})",
        f"<b>training memory</b> at batch {batch_size} with {optimizer}: activations x2 "
        f"{format_bytes(mem.activation_bytes)} + parameters x{PARAM_COPIES[optimizer]} "
        f"{format_bytes(mem.param_bytes)} = <b>{format_bytes(mem.total_bytes)}</b>",
    ]
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in report.notes)
    small = 'style="font-size:16px;line-height:1.3;margin:0.2em 0"'   # the page fits a slide under the controls
    # the facts beside a compact table (side by side while the page is wide enough): it fits a slide
    return ('<div style="display:flex;flex-wrap:wrap;gap:0 1.5em;align-items:flex-start">'
            f'<div style="flex:1;min-width:22em"><ul {small}>' + "".join(f"<li>{f}</li>" for f in facts) + "</ul>"
            + (f"<p {small}><i>Notes:</i></p><ul {small}>{notes}</ul>" if notes else "") + "</div>"
            + f"<div>{report.table.to_html(compact=True)}</div></div>")


def design_explorer() -> W.VBox:
    """Sliders for M (blocks), N (convs per block), K (hidden FC layers), width and pooling."""
    style = {"description_width": "150px"}
    blocks = W.IntSlider(value=3, min=0, max=6, description="blocks M", style=style)
    convs = W.IntSlider(value=2, min=0, max=4, description="convs per block N", style=style)
    fcs = W.IntSlider(value=1, min=0, max=3, description="hidden FC layers K", style=style)
    width = W.Dropdown(options=[8, 16, 32, 64, 128], value=32, description="first width", style=style)
    pool = W.Checkbox(value=True, description="2x2 max pooling after each block")
    size = W.Dropdown(options=list(INPUT_SIZES), value=list(INPUT_SIZES)[0], description="input", style=style)
    batch = W.Dropdown(options=[1, 32, 128, 512], value=128, description="batch size", style=style)
    optimizer = W.Dropdown(options=["inference", "sgd", "sgd_momentum", "adam"], value="adam",
                           description="optimizer", style=style)
    out = W.HTML()

    def redraw(_=None):
        out.value = design_html(blocks.value, convs.value, width.value, pool.value, fcs.value,
                                INPUT_SIZES[size.value], batch.value, optimizer.value)

    for control in (blocks, convs, fcs, width, pool, size, batch, optimizer):
        control.observe(redraw, "value")
    redraw()
    return W.VBox([W.HBox([W.VBox([blocks, convs, fcs, pool]), W.VBox([width, size, batch, optimizer])]), out])
