"""Overhead of course_utils.train.fit against a bare PyTorch loop on the same model and data.

Both train the lesson-02 MLP for one epoch on the 54,000 training images (batch 128, Adam), alternating
three times so that machine noise hits both; the ratio of the medians is reported. The same work on
both sides: fit without a validation set. The cost of evaluating the validation split after each
epoch is reported separately (it is extra work, not overhead of the loop).
"""
import os
import statistics
import time

import torch
from torch.nn import functional as F

from course_utils import config, data, models, train


def _bare_loop(model, x, y, batch_size=128):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(len(x))
    model.train()
    for i in range(0, len(x), batch_size):
        idx = order[i:i + batch_size]
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()


def run() -> str:
    x, y = data.fashion_mnist_tensors("train", n=54_000)  # the whole split, also under COURSE_FAST=1
    val = data.fashion_mnist_tensors("val", n=6_000)
    fit_times, bare_times, val_times = [], [], []
    for rep in range(3):
        config.seed_everything(rep)
        model = models.mlp()
        t = time.perf_counter()
        _bare_loop(model, x, y)
        bare_times.append(time.perf_counter() - t)
        config.seed_everything(rep)
        model = models.mlp()
        t = time.perf_counter()
        train.fit(model, x, y, epochs=1, batch_size=128, progress=True, device=torch.device("cpu"))
        fit_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        train.evaluate(model, *val)
        val_times.append(time.perf_counter() - t)
    fit_s, bare_s = statistics.median(fit_times), statistics.median(bare_times)
    load = os.getloadavg()[0]
    ratio = fit_s / bare_s
    return (
        f"One epoch of the MLP 784-128-10 on {len(x):,} images, batch 128, Adam, CPU; median of 3 "
        "alternating runs.\n\n"
        "| loop | seconds per epoch |\n| --- | --- |\n"
        f"| bare PyTorch loop | {bare_s:.2f} |\n| `train.fit` (progress bar, history, accuracy) | {fit_s:.2f} |\n"
        f"| evaluating the {len(val[1]):,} validation images once (`fit(..., val=...)` adds this per epoch) "
        f"| {statistics.median(val_times):.2f} |\n\n"
        f"Overhead ratio fit / bare = **{ratio:.3f}** (target at most 1.10: "
        f"**{'met' if ratio <= 1.10 else 'MISSED'}**; 1-minute load average {load:.1f} on {os.cpu_count()} "
        "cores: above that count other work shared the CPU and the ratio is noisy)."
    )
