"""Lesson 04: the pooling explorer. Pick an input (a photo or a convolution feature map), max or
average pooling, the window and the stride; see input, output and the shapes. What is shown is
computed by ``course_utils.kernels.pool_view``; an invalid setting shows its error."""
from __future__ import annotations

import html
from typing import Mapping

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from .. import kernels
from ..plots import show_grids


def pool_explorer(images: Mapping[str, np.ndarray]) -> W.VBox:
    """images: {name: (H, W) array}. Returns the widget (display it as a cell's last line)."""
    image = W.Dropdown(options=list(images), description="input")
    kind = W.ToggleButtons(options=list(kernels.POOL_KINDS), value="max", description="pooling")
    window = W.IntSlider(value=2, min=1, max=6, description="window F")
    stride = W.IntSlider(value=2, min=1, max=6, description="stride S")
    caption = W.HTML()
    out = W.Output()

    def redraw(_=None):
        view = kernels.pool_view(images[image.value], kind.value, window.value, stride.value)
        color = "#1a7f37" if view.ok else "#cf222e"
        caption.value = f'<span style="color:{color}">{html.escape(view.message)}</span>'
        panels = {"input": view.image}
        if view.ok:
            panels[f"{kind.value} pooled"] = view.output
        with out:
            out.clear_output(wait=True)
            fig = show_grids(panels, boxes={"input": (0, 0, window.value, window.value)}, cmap="gray",
                             size=2.8, title="red square: the first window")  # fits a slide
            display(fig)
            plt.close(fig)

    for control in (image, kind, window, stride):
        control.observe(redraw, "value")
    redraw()
    return W.VBox([W.HBox([image, kind]), W.HBox([window, stride]), caption, out])
