"""The networks shipped in data/networks: every recipe has one, each reproduces its recorded test
accuracy, and zoo.trained loads one only when its recipe is the current one (else says what to do)."""
import json

import pytest
import torch

from course_utils import data, shipped, train, zoo


@pytest.fixture
def full_mode(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "0")


def test_every_recipe_is_shipped_with_its_files():
    sums = (shipped.SHIPPED_DIR / "SHA256SUMS").read_text().split()
    for name in zoo.RECIPES:
        for suffix in (".pt", ".json", ".md"):
            assert shipped.path(name).with_suffix(suffix).exists(), f"{name}{suffix} is not shipped"
        assert f"{name}.pt" in sums


@pytest.mark.parametrize("name", list(zoo.RECIPES))
def test_shipped_network_reproduces_its_record(name, full_mode):
    """Loaded as zoo.trained loads it (sha256 checked, weights only), evaluated on the 10,000 test
    images: the accuracy in its record and README, within 3 images (other CPUs round differently)."""
    record = shipped.record(name)
    assert record["recipe"] == shipped.plain(zoo.recipe(name).describe()), \
        f"{name}: the recipe changed since it was shipped; make bench, then make ship NAMES={name}"
    model = zoo.recipe(name).build()
    history = shipped.load(model, name, record)
    assert history.epochs == record["recipe"]["epochs"]
    _, test_acc = train.evaluate(model.eval(), *data.fashion_mnist_tensors("test"))
    assert abs(test_acc - record["accuracy"]["test"]) <= 3 / 10_000
    assert f"{record['accuracy']['test']:.2%}" in shipped.path(name).with_suffix(".md").read_text()


@pytest.fixture
def shelf(tmp_path, monkeypatch, full_mode):
    """An empty data/networks and checkpoint cache; the softmax recipe 'trains' instantly."""
    monkeypatch.setattr(shipped, "SHIPPED_DIR", tmp_path / "networks")
    monkeypatch.setattr(zoo.config, "CACHE_DIR", tmp_path / "cache")
    trainings = []

    def fake_training(name, progress=True):
        trainings.append(name)
        torch.manual_seed(len(trainings))
        return zoo.recipe(name).build().eval(), train.History([1.0], [0.5], [1.0], [0.5], [2.0])

    monkeypatch.setattr(zoo, "train_recipe", fake_training)
    return trainings


def _ship_softmax(recipe=None):
    model = zoo.recipe("softmax").build()
    how = shipped.training_record(600.0, 1100.0)
    record = {"recipe": recipe or zoo.recipe("softmax").describe(), "trained": how,
              "history": train.History([1.0], [0.8], [1.0], [0.81], [600.0]).to_dict(),
              "accuracy": {"train": 0.9, "val": 0.85, "test": 0.84}}
    shipped.write("softmax", model, record, "a title")
    return model


def test_trained_loads_a_matching_shipped_network(shelf, capsys):
    model = _ship_softmax()
    loaded, history = zoo.trained("softmax")
    assert shelf == [] and history.val_acc == [0.81]
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values()))
    out = capsys.readouterr().out
    assert "shipped" in out and "test 84.00%" in out and "retrain=True" in out
    text = shipped.path("softmax").with_suffix(".md").read_text()
    assert "84.00%" in text and "10.0 min wall" in text and "make ship NAMES=softmax" in text


def test_retrain_trains_even_with_a_shipped_copy(shelf, capsys):
    _ship_softmax()
    zoo.trained("softmax", retrain=True)
    assert shelf == ["softmax"]
    assert "the shipped copy took 10 min" in capsys.readouterr().out
    saved = json.loads(zoo.checkpoint_path(zoo.checkpoint_name("softmax")).with_suffix(".json").read_text())
    assert saved["trained"]["threads"] == torch.get_num_threads() and saved["trained"]["cpu_seconds"] >= 0


def test_a_shipped_network_of_another_recipe_is_refused(shelf):
    old = zoo.recipe("softmax").describe()
    _ship_softmax({**old, "epochs": old["epochs"] + 1, "fit": {**old["fit"], "lr": 0.5}})
    with pytest.raises(zoo.ShippedNetworkError) as err:
        zoo.trained("softmax")
    message = str(err.value)
    assert "changed: epochs, fit.lr" in message and "retrain=True" in message and "make ship NAMES=softmax" in message
    assert shelf == []
    zoo.trained("softmax", retrain=True)  # trained here: from now on the cache serves it
    assert zoo.trained("softmax")[1].val_acc == [0.5] and shelf == ["softmax"]


def test_damaged_shipped_weights_are_not_loaded(shelf):
    _ship_softmax()
    weights = shipped.path("softmax")
    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(data.DataError, match="damaged"):
        zoo.trained("softmax")


def test_fast_mode_ignores_shipped_networks_and_ship_refuses(shelf, monkeypatch):
    _ship_softmax()
    monkeypatch.setenv("COURSE_FAST", "1")
    zoo.trained("softmax")
    assert shelf == ["softmax"]
    with pytest.raises(RuntimeError, match="unset COURSE_FAST"):
        zoo.ship("softmax")


def test_ship_needs_a_trained_full_mode_checkpoint(shelf):
    with pytest.raises(zoo.CheckpointError, match="make bench"):
        zoo.ship("softmax")


def test_ship_copies_the_cached_checkpoint_with_its_measured_accuracy(shelf, monkeypatch):
    small = {split: data.fashion_mnist_tensors(split, 100) for split in data.SPLITS}
    monkeypatch.setattr(data, "fashion_mnist_tensors", lambda split, n=None: small[split])
    model, _ = zoo.trained("softmax", retrain=True)
    assert "test" in zoo.ship("softmax")
    record = shipped.record("softmax")
    assert record["accuracy"]["test"] == train.evaluate(model, *small["test"])[1]
    assert record["trained"]["wall_seconds"] >= 0 and record["recipe"] == shipped.plain(zoo.recipe("softmax").describe())
    assert zoo.trained("softmax")[1].val_acc == [0.5]  # loaded from the shipped copy, not retrained
    assert shelf == ["softmax"]


def test_differences_names_dotted_keys():
    assert shipped.differences({"a": 1, "b": {"c": 2, "d": 3}}, {"a": 1, "b": {"c": 2, "d": 4}, "e": 0}) == ["b.d", "e"]
    assert shipped.differences({"a": [1, 2]}, {"a": [1, 2]}) == []
