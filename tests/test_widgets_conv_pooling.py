"""The lesson 03/04 explorers build and react to their controls without a browser."""
import html

import ipywidgets as W
import matplotlib
import numpy as np

from course_utils.widgets.conv import conv_explorer
from course_utils.widgets.pooling import pool_explorer

matplotlib.use("Agg")


def _find(widget, cls, description):
    """The first descendant of ``widget`` of type cls with this description."""
    if isinstance(widget, cls) and getattr(widget, "description", None) == description:
        return widget
    for child in getattr(widget, "children", ()):
        found = _find(child, cls, description)
        if found is not None:
            return found
    return None


def _caption(widget) -> str:
    return html.unescape(next(c for c in widget.children if isinstance(c, W.HTML)).value)


def test_conv_explorer_shows_shape_and_errors():
    ui = conv_explorer({"small": np.random.default_rng(0).random((10, 10))})
    assert "output 8x8" in _caption(ui)
    _find(ui, W.IntSlider, "stride").value = 2
    assert "Invalid setting" in _caption(ui) and "4.5" in _caption(ui)
    _find(ui, W.IntSlider, "stride").value = 3
    _find(ui, W.IntSlider, "padding").value = 1
    assert "output 4x4" in _caption(ui)
    _find(ui, W.Dropdown, "kernel").value = "custom 3x3"
    assert _find(ui, W.IntSlider, "size").disabled


def test_pool_explorer_shows_shape_and_errors():
    ui = pool_explorer({"map": np.random.default_rng(0).random((8, 8))})
    assert "8x8 -> 4x4" in _caption(ui)
    _find(ui, W.IntSlider, "window F").value = 3
    assert "Invalid setting" in _caption(ui)
    _find(ui, W.IntSlider, "stride S").value = 1
    assert "8x8 -> 6x6" in _caption(ui)
