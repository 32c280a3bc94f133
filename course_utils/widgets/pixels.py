"""Lesson 01: move a picture with dx, dy sliders, change its contrast, and watch the
pixel classifier's prediction change. The numbers come from ``features.shifted_view``.
"""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from torch import nn

from ..data import CLASS_NAMES
from ..features import shifted_view


def shift_contrast_explorer(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                            max_shift: int = 8) -> W.VBox:
    """Sliders for the item, its shift (dx right, dy down) and contrast; shows the picture
    the model sees and its class probabilities, the true class in green.

    images: (N, 1, 28, 28) floats in [0, 1]; labels: (N,).
    """
    item = W.IntSlider(value=0, min=0, max=len(images) - 1, description="item")
    dx = W.IntSlider(value=0, min=-max_shift, max=max_shift, description="dx (right)")
    dy = W.IntSlider(value=0, min=-max_shift, max=max_shift, description="dy (down)")
    contrast = W.FloatSlider(value=1.0, min=0.0, max=3.0, step=0.1, description="contrast")
    info = W.HTML()
    out = W.Output()

    def redraw(_=None):
        label = int(labels[item.value])
        view, probs = shifted_view(model, images[item.value], dx.value, dy.value, contrast.value)
        guess = int(probs.argmax())
        mark = "✅" if guess == label else "❌"
        info.value = (f"true class: <b>{CLASS_NAMES[label]}</b> &nbsp;|&nbsp; prediction: {mark} "
                      f"<b>{CLASS_NAMES[guess]}</b> ({probs[guess]:.0%})")
        with out:
            out.clear_output(wait=True)
            fig, (ax_img, ax_bar) = plt.subplots(1, 2, figsize=(7.5, 2.9), gridspec_kw={"width_ratios": [1, 1.5]})
            ax_img.imshow(view[0].numpy(), cmap="gray", vmin=0, vmax=1)
            ax_img.set_title(f"dx={dx.value}, dy={dy.value}, contrast={contrast.value:.1f}", fontsize=9)
            ax_img.axis("off")
            ys = np.arange(len(CLASS_NAMES))
            colors = ["tab:green" if c == label else "tab:gray" for c in ys]
            ax_bar.barh(ys, probs.numpy() * 100, color=colors)
            ax_bar.set_yticks(ys, CLASS_NAMES, fontsize=8)
            ax_bar.invert_yaxis()
            ax_bar.set(xlim=(0, 100), xlabel="probability (%)", title="what the pixel classifier says")
            fig.tight_layout()
            display(fig)
            plt.close(fig)

    for control in (item, dx, dy, contrast):
        control.observe(redraw, "value")
    redraw()
    return W.VBox([item, W.HBox([dx, dy, contrast]), info, out])
