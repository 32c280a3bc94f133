"""Tests of course_utils.maximize (activation maximisation, lesson 08) and the blur it uses."""
import pytest
import torch

from course_utils import maximize, models, transforms, viz


def small_vgg(seed=0):
    torch.manual_seed(seed)
    return models.vgg_fashion(widths=(4, 6, 8), hidden=16).eval()


@pytest.mark.parametrize("layer,units", [(None, [0, 3, 9]), ("conv2_1", [1, 5]), ("fc1", [2])])
def test_maximize_activation_increases_the_target(layer, units):
    model = small_vgg()
    flags = [p.requires_grad for p in model.parameters()]
    result = maximize.maximize_activation(model, units, layer=layer, steps=40, lr=0.05)
    assert result.images.shape == (len(units), 1, 28, 28) and result.scores.shape == (41, len(units))
    assert torch.equal(result.steps, torch.arange(41))
    assert (result.scores[-1] > result.scores[0]).all()
    assert result.images.min() >= 0 and result.images.max() <= 1
    # measured independently of the function's own bookkeeping
    with torch.no_grad(), viz.capture(model, layer or "fc2") as acts:
        model(result.images)
    torch.testing.assert_close(maximize.unit_score(acts[layer or "fc2"], torch.tensor(units)), result.scores[-1])
    assert viz.hook_count(model) == 0 and [p.requires_grad for p in model.parameters()] == flags


def test_gaussian_filter_keeps_constants_and_mass():
    x = torch.full((2, 3, 9, 9), 0.7)
    torch.testing.assert_close(transforms.gaussian_filter(x, 1.0), x)
    dot = torch.zeros(1, 1, 15, 15)
    dot[0, 0, 7, 7] = 1
    blurred = transforms.gaussian_filter(dot, 1.0)
    assert abs(float(blurred.sum()) - 1) < 1e-5 and blurred[0, 0, 7, 7] == blurred.max()




def test_maximize_activation_records_every_few_steps():
    model = small_vgg()
    every = maximize.maximize_activation(model, [1, 2], steps=11, record_every=1, seed=3)
    sparse = maximize.maximize_activation(model, [1, 2], steps=11, record_every=5, seed=3)
    assert sparse.steps.tolist() == [0, 5, 10, 11]
    torch.testing.assert_close(sparse.scores, every.scores[sparse.steps])
    torch.testing.assert_close(sparse.images, every.images)
