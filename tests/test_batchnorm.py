"""course_utils.batchnorm against nn.BatchNorm2d: outputs and running statistics over several
training steps, then evaluation mode, on random shapes and scales; bad input gets a clear error."""
import numpy as np
import pytest
import torch
from torch import nn

from course_utils.batchnorm import batchnorm_forward
from torch_threads import one_torch_thread  # noqa: F401  (autouse: one PyTorch thread)


def random_case(seed):
    rng = np.random.default_rng(seed)
    n, c, h, w = (int(v) for v in rng.integers(1, 6, size=4))
    n = max(n, 2)
    momentum = float(rng.choice([0.1, 0.01, 0.5]))
    eps = float(rng.choice([1e-5, 1e-3]))
    return rng, (n, c, h, w), momentum, eps


@pytest.mark.parametrize("seed", range(30))
def test_matches_batchnorm2d_in_both_modes(seed):
    rng, shape, momentum, eps = random_case(seed)
    c = shape[1]
    layer = nn.BatchNorm2d(c, momentum=momentum, eps=eps).double()
    gamma, beta = rng.normal(1, 0.5, size=c), rng.normal(0, 1, size=c)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(gamma))
        layer.bias.copy_(torch.from_numpy(beta))
    rm, rv = np.zeros(c), np.ones(c)   # PyTorch's starting running statistics
    for _ in range(3):                 # a few training steps: the running averages move
        x = rng.normal(size=shape) * rng.uniform(0.01, 10, size=(1, c, 1, 1)) + rng.normal(size=(1, c, 1, 1))
        out, rm, rv = batchnorm_forward(x, gamma, beta, rm, rv, True, momentum, eps)
        expected = layer.train()(torch.from_numpy(x)).detach().numpy()
        np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(rm, layer.running_mean.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(rv, layer.running_var.numpy(), rtol=1e-9, atol=1e-12)
    x = rng.normal(size=shape) * 3
    out, rm2, rv2 = batchnorm_forward(x, gamma, beta, rm, rv, False, momentum, eps)
    with torch.no_grad():
        expected = layer.eval()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-9)
    assert np.array_equal(rm2, rm) and np.array_equal(rv2, rv)


def test_inputs_are_not_modified():
    rng = np.random.default_rng(0)
    x, rm, rv = rng.normal(size=(4, 3, 2, 2)), np.zeros(3), np.ones(3)
    copies = [a.copy() for a in (x, rm, rv)]
    batchnorm_forward(x, np.ones(3), np.zeros(3), rm, rv, True)
    assert all(np.array_equal(a, b) for a, b in zip((x, rm, rv), copies))


@pytest.mark.parametrize("args, phrase", [
    ((np.zeros((4, 3)), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), True), "(N, C, H, W)"),
    ((np.zeros((4, 3, 2, 2)), np.ones(2), np.zeros(3), np.zeros(3), np.ones(3), True), "gamma must have"),
    ((np.zeros((4, 3, 2, 2)), np.ones(3), np.zeros(3), np.zeros(4), np.ones(3), False), "running_mean"),
    ((np.zeros((1, 3, 1, 1)), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), True), "more than one value"),
])
def test_bad_input_is_explained(args, phrase):
    with pytest.raises(ValueError, match=phrase.replace("(", r"\(").replace(")", r"\)")):
        batchnorm_forward(*args)
