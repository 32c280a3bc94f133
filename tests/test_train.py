import dataclasses

import pytest
import torch
from torch import nn

from course_utils import config, train


def _blobs(n=600, seed=0):
    """Three separable Gaussian blobs in 2-D: x (n, 2), y (n,)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    centres = torch.tensor([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    return centres[y] + torch.randn(n, 2, generator=g), y


def _net():
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))


def test_loss_goes_down_and_validation_is_evaluated_every_epoch():
    x, y = _blobs()
    torch.manual_seed(0)
    model = _net()
    history = train.fit(model, x[:400], y[:400], val=(x[400:], y[400:]), epochs=5, batch_size=32, lr=1e-2,
                        progress=False)
    assert history.epochs == 5 and len(history.val_acc) == len(history.val_loss) == 5
    assert history.train_loss[-1] < history.train_loss[0] / 2
    assert history.val_acc[-1] > 0.95
    loss, acc = train.evaluate(model, x[400:], y[400:])
    assert acc == pytest.approx(history.val_acc[-1]) and loss == pytest.approx(history.val_loss[-1])


def test_fit_takes_no_test_set():
    x, y = _blobs(60)
    with pytest.raises(TypeError):
        train.fit(_net(), x, y, x, y, epochs=1, progress=False)  # the old (x_test, y_test) form
    history = train.fit(_net(), x, y, epochs=1, progress=False)
    assert history.val_acc == [] and history.best_epoch is None
    assert [f.name for f in dataclasses.fields(train.History)] == [
        "train_loss", "train_acc", "val_loss", "val_acc", "seconds"]


def _overfitting_run(**options):
    """A wide net on 40 noisy points: validation accuracy peaks early, then falls as it memorises."""
    g = torch.Generator().manual_seed(3)
    x, y = torch.randn(240, 20, generator=g), torch.randint(0, 2, (240,), generator=g)
    x[:, 0] += (2 * y - 1) * 0.8  # one weakly informative feature, 19 of noise
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 2))
    history = train.fit(model, x[:40], y[:40], val=(x[40:], y[40:]), epochs=40, batch_size=8, lr=1e-2,
                        progress=False, **options)
    return model, history, (x[40:], y[40:])


def test_restore_best_keeps_the_best_validation_epoch():
    model, history, val = _overfitting_run(restore_best=True)
    assert history.epochs == 40 and history.best_epoch < 40  # the last epoch is not the best here
    assert max(history.val_acc) > history.val_acc[-1]
    assert train.evaluate(model, *val)[1] == pytest.approx(history.val_acc[history.best_epoch - 1])
    _, plain, _ = _overfitting_run()
    assert plain.val_acc == history.val_acc  # the same run; only the weights kept at the end differ


def test_patience_stops_after_epochs_without_improvement():
    _, history, _ = _overfitting_run(patience=3)
    _, full, _ = _overfitting_run()
    assert history.epochs == history.best_epoch + 3 < 40
    assert history.val_acc == full.val_acc[:history.epochs]
    assert max(history.val_acc[history.best_epoch:]) <= history.val_acc[history.best_epoch - 1]


def test_early_stopping_needs_validation_data():
    x, y = _blobs(30)
    with pytest.raises(ValueError, match="val="):
        train.fit(_net(), x, y, restore_best=True, progress=False)
    with pytest.raises(ValueError, match="val="):
        train.fit(_net(), x, y, patience=2, progress=False)
    with pytest.raises(ValueError, match="patience"):
        train.fit(_net(), x, y, val=(x, y), patience=0, progress=False)


@pytest.mark.parametrize("options", [dict(optimizer="adam"),
                                     dict(optimizer="sgd", schedule="onecycle", weight_decay=1e-4),
                                     dict(optimizer="adamw", label_smoothing=0.1)])
def test_same_seed_gives_same_history(options):
    x, y = _blobs()
    runs = []
    for _ in range(2):
        config.seed_everything(1)
        runs.append(train.fit(_net(), x, y, epochs=3, batch_size=50, lr=1e-2, seed=7,
                              progress=False, **options).train_loss)
    assert runs[0] == runs[1]


def test_augment_hook_is_applied_to_every_batch():
    x, y = _blobs(120)
    seen = []
    train.fit(_net(), x, y, epochs=2, batch_size=40, progress=False,
              augment=lambda xb: seen.append(len(xb)) or xb)
    assert seen == [40] * 6


def test_bad_optimizer_and_schedule_names():
    x, y = _blobs(30)
    with pytest.raises(ValueError, match="optimizer"):
        train.fit(_net(), x, y, optimizer="rmsprop", progress=False)
    with pytest.raises(ValueError, match="schedule"):
        train.fit(_net(), x, y, schedule="cosine", progress=False)
