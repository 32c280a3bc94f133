"""Lesson 07: the trials behind the VGG recipe's augmentation, scored on the validation split.

zoo.RECIPES["vgg"] trained with and without its augmentation, everything else identical, at two
budgets: a short trial (a 10,000-image class-balanced subset, 6 epochs) and the recipe's full length
(the 54,000-image training split, all its epochs). Every run is scored on the 6,000 validation
images; the test set plays no part (an earlier version of the short trials was scored on the test
set and is withdrawn). The two runs of a budget train side by side, one process and one thread
each, with wall time, CPU time and the machine's load.
"""
from __future__ import annotations

import os
import time
import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import torch

from bench_lenet import LoadSampler
from bench_vgg import _describe
from course_utils import config, data, zoo
from course_utils.train import fit

BUDGETS = {"short trial": (10_000, 6), "full length": (None, zoo.RECIPES["vgg"].epochs)}  # (images, epochs)


def _trial(with_augment: bool, n_images: int | None, epochs: int) -> dict:
    """Train the VGG recipe once (one thread, seed 0) and return its curves and costs."""
    torch.set_num_threads(1)
    recipe = zoo.RECIPES["vgg"]
    x, y = data.fashion_mnist_tensors("train", n=n_images)
    val = data.fashion_mnist_tensors("val")
    start, cpu_start = time.perf_counter(), time.process_time()
    with LoadSampler(every=15.0) as load:
        history = fit(recipe.build(), x, y, val=val, epochs=epochs,
                      augment=recipe.augment if with_augment else None, progress=False, **recipe.fit_kwargs)
    return dict(val_acc=history.val_acc, train_acc=history.train_acc, best_epoch=history.best_epoch,
                n_images=len(y), n_val=len(val[1]), wall=time.perf_counter() - start,
                cpu=time.process_time() - cpu_start, load=load.mean)


def _section(budget: str, aug: dict, plain: dict, augment_name: str) -> tuple[str, float]:
    """A Markdown table of one budget's two runs, its reading, and the validation gain of augmenting."""
    rows = []
    for label, r in ((f"recipe: augmentation {augment_name}", aug), ("same without augmentation", plain)):
        rows.append(f"| {label} | {r['val_acc'][-1]:.2%} | {max(r['val_acc']):.2%} (epoch {r['best_epoch']}) | "
                    f"{r['train_acc'][-1]:.2%} | {r['wall']:.0f} | {r['cpu']:.0f} | {r['load']:.1f} |")
    gain = (aug["val_acc"][-1] - plain["val_acc"][-1]) * 100
    epochs = len(aug["val_acc"])
    return "\n".join([
        f"### {budget}: {aug['n_images']:,} images, {epochs} epochs",
        "",
        f"| run | validation acc after {epochs} epochs | best | train acc (running, last epoch) "
        "| wall s | CPU s | mean load (1 min) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        f"Augmentation {'gains' if gain > 0 else 'costs'} {abs(gain):.2f} points of validation accuracy and keeps "
        f"the training accuracy {(plain['train_acc'][-1] - aug['train_acc'][-1]) * 100:.1f} points lower.",
    ]), gain


def _verdict(gains: dict[str, float], aug: dict, plain: dict) -> str:
    """The reading of the full-length runs, with a rough (unpaired) standard error of the difference."""
    full, n_val = gains["full length"], aug["n_val"]
    p, q = aug["val_acc"][-1], plain["val_acc"][-1]
    se = 100 * math.sqrt((p * (1 - p) + q * (1 - q)) / n_val)
    text = (f"The full-length comparison decides: augmentation {'gains' if full > 0 else 'costs'} {abs(full):.2f} "
            f"points of validation accuracy over the recipe's whole run ({round(abs(full) / 100 * n_val)} of "
            f"{n_val:,} images; the difference's rough standard error is {se:.2f} points, so it is "
            f"{abs(full) / se:.1f} of them on one seed: a modest difference, not a certain one), so "
            + ("the recipe keeps it. Without it the network learns its training images almost by heart "
               f"({plain['train_acc'][-1]:.2%} right in the last epoch)." if full > 0 else "the recipe should drop it."))
    if (gains["short trial"] > 0) != (full > 0):
        text += (" The short trial points the other way: on a short budget augmentation mostly slows fitting, "
                 "and a trial that is too short would have chosen wrong.")
    return text


def run() -> str:
    if config.is_fast():
        raise RuntimeError("run the benchmark in full mode (COURSE_FAST=0)")
    recipe = zoo.RECIPES["vgg"]
    sections, gains, runs = [], {}, {}
    # spawned, not forked: a child forked from a process that has run torch can hang in OpenMP
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        for budget, (n_images, epochs) in BUDGETS.items():
            runs[budget] = list(pool.map(_trial, (True, False), (n_images,) * 2, (epochs,) * 2))
            section, gains[budget] = _section(budget, *runs[budget], _describe(recipe.augment))
            sections.append(section)
    return "\n\n".join([
        f"The VGG recipe's settings ({recipe.fit_kwargs}; the one-cycle schedule spans each run's epochs), "
        f"seed 0, scored on the {runs['full length'][0]['n_val']:,}-image validation split; the two runs "
        f"of a budget side by side, one thread each, on {os.cpu_count()} cores.",
        *sections,
        _verdict(gains, *runs["full length"]),
        "An earlier version of the short trials was scored on the test set; it is withdrawn, and no choice "
        "rests on it.",
    ])
