"""The step-through explorers of lessons 03/04 build, follow their controls and show errors,
without a browser (Agg backend)."""
import html

import ipywidgets as W
import matplotlib
import numpy as np

matplotlib.use("Agg")

from course_utils.widgets.stepper import conv_stepper, draw_conv_step, draw_pool_step, pool_stepper  # noqa: E402

rng = np.random.default_rng(0)
TOY = rng.integers(0, 4, size=(3, 5, 5)).astype(float)


def _controls(ui):
    """{description: widget} of every control in the explorer."""
    found = {}
    stack = [ui]
    while stack:
        widget = stack.pop()
        if isinstance(widget, W.ToggleButtons):
            found["pass"] = widget
        elif getattr(widget, "description", None):
            found[widget.description] = widget
        stack.extend(getattr(widget, "children", ()))
    return found


def _caption(ui) -> str:
    return html.unescape(next(c for c in ui.children if isinstance(c, W.HTML)).value)


def test_conv_stepper_moves_the_window_and_shows_errors():
    ui = conv_stepper({"toy": (TOY, rng.integers(-1, 2, size=(3, 3, 3)).astype(float), 1.0)})
    c = _controls(ui)
    assert c["position"].max == 8 and c["position"].value == 4          # 3x3 output, starts in the middle
    assert "9 window positions" in _caption(ui)
    c["position"].value = 8
    c["pass"].value = "backward"
    c["padding"].value = 1
    assert c["position"].max == 24 and "25 window positions" in _caption(ui)
    c["stride"].value = 3                                                 # (5 - 3 + 2)/3 + 1 is not whole
    assert "Invalid setting" in _caption(ui) and "not a whole number" in _caption(ui)
    assert c["position"].disabled and c["play"].disabled
    c["stride"].value = 2
    assert not c["position"].disabled and c["position"].max == 8


def test_pool_stepper_follows_window_and_stride():
    ui = pool_stepper({"toy": TOY}, direction="backward")
    c = _controls(ui)
    assert c["pass"].value == "backward"
    assert c["window F"].value == 3 and c["stride"].value == 2 and c["position"].max == 3
    c["pass"].value = "backward"
    c["padding"].value = 2                                                # more than half the window
    assert "at most half" in _caption(ui)
    c["padding"].value = 0
    c["window F"].value = 1
    assert c["position"].max == 8 and "9 window positions" in _caption(ui)


def test_figures_title_each_panel():
    w = np.ones((3, 3, 3))
    for fig in (draw_conv_step(TOY, w, 0.5, 1, 1, 2, 3), draw_conv_step(TOY, w, 0.5, 1, 0, 1, 3, "backward", np.ones((3, 3))),
                draw_pool_step(TOY, 2, 1, 0, 5), draw_pool_step(TOY, 2, 1, 1, 5, "backward", np.ones((3, 6, 6)))):
        titled = [ax for ax in fig.axes if ax.get_title()]
        assert fig.texts and titled and all(ax.get_xlabel() == "column" for ax in titled)
        assert "step " in fig.texts[0].get_text()


def test_unknown_direction_names_the_choices():
    import pytest
    with pytest.raises(ValueError, match="forward"):
        pool_stepper({"toy": TOY}, direction="sideways")
