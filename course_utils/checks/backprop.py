"""Checkers for the lesson-02 build exercises: a dense layer's forward and backward pass, and the
numerical gradient check used on every backward pass after it. References: course_utils.scratch."""
from __future__ import annotations

import numpy as np

from .. import scratch
from . import Feedback, all_of, attempt, checker, close, right, shape_of, wrong
from .mistakes import arrays, named_mistake, out_and_cache

# ----------------------------------------------------------------------------- dense layer


def _dense_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """(x, w, b, dout): a flat batch, a batch of 2x3 'images' (flattened by the layer), one example."""
    rng = np.random.default_rng(2)
    cases = []
    for x_shape, m in (((4, 5), 3), ((3, 2, 3), 4), ((1, 6), 2)):
        d = int(np.prod(x_shape[1:]))
        cases.append((rng.standard_normal(x_shape), rng.standard_normal((d, m)), rng.standard_normal(m),
                      rng.standard_normal((x_shape[0], m))))
    return cases


def _dense_forward_mistakes(x, w, b) -> dict[str, np.ndarray]:
    flat = x.reshape(len(x), -1)
    return {
        "You forgot the bias: out = x @ w + b.": flat @ w,
        "You applied a ReLU: this exercise is the linear layer alone, out = x @ w + b.": np.maximum(flat @ w + b, 0),
    }


def _dense_backward_mistakes(x, w, b, dout) -> dict[str, tuple]:
    flat = x.reshape(len(x), -1)
    dx, dw, db = (dout @ w.T).reshape(x.shape), flat.T @ dout, dout.sum(axis=0)
    return {
        "db is the mean of dout over the batch; the loss sums the examples' contributions, so db = dout.sum(axis=0).":
            (dx, dw, dout.mean(axis=0)),
        "dw holds only the last example: dw = x.T @ dout sums over the whole batch.":
            (dx, np.outer(flat[-1], dout[-1]), db),
        "dw is divided by the batch size; the gradient of a sum is a sum: dw = x.T @ dout.": (dx, dw / len(x), db),
        "db sums over the wrong axis: sum over the batch (axis 0) to get one value per output, shape (M,).":
            (dx, dw, dout.sum(axis=1)),
        "dx has the flattened shape (N, D); reshape it to x's shape.": (dout @ w.T, dw, db),
    }


def _same_grads(got, expected) -> bool:
    return all(close(g, e) for g, e in zip(got, expected))


@checker
def check_dense_forward(dense_forward) -> Feedback:
    """``dense_forward(x, w, b) -> (out, (x, w, b))``, x (N, D) or (N, d1, ..., dk), w (D, M), b (M,)."""
    for x, w, b, _ in _dense_cases():
        out, cache = out_and_cache(attempt(dense_forward, x.copy(), w.copy(), b.copy()), "dense_forward", 3)
        expected, _ = scratch.dense_forward(x, w, b)
        if not close(out, expected):
            slip = named_mistake(out, _dense_forward_mistakes(x, w, b))
            if slip:
                return wrong(slip)
            if shape_of(out) != expected.shape:
                return wrong(f"For x {x.shape}, w {w.shape} out must have shape {expected.shape} (N, M); yours "
                             f"has {shape_of(out)}. Flatten each example first: x.reshape(len(x), -1).")
            return wrong(f"For x {x.shape}, w {w.shape} out differs from x_flat @ w + b.")
        if not all(close(c, e) for c, e in zip(cache, (x, w, b))):
            return wrong("out is right, but the cache must be (x, w, b), what dense_backward needs.")
    return right("out = x_flat @ w + b on flat and image-shaped batches.")


@checker
def check_dense_backward(dense_backward) -> Feedback:
    """``dense_backward(dout, (x, w, b)) -> (dx, dw, db)``."""
    for x, w, b, dout in _dense_cases():
        grads = arrays(attempt(dense_backward, dout.copy(), (x.copy(), w.copy(), b.copy())), "dense_backward",
                       ("dx", "dw", "db"))
        expected = scratch.dense_backward(dout, (x, w, b))
        if _same_grads(grads, expected):
            continue
        slip = named_mistake(grads, _dense_backward_mistakes(x, w, b, dout), same=_same_grads)
        if slip:
            return wrong(slip)
        for name, got, exp in zip(("dx", "dw", "db"), grads, expected):
            if shape_of(got) != exp.shape:
                return wrong(f"{name} must have the shape of {name[1:]}, {exp.shape}; yours has {shape_of(got)}.")
        return wrong(f"For x {x.shape}, w {w.shape} the shapes are right but not the values: out = x @ w + b "
                     f"gives dx = dout @ w.T, dw = x.T @ dout, db = dout.sum(axis=0).")
    return right("dx, dw and db agree with the reference on flat and image-shaped batches.")


def check_dense_layer(dense_forward, dense_backward) -> Feedback:
    """The exercise: both passes; the first one that is not right speaks."""
    return all_of([lambda: check_dense_forward(dense_forward), lambda: check_dense_backward(dense_backward)],
                  "forward and backward agree with the reference.")


# ----------------------------------------------------------------------------- gradient check

def _grad_cases():
    """(f, x, dout, h): cubic and cross-term functions where a one-sided difference is visibly off."""
    rng = np.random.default_rng(5)
    w = rng.standard_normal((3, 4))
    return [
        (lambda x: x ** 3, rng.standard_normal((2, 3)), rng.standard_normal((2, 3)), 1e-2),
        (lambda x: np.tanh(x @ w), rng.standard_normal((5, 3)), rng.standard_normal((5, 4)), 1e-3),
        (lambda x: x.sum() * x, rng.standard_normal(4), rng.standard_normal(4), 1e-2),
    ]


def _forward_difference(f, x, dout, h):
    grad = np.zeros(x.shape)
    base = np.sum(f(x) * dout)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        grad[index] = (np.sum(f(x) * dout) - base) / h
        x[index] = saved
    return grad


def _gradient_mistakes(f, x, dout, h) -> dict[str, np.ndarray]:
    right_grad = scratch.numerical_gradient(f, x.copy(), dout, h)
    ones = np.ones_like(dout)
    return {
        "You divided by h; the central difference spans 2h: (f(x+h) - f(x-h)) / (2h).": 2 * right_grad,
        "That is a one-sided difference (f(x+h) - f(x)) / h; use the central difference (f(x+h) - f(x-h)) / (2h), "
        "its error shrinks like h**2.": _forward_difference(f, x.copy(), dout, h),
        "You ignored dout: the gradient of sum(f(x) * dout) weights each output by dout.":
            scratch.numerical_gradient(f, x.copy(), ones, h),
    }


def _error_mistakes(a, b) -> dict[str, float]:
    return {
        "That is the absolute difference; divide by |a| + |b| (at least 1e-8) to make it relative.":
            float(np.max(np.abs(a - b))),
        "Use absolute values in the denominator (|a| + |b|); with a + b the error can be negative or blow up.":
            float(np.max(np.abs(a - b) / np.maximum(a + b, 1e-8))),
        "That is the mean over the entries; report the largest (np.max) so that one bad entry shows.":
            float(np.mean(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8))),
    }


@checker
def check_numerical_gradient(numerical_gradient) -> Feedback:
    """``numerical_gradient(f, x, dout, h) -> grad`` shaped like x, by central differences."""
    for f, x, dout, h in _grad_cases():
        x_before = x.copy()
        got = attempt(numerical_gradient, f, x, dout, h)
        expected = scratch.numerical_gradient(f, x_before.copy(), dout, h)
        if not np.array_equal(x, x_before):
            return wrong("x changed during your gradient check: put back x[index] = saved after each nudge.")
        if not isinstance(got, np.ndarray):
            return wrong(f"numerical_gradient must return a NumPy array shaped like x, got {type(got).__name__}.")
        if not close(got, expected, atol=1e-7, rtol=1e-6):
            slip = named_mistake(got, _gradient_mistakes(f, x_before, dout, h),
                                 same=lambda a, c: close(a, c, atol=1e-7, rtol=1e-6))
            if slip:
                return wrong(slip)
            if got.shape != x.shape:
                return wrong(f"The gradient has the shape of x, {x.shape}; yours has {got.shape}.")
            return wrong("Your numerical gradient differs from (sum(f(x+h) * dout) - sum(f(x-h) * dout)) / (2h).")
    return right("central differences, and x is left as it was.")


@checker
def check_relative_error(relative_error) -> Feedback:
    """``relative_error(a, b) -> float``: max |a - b| / max(|a| + |b|, 1e-8)."""
    rng = np.random.default_rng(9)
    for a, b in ((rng.standard_normal((3, 4)), rng.standard_normal((3, 4))),
                 (np.array([1.0, -2.0, 0.0]), np.array([1.0 + 1e-6, 2.0, 0.0])),
                 (np.array([3.0, -0.5]), np.array([-3.0, -0.5]))):
        got = attempt(relative_error, a.copy(), b.copy())
        if not isinstance(got, (float, np.floating)) or np.ndim(got) != 0:
            return wrong(f"relative_error must return one float (the largest entry), got {type(got).__name__} "
                         f"of shape {shape_of(got)}.")
        if not close(got, scratch.relative_error(a, b)):
            return wrong(named_mistake(got, _error_mistakes(a, b))
                         or "relative_error should be max(|a - b| / max(|a| + |b|, 1e-8)).")
    return right("the largest relative difference, safe when both are 0.")


def check_gradient_check(numerical_gradient, relative_error) -> Feedback:
    """The exercise: both functions; the first one that is not right speaks."""
    return all_of([lambda: check_numerical_gradient(numerical_gradient), lambda: check_relative_error(relative_error)],
                  "central differences, x restored, and a relative error: use it on every backward pass.")
