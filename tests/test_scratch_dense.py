"""course_utils.scratch dense layer against PyTorch, and the numerical gradient check against the
analytic gradients of every scratch backward pass."""
import numpy as np
import pytest
import torch
from torch.nn import functional as F

from course_utils import scratch
from torch_threads import one_torch_thread  # noqa: F401  (autouse: one PyTorch thread)


@pytest.mark.parametrize("seed", range(50))
def test_dense_matches_torch(seed):
    rng = np.random.default_rng(seed)
    x_shape = (int(rng.integers(1, 5)), *rng.integers(1, 4, size=int(rng.integers(1, 4))))
    d, m = int(np.prod(x_shape[1:])), int(rng.integers(1, 6))
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal((d, m)), rng.standard_normal(m)
    dout = rng.standard_normal((x_shape[0], m))
    out, cache = scratch.dense_forward(x, w, b)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ref = F.linear(xt.flatten(1), wt.T, bt)
    ref.backward(torch.tensor(dout))
    assert np.allclose(out, ref.detach().numpy())
    for got, want in zip(scratch.dense_backward(dout, cache), (xt.grad, wt.grad, bt.grad)):
        assert got.shape == want.shape and np.allclose(got, want.numpy())


def test_dense_backward_checks_dout_shape():
    _, cache = scratch.dense_forward(np.zeros((2, 3)), np.zeros((3, 4)), np.zeros(4))
    with pytest.raises(ValueError, match=r"dout must have the forward output's shape \(2, 4\)"):
        scratch.dense_backward(np.zeros((2, 3)), cache)


def _layers(rng):
    """(name, forward taking one array, the analytic gradient of sum(out * dout), input) for every op."""
    x4 = rng.standard_normal((2, 2, 5, 5))
    w4, b4 = rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    x2, w2, b2 = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    conv = dict(stride=2, padding=1)
    return [
        ("dense", lambda x: scratch.dense_forward(x, w2, b2), scratch.dense_backward, x2),
        ("conv loops", lambda x: scratch.conv_forward_naive(x, w4, b4, **conv), scratch.conv_backward_naive, x4),
        ("conv im2col", lambda x: scratch.conv_forward_im2col(x, w4, b4, **conv), scratch.conv_backward_im2col, x4),
        ("max pool", lambda x: scratch.max_pool_forward_naive(x, 3, 2, 1), scratch.max_pool_backward_naive, x4),
        ("avg pool", lambda x: scratch.avg_pool_forward_im2col(x, 3, 2, 1), scratch.avg_pool_backward_im2col, x4),
    ]


@pytest.mark.parametrize("index", range(5))
def test_numerical_gradient_agrees_with_every_backward_pass(index):
    name, forward, backward, x = _layers(np.random.default_rng(index))[index]
    out, cache = forward(x)
    dout = np.random.default_rng(100 + index).standard_normal(out.shape)
    analytic = backward(dout, cache)
    dx = analytic[0] if isinstance(analytic, tuple) else analytic
    numeric = scratch.numerical_gradient(lambda v: forward(v)[0], x.copy(), dout)
    assert scratch.relative_error(dx, numeric) < 1e-6, name


def test_numerical_gradient_restores_x_and_relative_error_is_the_largest():
    x = np.arange(6.0).reshape(2, 3)
    before = x.copy()
    grad = scratch.numerical_gradient(lambda v: v ** 2, x, np.ones((2, 3)))
    assert np.array_equal(x, before) and np.allclose(grad, 2 * x)
    assert scratch.relative_error(np.array([1.0, 2.0]), np.array([1.0, 3.0])) == pytest.approx(0.2)
    assert scratch.relative_error(np.zeros(2), np.zeros(2)) == 0.0
