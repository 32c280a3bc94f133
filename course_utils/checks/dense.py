"""Checkers for lesson 02 (fully-connected layers, activations, losses).

- ``check_count_parameters(f)``: parameters of a stack of dense layers, f([784, 128, 10]) -> 101,770;
- ``check_collapse(f)``: two linear layers merged into one, f(W1, b1, W2, b2) -> (W, b);
- ``check_sigmoid(sigmoid, sigmoid_derivative)`` and ``check_relu(relu, relu_derivative)``;
- ``check_cross_entropy(f)``: softmax cross-entropy from logits, stable for large logits.

``count_parameters_reference`` and ``collapse_reference`` are the course's answers, which the cells
after an exercise use while the student's own is not done (``checks.yours_or_reference``).
"""
from __future__ import annotations

import numpy as np
import torch

from . import (Feedback, attempt, checker, close, expect_int, expect_tensor, expect_tuple, right, shape_of,
               to_numpy, wrong)
from ..activations import cross_entropy as _reference_cross_entropy
from ..activations import sigmoid as _reference_sigmoid

# ---------------------------------------------------------------- counting parameters

_STACKS = ([784, 128, 10], [2, 2, 1], [3072, 1], [10, 5, 7, 2], [4, 3])


def count_parameters_reference(sizes: list[int]) -> int:
    """Weights and biases of dense layers sizes[0] -> sizes[1] -> ...: a layer n -> m has m * (n + 1)."""
    return sum(m * (n + 1) for n, m in zip(sizes, sizes[1:]))


@checker
def check_count_parameters(count_parameters) -> Feedback:
    """``count_parameters(sizes)``: total weights and biases of dense layers sizes[0] -> sizes[1] -> ..."""
    guesses = {
        "no_bias": lambda s: sum(n * m for n, m in zip(s, s[1:])),
        "bias_per_input": lambda s: sum(n * (m + 1) for n, m in zip(s, s[1:])),
        "input_bias": lambda s: sum(m * (n + 1) for n, m in zip(s, s[1:])) + s[0],
        "first_only": lambda s: s[1] * (s[0] + 1),
        "last_only": lambda s: s[-1] * (s[-2] + 1),
        "one_bias_per_layer": lambda s: sum(n * m + 1 for n, m in zip(s, s[1:])),
    }
    messages = {
        "no_bias": "you counted the weights but forgot the biases: each output neuron has one, "
                   "so a layer n -> m has m * (n + 1) parameters.",
        "bias_per_input": "a bias belongs to each output neuron, not to each input: a layer n -> m "
                          "has m * (n + 1) parameters, not n * (m + 1).",
        "input_bias": "the input layer is just the data; it has no parameters. Count only the layers "
                      "between consecutive sizes.",
        "first_only": "that is the first layer only; add up every pair of consecutive sizes.",
        "last_only": "that is the last layer only; add up every pair of consecutive sizes.",
        "one_bias_per_layer": "each output neuron has its own bias, so a layer n -> m has m biases, not one.",
    }
    candidates = set(guesses)
    first_bad = None
    for sizes in _STACKS:
        got = attempt(count_parameters, list(sizes))
        bad = expect_int(got, f"count_parameters({sizes})")
        if bad:
            return wrong(bad)
        expected = sum(m * (n + 1) for n, m in zip(sizes, sizes[1:]))
        if got == expected:
            candidates = {k for k in candidates if guesses[k](sizes) == expected}
            continue
        candidates = {k for k in candidates if guesses[k](sizes) == got}
        first_bad = first_bad or (sizes, got, expected)
    if first_bad is None:
        return right("a layer n -> m has m * (n + 1) parameters; 784-128-10 has 101,770.")
    for key in guesses:  # the first explanation consistent with every case
        if key in candidates:
            return wrong(messages[key])
    sizes, got, expected = first_bad
    return wrong(f"count_parameters({sizes}) returned {got:,} but the stack has {expected:,} parameters.")


# ---------------------------------------------------------------- collapsing two linear layers

def _layers(n: int, h: int, m: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(h, n, generator=g, dtype=torch.float64), torch.randn(h, generator=g, dtype=torch.float64),
            torch.randn(m, h, generator=g, dtype=torch.float64), torch.randn(m, generator=g, dtype=torch.float64))


def collapse_reference(W1, b1, W2, b2):
    """Two linear layers as one: W2 @ (W1 @ x + b1) + b2 = W @ x + b. W1 (hidden, in), W2 (out, hidden)."""
    return W2 @ W1, W2 @ b1 + b2


@checker
def check_collapse(collapse) -> Feedback:
    """``collapse(W1, b1, W2, b2) -> (W, b)`` with W @ x + b == W2 @ (W1 @ x + b1) + b2.

    Weights follow nn.Linear: W1 (hidden, in), W2 (out, hidden); biases b1 (hidden,), b2 (out,).
    """
    for n, h, m, seed in ((3, 3, 3, 0), (2, 2, 1, 1), (4, 5, 3, 2), (3, 6, 2, 3)):
        w1, b1, w2, b2 = _layers(n, h, m, seed)
        got = attempt(collapse, w1.clone(), b1.clone(), w2.clone(), b2.clone())
        bad = expect_tuple(got, 2, "the result") or _collapse_kinds(got, (m, n), (m,))
        if bad:
            return wrong(bad)
        w, b = to_numpy(got[0]), to_numpy(got[1])
        W1, B1, W2, B2 = (t.numpy() for t in (w1, b1, w2, b2))
        W, B = W2 @ W1, W2 @ B1 + B2
        if not close(w, W) and close(w, W.T):
            return wrong("W is transposed: like nn.Linear's weight it has shape (outputs, inputs), W = W2 @ W1.")
        if shape_of(w) != W.shape:
            if shape_of(w) == W.shape[::-1]:
                return wrong(f"W has shape {shape_of(w)} but should be {W.shape} (outputs, inputs): "
                             "layer 1 acts first, so W = W2 @ W1.")
            return wrong(f"W should have shape {W.shape} (outputs, inputs), not {shape_of(w)}.")
        if not np.allclose(w, W, atol=1e-6):
            if n == h == m and np.allclose(w, W1 @ W2, atol=1e-6):
                return wrong("the order is swapped: x meets W1 first, so W = W2 @ W1, not W1 @ W2.")
            if n == h == m and np.allclose(w, W1 * W2, atol=1e-6):
                return wrong("that is an elementwise product; composing layers needs the matrix product W2 @ W1.")
            return wrong("the merged weight is wrong: W2 @ (W1 @ x) = (W2 @ W1) @ x.")
        if shape_of(b) != B.shape:
            return wrong(f"b should have shape {B.shape} (one bias per output), not {shape_of(b)}.")
        if not np.allclose(b, B, atol=1e-6):
            if np.allclose(b, B2, atol=1e-6):
                return wrong("you forgot the first layer's bias: it passes through W2 too, so b = W2 @ b1 + b2.")
            if b1.shape == b2.shape and np.allclose(b, B1 + B2, atol=1e-6):
                return wrong("b1 passes through the second layer's weights: b = W2 @ b1 + b2, not b1 + b2.")
            if np.allclose(b, W2 @ B1, atol=1e-6):
                return wrong("you forgot the second layer's own bias: b = W2 @ b1 + b2.")
            return wrong("the merged bias is wrong: expand W2 @ (W1 @ x + b1) + b2.")
    return right("two linear layers are one linear layer: W = W2 W1, b = W2 b1 + b2.")


def _collapse_kinds(got: tuple, w_shape: tuple, b_shape: tuple) -> str | None:
    """Why the pair ``got`` is not (W, b) as float64 tensors, or None (shapes checked later)."""
    if shape_of(got[0]) == b_shape and shape_of(got[1]) == w_shape:
        return "you returned (b, W); return the weight first: `return W, b`."
    for item, name in zip(got, ("W", "b")):
        bad = expect_tensor(item, None, torch.float64, f"your {name}")
        if bad:
            return bad
    return None


# ---------------------------------------------------------------- activations and derivatives

# float32, as in a network: exp(100) overflows to inf there, which a naive formula turns into nan
_X = torch.cat([torch.linspace(-6, 6, 49), torch.tensor([-100.0, -30.0, 30.0, 100.0])])


def _call_elementwise(func, label: str):
    """Call ``func`` on _X (a copy); return (numpy result, None) or (None, Feedback)."""
    x = _X.clone()
    got = attempt(func, x)
    bad = expect_tensor(got, tuple(_X.shape), torch.float32, label)
    if bad:
        return None, wrong(bad + " It works elementwise: a float32 tensor in, one of the same shape out.")
    if not torch.equal(x, _X):
        return None, wrong(f"{label} changed its input in place; compute a new tensor and leave x as it was.")
    return to_numpy(got), None


@checker
def check_sigmoid(sigmoid, sigmoid_derivative) -> Feedback:
    """``sigmoid(x)`` and ``sigmoid_derivative(x)`` on a float tensor x of any shape."""
    x = _X.numpy()
    s = _reference_sigmoid(_X).numpy()
    got, bad = _call_elementwise(sigmoid, "sigmoid")
    if bad is not None:
        return bad
    if not np.all(np.isfinite(got)):
        return wrong(f"sigmoid gives nan or inf at x = {x[~np.isfinite(got)][0]:g}; "
                     "1 / (1 + exp(-x)) handles every x in floating point.")
    if np.allclose(got, 1 - s, atol=1e-6):
        return wrong("the sign in the exponent is flipped: sigmoid(x) = 1 / (1 + exp(-x)) grows with x.")
    if not np.allclose(got, s, atol=1e-6):
        return wrong("sigmoid(x) should be 1 / (1 + exp(-x)); for example sigmoid(0) = 0.5, "
                     f"sigmoid(2) = {1 / (1 + np.exp(-2)):.4f}.")
    got, bad = _call_elementwise(sigmoid_derivative, "sigmoid_derivative")
    if bad is not None:
        return bad
    expected = s * (1 - s)
    finite = np.isfinite(got)
    if not finite.all():
        return wrong(f"sigmoid_derivative overflows at x = {x[~finite][0]:g} (exp of a large number "
                     "is inf, and inf / inf is nan): write it as sigmoid(x) * (1 - sigmoid(x)).")
    if np.allclose(got, x * (1 - x), atol=1e-6):
        return wrong("you used x where sigma(x) belongs: the derivative is sigmoid(x) * (1 - sigmoid(x)).")
    if np.allclose(got, s, atol=1e-6):
        return wrong("that is sigmoid itself; its derivative is sigmoid(x) * (1 - sigmoid(x)).")
    if np.allclose(got, s * (1 + s), atol=1e-6):
        return wrong("check the sign: the derivative is sigmoid(x) * (1 - sigmoid(x)).")
    if not np.allclose(got, expected, atol=1e-6):
        return wrong("sigmoid_derivative(x) should be sigmoid(x) * (1 - sigmoid(x)): 0.25 at x = 0, "
                     "close to 0 far from 0.")
    return right("sigmoid and its derivative sigma(1 - sigma) match; note the derivative is at most 0.25.")


@checker
def check_relu(relu, relu_derivative) -> Feedback:
    """``relu(x)`` and ``relu_derivative(x)`` on a float tensor x of any shape."""
    x = _X.numpy()
    expected = np.maximum(x, 0)
    got, bad = _call_elementwise(relu, "relu")
    if bad is not None:
        return bad
    if np.allclose(got, np.abs(x)):
        return wrong("negative inputs should become 0, not their absolute value: relu(x) = max(0, x).")
    if np.allclose(got, (x > 0).astype(float)):
        return wrong("that is the derivative (0 or 1); relu itself returns max(0, x).")
    if np.allclose(got, np.minimum(x, 0)):
        return wrong("that keeps the negative part; relu keeps the positive part: max(0, x).")
    if not np.allclose(got, expected):
        return wrong("relu(x) should be max(0, x): x where x > 0, else 0.")
    got, bad = _call_elementwise(relu_derivative, "relu_derivative")
    if bad is not None:
        return bad
    nonzero = x != 0  # at 0 any value in [0, 1] is a valid (sub)gradient
    slope = (x > 0).astype(float)
    if np.allclose(got[nonzero], expected[nonzero]):
        return wrong("that is relu itself; its derivative is the slope: 1 where x > 0, else 0.")
    if np.allclose(got[nonzero], np.sign(x)[nonzero]):
        return wrong("for negative x relu is flat, so the slope there is 0, not -1.")
    if np.allclose(got[nonzero], 1.0):
        return wrong("the slope is 1 only where x > 0; where x < 0 relu is constant and its slope is 0.")
    if not np.allclose(got[nonzero], slope[nonzero]):
        return wrong("relu_derivative(x) should be 1 where x > 0 and 0 where x < 0.")
    at_zero = got[~nonzero]
    if at_zero.size and not np.all((at_zero >= 0) & (at_zero <= 1)):
        return wrong(f"at x = 0 use a value between 0 and 1 (PyTorch uses 0), not {at_zero[0]:g}.")
    return right("ReLU passes gradients through unchanged where x > 0 and blocks them elsewhere.")


# ---------------------------------------------------------------- softmax cross-entropy

def _logit_cases():
    g = torch.Generator().manual_seed(0)
    small = torch.randn(6, 4, generator=g)
    targets = torch.tensor([0, 1, 2, 3, 1, 2])
    large = torch.randn(5, 3, generator=g) * 400 + torch.tensor([1000.0, 0.0, -1000.0])
    large_targets = torch.tensor([0, 1, 2, 1, 0])
    single = torch.randn(1, 10, generator=g) * 3
    return [(small, targets, False), (single, torch.tensor([7]), False), (large, large_targets, True)]


@checker
def check_cross_entropy(cross_entropy) -> Feedback:
    """``cross_entropy(logits, targets)``: logits (N, C) float, targets (N,) int64 -> mean loss (a scalar)."""
    for logits, targets, is_large in _logit_cases():
        leaf = logits.clone().requires_grad_()
        got = attempt(cross_entropy, leaf * 1.0, targets.clone())  # like a network's output
        got_np = to_numpy(got) if isinstance(got, (torch.Tensor, np.ndarray)) else None
        expected = _reference_cross_entropy(logits.double(), targets).item()
        per_item = -torch.log_softmax(logits.double(), 1).gather(1, targets[:, None])[:, 0].numpy()
        if got_np is not None and got_np.shape == per_item.shape and len(per_item) > 1 \
                and np.allclose(got_np, per_item, rtol=1e-4):
            return wrong("you returned one loss per item; return their mean (a single number), "
                         "like F.cross_entropy.")
        bad = expect_tensor(got, (), torch.float32, "cross_entropy")
        if bad:
            return wrong(bad + " Like F.cross_entropy, return the mean loss as a 0-d tensor (e.g. `.mean()`).")
        if not got.requires_grad:
            return wrong("the loss is cut off from the logits (no gradient flows back): stay in torch, "
                         "without .item(), numpy() or torch.tensor(...), so loss.backward() works.")
        got_np = to_numpy(got)
        value = float(got_np.reshape(()))
        if not np.isfinite(value):
            if is_large:
                return wrong("numeric overflow: with logits near 1000, exp(logit) is inf and the loss "
                             "becomes nan or inf. Subtract each row's largest logit before exp "
                             "(softmax does not change), or use logsumexp.")
            return wrong(f"the loss is {value} even for small logits; check for log(0) or division by zero.")
        if np.isclose(value, expected, rtol=1e-4, atol=1e-3 if is_large else 1e-5):
            continue
        if np.isclose(value, -expected, rtol=1e-4, atol=1e-5):
            return wrong("the sign is flipped: the loss is the NEGATIVE log-probability of the true class.")
        if len(per_item) > 1 and np.isclose(value, per_item.sum(), rtol=1e-4):
            return wrong("you returned the sum over the batch; take the mean.")
        wrong_axis = -torch.log_softmax(logits.double(), 0).gather(1, targets[:, None]).mean().item()
        if len(per_item) > 1 and np.isclose(value, wrong_axis, rtol=1e-4, atol=1e-5):
            return wrong("wrong axis: you normalised over the batch (dim 0); softmax runs over the "
                         "classes of each item (dim 1).")
        probs = torch.softmax(logits.double(), 1).gather(1, targets[:, None])[:, 0]
        if np.isclose(value, -probs.mean().item(), rtol=1e-4) or np.isclose(value, 1 - probs.mean().item(), rtol=1e-4):
            return wrong("you forgot the log: the loss is -log(probability of the true class).")
        if is_large:
            return wrong(f"right for small logits but {value:.6g} instead of {expected:.6g} for large "
                         "ones: clipping or rounding loses the value; subtract each row's max logit instead.")
        return wrong(f"the loss is {value:.6g} but should be {expected:.6g}: mean over items of "
                     "-log softmax(logits)[true class].")
    return right("stable for logits in the thousands: subtracting the row maximum keeps exp from overflowing.")
