"""Lesson 07: the trials behind the VGG recipe's augmentation, scored on the validation split.

Two short runs of zoo.RECIPES["vgg"] on a 10,000-image class-balanced subset of the training split,
6 epochs each, identical except for the augmentation. They are scored on the 6,000 validation
images; the test set plays no part (the earlier version of these trials was scored on the test set
and is withdrawn). One thread, as in bench_vgg, with wall time, CPU time and the machine's load.
"""
from __future__ import annotations

import os
import time

import torch

from bench_lenet import LoadSampler
from bench_vgg import _describe
from course_utils import config, data, zoo
from course_utils.train import fit

SUBSET, EPOCHS, THREADS = 10_000, 6, 1


def run() -> str:
    if config.is_fast():
        raise RuntimeError("run the benchmark in full mode (COURSE_FAST=0)")
    recipe = zoo.RECIPES["vgg"]
    x, y = data.fashion_mnist_tensors("train", n=SUBSET)
    val = data.fashion_mnist_tensors("val")
    trials = {f"recipe: augmentation {_describe(recipe.augment)}": recipe.augment,
              "same without augmentation": None}
    rows, final = [], {}
    default_threads = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        for label, augment in trials.items():
            config.seed_everything(0)
            start, cpu_start = time.perf_counter(), time.process_time()
            with LoadSampler() as load:
                history = fit(recipe.build(), x, y, val=val, epochs=EPOCHS, augment=augment,
                              name=label[:20], **recipe.fit_kwargs)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            final[label] = history
            rows.append(f"| {label} | {history.val_acc[-1]:.2%} | {max(history.val_acc):.2%} (epoch "
                        f"{history.best_epoch}) | {history.train_acc[-1]:.2%} | {wall:.0f} | {cpu:.0f} | "
                        f"{load.mean:.1f} |")
    finally:
        torch.set_num_threads(default_threads)
    with_aug, without = final.values()
    gain = (with_aug.val_acc[-1] - without.val_acc[-1]) * 100
    reading = (f"Reading: on this short budget augmentation {'gains' if gain > 0 else 'costs'} {abs(gain):.1f} points of "
               f"validation accuracy, while it keeps the training accuracy {(without.train_acc[-1] - with_aug.train_acc[-1]) * 100:.1f} "
               "points lower (it slows fitting). "
               + ("The trial supports the recipe's augmentation." if gain > 0 else
                  "The trial does not support the recipe's augmentation: whether it pays over the recipe's full length "
                  "(54,000 images, all epochs) needs the full comparison, which has not been run; the recipe keeps "
                  "augmentation on lesson 06's evidence."))
    return "\n".join([
        f"Trials on a {SUBSET:,}-image class-balanced subset of the training split, {EPOCHS} epochs, the VGG "
        f"recipe's settings ({recipe.fit_kwargs}; the one-cycle schedule spans the {EPOCHS} epochs), "
        f"scored on the {len(val[1]):,}-image validation split; {THREADS} thread on {os.cpu_count()} shared cores.",
        "",
        f"| trial | validation acc after {EPOCHS} epochs | best epoch | train acc (running, last epoch) "
        "| wall s | CPU s | mean load (1 min) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        reading,
        "",
        "An earlier version of these trials was scored on the test set; it is withdrawn, and no choice "
        "rests on it.",
    ])
