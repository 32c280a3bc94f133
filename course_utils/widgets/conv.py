"""Lesson 03: the convolution explorer. Pick an input, a kernel (preset or your own 3x3), its
size, stride, padding and dilation; see input, kernel, output and the output shape. What is
shown is computed by ``course_utils.kernels.conv_view``; an invalid setting shows its error."""
from __future__ import annotations

import html
from typing import Mapping

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from .. import kernels
from ..plots import show_grids


def _custom_grid(initial: np.ndarray) -> tuple[W.GridBox, list[W.FloatText]]:
    cells = [W.FloatText(value=float(v), layout=W.Layout(width="64px")) for v in initial.ravel()]
    return W.GridBox(cells, layout=W.Layout(grid_template_columns="repeat(3, 70px)")), cells


def conv_explorer(images: Mapping[str, np.ndarray]) -> W.VBox:
    """images: {name: (H, W) grey array}. Returns the widget (display it as a cell's last line)."""
    image = W.Dropdown(options=list(images), description="input")
    preset = W.Dropdown(options=[*kernels.PRESETS, kernels.CUSTOM], value="sobel x", description="kernel")
    size = W.IntSlider(value=3, min=1, max=7, step=2, description="size")
    stride = W.IntSlider(value=1, min=1, max=4, description="stride")
    padding = W.IntSlider(value=0, min=0, max=3, description="padding")
    dilation = W.IntSlider(value=1, min=1, max=3, description="dilation")
    grid, cells = _custom_grid(kernels.sharpen(3))
    custom_box = W.VBox([W.Label("custom 3x3 kernel (used when kernel = custom 3x3):"), grid])
    caption = W.HTML()
    out = W.Output()

    def redraw(_=None):
        custom = np.array([c.value for c in cells]).reshape(3, 3)
        view = kernels.conv_view(images[image.value], preset.value, size.value, stride.value,
                                 padding.value, dilation.value, custom)
        size.disabled = preset.value == kernels.CUSTOM
        color = "#1a7f37" if view.ok else "#cf222e"
        caption.value = f'<span style="color:{color}">{html.escape(view.message)}</span>'
        span = dilation.value * (view.kernel.shape[0] - 1) + 1
        name = f"input, zero-padded (P={padding.value})" if padding.value else "input"
        panels = {name: view.padded, "kernel": view.kernel}
        if view.ok:
            panels["output"] = view.output
        with out:
            out.clear_output(wait=True)
            fig = show_grids(panels, boxes={name: (0, 0, span, span)}, cmap="gray", size=2.5,  # fits a slide
                             title="red square: the first window")
            display(fig)
            plt.close(fig)

    for control in (image, preset, size, stride, padding, dilation, *cells):
        control.observe(redraw, "value")
    redraw()
    return W.VBox([W.HBox([W.VBox([image, preset, size]), W.VBox([stride, padding, dilation])]),
                   custom_box, caption, out])
