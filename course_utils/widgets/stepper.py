"""Lessons 03 and 04: step-through explorers. A Play button and a position slider move the window
over a multi-channel input, one output cell per step; stride, padding and dilation (or the
pooling window) change the path, and "backward" shows where each output gradient goes.

The numbers come from ``course_utils.stepper``; this module only draws them. ``draw_conv_step``
and ``draw_pool_step`` return a matplotlib figure, so they also work outside a widget.
"""
from __future__ import annotations

import html
import time
from typing import Callable, Mapping

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from .. import stepper

#: the arrays the explorers show: {name: (x (C, H, W), w (C, F, F), bias)} or {name: x (C, H, W)}
ConvExamples = Mapping[str, tuple[np.ndarray, np.ndarray, float]]
DIRECTIONS = ("forward", "backward")
MAX_NUMBERS = 7          # panels larger than this on a side are drawn without the numbers
PLAY_MS = 1500           # Play's step interval; slower when drawing a step takes longer (no backlog)


# ----------------------------------------------------------------------------- drawing

def _channel_names(c: int) -> list[str]:
    return ["R", "G", "B"] if c == 3 else [f"channel {k}" for k in range(c)]


def _channel_cmaps(c: int) -> list[str]:
    return ["Reds", "Greens", "Blues"] if c == 3 else ["Greys"] * c


def _heat(ax, arr: np.ndarray, title: str, cmap: str = "RdBu_r", limits: tuple[float, float] | None = None) -> None:
    """A 2-D array as a heat map with its numbers; NaN (not computed yet, padding) stays light grey.
    Colours: ``limits`` (low, high) if given, else symmetric around 0 (blue negative, red positive)."""
    arr = np.where(np.isfinite(arr), arr, np.nan) + 0.0         # + 0.0 turns -0.0 into 0.0
    colours = plt.get_cmap(cmap).with_extremes(bad="#eeeeee")
    if limits is None:
        top = np.nanmax(np.abs(arr)) if np.isfinite(arr).any() else 1.0
        limits = (-top, top)
    shown = ax.imshow(arr, cmap=colours, vmin=limits[0], vmax=limits[1] if limits[1] > limits[0] else limits[0] + 1)
    if max(arr.shape) <= MAX_NUMBERS:
        for (i, j), v in np.ndenumerate(arr):
            if np.isfinite(v):
                r, g, b, _ = shown.cmap(shown.norm(v))
                ax.text(j, i, f"{v:.0f}" if v.is_integer() else f"{v:.2f}", ha="center", va="center", fontsize=8,
                        color="black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white")
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("column", fontsize=7)
    ax.set_ylabel("row", fontsize=7)


def _outline(ax, row: int, col: int, height: int = 1, width: int = 1, color: str = "red",
             style: str = "-", lw: float = 2.5) -> None:
    ax.add_patch(plt.Rectangle((col - 0.5, row - 0.5), width, height, fill=False, edgecolor=color,
                               linestyle=style, linewidth=lw))


def _window(ax, at: stepper.Position, image_box: tuple[int, int, int, int] | None) -> None:
    """The window's span (red), its taps when dilated (small red squares), the unpadded image (dashed)."""
    _outline(ax, *at.box)
    if at.box[2] > len(at.rows):
        for r in at.rows:
            for c in at.cols:
                _outline(ax, r, c, lw=1.2)
    if image_box:
        _outline(ax, *image_box, color="#555555", style="--", lw=1)


def _done_and_current(ax, at: stepper.Position) -> None:
    _outline(ax, at.i, at.j, color="red", lw=3)


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}.")


def _figure(rows: int, cols: int) -> tuple[plt.Figure, np.ndarray]:
    """A grid of panels with fixed spacing (tight_layout would draw the figure twice: too slow to play)."""
    height = 2.7 * rows + 0.8
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, height), squeeze=False)
    fig.subplots_adjust(left=0.05, right=0.98, bottom=0.3 / height, top=1 - 0.9 / height, wspace=0.35, hspace=0.45)
    return fig, axes


def _range(x: np.ndarray) -> tuple[float, float]:
    return float(x.min()), float(x.max())


def draw_conv_step(x: np.ndarray, w: np.ndarray, b: float, stride: int, padding: int, dilation: int,
                   step: int, direction: str = "forward", dout: np.ndarray | None = None) -> plt.Figure:
    """One step of a convolution, one row per channel.

    forward: input channel with the window | kernel slice | products, and the output so far.
    backward: dout with the current cell | dout[i, j] * kernel slice | dx so far with the window.
    """
    _check_direction(direction)
    c = len(x)
    names, cmaps = _channel_names(c), _channel_cmaps(c)
    image_box = (padding, padding, x.shape[1], x.shape[2]) if padding else None
    fig, axes = _figure(c, 4)
    if direction == "forward":
        st = stepper.conv_step(x, w, b, stride, padding, dilation, step)
        sums = st.products.sum(axis=(1, 2))
        for k in range(c):
            _heat(axes[k, 0], st.padded[k], f"input {names[k]}" + (f" (padded, P={padding})" if padding else ""),
                  cmaps[k], _range(x))
            _window(axes[k, 0], st.at, image_box)
            _heat(axes[k, 1], st.kernel[k], f"kernel, slice {names[k]}")
            _heat(axes[k, 2], st.products[k], f"window x kernel: sum {sums[k] + 0:.3g}")
            if k:
                axes[k, 3].axis("off")
        _heat(axes[0, 3], st.output, f"output so far\ncell ({st.at.i}, {st.at.j}) = {st.value:.3g}")
        _done_and_current(axes[0, 3], st.at)
        terms = " + ".join(f"({s:.3g})" if s < 0 else f"{s:.3g}" for s in sums + 0.0)
        fig.suptitle(f"step {step + 1} of {st.at.n_steps}: output ({st.at.i}, {st.at.j}) = "
                     f"{terms} + bias {b:.3g} = {st.value:.3g}")
    else:
        st = stepper.conv_backward_step(x, w, dout, stride, padding, dilation, step)
        for k in range(c):
            if k:
                axes[k, 0].axis("off")
            _heat(axes[k, 1], st.kernel[k], f"kernel, slice {names[k]}")
            _heat(axes[k, 2], st.contribution[k], f"{st.grad:.3g} x kernel {names[k]}")
            _heat(axes[k, 3], st.dx_padded[k], f"dx {names[k]} so far" + (" (padded)" if padding else ""))
            _window(axes[k, 3], st.at, image_box)
        _heat(axes[0, 0], st.dout, "dout (from the loss)")
        _done_and_current(axes[0, 0], st.at)
        fig.suptitle(f"step {step + 1} of {st.at.n_steps}: dout[{st.at.i}, {st.at.j}] = {st.grad:.3g} "
                     f"times the kernel is added into the input window (db so far {st.db:.3g})")
    return fig


def draw_pool_step(x: np.ndarray, f: int, stride: int, padding: int, step: int,
                   direction: str = "forward", dout: np.ndarray | None = None) -> plt.Figure:
    """One step of max pooling, one row per channel (each channel is pooled on its own).

    forward: input channel with the window and its winner (green) | the window | the output so far.
    backward: dout with the current cell | the input and the winner | dx so far (winner only).
    """
    _check_direction(direction)
    c = len(x)
    names, cmaps = _channel_names(c), _channel_cmaps(c)
    image_box = (padding, padding, x.shape[1], x.shape[2]) if padding else None
    fig, axes = _figure(c, 3)
    if direction == "forward":
        st = stepper.pool_step(x, f, stride, padding, step)
        for k in range(c):
            _heat(axes[k, 0], st.padded[k], f"input {names[k]}" + (" (padded)" if padding else ""), cmaps[k],
                  _range(x))
            _window(axes[k, 0], st.at, image_box)
            _outline(axes[k, 0], *st.winners[k], color="lime", lw=2.5)
            _heat(axes[k, 1], st.windows[k], f"window {names[k]}: max {st.values[k]:.3g}", cmaps[k], _range(x))
            r, col = st.winners[k] - [st.at.rows[0], st.at.cols[0]]
            _outline(axes[k, 1], r, col, color="lime", lw=2.5)
            _heat(axes[k, 2], st.output[k], f"max pooled {names[k]} so far", cmaps[k], _range(x))
            _done_and_current(axes[k, 2], st.at)
        fig.suptitle(f"step {step + 1} of {st.at.n_steps}: each channel's window keeps its\n"
                     f"largest value (green) in output ({st.at.i}, {st.at.j})")
    else:
        st = stepper.pool_backward_step(x, dout, f, stride, padding, step)
        for k in range(c):
            _heat(axes[k, 0], st.dout[k], f"dout {names[k]}")
            _done_and_current(axes[k, 0], st.at)
            _heat(axes[k, 1], x[k], f"input {names[k]}: the winner", cmaps[k], _range(x))
            _outline(axes[k, 1], *(st.winners[k] - padding), color="lime", lw=2.5)
            _heat(axes[k, 2], st.dx_padded[k], f"dx {names[k]} so far" + (" (padded)" if padding else ""))
            _window(axes[k, 2], st.at, image_box)
            _outline(axes[k, 2], *st.winners[k], color="lime", lw=2.5)
        fig.suptitle(f"step {step + 1} of {st.at.n_steps}: dout[:, {st.at.i}, {st.at.j}] goes to the\n"
                     f"winner (green) only; where windows overlap, gradients add up")
    return fig


# ----------------------------------------------------------------------------- widgets

def _dout(shape: tuple[int, ...]) -> np.ndarray:
    """A fixed, easy-to-follow output gradient: small integers 1..3."""
    return np.random.default_rng(0).integers(1, 4, size=shape).astype(float)


def _stepper_ui(example: W.Dropdown, settings: list[W.IntSlider], count: Callable[[], int],
                draw: Callable[[int, str], plt.Figure], start: str) -> W.VBox:
    """Shared controls: direction (starting at ``start``), Play + position slider; redraws on every
    change. ``count()`` returns the number of steps (raises ValueError for an invalid setting),
    ``draw(step, direction)`` the figure."""
    _check_direction(start)
    direction = W.ToggleButtons(options=DIRECTIONS, value=start, tooltips=["the forward pass: output values",
                                                                        "the backward pass: where each gradient goes"])
    position = W.IntSlider(value=0, min=0, max=0, description="position", continuous_update=True)
    play = W.Play(value=0, min=0, max=0, interval=PLAY_MS, description="play")
    W.jslink((play, "value"), (position, "value"))
    caption = W.HTML()
    out = W.Output()

    moving = [False]           # True while new_path resets the slider: draw once, at the end

    def redraw(_=None):
        if moving[0]:
            return
        try:
            n = count()
        except ValueError as err:
            caption.value = f'<span style="color:#cf222e">Invalid setting: {html.escape(str(err))}</span>'
            position.disabled = play.disabled = True
            out.clear_output()
            return
        position.disabled = play.disabled = False
        caption.value = (f'<span style="color:#1a7f37">{n} window positions: drag the position slider or '
                         f'press &#9654; to move the window</span>')
        started = time.perf_counter()
        with out:
            out.clear_output(wait=True)
            fig = draw(position.value, direction.value)
            display(fig)
            plt.close(fig)
        elapsed_ms = 1000 * (time.perf_counter() - started)
        play.interval = max(PLAY_MS, int(1.5 * elapsed_ms))      # the next step waits for this one

    def new_path(_=None):
        """A new input or setting changes the number of steps: start again in the middle of the walk."""
        try:
            n = count()
        except ValueError:
            return redraw()
        moving[0] = True
        play.max = position.max = n - 1
        position.value = play.value = n // 2
        moving[0] = False
        redraw()

    for control in (example, *settings):
        control.observe(new_path, "value")
    for control in (direction, position):
        control.observe(redraw, "value")
    new_path()
    return W.VBox([W.HBox([example, direction]), W.HBox([position, play]), W.HBox(settings), caption, out])


def conv_stepper(examples: ConvExamples, direction: str = "forward") -> W.VBox:
    """Step through a convolution. examples: {name: (x (C, H, W), w (C, F, F), bias)};
    direction: the pass shown first, "forward" or "backward". Returns the widget (display it as
    a cell's last line)."""
    example = W.Dropdown(options=list(examples), description="input")
    stride = W.IntSlider(value=1, min=1, max=3, description="stride")
    padding = W.IntSlider(value=0, min=0, max=2, description="padding")
    dilation = W.IntSlider(value=1, min=1, max=3, description="dilation")

    def first() -> stepper.ConvStep:
        return stepper.conv_step(*examples[example.value], stride.value, padding.value, dilation.value)

    def draw(step: int, direction: str) -> plt.Figure:
        dout = _dout(first().output.shape)
        return draw_conv_step(*examples[example.value], stride.value, padding.value, dilation.value, step,
                              direction, dout)

    return _stepper_ui(example, [stride, padding, dilation], lambda: first().at.n_steps, draw, direction)


def pool_stepper(examples: Mapping[str, np.ndarray], direction: str = "forward") -> W.VBox:
    """Step through max pooling. examples: {name: x (C, H, W)}; direction: the pass shown first.
    Windows overlap when the stride is smaller than the window. Returns the widget."""
    example = W.Dropdown(options=list(examples), description="input")
    size = W.IntSlider(value=3, min=1, max=4, description="window F")
    stride = W.IntSlider(value=2, min=1, max=4, description="stride")
    padding = W.IntSlider(value=0, min=0, max=2, description="padding")

    def first() -> stepper.PoolStep:
        return stepper.pool_step(examples[example.value], size.value, stride.value, padding.value)

    def draw(step: int, direction: str) -> plt.Figure:
        dout = _dout(first().output.shape)
        return draw_pool_step(examples[example.value], size.value, stride.value, padding.value, step,
                              direction, dout)

    return _stepper_ui(example, [size, stride, padding], lambda: first().at.n_steps, draw, direction)
