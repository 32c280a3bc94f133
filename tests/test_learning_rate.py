"""course_utils.learning_rate: the one-cycle schedule against PyTorch's OneCycleLR, the per-batch
training loop, and the range test (it stops when the loss diverges)."""
import numpy as np
import pytest
import torch
from torch import nn

from course_utils import learning_rate as L
from torch_threads import one_torch_thread  # noqa: F401  (autouse: one PyTorch thread)


@pytest.mark.parametrize("total, max_lr, pct, div, final", [
    (100, 0.01, 0.3, 25.0, 1e4), (10, 1.0, 0.3, 25.0, 1e4), (37, 3e-3, 0.25, 10.0, 100.0),
    (470, 0.1, 0.5, 5.0, 1e3), (1000, 2e-4, 0.1, 25.0, 1e4),
])
def test_one_cycle_matches_pytorch(total, max_lr, pct, div, final):
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=max_lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=total, pct_start=pct,
                                                div_factor=div, final_div_factor=final,
                                                cycle_momentum=False)
    theirs = []
    for _ in range(total):
        theirs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    ours = [L.one_cycle_lr(s, total, max_lr, pct, div, final) for s in range(total)]
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


def test_one_cycle_shape_and_errors():
    lrs = [L.one_cycle_lr(s, 100, 1.0) for s in range(100)]
    assert lrs[0] == pytest.approx(1 / 25) and max(lrs) == pytest.approx(1.0)
    assert int(np.argmax(lrs)) == 29 and lrs[-1] == pytest.approx(1 / 25 / 1e4)
    with pytest.raises(ValueError, match="0 .. total_steps - 1"):
        L.one_cycle_lr(100, 100, 1.0)


def test_exponential_lrs():
    lrs = L.exponential_lrs(1e-5, 1.0, 6)
    np.testing.assert_allclose(lrs, [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    with pytest.raises(ValueError, match="0 < start < end"):
        L.exponential_lrs(1.0, 1e-3, 10)


def test_smooth_is_debiased_moving_average():
    assert L.smooth([2.0, 2.0, 2.0]) == pytest.approx([2.0, 2.0, 2.0])
    assert L.smooth([1.0, 3.0], beta=0.5) == pytest.approx([1.0, (0.25 + 1.5) / 0.75])


def _blobs(n=512, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    centres = torch.tensor([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    return centres[y] + torch.randn(n, 2, generator=g), y


def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 3))


def test_train_steps_records_every_batch_and_repeats():
    x, y = _blobs()
    losses = L.train_steps(_net(), x, y, [0.05] * 40, batch_size=32, optimizer="sgd_momentum")
    assert losses.shape == (40,)                         # 40 steps = 2.5 passes over 512 items
    assert losses[-5:].mean() < losses[:5].mean() / 2
    again = L.train_steps(_net(), x, y, [0.05] * 40, batch_size=32, optimizer="sgd_momentum")
    np.testing.assert_array_equal(losses, again)


def test_train_steps_sets_the_learning_rate_of_each_step():
    x, y = _blobs()
    frozen = L.train_steps(_net(), x[:64], y[:64], [0.0] * 4, batch_size=64, optimizer="sgd")
    assert np.allclose(frozen, frozen[0])                # lr 0: the same batch gives the same loss
    moving = L.train_steps(_net(), x[:64], y[:64], [0.0, 0.0, 0.5, 0.0], batch_size=64, optimizer="sgd")
    assert moving[1] == pytest.approx(moving[0]) and moving[3] != pytest.approx(moving[2])
    with pytest.raises(ValueError, match="optimizer must be one of"):
        L.train_steps(_net(), x, y, [0.1], optimizer="rmsprop")


def test_range_test_stops_when_the_loss_diverges():
    x, y = _blobs()
    result = L.lr_range_test(_net(), x, y, start=1e-4, end=1e3, steps=150, batch_size=32, optimizer="sgd")
    assert 10 < len(result.losses) < 150                 # it blew up before the end and stopped
    assert result.lrs.shape == result.losses.shape == result.smoothed.shape
    assert result.smoothed[-1] > 4 * result.smoothed.min() or not np.isfinite(result.smoothed[-1])
    assert result.suggestion == pytest.approx(result.lowest_loss_lr / 10)
    assert 1e-4 < result.lowest_loss_lr < result.lrs[-1]
