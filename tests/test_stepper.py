"""The step-through walk of lessons 03/04: after the last step it has computed exactly what
PyTorch computes (forward) and what autograd computes (backward), on random configurations."""
import numpy as np
import pytest
import torch
from torch.nn import functional as F

from course_utils import scratch, stepper

rng = np.random.default_rng(0)


def _conv_cases(n=40):
    """Random (x, w, b, stride, padding, dilation) that tile exactly."""
    cases = []
    while len(cases) < n:
        c, f, s, p, d = rng.integers(1, 4), rng.integers(1, 4), rng.integers(1, 4), rng.integers(0, 3), rng.integers(1, 3)
        h, w = rng.integers(3, 10, size=2)
        try:
            scratch.window_settings((1, c, h, w), f, f, s, p, d)
        except ValueError:
            continue
        cases.append((rng.standard_normal((c, h, w)), rng.standard_normal((c, f, f)), rng.standard_normal(),
                      int(s), int(p), int(d)))
    return cases


def _pool_cases(n=40):
    cases = []
    while len(cases) < n:
        c, f, s = rng.integers(1, 4), rng.integers(1, 5), rng.integers(1, 4)
        p = rng.integers(0, f // 2 + 1)
        h, w = rng.integers(3, 10, size=2)
        try:
            scratch.window_settings((1, c, h, w), f, f, s, p)
        except ValueError:
            continue
        cases.append((rng.standard_normal((c, h, w)), int(f), int(s), int(p)))
    return cases


@pytest.mark.parametrize("x, w, b, s, p, d", _conv_cases())
def test_conv_last_step_is_torch_conv2d_and_backward_is_autograd(x, w, b, s, p, d):
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x[None], w[None], np.array([b])))
    out = F.conv2d(xt, wt, bt, stride=s, padding=p, dilation=d)
    dout = rng.standard_normal(out.shape[2:])
    out.backward(torch.tensor(dout[None, None]))
    last = stepper.conv_step(x, w, b, s, p, d).at.n_steps - 1

    forward = stepper.conv_step(x, w, b, s, p, d, step=last)
    assert np.allclose(forward.output, out[0, 0].detach().numpy())
    backward = stepper.conv_backward_step(x, w, dout, s, p, d, step=last)
    assert np.allclose(backward.dx, xt.grad[0].numpy())
    assert np.allclose(backward.dw, wt.grad[0].numpy())
    assert np.isclose(backward.db, bt.grad[0].item())


@pytest.mark.parametrize("x, f, s, p", _pool_cases())
def test_pool_last_step_is_torch_max_pool2d_and_backward_is_autograd(x, f, s, p):
    xt = torch.tensor(x[None], requires_grad=True)
    out = F.max_pool2d(xt, f, s, p)
    dout = rng.standard_normal(out.shape[1:])
    out.backward(torch.tensor(dout[None]))
    last = stepper.pool_step(x, f, s, p).at.n_steps - 1

    assert np.array_equal(stepper.pool_step(x, f, s, p, step=last).output, out[0].detach().numpy())
    assert np.allclose(stepper.pool_backward_step(x, dout, f, s, p, step=last).dx, xt.grad[0].numpy())


def test_conv_step_shows_one_window_and_fills_the_output_in_reading_order():
    x = np.arange(2 * 5 * 5, dtype=float).reshape(2, 5, 5)
    w = np.ones((2, 3, 3))
    st = stepper.conv_step(x, w, b=1.0, stride=2, padding=1, step=4)     # 3x3 output: step 4 is (1, 1)
    assert (st.at.i, st.at.j, st.at.n_steps) == (1, 1, 9)
    assert st.at.rows.tolist() == [2, 3, 4] and st.at.box == (2, 2, 3, 3)
    assert np.array_equal(st.windows, st.padded[:, 2:5, 2:5])
    assert np.array_equal(st.products, st.windows * w) and st.value == st.products.sum() + 1.0
    assert np.isfinite(st.output.ravel()[:5]).all() and np.isnan(st.output.ravel()[5:]).all()


def test_dilated_taps_skip_pixels():
    st = stepper.conv_step(np.zeros((1, 7, 7)), np.ones((1, 3, 3)), dilation=2, step=2)
    assert st.at.cols.tolist() == [2, 4, 6] and st.at.box == (0, 2, 5, 5)


def test_backward_step_adds_dout_times_kernel_into_the_window():
    x, w = rng.standard_normal((3, 4, 4)), rng.standard_normal((3, 2, 2))
    dout = rng.standard_normal((3, 3))
    first = stepper.conv_backward_step(x, w, dout, step=0)
    assert np.allclose(first.contribution, dout[0, 0] * w)
    assert np.allclose(first.dx[:, :2, :2], dout[0, 0] * w) and np.count_nonzero(first.dx[:, 2:, :]) == 0
    second = stepper.conv_backward_step(x, w, dout, step=1)
    assert np.allclose(second.dx[:, :2, 1:3] - first.dx[:, :2, 1:3], dout[0, 1] * w)


def test_pool_winners_and_overlapping_windows_add_up():
    x = np.zeros((1, 5, 5))
    x[0, 2, 2] = 10.0                                     # the centre wins all four 3x3 windows (stride 2)
    dout = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    for k in range(4):
        st = stepper.pool_step(x, 3, stride=2, step=k)
        assert st.winners.tolist() == [[2, 2]] and st.values.tolist() == [10.0]
    back = stepper.pool_backward_step(x, dout, 3, stride=2, step=2)
    assert back.dx[0, 2, 2] == 6.0 and np.count_nonzero(back.dx) == 1
    tie = stepper.pool_step(np.ones((1, 2, 2)), 2, step=0)
    assert tie.winners.tolist() == [[0, 0]]               # first maximum in reading order, like PyTorch


def test_padding_is_never_the_winner():
    st = stepper.pool_step(-np.ones((1, 4, 4)), 2, stride=2, padding=1, step=0)
    assert st.values.tolist() == [-1.0] and st.winners.tolist() == [[1, 1]]


@pytest.mark.parametrize("call, message", [
    (lambda: stepper.conv_step(np.zeros((1, 10, 10)), np.ones((1, 3, 3)), stride=2), "4.5"),
    (lambda: stepper.conv_step(np.zeros((3, 5, 5)), np.ones((1, 3, 3))), "channels of x"),
    (lambda: stepper.conv_step(np.zeros((5, 5)), np.ones((3, 3))), "(C, H, W)"),
    (lambda: stepper.conv_step(np.zeros((1, 5, 5)), np.ones((1, 3, 3)), step=9), "0..8"),
    (lambda: stepper.conv_backward_step(np.zeros((1, 5, 5)), np.ones((1, 3, 3)), np.zeros((2, 2))), "(3, 3)"),
    (lambda: stepper.pool_step(np.zeros((1, 6, 6)), 2, padding=2), "at most half"),
    (lambda: stepper.pool_backward_step(np.zeros((2, 4, 4)), np.zeros((1, 2, 2)), 2), "(2, 2, 2)"),
])
def test_bad_input_says_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        call()
