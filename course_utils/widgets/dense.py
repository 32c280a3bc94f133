"""Lesson 02: an activation-function explorer and a width slider for universal approximation.
The curves come from ``activations.activation_curve`` and ``approximation.fit_one_hidden_layer``.
"""
from __future__ import annotations

from typing import Mapping

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

from ..activations import ACTIVATIONS, activation_curve
from ..approximation import ApproxFit


def activation_explorer(lo: float = -5.0, hi: float = 5.0) -> W.VBox:
    """Choose an activation and alpha (Leaky ReLU's slope for x < 0); see f(x) and f'(x)."""
    name = W.Dropdown(options=list(ACTIVATIONS), value="relu", description="function")
    alpha = W.FloatSlider(value=0.1, min=0.0, max=1.0, step=0.01, description="alpha")
    show_grad = W.Checkbox(value=True, description="show derivative")
    info = W.HTMLMath()
    out = W.Output()

    def redraw(_=None):
        act = ACTIVATIONS[name.value]
        alpha.disabled = not act.uses_alpha
        x, y, dy = (t.numpy() for t in activation_curve(name.value, alpha.value, lo, hi))
        info.value = f"$${act.formula}, \\qquad f'(x) = {act.derivative_formula}$$"
        with out:
            out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(6, 2.6))  # low enough for a slide under the formula
            ax.plot(x, y, label="f(x)")
            if show_grad.value:
                ax.plot(x, dy, "--", label="f'(x)")
            ax.axhline(0, color="black", lw=0.5)
            ax.axvline(0, color="black", lw=0.5)
            suffix = f", alpha = {alpha.value:.2f}" if act.uses_alpha else ""
            ax.set(xlabel="x", ylabel="value", title=f"{name.value}{suffix}")
            ax.grid(alpha=0.3)
            ax.legend()
            fig.tight_layout()
            display(fig)
            plt.close(fig)

    for control in (name, alpha, show_grad):
        control.observe(redraw, "value")
    redraw()
    return W.VBox([W.HBox([name, alpha, show_grad]), info, out])


def approximation_explorer(fits: Mapping[int, ApproxFit]) -> W.VBox:
    """A slider over the hidden-layer widths in ``fits`` ({width: ApproxFit}, fitted beforehand);
    shows the target, the network's fit and the error."""
    widths = sorted(fits)
    width = W.SelectionSlider(options=widths, value=widths[len(widths) // 2], description="hidden units")
    out = W.Output()

    def redraw(_=None):
        fit = fits[width.value]
        with out:
            out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(6.5, 3.2))
            ax.plot(fit.x.numpy(), fit.target.numpy(), color="black", lw=2, label="target f(x)")
            ax.plot(fit.x.numpy(), fit.prediction.numpy(), color="tab:orange", label=f"network, {fit.width} hidden units")
            ax.set(xlabel="x", ylabel="y", title=f"one hidden layer of {fit.width}: mean squared error {fit.mse:.2g}")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
            fig.tight_layout()
            display(fig)
            plt.close(fig)

    width.observe(redraw, "value")
    redraw()
    return W.VBox([width, out])
