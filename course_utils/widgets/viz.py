"""Lesson 08 explorers: feature maps of any layer for any image, and occlusion with its knobs.

What they show is computed by ``viz.feature_map_view`` and ``attribution.occlusion``; this module
only draws it.
"""
from __future__ import annotations

from typing import Sequence

import ipywidgets as W
import matplotlib.pyplot as plt
import torch
from IPython.display import display
from torch import nn

from .. import attribution, viz
from ..data import CLASS_NAMES


def feature_map_explorer(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                         layers: Sequence[str]) -> W.VBox:
    """Pick an image, a layer and a channel; see the channel's map, where it peaks and the
    receptive field of that peak in the input.

    images: (N, 1, H, W) in [0, 1]; labels: (N,); layers: names of conv/pool/ReLU layers.
    """
    item = W.IntSlider(value=0, min=0, max=len(images) - 1, description="image")
    layer = W.Dropdown(options=list(layers), value=layers[0], description="layer")
    channel = W.IntSlider(value=0, min=0, max=1, description="channel")
    info = W.HTML()
    out = W.Output()

    def n_channels() -> int:
        return viz.feature_map_view(model, images[0], layer.value, 0).maps.shape[0]

    def redraw(_=None):
        view = viz.feature_map_view(model, images[item.value], layer.value, channel.value)
        pred = int(view.probs.argmax())
        info.value = (f"image #{item.value}: <b>{CLASS_NAMES[int(labels[item.value])]}</b>, predicted "
                      f"{CLASS_NAMES[pred]} ({float(view.probs[pred]):.0%}); {layer.value} has "
                      f"{view.maps.shape[0]} maps of {view.maps.shape[1]}x{view.maps.shape[2]}; channel "
                      f"{channel.value} peaks at {view.peak} with {float(view.fmap.max()):.3g}")
        with out:
            out.clear_output(wait=True)
            fig, axes = plt.subplots(1, 3, figsize=(8.4, 2.4))  # fits a 1280x720 slide under its controls
            axes[0].imshow(images[item.value, 0].cpu().numpy(), cmap="gray", vmin=0, vmax=1)
            t, l, b, r = view.box
            axes[0].add_patch(plt.Rectangle((l - 0.5, t - 0.5), r - l, b - t, fill=False, color="red", lw=2))
            axes[0].set_title("input, red: receptive field\nof the strongest unit", fontsize=9)
            axes[1].imshow(view.fmap.numpy(), cmap="viridis")
            axes[1].plot(view.peak[1], view.peak[0], "r+", ms=12)
            axes[1].set_title(f"{layer.value}, channel {channel.value}", fontsize=9)
            axes[2].imshow(view.maps.mean(0).numpy(), cmap="viridis")
            axes[2].set_title(f"{layer.value}, mean of all channels", fontsize=9)
            for ax in axes:
                ax.set(xlabel="column", ylabel="row")
            fig.tight_layout()
            display(fig)
            plt.close(fig)

    def on_layer(_):
        channel.max = n_channels() - 1
        channel.value = min(channel.value, channel.max)
        redraw()

    channel.max = n_channels() - 1
    item.observe(redraw, "value")
    layer.observe(on_layer, "value")
    channel.observe(redraw, "value")
    redraw()
    return W.VBox([W.HBox([item, layer, channel]), info, out])


def occlusion_explorer(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> W.VBox:
    """Occlusion with its knobs: image, patch size, stride and fill value; the map shows the
    drop in the true class's probability when the patch covers each pixel."""
    item = W.IntSlider(value=0, min=0, max=len(images) - 1, description="image")
    patch = W.IntSlider(value=6, min=2, max=14, description="patch")
    stride = W.IntSlider(value=2, min=1, max=7, description="stride")
    fill = W.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="fill")
    info = W.HTML()
    out = W.Output()

    def redraw(_=None):
        label = int(labels[item.value])
        occ = attribution.occlusion(model, images[item.value], label, patch.value, stride.value, fill.value)
        info.value = (f"true class <b>{CLASS_NAMES[label]}</b>: probability {occ.base:.2f} on the intact image; "
                      f"{occ.drops.numel()} patch positions; the largest drop is {float(occ.drops.max()):.2f}")
        with out:
            out.clear_output(wait=True)
            fig, axes = plt.subplots(1, 2, figsize=(5.6, 2.8))  # fits a 1280x720 slide under its controls
            axes[0].imshow(images[item.value, 0].cpu().numpy(), cmap="gray", vmin=0, vmax=1)
            axes[0].set_title("input", fontsize=9)
            limit = float(occ.pixel_map.abs().max()) or 1.0
            axes[1].imshow(occ.pixel_map.numpy(), cmap="bwr", vmin=-limit, vmax=limit)
            axes[1].set_title("drop in probability\n(red: hiding it hurts)", fontsize=9)
            for ax in axes:
                ax.set(xlabel="column", ylabel="row")
            fig.tight_layout()
            display(fig)
            plt.close(fig)

    for control in (item, patch, stride, fill):
        control.observe(redraw, "value")
    redraw()
    return W.VBox([W.HBox([item, patch]), W.HBox([stride, fill]), info, out])
