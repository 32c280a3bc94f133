import pytest
import torch
from torch import nn

from course_utils import config, models, train, zoo


def _blobs(n=600, seed=0):
    """Three separable Gaussian blobs in 2-D: x (n, 2), y (n,)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    centres = torch.tensor([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    return centres[y] + torch.randn(n, 2, generator=g), y


def _net():
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))


def test_loss_goes_down_and_accuracy_is_high():
    x, y = _blobs()
    torch.manual_seed(0)
    model = _net()
    history = train.fit(model, x, y, x, y, epochs=5, batch_size=32, lr=1e-2, progress=False)
    assert history.epochs == 5 and len(history.test_acc) == 5
    assert history.train_loss[-1] < history.train_loss[0] / 2
    assert history.test_acc[-1] > 0.95
    loss, acc = train.evaluate(model, x, y)
    assert acc == pytest.approx(history.test_acc[-1]) and loss == pytest.approx(history.test_loss[-1])


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


def test_checkpoint_round_trip_and_corrupt_file(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "CACHE_DIR", tmp_path)
    model = models.mlp(hidden=8)
    history = train.History(train_loss=[1.0], train_acc=[0.5], test_loss=[1.1], test_acc=[0.4], seconds=[0.1])
    train.save_checkpoint(model, "tiny", history)
    clone = models.mlp(hidden=8)
    assert train.load_checkpoint(clone, "tiny") == history
    for a, b in zip(model.parameters(), clone.parameters()):
        assert torch.equal(a, b)
    assert train.load_checkpoint(clone, "absent") is None
    with pytest.raises(train.CheckpointError, match="Delete it to retrain"):
        train.load_checkpoint(models.mlp(hidden=9), "tiny")  # wrong shapes
    train.checkpoint_path("tiny").write_bytes(b"not a checkpoint")
    with pytest.raises(train.CheckpointError, match="tiny.pt could not be loaded"):
        train.load_checkpoint(clone, "tiny")


def test_zoo_retrains_after_a_corrupt_checkpoint(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(config, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(zoo, "train_recipe", lambda name, progress=True: (models.softmax_regression(), train.History()))
    train.checkpoint_path(zoo.checkpoint_name("softmax")).write_bytes(b"garbage")
    model, _ = zoo.trained("softmax", progress=False)
    assert "Retraining" in capsys.readouterr().out
    assert isinstance(model, nn.Sequential)
    loaded, _ = zoo.trained("softmax", progress=False)  # now served from the cache
    assert torch.equal(loaded.fc.weight, model.fc.weight)
    with pytest.raises(KeyError, match="choose one of"):
        zoo.trained("resnet")


def test_checkpoint_name_changes_with_the_recipe(monkeypatch):
    base = zoo.checkpoint_name("cnn")
    assert base.startswith("cnn-fast-") and base == zoo.checkpoint_name("cnn")
    changed = zoo.Recipe(zoo.RECIPES["cnn"].build, epochs=11, fit_kwargs=zoo.RECIPES["cnn"].fit_kwargs)
    monkeypatch.setitem(zoo.RECIPES, "cnn", changed)
    assert zoo.checkpoint_name("cnn") != base
    assert zoo.checkpoint_name("cnn_dropout") != zoo.checkpoint_name("cnn_bn")  # partials differ by keywords
    monkeypatch.setenv("COURSE_FAST", "0")
    assert zoo.checkpoint_name("cnn").startswith("cnn-full-")
