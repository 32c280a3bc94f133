"""Checkers for lesson 06 (training a CNN well).

- ``check_one_cycle(one_cycle_lr)``: the one-cycle learning-rate schedule, step by step,
  against ``learning_rate.one_cycle_lr`` (which matches PyTorch's OneCycleLR).
- ``check_batchnorm(batchnorm_forward)``: batch norm from scratch, in training and evaluation
  mode, against ``batchnorm.batchnorm_forward`` (which matches nn.BatchNorm2d). It names the
  usual mistakes: no eps, the wrong axes, batch statistics at evaluation, running statistics
  not updated (or updated with the biased variance, or with the momentum the wrong way round).
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from . import Feedback, attempt, checker, close, right, shape_of, to_numpy, wrong
from ..batchnorm import batchnorm_forward as bn_reference
from ..learning_rate import cosine_ramp, one_cycle_lr as one_cycle_reference

# ---------------------------------------------------------------- one-cycle schedule

# (total_steps, max_lr, pct_start, div_factor, final_div_factor)
CYCLE_CASES = ((100, 0.01, 0.3, 25.0, 1e4), (50, 3e-3, 0.25, 10.0, 100.0), (470, 1.0, 0.3, 25.0, 1e4))


def _cycle(fn: Callable, total: int, max_lr: float, pct: float, div: float, final: float) -> np.ndarray:
    return np.array([fn(s, total, max_lr, pct, div, final) for s in range(total)], dtype=np.float64)


def _linear_ramp(start: float, end: float, fraction: float) -> float:
    return start + (end - start) * fraction


def _cycle_mistakes(total: int, max_lr: float, pct: float, div: float, final: float):
    """(schedule, diagnosis) for the usual slips, computed with the same two-phase skeleton."""
    def variant(ramp=cosine_ramp, start=max_lr / div, low=max_lr / div / final, peak=pct * total - 1):
        def lr(s, *_):
            if s <= peak:
                return ramp(start, max_lr, s / peak)
            return ramp(max_lr, low, (s - peak) / (total - 1 - peak))
        return _cycle(lr, total, max_lr, pct, div, final)

    backwards = lambda a, b, f: cosine_ramp(b, a, f)  # noqa: E731
    return [
        (variant(ramp=_linear_ramp), "your schedule ramps linearly; one-cycle follows half a cosine "
                                     "in each phase: end + (start - end) * (1 + cos(pi * fraction)) / 2."),
        (variant(ramp=backwards), "your cosine runs backwards: at fraction 0 a phase must be at its "
                                  "start value, so use (1 + cos(pi * fraction)) / 2, not (1 - cos(...)) / 2."),
        (variant(start=max_lr), "your schedule starts at max_lr: the warm-up starts at "
                                "max_lr / div_factor."),
        (variant(low=max_lr / div), "your schedule ends at the starting rate max_lr / div_factor; it "
                                    "should go much lower, to max_lr / div_factor / final_div_factor."),
        (variant(low=0.0), "your schedule ends at 0; it should end at max_lr / div_factor / "
                           "final_div_factor."),
        (variant(peak=pct * total), "the peak is one step late: it is at step pct_start * total_steps - 1 "
                                    "(steps count from 0)."),
        (variant(peak=pct * (total - 1)), "the peak is in the wrong place: it is at step "
                                          "pct_start * total_steps - 1."),
    ]


@checker
def check_one_cycle(one_cycle_lr: Callable) -> Feedback:
    """``one_cycle_lr(step, total_steps, max_lr, pct_start, div_factor, final_div_factor) -> float``."""
    for total, max_lr, pct, div, final in CYCLE_CASES:
        got = []
        for s in range(total):
            value = attempt(one_cycle_lr, s, total, max_lr, pct, div, final)
            try:
                value = float(value)
            except (TypeError, ValueError):
                return wrong(f"one_cycle_lr({s}, {total}, {max_lr}, ...) returned {value!r}; "
                             "return one learning rate as a float.")
            if not math.isfinite(value):
                return wrong(f"one_cycle_lr({s}, {total}, {max_lr}, ...) returned {value}: check for a "
                             "division by zero.")
            got.append(value)
        got = np.array(got)
        expected = _cycle(one_cycle_reference, total, max_lr, pct, div, final)
        if np.allclose(got, expected, rtol=1e-6, atol=1e-12 * max_lr):
            continue
        case = f"with total_steps={total}, max_lr={max_lr}, pct_start={pct}"
        for schedule, why in _cycle_mistakes(total, max_lr, pct, div, final):
            if np.allclose(got, schedule, rtol=1e-6, atol=1e-12 * max_lr):
                return wrong(f"{case}: {why}")
        step = int(np.argmax(np.abs(got - expected)))
        return wrong(f"{case}, step {step} gives {got[step]:.4g}, expected {expected[step]:.4g}. "
                     "Check the two phases: warm-up to the peak at step pct_start * total_steps - 1, "
                     "then down to max_lr / div_factor / final_div_factor at the last step.")
    return right("your schedule matches PyTorch's OneCycleLR at every step of three different cycles.")


# ---------------------------------------------------------------- batch norm

def _bn_inputs(seed: int):
    """A batch whose channels have very different scales, including one so narrow that eps matters."""
    rng = np.random.default_rng(seed)
    n, c, h, w = 6, 4, 3, 5
    scale = np.array([1.0, 5.0, 0.003, 0.5])[:c]
    shift = np.array([0.0, -3.0, 2.0, 10.0])[:c]
    x = rng.normal(size=(n, c, h, w)) * scale[None, :, None, None] + shift[None, :, None, None]
    gamma, beta = rng.normal(1.0, 0.3, size=c), rng.normal(0.0, 0.5, size=c)
    running_mean, running_var = rng.normal(size=c), rng.uniform(0.5, 2.0, size=c)
    return x, gamma, beta, running_mean, running_var


def _normalise(x, gamma, beta, axes, eps=1e-5, ddof=0):
    """x normalised with its own statistics over ``axes``, then scaled and shifted per channel."""
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True, ddof=ddof)
    g, b = gamma.reshape(1, -1, 1, 1), beta.reshape(1, -1, 1, 1)
    return g * (x - mean) / np.sqrt(var + eps) + b


def _output_mistakes(x, gamma, beta):
    ones, zeros = np.ones_like(gamma), np.zeros_like(beta)
    return [
        (_normalise(x, gamma, beta, (0, 2, 3), eps=0.0), "you forgot eps: divide by sqrt(var + eps), "
         "so a channel with (almost) no spread does not blow up."),
        (_normalise(x, gamma, beta, (1, 2, 3)), "wrong axes: you normalised each sample over its own "
         "values; batch norm normalises each channel over the batch, axes (0, 2, 3)."),
        (_normalise(x, gamma, beta, (2, 3)), "wrong axes: you normalised each image's channel on its own "
         "(axes (2, 3)); batch norm pools the whole batch too: axes (0, 2, 3)."),
        (_normalise(x, gamma, beta, 0), "wrong axes: you normalised every pixel position separately "
         "(axis 0 only); a channel's statistics pool the batch and all positions: axes (0, 2, 3)."),
        (_normalise(x, gamma, beta, (0, 1, 2, 3)), "wrong axes: you used one mean and variance for all "
         "channels; each channel has its own, over axes (0, 2, 3)."),
        (_normalise(x, gamma, beta, (0, 2, 3), ddof=1), "normalise with the biased variance (divide "
         "by N*H*W, NumPy's default ddof=0); the unbiased one is only for the running variance."),
        (_normalise(x, ones, zeros, (0, 2, 3)), "you left out gamma and beta: after normalising, "
         "scale each channel by gamma and shift it by beta."),
    ]


def _as_triple(result, call: str):
    """(out, running_mean, running_var) as arrays, or a Feedback saying what the shape of the result is."""
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        return wrong(f"{call} returned {type(result).__name__}; return a tuple "
                     "(out, running_mean, running_var).")
    try:
        return tuple(to_numpy(v) for v in result)
    except (TypeError, ValueError):
        return wrong(f"{call} returned {tuple(type(v).__name__ for v in result)}; return three arrays.")


@checker
def check_batchnorm(batchnorm_forward: Callable) -> Feedback:
    """``batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum, eps)
    -> (out, new_running_mean, new_running_var)`` for x: (N, C, H, W) and per-channel (C,) vectors."""
    momentum, eps = 0.1, 1e-5
    x, gamma, beta, rm, rv = _bn_inputs(0)
    c = x.shape[1]

    def run(x_in: np.ndarray, training: bool):
        """The student's (out, running_mean, running_var) on copies of the inputs, or a Feedback."""
        return _as_triple(attempt(batchnorm_forward, x_in.copy(), gamma.copy(), beta.copy(), rm.copy(),
                                  rv.copy(), training, momentum, eps),
                          f"batchnorm_forward(x, ..., training={training})")

    # training mode: batch statistics, and the running averages move towards them
    got = run(x, True)
    if isinstance(got, Feedback):
        return got
    out, new_rm, new_rv = got
    exp_out, exp_rm, exp_rv = bn_reference(x, gamma, beta, rm, rv, True, momentum, eps)
    if shape_of(out) != x.shape:
        return wrong(f"out has shape {shape_of(out)}; it must have the input's shape {x.shape}.")
    if shape_of(new_rm) != (c,) or shape_of(new_rv) != (c,):
        return wrong(f"the running statistics have shapes {shape_of(new_rm)} and {shape_of(new_rv)}; "
                     f"they hold one number per channel: ({c},).")
    if not close(out, exp_out, atol=1e-6, rtol=1e-5):
        if close(out, bn_reference(x, gamma, beta, rm, rv, False, momentum, eps)[0], atol=1e-6, rtol=1e-5):
            return wrong("training mode used the running statistics; while training, normalise with "
                         "the batch's own mean and variance.")
        for candidate, why in _output_mistakes(x, gamma, beta):
            if close(out, candidate, atol=1e-6, rtol=1e-5):
                return wrong(f"training mode: {why}")
        return wrong("training mode: the output differs from batch norm's. Subtract each channel's batch "
                     "mean, divide by sqrt(batch variance + eps), then scale by gamma and add beta.")
    batch_mean, batch_var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    if close(new_rm, rm) and close(new_rv, rv):
        return wrong("you forgot to update the running statistics in training mode: "
                     "running = (1 - momentum) * running + momentum * batch statistic.")
    if close(new_rm, batch_mean):
        return wrong("the running mean was replaced by the batch mean; it is a moving average: "
                     "(1 - momentum) * running_mean + momentum * batch mean.")
    if close(new_rm, momentum * rm + (1 - momentum) * batch_mean):
        return wrong("the momentum works the other way round (that is Keras's convention): PyTorch keeps "
                     "(1 - momentum) of the old running mean and adds momentum x the batch mean.")
    if not close(new_rm, exp_rm):
        return wrong("the running mean is not (1 - momentum) * running_mean + momentum * batch mean.")
    if close(new_rv, (1 - momentum) * rv + momentum * batch_var):
        return wrong("the running variance used the biased batch variance; PyTorch updates it with the "
                     "unbiased one: multiply by m / (m - 1), m = N*H*W values per channel.")
    if not close(new_rv, exp_rv):
        return wrong("the running variance is not (1 - momentum) * running_var + momentum * unbiased "
                     "batch variance.")

    # evaluation mode: a different batch, normalised with the running statistics only
    x2 = _bn_inputs(1)[0] * 2 + 1
    got = run(x2, False)
    if isinstance(got, Feedback):
        return got
    out, new_rm, new_rv = got
    exp_out = bn_reference(x2, gamma, beta, rm, rv, False, momentum, eps)[0]
    if shape_of(out) != x2.shape:
        return wrong(f"in evaluation mode out has shape {shape_of(out)}; it must be {x2.shape}.")
    if not close(out, exp_out, atol=1e-6, rtol=1e-5):
        if close(out, _normalise(x2, gamma, beta, (0, 2, 3)), atol=1e-6, rtol=1e-5):
            return wrong("evaluation mode used the batch's own statistics; it must use running_mean "
                         "and running_var, so a prediction does not depend on the rest of the batch.")
        return wrong("evaluation mode: normalise with running_mean and running_var (plus eps), then "
                     "scale by gamma and shift by beta.")
    if not (close(new_rm, rm) and close(new_rv, rv)):
        return wrong("evaluation mode changed the running statistics; return them unchanged.")
    return right("training and evaluation mode both match batch norm, running statistics included.")
