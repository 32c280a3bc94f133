"""Lesson-06 learning-rate explorer: builds without a browser and follows its slider."""
import matplotlib
import numpy as np

matplotlib.use("Agg")

from course_utils.learning_rate import RangeTest, smooth  # noqa: E402
from course_utils.widgets import training as widget  # noqa: E402


def fake_range_test():
    lrs = np.geomspace(1e-6, 1, 50)
    losses = 2.3 - np.clip(np.log10(lrs) + 5, 0, 3) * 0.5 + np.where(lrs > 0.1, 5.0, 0.0)
    return RangeTest(lrs, losses, smooth(losses))


def test_lr_explorer_follows_its_slider(monkeypatch):
    shown = []
    monkeypatch.setattr(widget, "display", shown.append)
    runs = {1e-4: np.linspace(2.3, 2.0, 30), 1e-2: np.linspace(2.3, 0.5, 30), 1.0: np.full(30, np.nan)}
    box = widget.lr_explorer(fake_range_test(), runs)
    slider, info = box.children[0], box.children[1]
    assert slider.value == 1e-2 and "1e-02" in info.value and "0." in info.value and len(shown) == 1
    slider.value = 1.0
    assert "diverged" in info.value and len(shown) == 2
    right = shown[-1].axes[1]
    assert "1e+00" in right.get_title()

