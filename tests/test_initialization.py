"""course_utils.initialization: the plain stack, the three schemes, and the spread per layer."""
import math

import pytest
import torch
from torch import nn

from course_utils import initialization as I
from torch_threads import one_torch_thread  # noqa: F401  (autouse: one PyTorch thread)


def test_plain_stack_shape():
    model = I.plain_stack(depth=5, width=16, in_features=12, classes=3)
    assert sum(isinstance(m, nn.Linear) for m in model) == 6
    assert sum(isinstance(m, nn.ReLU) for m in model) == 5
    assert model(torch.zeros(2, 3, 4)).shape == (2, 3)


@pytest.mark.parametrize("scheme, std", [("normal_0.01", lambda fan: 0.01), ("normal_1", lambda fan: 1.0),
                                         ("kaiming", lambda fan: math.sqrt(2 / fan))])
def test_schemes_draw_the_stated_spread(scheme, std):
    model = I.initialise(nn.Sequential(nn.Linear(400, 300), nn.Conv2d(8, 16, 3)), scheme)
    for layer in model:
        fan_in = layer.weight[0].numel()
        assert layer.weight.std().item() == pytest.approx(std(fan_in), rel=0.05)
        assert not layer.bias.any()


def test_kaiming_keeps_the_spread_and_naive_schemes_do_not():
    x = torch.rand(256, 1, 28, 28)
    stds = {s: I.activation_stds(I.initialise(I.plain_stack(depth=20), s), x) for s in I.INITS}
    assert all(len(v) == 20 for v in stds.values())
    kaiming = stds["kaiming"]
    assert 0.1 < min(kaiming) and max(kaiming) < 2
    assert stds["normal_0.01"][-1] < 1e-15 < 1e15 < stds["normal_1"][-1]


def test_batchnorm_keeps_a_naive_stack_alive():
    x = torch.rand(256, 1, 28, 28)
    model = I.initialise(I.plain_stack(depth=20, batchnorm=True), "normal_0.01").train()
    assert sum(isinstance(m, nn.BatchNorm1d) for m in model) == 20
    stds = I.activation_stds(model, x)
    assert 0.3 < min(stds) and max(stds) < 1


def test_unknown_scheme_names_the_choices():
    with pytest.raises(ValueError, match="'kaiming'"):
        I.initialise(nn.Linear(2, 2), "xavier")


def test_hooks_are_removed():
    model = I.plain_stack(depth=2, width=4, in_features=3)
    I.activation_stds(model, torch.zeros(1, 3))
    assert all(not m._forward_hooks for m in model.modules())
