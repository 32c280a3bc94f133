"""Lesson-06 checkers: right answers accepted, each typical mistake named, junk never raises
and is never accepted, stubs are 'not done yet'."""
import math

import numpy as np
import pytest
import torch

from course_utils.batchnorm import batchnorm_forward as reference_bn
from course_utils.checks import training as chk
from course_utils.learning_rate import one_cycle_lr as reference_cycle
from torch_threads import one_torch_thread  # noqa: F401  (autouse: one PyTorch thread)


def stub(*args, **kwargs):
    raise NotImplementedError


def raises(error):
    def answer(*args, **kwargs):
        raise error("boom")
    return answer


JUNK = [None, Ellipsis, stub, raises(ZeroDivisionError), raises(TypeError), lambda *a: None,
        lambda *a: "a string", lambda *a: torch.zeros(3, 3), lambda: 1.0, 42, "text",
        lambda *a: (np.zeros(2),), lambda *a: float("nan")]


# ---------------------------------------------------------------- one-cycle

def cycle(ramp="cos", start_div=True, low="final", peak_shift=0.0):
    """A student's one-cycle function with the chosen mistake (none with the defaults)."""
    def one_cycle_lr(step, total_steps, max_lr, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
        start = max_lr / div_factor if start_div else max_lr
        end = {"final": max_lr / div_factor / final_div_factor, "start": max_lr / div_factor, "zero": 0.0}[low]
        peak = pct_start * total_steps - 1 + peak_shift

        def interpolate(a, b, t):
            if ramp == "linear":
                return a + (b - a) * t
            sign = -1 if ramp == "backwards" else 1
            return b + (a - b) * (1 + sign * math.cos(math.pi * t)) / 2

        if step <= peak:
            return interpolate(start, max_lr, step / peak)
        return interpolate(max_lr, end, (step - peak) / (total_steps - 1 - peak))
    return one_cycle_lr


def test_one_cycle_right_answers():
    assert chk.check_one_cycle(cycle()).ok is True
    assert chk.check_one_cycle(reference_cycle).ok is True
    assert chk.check_one_cycle(lambda *a: np.float32(reference_cycle(*a))).ok is True  # float32 rounding is fine


@pytest.mark.parametrize("answer, phrase", [
    (cycle(ramp="linear"), "ramps linearly"),
    (cycle(ramp="backwards"), "cosine runs backwards"),
    (cycle(start_div=False), "starts at max_lr"),
    (cycle(low="start"), "ends at the starting rate"),
    (cycle(low="zero"), "ends at 0"),
    (cycle(peak_shift=1.0), "one step late"),
    (lambda s, t, m, *a: m, "Check the two phases"),
])
def test_one_cycle_mistakes_are_named(answer, phrase):
    fb = chk.check_one_cycle(answer)
    assert fb.ok is False and phrase in fb.message, fb.message


@pytest.mark.parametrize("answer", JUNK)
def test_one_cycle_junk_never_raises(answer):
    fb = chk.check_one_cycle(answer)
    assert fb.ok is not True and fb.message


def test_one_cycle_stubs_are_not_done():
    assert chk.check_one_cycle(stub).ok is None
    assert chk.check_one_cycle(None).ok is None


# ---------------------------------------------------------------- batch norm

def student_bn(eps_used=True, axes=(0, 2, 3), eval_batch_stats=False, update=True, unbiased=True,
               momentum_flipped=False, affine=True, normalise_ddof=0, train_with_running=False):
    """A student's batch norm with the chosen mistakes (none with the defaults), written independently."""
    def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        g, b = gamma.reshape(1, -1, 1, 1), beta.reshape(1, -1, 1, 1)
        if training or eval_batch_stats:
            mu = x.mean(axis=axes, keepdims=True)
            var = x.var(axis=axes, keepdims=True, ddof=normalise_ddof)
        if training and train_with_running:
            mu, var = running_mean.reshape(1, -1, 1, 1), running_var.reshape(1, -1, 1, 1)
        if not training and not eval_batch_stats:
            mu, var = running_mean.reshape(1, -1, 1, 1), running_var.reshape(1, -1, 1, 1)
        out = (x - mu) / np.sqrt(var + (eps if eps_used else 0.0))
        if affine:
            out = g * out + b
        if training and update:
            m = x.shape[0] * x.shape[2] * x.shape[3]
            batch_var = x.var(axis=(0, 2, 3), ddof=1 if unbiased else 0)
            keep = momentum if momentum_flipped else 1 - momentum
            running_mean = keep * running_mean + (1 - keep) * x.mean(axis=(0, 2, 3))
            running_var = keep * running_var + (1 - keep) * batch_var
            assert m > 1
        return out, running_mean, running_var
    return batchnorm_forward


def test_batchnorm_right_answers():
    assert chk.check_batchnorm(student_bn()).ok is True
    assert chk.check_batchnorm(reference_bn).ok is True

    def torch_version(x, gamma, beta, rm, rv, training, momentum=0.1, eps=1e-5):
        rm_t, rv_t = torch.tensor(rm), torch.tensor(rv)
        out = torch.nn.functional.batch_norm(torch.tensor(x), rm_t, rv_t, torch.tensor(gamma),
                                             torch.tensor(beta), training, momentum, eps)
        return out, rm_t, rv_t
    assert chk.check_batchnorm(torch_version).ok is True


@pytest.mark.parametrize("options, phrase", [
    (dict(eps_used=False), "forgot eps"),
    (dict(axes=(1, 2, 3)), "normalised each sample"),
    (dict(axes=(2, 3)), "axes (2, 3)"),
    (dict(axes=0), "every pixel position separately"),
    (dict(axes=(0, 1, 2, 3)), "one mean and variance for all channels"),
    (dict(normalise_ddof=1), "normalise with the biased variance"),
    (dict(affine=False), "left out gamma and beta"),
    (dict(train_with_running=True), "training mode used the running statistics"),
    (dict(eval_batch_stats=True), "evaluation mode used the batch's own statistics"),
    (dict(update=False), "forgot to update the running statistics"),
    (dict(unbiased=False), "biased batch variance"),
    (dict(momentum_flipped=True), "other way round"),
])
def test_batchnorm_mistakes_are_named(options, phrase):
    fb = chk.check_batchnorm(student_bn(**options))
    assert fb.ok is False and phrase in fb.message, fb.message


def test_batchnorm_more_wrong_answers():
    def replaced(x, gamma, beta, rm, rv, training, momentum=0.1, eps=1e-5):
        out, _, _ = reference_bn(x, gamma, beta, rm, rv, training, momentum, eps)
        return out, x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3), ddof=1)

    def eval_updates(x, gamma, beta, rm, rv, training, momentum=0.1, eps=1e-5):
        out = reference_bn(x, gamma, beta, rm, rv, training, momentum, eps)[0]
        return out, *reference_bn(x, gamma, beta, rm, rv, True, momentum, eps)[1:]

    def flat_running(x, gamma, beta, rm, rv, training, momentum=0.1, eps=1e-5):
        out, rm, rv = reference_bn(x, gamma, beta, rm, rv, training, momentum, eps)
        return out, rm[None], rv

    cases = [(replaced, "replaced by the batch mean"), (eval_updates, "changed the running statistics"),
             (flat_running, "one number per channel"),
             (lambda x, *a: (x[:1], a[2], a[3]), "input's shape"),
             (lambda x, *a: reference_bn(x, *a)[0], "return a tuple")]
    for answer, phrase in cases:
        fb = chk.check_batchnorm(answer)
        assert fb.ok is False and phrase in fb.message, fb.message


@pytest.mark.parametrize("answer", JUNK)
def test_batchnorm_junk_never_raises(answer):
    fb = chk.check_batchnorm(answer)
    assert fb.ok is not True and fb.message


def test_batchnorm_stubs_are_not_done():
    assert chk.check_batchnorm(stub).ok is None
    assert chk.check_batchnorm(None).ok is None
