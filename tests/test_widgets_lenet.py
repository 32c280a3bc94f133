"""Lesson-05 shift explorer: builds without a browser and follows its sliders."""
import matplotlib
import torch

matplotlib.use("Agg")

from course_utils import models  # noqa: E402
from course_utils.widgets.lenet import shift_explorer  # noqa: E402


def test_shift_explorer_follows_its_sliders(monkeypatch):
    import matplotlib.pyplot as plt
    monkeypatch.setattr(plt, "show", lambda *a, **k: plt.close("all"))
    torch.manual_seed(0)
    images, labels = torch.rand(5, 1, 28, 28), torch.arange(5)
    box = shift_explorer({"MLP": models.mlp(), "CNN": models.fashion_cnn()}, images, labels, max_shift=4)
    item, (dx, dy), info = box.children[0], box.children[1].children, box.children[2]
    assert (item.max, dx.min, dx.max) == (4, -4, 4)
    first = info.value
    assert "true class: <b>T-shirt/top</b>" in first and "MLP:" in first and "CNN:" in first
    item.value = 3
    assert "true class: <b>Dress</b>" in info.value
    dx.value, dy.value = 2, -1
    assert "MLP:" in info.value
