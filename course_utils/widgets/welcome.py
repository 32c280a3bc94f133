"""Lesson 00: a first widget, a browser over Fashion-MNIST items by class."""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
import torch
from IPython.display import display

from ..data import CLASS_NAMES


def nth_of_class(labels: torch.Tensor, class_index: int, k: int) -> int:
    """Index of the k-th item (0-based) whose label is ``class_index``."""
    return int(torch.nonzero(labels == class_index).flatten()[k])


def dataset_browser(images: torch.Tensor, labels: torch.Tensor) -> W.VBox:
    """Pick a class and an item number; see the picture and its brightness range.

    images: (N, 28, 28) uint8, labels: (N,).
    """
    cls = W.Dropdown(options=[(n, i) for i, n in enumerate(CLASS_NAMES)], value=0, description="class")
    k = W.IntSlider(value=0, min=0, max=99, description="item")
    info = W.Label()
    out = W.Output()

    def redraw(_=None):
        idx = nth_of_class(labels, cls.value, k.value)
        img = images[idx]
        info.value = (f"item #{idx}: {CLASS_NAMES[cls.value]}, brightness from {int(img.min())} "
                      f"to {int(img.max())}")
        with out:
            out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(2.2, 2.2))
            ax.imshow(img, cmap="gray", vmin=0, vmax=255)
            ax.set_title(f"{CLASS_NAMES[cls.value]} #{k.value}")
            ax.set_xlabel("column")
            ax.set_ylabel("row")
            display(fig)
            plt.close(fig)

    cls.observe(redraw, "value")
    k.observe(redraw, "value")
    redraw()
    return W.VBox([W.HBox([cls, k]), info, out])
