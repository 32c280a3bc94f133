"""Lesson 07: train the VGG-style Fashion-MNIST network with its recipe (zoo.RECIPES["vgg"]) in full
mode, save the checkpoint through zoo (lesson 08 reuses it), and report test accuracy, parameters,
training time and whether the targets are met.

Targets (issue 8): test accuracy >= 93.5% (the zalando benchmark's VGG16), aim 94%; under 15 minutes
of training on a 2-core CPU. The machine is shared, so the load average during training is recorded.
"""
from __future__ import annotations

import os
import threading
import time

import torch

from course_utils import config, data, summary, train, zoo

ACC_TARGET, ACC_AIM, MINUTES_TARGET = 0.935, 0.94, 15.0

# Subset trials run while choosing the recipe (not re-run here: they cost CPU time on a shared machine).
TRIED = """\
Trials on a 10,000-image balanced subset, 6 epochs, scored on the full 10,000-image test set
(1 thread, machine shared with other jobs, load average about 5 on 2 cores):

| trial | test accuracy after 6 epochs | train accuracy (running, last epoch) |
| --- | --- | --- |
| recipe: shifts up to 2 px + flips, AdamW 3e-3 one-cycle | 89.1% | 90.0% |
| same without augmentation | 90.3% | 96.0% |

On a small subset with a short schedule augmentation cost accuracy: the network had not yet fitted the
plain images. Without it the train/test gap opened quickly (96.0% vs 90.3% after 6 epochs on 10k). The
full run uses all 60,000 images for 15 epochs, long enough for that gap to be the limit, so the recipe
keeps the augmentation. Widths stay (32, 64, 128): the issue measured about 50 s per epoch on an idle
2-core CPU with them, so 15 epochs fit the 15-minute budget; wider layers would not.

Threads: with the machine shared (load average 5-9 on 2 cores), two PyTorch threads per process made
things much worse: a first full run with 2 threads needed about 1.6 s per batch (some 12 minutes for one
epoch) because each thread waits for the other at every operation while both compete with other jobs.
With one thread (OMP_NUM_THREADS=1, as in the subset trials, about 4 minutes per 60,000 images) the
run below finishes in a reasonable time. On an idle machine, use the default (one thread per core).
"""


class LoadSampler:
    """Samples the 1-minute load average every ``every`` seconds in a background thread."""

    def __init__(self, every: float = 15.0):
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(every,), daemon=True)

    def _loop(self, every: float) -> None:
        while not self._stop.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop.wait(every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _describe(augment) -> str:
    """``random_augment(max_shift=2, ...)`` for a functools.partial, without memory addresses."""
    if augment is None:
        return "none"
    func = getattr(augment, "func", augment)
    kwargs = ", ".join(f"{k}={v!r}" for k, v in getattr(augment, "keywords", {}).items())
    return f"{func.__name__}({kwargs})"


def run() -> str:
    if config.is_fast():
        raise RuntimeError("run the benchmark in full mode (COURSE_FAST=0)")
    device = config.get_device()
    recipe = zoo.RECIPES["vgg"]
    start, cpu_start = time.perf_counter(), time.process_time()
    with LoadSampler() as load:
        model, history = zoo.trained("vgg", retrain=True)  # trains with the recipe, saves vgg-full.pt
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    x_test, y_test = data.fashion_mnist_tensors(train=False)
    _, acc = train.evaluate(model, x_test, y_test)
    table = summary.layer_table(model, (1, 28, 28))
    minutes = history.total_seconds / 60
    mean_load = sum(load.samples) / max(1, len(load.samples))
    per_epoch = ", ".join(f"{a:.2%}" for a in history.test_acc)
    met = lambda ok: "**met**" if ok else "**MISSED**"  # noqa: E731
    return f"""\
`zoo.trained("vgg", retrain=True)`: {recipe.build.__name__}() trained for {history.epochs} epochs on all
60,000 training images with {recipe.fit_kwargs}, augmentation {_describe(recipe.augment)}; device {device},
{torch.get_num_threads()} threads. Checkpoint saved as `.cache/checkpoints/{zoo.checkpoint_name('vgg')}.pt`.

| measure | value |
| --- | --- |
| test accuracy (10,000 images) | **{acc:.2%}** |
| final train accuracy (running, augmented) | {history.train_acc[-1]:.2%} |
| parameters | {table.total_params:,} |
| training time (sum of epochs) | {minutes:.1f} min ({history.total_seconds / history.epochs:.0f} s per epoch) |
| wall time including evaluation and saving | {wall / 60:.1f} min |
| CPU time of this process (all threads) | {cpu / 60:.1f} min (less sensitive to other jobs than wall time) |
| load average during training (1-min, {len(load.samples)} samples) | mean {mean_load:.1f}, max {max(load.samples):.1f} on {os.cpu_count()} cores |

Test accuracy per epoch: {per_epoch}.

- accuracy >= {ACC_TARGET:.1%}: {met(acc >= ACC_TARGET)}; aim {ACC_AIM:.0%}: {met(acc >= ACC_AIM)}
- training under {MINUTES_TARGET:.0f} min: {met(minutes < MINUTES_TARGET)}{
    " (the machine was shared: a load above the core count slows every job)" if mean_load > os.cpu_count() else ""}

### What was tried

{TRIED}"""
