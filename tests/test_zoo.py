"""The zoo: recipes train through train.fit on the train split, watched on validation; the
checkpoint cache keys a recipe by everything that decides its weights (the builder's source too)."""
import importlib
import json
import sys
import textwrap
from functools import partial

import pytest
import torch
from torch import nn

from course_utils import config, models, train, zoo

LESSON_RECIPES = [name for name in zoo.RECIPES if name in {"mlp", "lenet", "lenet_classic", "cnn"}
                  or name.startswith("cnn_")]


def _history(*values):
    train_loss, train_acc, val_loss, val_acc, seconds = ([v] for v in values)
    return train.History(train_loss, train_acc, val_loss, val_acc, seconds)


def test_lesson_recipes_exist():
    assert {"mlp", "lenet", "cnn", "cnn_aug", "cnn_dropout", "cnn_bn"} <= set(LESSON_RECIPES)


@pytest.mark.parametrize("name", LESSON_RECIPES)
def test_recipe_trains_with_its_settings(name):
    """Each recipe's model, options and augmentation go through train.fit (on 64 images)."""
    recipe = zoo.RECIPES[name]
    torch.manual_seed(0)
    model = recipe.build()
    x, y = torch.rand(64, 1, 28, 28), torch.arange(64) % 10
    history = train.fit(model, x, y, val=(x, y), epochs=1, augment=recipe.augment, progress=False,
                        device=torch.device("cpu"), **recipe.fit_kwargs)
    assert history.epochs == 1 and len(history.val_acc) == 1
    assert recipe.epochs >= recipe.fast_epochs >= 1


def test_regularisation_variants_share_the_cnn_budget():
    base = zoo.RECIPES["cnn"]
    for name in ("cnn_aug", "cnn_dropout", "cnn_bn"):
        recipe = zoo.RECIPES[name]
        assert (recipe.epochs, recipe.fast_epochs, recipe.fit_kwargs) == (base.epochs, base.fast_epochs,
                                                                         base.fit_kwargs), name
    assert zoo.RECIPES["cnn_aug"].augment is not None and base.augment is None


def test_train_recipe_watches_validation_and_never_loads_the_test_set(monkeypatch):
    from course_utils import data

    asked = []
    real = data.fashion_mnist_tensors
    monkeypatch.setattr(data, "fashion_mnist_tensors", lambda split, n=None: asked.append(split) or real(split, 200))
    model, history = zoo.train_recipe("softmax", progress=False)
    assert sorted(asked) == ["train", "val"]
    assert len(history.val_acc) == history.epochs == zoo.RECIPES["softmax"].fast_epochs
    assert not model.training


@pytest.mark.parametrize("name", ["lenet", "cnn", "cnn_bn"])
def test_zoo_round_trip(name, tmp_path, monkeypatch):
    monkeypatch.setattr(config, "CACHE_DIR", tmp_path)
    torch.manual_seed(1)
    model = zoo.RECIPES[name].build()
    history = _history(1.0, 0.6, 0.9, 0.7, 2.5)
    zoo.save_checkpoint(model, zoo.checkpoint_name(name), history, zoo.RECIPES[name].describe())
    monkeypatch.setattr(zoo, "train_recipe", lambda *a, **k: pytest.fail("should load, not train"))
    loaded, loaded_history = zoo.trained(name, progress=False)
    assert loaded_history == history and not loaded.training
    for (k, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), k


def test_checkpoint_round_trip_and_damaged_files(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "CACHE_DIR", tmp_path)
    model = models.mlp(hidden=8)
    history = _history(1.0, 0.5, 1.1, 0.4, 0.1)
    zoo.save_checkpoint(model, "tiny", history, {"note": "a test"})
    assert json.loads(zoo.checkpoint_path("tiny").with_suffix(".json").read_text())["recipe"] == {"note": "a test"}
    clone = models.mlp(hidden=8)
    assert zoo.load_checkpoint(clone, "tiny") == history
    for a, b in zip(model.parameters(), clone.parameters()):
        assert torch.equal(a, b)
    assert zoo.load_checkpoint(clone, "absent") is None
    with pytest.raises(zoo.CheckpointError, match="Delete it to retrain"):
        zoo.load_checkpoint(models.mlp(hidden=9), "tiny")  # wrong shapes
    zoo.checkpoint_path("tiny").with_suffix(".json").write_text('{"history": {"test_acc": [0.9]}}')
    with pytest.raises(zoo.CheckpointError, match="tiny.pt could not be loaded"):
        zoo.load_checkpoint(clone, "tiny")  # a history of another format
    zoo.checkpoint_path("tiny").write_bytes(b"not a checkpoint")
    with pytest.raises(zoo.CheckpointError, match="tiny.pt could not be loaded"):
        zoo.load_checkpoint(clone, "tiny")


def test_zoo_retrains_after_a_corrupt_checkpoint(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(config, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(zoo, "train_recipe", lambda name, progress=True: (models.softmax_regression(), train.History()))
    zoo.checkpoint_path(zoo.checkpoint_name("softmax")).write_bytes(b"garbage")
    model, _ = zoo.trained("softmax", progress=False)
    assert "Retraining" in capsys.readouterr().out
    assert isinstance(model, nn.Sequential)
    loaded, _ = zoo.trained("softmax", progress=False)  # now served from the cache
    assert torch.equal(loaded.fc.weight, model.fc.weight)
    saved = json.loads(zoo.checkpoint_path(zoo.checkpoint_name("softmax")).with_suffix(".json").read_text())
    assert saved["recipe"]["build"]["function"] == "course_utils.models.softmax_regression"
    assert saved["recipe"]["data"]["val_per_class"] == 600
    with pytest.raises(ValueError, match="choose one of"):
        zoo.trained("resnet")


def test_zoo_checkpoint_of_another_architecture_is_reported_and_retrained(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(config, "CACHE_DIR", tmp_path)
    zoo.save_checkpoint(models.fashion_cnn(), zoo.checkpoint_name("cnn_bn"), train.History())  # wrong keys
    calls = []

    def fake_train(name, progress=True):
        calls.append(name)
        return zoo.RECIPES[name].build().eval(), _history(0.5, 0.8, 0.6, 0.75, 1.0)

    monkeypatch.setattr(zoo, "train_recipe", fake_train)
    model, history = zoo.trained("cnn_bn", progress=False)
    out = capsys.readouterr().out
    assert calls == ["cnn_bn"] and "could not be loaded" in out and "Retraining" in out
    assert isinstance(model.bn1, nn.BatchNorm2d) and history.val_acc == [0.75]
    again, _ = zoo.trained("cnn_bn", progress=False)  # the retrained weights replaced the bad file
    assert calls == ["cnn_bn"] and torch.equal(again.conv1.weight, model.conv1.weight)


def test_checkpoint_names_separate_modes_and_variants(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    fast = {name: zoo.checkpoint_name(name) for name in LESSON_RECIPES}
    assert fast == {name: zoo.checkpoint_name(name) for name in LESSON_RECIPES}  # same recipe, same key
    monkeypatch.setenv("COURSE_FAST", "0")
    full = {name: zoo.checkpoint_name(name) for name in LESSON_RECIPES}
    assert fast["cnn"].startswith("cnn-fast") and full["cnn"].startswith("cnn-full")
    assert len(set(fast.values()) | set(full.values())) == 2 * len(LESSON_RECIPES)


def test_checkpoint_name_changes_with_settings_epochs_augmentation_and_data(monkeypatch):
    base_recipe = zoo.RECIPES["cnn"]
    base = zoo.checkpoint_name("cnn")
    variants = [
        zoo.Recipe("a variant", base_recipe.build, epochs=10, fast_epochs=2, fit_kwargs=base_recipe.fit_kwargs),
        zoo.Recipe("a variant", base_recipe.build, epochs=10, fit_kwargs={**base_recipe.fit_kwargs, "lr": 1e-3}),
        zoo.Recipe("a variant", base_recipe.build, epochs=10, fit_kwargs=base_recipe.fit_kwargs,
                   augment=zoo.RECIPES["cnn_aug"].augment),
        zoo.Recipe("a variant", partial(base_recipe.build, dropout=0.1), epochs=10, fit_kwargs=base_recipe.fit_kwargs),
    ]
    for changed in variants:
        monkeypatch.setitem(zoo.RECIPES, "cnn", changed)
        assert zoo.checkpoint_name("cnn") != base, changed
    monkeypatch.setitem(zoo.RECIPES, "cnn", base_recipe)
    assert zoo.checkpoint_name("cnn") == base
    monkeypatch.setitem(zoo.data.FAST_SIZES, "train", 3000)
    assert zoo.checkpoint_name("cnn") != base


def _builder_module(folder, monkeypatch, body: str):
    """Import a fresh module `toy_builders` whose source is ``body``, from its own folder."""
    folder.mkdir()
    (folder / "toy_builders.py").write_text(textwrap.dedent(body))
    monkeypatch.syspath_prepend(str(folder))
    sys.modules.pop("toy_builders", None)
    importlib.invalidate_caches()
    return importlib.import_module("toy_builders")


@pytest.mark.parametrize("edit", [
    ("nn.ReLU()", "nn.GELU()"),               # the builder's body
    ("p=0.5", "p=0.2"),                        # a helper the builder calls
])
def test_editing_a_builder_changes_the_key(edit, tmp_path, monkeypatch):
    source = """
        from torch import nn

        def head(c):
            return nn.Dropout(p=0.5), nn.Linear(c, 10)

        def toy(width=4):
            return nn.Sequential(nn.Flatten(), nn.Linear(784, width), nn.ReLU(), *head(width))
    """
    module = _builder_module(tmp_path / "first", monkeypatch, source)
    monkeypatch.setitem(zoo.RECIPES, "toy", zoo.Recipe("toy", partial(module.toy, width=8), epochs=2))
    before = zoo.checkpoint_name("toy")
    module = _builder_module(tmp_path / "same", monkeypatch, source)  # the same code again: the same key
    monkeypatch.setitem(zoo.RECIPES, "toy", zoo.Recipe("toy", partial(module.toy, width=8), epochs=2))
    assert zoo.checkpoint_name("toy") == before
    module = _builder_module(tmp_path / "edited", monkeypatch, source.replace(*edit))
    monkeypatch.setitem(zoo.RECIPES, "toy", zoo.Recipe("toy", partial(module.toy, width=8), epochs=2))
    assert zoo.checkpoint_name("toy") != before
    sys.modules.pop("toy_builders", None)
