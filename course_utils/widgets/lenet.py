"""Lesson 05: pick an image, shift it with sliders, and compare the class probabilities of
several trained models (the MLP and the CNN). The numbers come from
``evaluation.shifted_probabilities``.
"""
from __future__ import annotations

from typing import Mapping

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from torch import nn

from ..data import CLASS_NAMES
from ..evaluation import shifted_probabilities


def shift_explorer(models: Mapping[str, nn.Module], images: torch.Tensor, labels: torch.Tensor,
                   max_shift: int = 8) -> W.VBox:
    """Sliders for the item and its shift (dx, dy); shows the shifted image and, for each
    model, a bar chart of its class probabilities with the true class marked.

    images: (N, 1, 28, 28) floats in [0, 1]; labels: (N,).
    """
    item = W.IntSlider(value=0, min=0, max=len(images) - 1, description="item")
    dx = W.IntSlider(value=0, min=-max_shift, max=max_shift, description="dx (right)")
    dy = W.IntSlider(value=0, min=-max_shift, max=max_shift, description="dy (down)")
    info = W.HTML()
    out = W.Output()

    def redraw(_=None):
        label = int(labels[item.value])
        moved, probs = shifted_probabilities(models, images[item.value], dx.value, dy.value)
        verdicts = []
        for name, p in probs.items():
            guess = int(p.argmax())
            mark = "✅" if guess == label else "❌"
            verdicts.append(f"{name}: {mark} {CLASS_NAMES[guess]} ({p[guess]:.0%})")
        info.value = f"true class: <b>{CLASS_NAMES[label]}</b> &nbsp; | &nbsp; " + " &nbsp; | &nbsp; ".join(verdicts)
        with out:
            out.clear_output(wait=True)
            fig, axes = plt.subplots(1, 1 + len(probs), figsize=(3 + 3.6 * len(probs), 2.9),
                                     gridspec_kw={"width_ratios": [1] + [1.4] * len(probs)})
            axes[0].imshow(moved[0].numpy(), cmap="gray", vmin=0, vmax=1)
            axes[0].set_title(f"shifted by ({dx.value}, {dy.value})")
            axes[0].axis("off")
            ys = np.arange(len(CLASS_NAMES))
            for ax, (name, p) in zip(axes[1:], probs.items()):
                colors = ["tab:green" if c == label else "tab:gray" for c in range(len(CLASS_NAMES))]
                ax.barh(ys, p.numpy() * 100, color=colors)
                ax.set_yticks(ys, CLASS_NAMES if ax is axes[1] else [""] * len(ys), fontsize=8)
                ax.invert_yaxis()
                ax.set(xlim=(0, 100), xlabel="probability (%)", title=f"{name}")
            fig.tight_layout()
            display(fig)
            plt.close(fig)

    for control in (item, dx, dy):
        control.observe(redraw, "value")
    redraw()
    return W.VBox([item, W.HBox([dx, dy]), info, out])
