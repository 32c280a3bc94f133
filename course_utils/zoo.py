"""Trained course networks on demand: each recipe says how a model is built and trained;
``trained(name)`` returns it from the checkpoint cache or trains it (and caches it).

The recipes are the single source of the hyper-parameters behind the accuracies the lessons
state: the notebooks and benchmarks/ both train through them. Every recipe trains on the
"train" split and watches the "val" split (see ``data``); the test set is left to the lessons.

The checkpoint cache: ``.cache/checkpoints/NAME-MODE-FINGERPRINT.pt`` holds the weights
(``weights_only`` loading), and the .json beside it the recipe's description and the training
history. The fingerprint is a digest of that description, which includes the source code of the
builder (and of the helpers it calls) and of the augmentation, the training settings, the epochs
and the data split: editing any of them trains afresh instead of loading stale weights. Fast mode
trains on subsets for fewer epochs and caches under its own names.

Shipped networks (``shipped``, data/networks): in full mode ``trained(name)`` first loads the copy
the course ships, when it was trained with the current recipe; ``make ship`` (``python -m
course_utils.zoo ship [NAME ...]``) refreshes those copies from full-mode checkpoints in the cache,
e.g. the ones ``make bench`` has just trained.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import os
import sys
import time
import types
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from . import config, data, models, shipped
from .train import History, fit
from .transforms import random_augment


@dataclass(frozen=True)
class Recipe:
    title: str  # for tables and the shipped network's README; not part of the fingerprint
    build: Callable[[], nn.Module]
    epochs: int
    fast_epochs: int = 1
    fit_kwargs: dict = field(default_factory=dict)  # passed on to train.fit
    augment: Callable | None = None

    def describe(self) -> dict:
        """Everything that decides the trained weights in the current mode, as plain JSON data."""
        return {"build": _describe_callable(self.build), "mode": "fast" if config.is_fast() else "full",
                "epochs": config.pick(self.epochs, self.fast_epochs), "fit": self.fit_kwargs,
                "augment": _describe_callable(self.augment), "data": data.split_description()}

    def fingerprint(self) -> str:
        """8 hex digits that change whenever anything in ``describe()`` changes."""
        text = json.dumps(self.describe(), sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()[:8]


def _source(fn, seen: set | None = None) -> str:
    """The source of function ``fn`` followed by that of every function of the same module it
    calls by name (recursively), so an edit to a helper counts as an edit to the builder."""
    seen = set() if seen is None else seen
    if fn in seen:
        return ""
    seen.add(fn)
    try:
        text = inspect.getsource(fn)
    except (OSError, TypeError):  # no source to read (a builtin, code typed at a prompt): its name
        return f"{getattr(fn, '__module__', None)}.{getattr(fn, '__qualname__', repr(fn))}"
    if not isinstance(fn, types.FunctionType):  # e.g. an nn.Module class used as a builder
        return text
    codes, names = [fn.__code__], set()
    while codes:  # names used by the function and by functions nested in it
        code = codes.pop()
        names.update(code.co_names)
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    for name in sorted(names):
        other = fn.__globals__.get(name)
        if isinstance(other, types.FunctionType) and other.__module__ == fn.__module__:
            text += _source(other, seen)
    return text


def _describe_callable(fn) -> dict | None:
    """Name, bound arguments and a digest of the source of a function or functools.partial."""
    if fn is None:
        return None
    args, kwargs = [], {}
    while isinstance(fn, partial):
        args, kwargs = [*fn.args, *args], {**fn.keywords, **kwargs}
        fn = fn.func
    source = hashlib.sha256(_source(fn).encode()).hexdigest()[:16]
    return {"function": f"{fn.__module__}.{fn.__qualname__}", "args": args, "kwargs": kwargs,
            "source_sha256": source}


# lesson 05: AdamW with a one-cycle schedule; LeNet and the regularised CNNs use the same settings,
# so the comparisons share one budget. These settings (and the ones below) were picked before the
# course had a validation split, by test accuracy, which it no longer does: they are kept as given,
# lesson 06 compares optimisers and schedules on validation, the VGG recipe's augmentation was tried
# again on validation (benchmarks/results/vgg_trials.md), and benchmarks/RESULTS.md has the train,
# validation and test accuracy of every recipe.
CNN_FIT = dict(batch_size=128, lr=3e-3, optimizer="adamw", weight_decay=1e-4, schedule="onecycle")

RECIPES: dict[str, Recipe] = {
    # lessons 01-02: one-cycle schedules; full-mode numbers in benchmarks/results/mlp.md
    "softmax": Recipe("linear classifier on pixels (lesson 01)", models.softmax_regression, epochs=5,
                      fast_epochs=2, fit_kwargs=dict(batch_size=128, lr=1e-2, schedule="onecycle")),
    "mlp": Recipe("MLP 784-128-10 (lesson 02)", models.mlp, epochs=15, fast_epochs=2,
                  fit_kwargs=dict(batch_size=128, lr=3e-3, schedule="onecycle")),
    "lenet": Recipe("LeNet-5 modern (ReLU, max pool)", models.lenet5_modern, epochs=10, fit_kwargs=CNN_FIT),
    "lenet_classic": Recipe("LeNet-5 classic (tanh, avg pool)", models.lenet5_classic, epochs=10,
                            fit_kwargs=CNN_FIT),
    # lesson 05: the seed-001 CNN and its regularised variants, all on the same budget
    "cnn": Recipe("CNN (seed 001)", models.fashion_cnn, epochs=10, fit_kwargs=CNN_FIT),
    "cnn_aug": Recipe("CNN + augmentation", models.fashion_cnn, epochs=10, fit_kwargs=CNN_FIT,
                      augment=partial(random_augment, max_shift=2, max_degrees=10.0, flip=True)),
    "cnn_dropout": Recipe("CNN + dropout 0.5", partial(models.fashion_cnn, dropout=0.5), epochs=10,
                          fit_kwargs=CNN_FIT),
    "cnn_bn": Recipe("CNN + batch norm", partial(models.fashion_cnn, batchnorm=True), epochs=10,
                     fit_kwargs=CNN_FIT),
    "vgg": Recipe("VGG-style network (lesson 07)", models.vgg_fashion, epochs=15,
                  fit_kwargs=dict(batch_size=128, lr=3e-3, optimizer="adamw", weight_decay=5e-4,
                                  schedule="onecycle"),
                  augment=partial(random_augment, max_shift=2, max_degrees=0.0, flip=True)),
}


def recipe(name: str) -> Recipe:
    """RECIPES[name], or a ValueError naming the recipes there are."""
    if name not in RECIPES:
        raise ValueError(f"No recipe called {name!r}; choose one of {', '.join(sorted(RECIPES))}.")
    return RECIPES[name]


def train_recipe(name: str, progress: bool = True) -> tuple[nn.Module, History]:
    """Build and train recipe ``name`` on the training split (a subset in fast mode), watching the
    validation split after every epoch; no caching, and no test images involved."""
    r = recipe(name)
    x_train, y_train = data.fashion_mnist_tensors("train")
    config.seed_everything(0)
    model = r.build()
    history = fit(model, x_train, y_train, val=data.fashion_mnist_tensors("val"),
                  epochs=config.pick(r.epochs, r.fast_epochs),
                  augment=r.augment, progress=progress, name=name, **r.fit_kwargs)
    return model.cpu().eval(), history


# ---------------------------------------------------------------- checkpoint cache

class CheckpointError(RuntimeError):
    """A cached checkpoint could not be read or does not fit the model."""


def checkpoint_name(name: str) -> str:
    """E.g. 'cnn-full-1a2b3c4d': the recipe, the mode and the recipe's fingerprint, so a cached
    model trained with other settings, code or data (or in the other mode) is never loaded."""
    return f"{name}-{'fast' if config.is_fast() else 'full'}-{recipe(name).fingerprint()}"


def checkpoint_path(key: str) -> Path:
    """Where checkpoint ``key`` lives: .cache/checkpoints/KEY.pt (and KEY.json beside it)."""
    return config.cache_dir("checkpoints") / f"{key}.pt"


def save_checkpoint(model: nn.Module, key: str, history: History, description: dict | None = None,
                    how: dict | None = None) -> None:
    """Save the model's state_dict under ``key``, and as JSON its history, recipe description and
    ``how`` it was trained (``shipped.training_record``)."""
    path = checkpoint_path(key)
    meta, tmp_meta = path.with_suffix(".json"), path.with_suffix(f".{os.getpid()}.json.tmp")
    tmp_meta.write_text(json.dumps({"recipe": description, "history": history.to_dict(), "trained": how},
                                   indent=1, default=repr))
    tmp = path.with_suffix(f".{os.getpid()}.tmp")  # parallel notebook runs may save at once
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, tmp)
    tmp_meta.replace(meta)  # the description first, so a visible .pt always has its .json
    tmp.replace(path)


def load_checkpoint(model: nn.Module, key: str) -> History | None:
    """Load checkpoint ``key`` into ``model`` and return its History.

    Returns None when there is no such checkpoint; raises CheckpointError when a file is
    damaged or was saved from a different architecture.
    """
    path = checkpoint_path(key)
    if not path.exists():
        return None
    try:
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return History(**json.loads(path.with_suffix(".json").read_text())["history"])
    except Exception as err:  # unreadable file, wrong keys or shapes, missing or foreign JSON
        raise CheckpointError(f"Checkpoint {path} could not be loaded ({type(err).__name__}: "
                              f"{str(err).splitlines()[0][:200]}). Delete it to retrain.") from err


class ShippedNetworkError(RuntimeError):
    """The course ships a network under this name, but trained with another recipe."""


def trained(name: str, retrain: bool = False, progress: bool = True) -> tuple[nn.Module, History]:
    """Recipe ``name`` with trained weights, and its training History. Prints where they came from.

    In this order: the network the course ships (full mode, when its recorded recipe is the current
    one), the checkpoint cache, or trained now (and cached). ``retrain=True`` trains now.
    A damaged checkpoint is reported and replaced by a fresh training run; a shipped network whose
    recipe no longer matches (and no cached one) raises ShippedNetworkError saying what to do.
    """
    r = recipe(name)
    model, key = r.build(), checkpoint_name(name)
    record = None if config.is_fast() else shipped.record(name)
    if not retrain:
        if record is not None and record["recipe"] == shipped.plain(r.describe()):
            history = shipped.load(model, name, record)
            print(f"{name}: the network shipped in {config.shown_path(shipped.path(name))} "
                  f"({shipped.describe(record)}). zoo.trained({name!r}, retrain=True) trains it afresh.")
            return model.eval(), history
        try:
            history = load_checkpoint(model, key)
        except CheckpointError as err:
            print(f"{err} Retraining.")
            history = None
        if history is not None:
            print(f"{name}: loaded from the checkpoint cache ({checkpoint_path(key).name}).")
            return model.eval(), history
        if record is not None:
            changed = ", ".join(shipped.differences(record["recipe"], shipped.plain(r.describe())))
            raise ShippedNetworkError(
                f"The shipped network {name!r} was trained with another recipe (changed: {changed}), "
                f"so it is not loaded. Train this recipe now with zoo.trained({name!r}, retrain=True) "
                f"(the shipped one took {shipped.duration(record['trained']['wall_seconds'])} on "
                f"{record['trained']['machine']}), or refresh the shipped copy: make bench, then "
                f"make ship NAMES={name}.")
    if record is not None:
        print(f"{name}: training now; the shipped copy took {shipped.duration(record['trained']['wall_seconds'])} "
              f"on {record['trained']['machine']} ({record['trained']['threads']} thread(s)).")
    start, cpu_start = time.perf_counter(), time.process_time()
    model, history = train_recipe(name, progress=progress)
    how = shipped.training_record(time.perf_counter() - start, time.process_time() - cpu_start)
    save_checkpoint(model, key, history, r.describe(), how)
    return model, history


def ship(name: str) -> str:
    """Copy recipe ``name``'s full-mode checkpoint from the cache into data/networks with its
    record (train, validation and test accuracy measured now); return the one-line description."""
    from .evaluation import accuracy_report  # evaluation is not needed for anything else here

    if config.is_fast():
        raise RuntimeError("Only full-mode networks are shipped: unset COURSE_FAST.")
    r = recipe(name)
    model, key = r.build(), checkpoint_name(name)
    if load_checkpoint(model, key) is None:
        raise CheckpointError(f"No full-mode checkpoint {checkpoint_path(key)} to ship: train it first "
                              f"(make bench, or zoo.trained({name!r}, retrain=True)).")
    meta = json.loads(checkpoint_path(key).with_suffix(".json").read_text())
    if meta.get("trained") is None:
        raise CheckpointError(f"{checkpoint_path(key)} has no record of how it was trained; retrain it.")
    report = accuracy_report(model.eval(), *(data.fashion_mnist_tensors(s) for s in ("train", "val")),
                             test=data.fashion_mnist_tensors("test"))
    rec = {**meta, "accuracy": {"train": report.train_acc, "val": report.val_acc, "test": report.test_acc}}
    shipped.write(name, model, rec, r.title)
    return shipped.describe(shipped.record(name))


if __name__ == "__main__":
    if sys.argv[1:2] != ["ship"]:
        sys.exit("usage: python -m course_utils.zoo ship [NAME ...]   (default: every recipe with a "
                 "full-mode checkpoint in the cache)")
    names = sys.argv[2:] or [n for n in RECIPES if checkpoint_path(checkpoint_name(n)).exists()]
    for n in names:
        print(f"{n}: {ship(n)}", flush=True)
