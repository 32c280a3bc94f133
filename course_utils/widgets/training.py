"""Lesson 06: choose a learning rate and see how training went with it. The runs are computed
beforehand (``learning_rate.train_steps`` with a constant rate each), so the widget reacts at once.
"""
from __future__ import annotations

from typing import Mapping

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from ..learning_rate import RangeTest, smooth
from ..plots import plot_lr_range, plot_step_losses


def lr_explorer(range_test: RangeTest, runs: Mapping[float, np.ndarray]) -> W.VBox:
    """A slider over the learning rates of ``runs`` ({lr: mini-batch losses (steps,)}): on the left the
    range test with the chosen rate marked, on the right that run's loss curve against the others."""
    rates = sorted(runs)
    choice = W.SelectionSlider(options=[(f"{lr:.0e}", lr) for lr in rates], value=rates[len(rates) // 2],
                               description="learning rate", continuous_update=False,
                               layout=W.Layout(width="420px"))
    info = W.HTML()
    out = W.Output()
    names = {lr: f"lr {lr:.0e}" for lr in rates}
    curves = {names[lr]: runs[lr] for lr in rates}
    smoothed = {names[lr]: smooth(runs[lr]) for lr in rates}

    def redraw(_=None):
        lr = choice.value
        final = smoothed[names[lr]][-1]
        verdict = "diverged" if not np.isfinite(final) or final > smoothed[names[lr]][0] else f"{final:.3f}"
        info.value = f"learning rate <b>{lr:.0e}</b>: smoothed loss at the end <b>{verdict}</b>"
        with out:
            out.clear_output(wait=True)
            fig, (left, right) = plt.subplots(1, 2, figsize=(12, 3.8))
            plot_lr_range(range_test.lrs, range_test.losses, range_test.smoothed, {"chosen": lr}, ax=left)
            plot_step_losses(curves, smoothed=smoothed, highlight=names[lr], ax=right,
                             title=f"Training with a constant learning rate of {lr:.0e}")
            right.set_ylim(0, 1.2 * max(float(s[0]) for s in smoothed.values()))
            display(fig)
            plt.close(fig)

    choice.observe(redraw, "value")
    redraw()
    return W.VBox([choice, info, out])
