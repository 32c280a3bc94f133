"""Lessons 01-02 widgets build and react to their controls without a browser (Agg backend)."""
import matplotlib
import torch
from torch import nn

matplotlib.use("Agg")

from course_utils import approximation  # noqa: E402
from course_utils.data import CLASS_NAMES  # noqa: E402
from course_utils.widgets.dense import activation_explorer, approximation_explorer  # noqa: E402
from course_utils.widgets.pixels import shift_contrast_explorer  # noqa: E402


def test_shift_contrast_explorer_updates_the_prediction_text():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))
    images, labels = torch.rand(4, 1, 28, 28), torch.tensor([0, 3, 5, 9])
    box = shift_contrast_explorer(model, images, labels)
    item, (dx, dy, contrast), info = box.children[0], box.children[1].children, box.children[2]
    assert CLASS_NAMES[0] in info.value
    item.value = 2
    assert f"<b>{CLASS_NAMES[5]}</b>" in info.value
    contrast.value = 0.0  # a flat grey picture: the prediction is the model's answer to grey
    dx.value, dy.value = 8, -8
    grey_guess = int(model(torch.full((1, 1, 28, 28), 0.5)).argmax())
    assert f"prediction: {'✅' if grey_guess == 5 else '❌'} <b>{CLASS_NAMES[grey_guess]}</b>" in info.value


def test_activation_explorer_shows_the_formula_and_toggles_alpha():
    box = activation_explorer()
    name, alpha, show_grad = box.children[0].children
    info = box.children[1]
    assert "max(0, x)" in info.value and alpha.disabled
    name.value = "leaky_relu"
    assert not alpha.disabled and r"\alpha" in info.value
    name.value = "sigmoid"
    assert "e^{-x}" in info.value
    show_grad.value = False


def test_approximation_explorer_lists_the_fitted_widths():
    fits = approximation.fits_by_width([1, 4, 8], iters=10)
    box = approximation_explorer(fits)
    slider = box.children[0]
    assert list(slider.options) == [1, 4, 8] and slider.value == 4
    slider.value = 8
