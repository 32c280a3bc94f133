"""Lesson-06 learning-rate explorer and figures: build without a browser, follow the slider."""
import matplotlib
import numpy as np

matplotlib.use("Agg")

from course_utils import plots  # noqa: E402
from course_utils.learning_rate import RangeTest, smooth  # noqa: E402
from course_utils.widgets.training import lr_explorer  # noqa: E402


def fake_range_test():
    lrs = np.geomspace(1e-6, 1, 50)
    losses = 2.3 - np.clip(np.log10(lrs) + 5, 0, 3) * 0.5 + np.where(lrs > 0.1, 5.0, 0.0)
    return RangeTest(lrs, losses, smooth(losses))


def test_lr_explorer_follows_its_slider(monkeypatch):
    import matplotlib.pyplot as plt
    shown = []
    monkeypatch.setattr(plt, "show", lambda fig=None, *a, **k: (shown.append(fig), plt.close("all")))
    runs = {1e-4: np.linspace(2.3, 2.0, 30), 1e-2: np.linspace(2.3, 0.5, 30), 1.0: np.full(30, np.nan)}
    box = lr_explorer(fake_range_test(), runs)
    slider, info = box.children[0], box.children[1]
    assert slider.value == 1e-2 and "1e-02" in info.value and "0." in info.value and len(shown) == 1
    slider.value = 1.0
    assert "diverged" in info.value and len(shown) == 2
    right = shown[-1].axes[1]
    assert "1e+00" in right.get_title()


def test_figures_have_titles_and_labels():
    figs = [plots.plot_lr_range(*(lambda r: (r.lrs, r.losses, r.smoothed))(fake_range_test()), {"pick": 1e-3}),
            plots.plot_lr_schedules({"one-cycle": [1, 2, 3]}),
            plots.plot_layer_stds({"kaiming": [1.0, 0.9]}),
            plots.plot_step_losses({"a": [2.0, 1.0]}, smoothed={"a": [2.0, 1.5]})]
    for fig in figs:
        ax = fig.axes[0]
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    matplotlib.pyplot.close("all")
