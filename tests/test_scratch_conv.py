"""course_utils.scratch convolution against PyTorch: forward (naive and im2col) and backward,
on hundreds of random configurations in float64, plus the clear errors for bad input."""
import numpy as np
import pytest
import torch
from torch.nn import functional as F

from course_utils import scratch
from torch_threads import one_torch_thread  # noqa: F401  (autouse: one PyTorch thread)

N_CASES = 200
TOL = 1e-8
LAYERS = [(scratch.conv_forward_naive, scratch.conv_backward_naive),
          (scratch.conv_forward_im2col, scratch.conv_backward_im2col)]
CONVS = [forward for forward, _ in LAYERS]


def random_config(seed: int) -> dict:
    """A random convolution whose windows tile the padded input exactly (sizes kept small)."""
    rng = np.random.default_rng(seed)
    square = rng.random() < 0.5
    fh = int(rng.integers(1, 4))
    fw = fh if square else int(rng.integers(1, 4))
    stride = tuple(int(s) for s in rng.integers(1, 4, size=2))
    padding = tuple(int(p) for p in rng.integers(0, 3, size=2))
    dilation = tuple(int(d) for d in rng.integers(1, 3, size=2))
    sizes = []
    for f, s, p, d in zip((fh, fw), stride, padding, dilation):
        span = d * (f - 1) + 1
        out = int(rng.integers(1, 5))
        while (out - 1) * s + span - 2 * p < 1:    # the input must have at least one pixel
            out += 1
        sizes.append((out - 1) * s + span - 2 * p)
    n, c, k = (int(v) for v in rng.integers(1, 4, size=3))
    # pass plain ints when both axes agree, to exercise both forms of the arguments
    simplify = lambda pair: pair[0] if pair[0] == pair[1] and rng.random() < 0.5 else pair  # noqa: E731
    return dict(x=rng.standard_normal((n, c, *sizes)), w=rng.standard_normal((k, c, fh, fw)),
                b=rng.standard_normal(k), stride=simplify(stride), padding=simplify(padding),
                dilation=simplify(dilation))


def torch_reference(cfg: dict, dout: np.ndarray | None = None):
    x, w, b = (torch.tensor(cfg[name], requires_grad=True) for name in ("x", "w", "b"))
    out = F.conv2d(x, w, b, stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"])
    if dout is None:
        return out.detach().numpy()
    out.backward(torch.tensor(dout))
    return x.grad.numpy(), w.grad.numpy(), b.grad.numpy()


def geometry(cfg: dict) -> dict:
    return {k: cfg[k] for k in ("stride", "padding", "dilation")}


@pytest.mark.parametrize("seed", range(N_CASES))
def test_forward_and_backward_match_torch(seed):
    cfg = random_config(seed)
    expected = torch_reference(cfg)
    dout = np.random.default_rng(seed + 10_000).standard_normal(expected.shape)
    expected_grads = torch_reference(cfg, dout)
    for forward, backward in LAYERS:
        got, cache = forward(cfg["x"], cfg["w"], cfg["b"], **geometry(cfg))
        assert got.shape == expected.shape, forward.__name__
        assert np.abs(got - expected).max() <= TOL, forward.__name__
        for name, grad, ref in zip(("dx", "dw", "db"), backward(dout, cache), expected_grads):
            assert grad.shape == ref.shape, (backward.__name__, name)
            assert np.abs(grad - ref).max() <= TOL, (backward.__name__, name)


def test_without_bias_matches_torch():
    cfg = random_config(1)
    x, w = torch.tensor(cfg["x"]), torch.tensor(cfg["w"])
    expected = F.conv2d(x, w, None, **geometry(cfg)).numpy()
    for conv in CONVS:
        assert np.abs(conv(cfg["x"], cfg["w"], **geometry(cfg))[0] - expected).max() <= TOL


def test_col2im_is_the_adjoint_of_im2col():
    """<im2col(x), c> == <x, col2im(c)> for every x and c: col2im sums overlapping fields."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 9))
    kw = dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2))
    cols = scratch.im2col(x, 3, 2, **kw)
    c = rng.standard_normal(cols.shape)
    assert np.isclose(np.sum(cols * c), np.sum(x * scratch.col2im(c, x.shape, 3, 2, **kw)))


def test_alexnet_conv1_shapes():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 3, 227, 227))
    w = rng.standard_normal((96, 3, 11, 11))
    cols = scratch.im2col(x, 11, 11, stride=4)
    assert cols.shape == (363, 3025)
    assert (w.reshape(96, -1) @ cols).shape == (96, 3025)
    out, _ = scratch.conv_forward_im2col(x, w, stride=4)
    assert out.shape == (1, 96, 55, 55)
    assert np.abs(out - F.conv2d(torch.tensor(x), torch.tensor(w), stride=4).numpy()).max() <= TOL


def test_first_column_is_the_first_receptive_field():
    x = np.arange(2 * 5 * 5, dtype=float).reshape(1, 2, 5, 5)
    cols = scratch.im2col(x, 3, 3, stride=2)
    assert cols.shape == (18, 4)
    assert np.array_equal(cols[:, 0], x[0, :, :3, :3].ravel())
    assert np.array_equal(cols[:, 3], x[0, :, 2:5, 2:5].ravel())


def test_integer_inputs_stay_integer():
    """The seed 003 example: ones on the diagonal and the 2x2 identity kernel."""
    x = np.zeros((1, 1, 4, 4), dtype=int)
    x[0, 0, 2, 2] = x[0, 0, 3, 3] = 1
    w = np.eye(2, dtype=int)[None, None]
    for conv in CONVS:
        out, _ = conv(x, w)
        assert out.dtype.kind == "i" and out.shape == (1, 1, 3, 3)
        assert out.max() == 2 and out[0, 0, 2, 2] == 2 and out[0, 0, 1, 1] == 1


@pytest.mark.parametrize("n, f, p, s, expected", [
    (7, 3, 0, 1, 5), (7, 3, 0, 2, 3), (5, 3, 1, 1, 5), (5, 3, 1, 2, 3), (227, 11, 0, 4, 55),
    (32, 5, 2, 1, 32), (28, 3, 1, 1, 28)])
def test_output_size(n, f, p, s, expected):
    assert scratch.output_size(n, f, stride=s, padding=p) == expected


def test_output_size_with_dilation():
    assert scratch.output_size(9, 3, dilation=2) == 5      # the kernel spans 5 pixels
    assert scratch.output_size(9, 3, dilation=4) == 1


@pytest.mark.parametrize("n, f, p, s, fraction", [(10, 3, 0, 2, "4.5"), (224, 11, 0, 4, "54.25"),
                                                  (5, 3, 1, 3, "2.33333")])
def test_output_size_refuses_configurations_that_do_not_tile(n, f, p, s, fraction):
    with pytest.raises(ValueError) as err:
        scratch.output_size(n, f, stride=s, padding=p)
    message = str(err.value)
    assert fraction in message
    assert f"({n} - {f} + 2*{p})/{s} + 1" in message


def test_output_size_suggests_a_fix():
    with pytest.raises(ValueError, match="input of size 227"):
        scratch.output_size(224, 11, stride=4)
    with pytest.raises(ValueError, match="padding P=2"):
        scratch.output_size(8, 3, stride=3)


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(n=3, f=5), "does not fit"),
    (dict(n=5, f=3, stride=0), "stride must be an integer >= 1"),
    (dict(n=5, f=3, padding=-1), "padding must be an integer >= 0"),
    (dict(n=5, f=0), "f must be an integer >= 1"),
    (dict(n=5, f=3, dilation=0), "dilation must be an integer >= 1"),
    (dict(n=5, f=2.5), "f must be an integer"),
])
def test_output_size_rejects_bad_numbers(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        scratch.output_size(**kwargs)


@pytest.mark.parametrize("conv", CONVS, ids=lambda f: f.__name__)
def test_wrong_rank_names_the_shape(conv):
    with pytest.raises(ValueError, match=r"x must be 4-D \(N, C, H, W\), got shape \(5, 5\)"):
        conv(np.zeros((5, 5)), np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"w must be 4-D \(K, C, FH, FW\), got shape \(3, 3\)"):
        conv(np.zeros((1, 1, 5, 5)), np.zeros((3, 3)))


@pytest.mark.parametrize("conv", CONVS, ids=lambda f: f.__name__)
def test_mismatched_channels_name_both_shapes(conv):
    with pytest.raises(ValueError, match=r"w has 2 input channels but x has 3.*\(1, 3, 5, 5\).*\(4, 2, 3, 3\)"):
        conv(np.zeros((1, 3, 5, 5)), np.zeros((4, 2, 3, 3)))


@pytest.mark.parametrize("conv", CONVS, ids=lambda f: f.__name__)
def test_wrong_bias_shape(conv):
    with pytest.raises(ValueError, match=r"b must have shape \(4,\)"):
        conv(np.zeros((1, 3, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros(3))


@pytest.mark.parametrize("conv", CONVS, ids=lambda f: f.__name__)
def test_configuration_that_does_not_tile_names_the_axis(conv):
    with pytest.raises(ValueError, match=r"Along the width .* = 4.5"):
        conv(np.zeros((1, 1, 9, 10)), np.zeros((1, 1, 3, 3)), stride=2)


@pytest.mark.parametrize("conv", CONVS, ids=lambda f: f.__name__)
def test_bad_pair_argument(conv):
    with pytest.raises(ValueError, match="stride must be an int or a pair"):
        conv(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), stride=(1, 2, 3))


@pytest.mark.parametrize("forward, backward", LAYERS, ids=lambda f: f.__name__)
def test_backward_checks_dout_shape(forward, backward):
    _, cache = forward(np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"dout must have the forward output's shape \(1, 2, 3, 3\)"):
        backward(np.zeros((1, 2, 4, 4)), cache)
