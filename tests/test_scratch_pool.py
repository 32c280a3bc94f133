"""course_utils.scratch pooling against PyTorch: max and average pooling, forward and backward,
on random configurations in float64, plus the clear errors for bad input."""
import numpy as np
import pytest
import torch
from torch.nn import functional as F

from course_utils import scratch
from torch_threads import one_torch_thread  # noqa: F401  (autouse: one PyTorch thread)

N_CASES = 100
TOL = 1e-10
LAYERS = {"max": [(scratch.max_pool_forward_naive, scratch.max_pool_backward_naive),
                  (scratch.max_pool_forward_im2col, scratch.max_pool_backward_im2col)],
          "avg": [(scratch.avg_pool_forward_naive, scratch.avg_pool_backward_naive),
                  (scratch.avg_pool_forward_im2col, scratch.avg_pool_backward_im2col)]}
ALL_LAYERS = LAYERS["max"] + LAYERS["avg"]
MAX_FORWARDS = [forward for forward, _ in LAYERS["max"]]


def random_config(seed: int) -> dict:
    """A random pooling layer whose windows tile the padded input; x has no ties (a permutation)."""
    rng = np.random.default_rng(seed)
    f = tuple(int(v) for v in rng.integers(1, 4, size=2))
    stride = None if rng.random() < 0.3 else tuple(int(v) for v in rng.integers(1, 4, size=2))
    padding = tuple(int(rng.integers(0, v // 2 + 1)) for v in f)
    sizes = []
    for axis in range(2):
        s = f[axis] if stride is None else stride[axis]
        out = int(rng.integers(1, 5))
        while (out - 1) * s + f[axis] - 2 * padding[axis] < 1:
            out += 1
        sizes.append((out - 1) * s + f[axis] - 2 * padding[axis])
    n, c = (int(v) for v in rng.integers(1, 4, size=2))
    x = rng.permutation(n * c * sizes[0] * sizes[1]).reshape(n, c, *sizes) / 7.0 - 3.0
    if f[0] == f[1] and rng.random() < 0.5:    # exercise the int form of the arguments too
        f = f[0]
    return dict(x=x, f=f, stride=stride, padding=padding)


def torch_pool(kind: str, cfg: dict, dout: np.ndarray | None = None):
    x = torch.tensor(cfg["x"], requires_grad=True)
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    out = pool(x, cfg["f"], cfg["stride"], cfg["padding"])
    if dout is None:
        return out.detach().numpy()
    out.backward(torch.tensor(dout))
    return x.grad.numpy()


@pytest.mark.parametrize("seed", range(N_CASES))
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_matches_torch(kind, seed):
    cfg = random_config(seed)
    args = (cfg["f"], cfg["stride"], cfg["padding"])
    expected = torch_pool(kind, cfg)
    dout = np.random.default_rng(seed + 1000).standard_normal(expected.shape)
    expected_dx = torch_pool(kind, cfg, dout)
    for forward, backward in LAYERS[kind]:
        got, cache = forward(cfg["x"], *args)
        assert got.shape == expected.shape, forward.__name__
        assert np.abs(got - expected).max() <= TOL, forward.__name__
        dx = backward(dout, cache)
        assert dx.shape == cfg["x"].shape, backward.__name__
        assert np.abs(dx - expected_dx).max() <= TOL, backward.__name__


@pytest.mark.parametrize("seed", range(10))
def test_max_backward_ties_go_where_pytorch_sends_them(seed):
    """With many equal values, the first maximum in row-major window order gets the gradient."""
    rng = np.random.default_rng(seed)
    stride, padding = (1, 1) if seed % 2 else (3, 0)      # overlapping and side-by-side windows
    cfg = dict(x=rng.integers(0, 2, size=(2, 2, 6, 6)).astype(float), f=3, stride=stride, padding=padding)
    dout = np.ones_like(torch_pool("max", cfg))
    for forward, backward in LAYERS["max"]:
        _, cache = forward(cfg["x"], cfg["f"], cfg["stride"], cfg["padding"])
        assert np.array_equal(backward(dout, cache), torch_pool("max", cfg, dout)), backward.__name__


def test_gradient_reaches_only_the_switches():
    x = np.array([[1., 5., 2., 0.],
                  [3., 4., 8., 1.],
                  [0., 2., 6., 7.],
                  [9., 1., 3., 2.]])[None, None]
    expected = np.zeros((4, 4))
    expected[0, 1], expected[1, 2], expected[3, 0], expected[2, 3] = 10, 20, 30, 40
    for forward, backward in LAYERS["max"]:
        _, cache = forward(x, 2)
        assert np.array_equal(backward(np.array([[[[10., 20.], [30., 40.]]]]), cache)[0, 0], expected)


def test_seed_example_3x3_stride_3():
    """The window 1, 0, 4, 8, 2, 5, 20, 13, 25 pools to 25; a 6x6 image becomes 2x2."""
    image = np.arange(36, dtype=float).reshape(6, 6)
    image[:3, :3] = np.array([1, 0, 4, 8, 2, 5, 20, 13, 25]).reshape(3, 3)
    for forward in MAX_FORWARDS:
        out, _ = forward(image[None, None], 3)
        assert out.shape == (1, 1, 2, 2) and out[0, 0, 0, 0] == 25


def test_no_parameters_depth_unchanged():
    x = np.random.default_rng(0).standard_normal((1, 64, 224, 224)).astype(np.float32)
    out, _ = scratch.max_pool_forward_im2col(x, 2, 2)
    assert out.shape == (1, 64, 112, 112) and out.dtype == np.float32


def test_integer_input_with_padding():
    x = np.arange(16).reshape(1, 1, 4, 4) - 20           # all negative: padding must never win
    for forward in MAX_FORWARDS:
        out, _ = forward(x, 3, 1, padding=1)
        assert out.dtype.kind == "i" and out.max() < 0
        assert np.array_equal(out, F.max_pool2d(torch.tensor(x, dtype=torch.float64), 3, 1, 1).numpy())


@pytest.mark.parametrize("pool", [forward for forward, _ in ALL_LAYERS], ids=lambda f: f.__name__)
def test_invalid_configurations(pool):
    with pytest.raises(ValueError, match=r"\(6 - 4 \+ 2\*0\)/4 \+ 1 = 1.5"):
        pool(np.zeros((1, 1, 6, 6)), 4)
    with pytest.raises(ValueError, match="at most half the window"):
        pool(np.zeros((1, 1, 6, 6)), 2, 2, padding=2)
    with pytest.raises(ValueError, match=r"x must be 4-D \(N, C, H, W\), got shape \(6, 6\)"):
        pool(np.zeros((6, 6)), 2)
    with pytest.raises(ValueError, match="does not fit"):
        pool(np.zeros((1, 1, 2, 2)), 3)


@pytest.mark.parametrize("forward, backward", ALL_LAYERS, ids=lambda f: f.__name__)
def test_backward_checks_dout_shape(forward, backward):
    _, cache = forward(np.zeros((1, 1, 4, 4)), 2)
    with pytest.raises(ValueError, match=r"dout must have the forward output's shape \(1, 1, 2, 2\)"):
        backward(np.zeros((1, 1, 3, 3)), cache)
