"""Lesson 02 checkers: right answers accepted, stubs 'not done yet', each typical mistake named."""
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from checker_junk import junk_test
from course_utils.checks.dense import (check_collapse, check_count_parameters, check_cross_entropy,
                                       check_relu, check_sigmoid)


def _stub(*args):
    raise NotImplementedError


def _assert_named(feedback, phrase):
    assert feedback.ok is False and phrase in feedback.message, feedback.message


# ---------------------------------------------------------------- junk

def _sigmoid_ref(x):
    return torch.sigmoid(x)


def _dsigmoid_ref(x):
    return torch.sigmoid(x) * (1 - torch.sigmoid(x))


def _relu_ref(x):
    return torch.relu(x)


def _drelu_ref(x):
    return (x > 0).float()


test_count_parameters_survives_junk = junk_test(check_count_parameters)
test_collapse_survives_junk = junk_test(check_collapse, extra={"returns (b, W)": lambda w1, b1, w2, b2: (
    w2 @ b1 + b2, w2 @ w1)})
test_sigmoid_survives_junk = junk_test(check_sigmoid, _dsigmoid_ref)
test_sigmoid_derivative_survives_junk = junk_test(check_sigmoid, _sigmoid_ref, position=1)
test_relu_survives_junk = junk_test(check_relu, _drelu_ref)
test_relu_derivative_survives_junk = junk_test(check_relu, _relu_ref, position=1)
test_cross_entropy_survives_junk = junk_test(check_cross_entropy)


# ---------------------------------------------------------------- counting parameters

def _by_torch(sizes):
    layers = [nn.Linear(n, m) for n, m in zip(sizes, sizes[1:])]
    return sum(p.numel() for layer in layers for p in layer.parameters())


@pytest.mark.parametrize("answer", [
    lambda s: sum(m * (n + 1) for n, m in zip(s, s[1:])),
    lambda s: sum(s[i] * s[i + 1] + s[i + 1] for i in range(len(s) - 1)),
    _by_torch,
    lambda s: np.int64(sum(m * (n + 1) for n, m in zip(s, s[1:]))),
])
def test_count_parameters_right(answer):
    assert check_count_parameters(answer).ok is True


@pytest.mark.parametrize("answer, phrase", [
    (lambda s: sum(n * m for n, m in zip(s, s[1:])), "forgot the biases"),
    (lambda s: sum(n * (m + 1) for n, m in zip(s, s[1:])), "not to each input"),
    (lambda s: sum(m * (n + 1) for n, m in zip(s, s[1:])) + s[0], "input layer"),
    (lambda s: s[1] * (s[0] + 1), "first layer only"),
    (lambda s: s[-1] * (s[-2] + 1), "last layer only"),
    (lambda s: sum(n * m + 1 for n, m in zip(s, s[1:])), "not one"),
    (lambda s: math.prod(s), "returned"),
    (lambda s: "many", "whole number"),
    (lambda s: str(sum(m * (n + 1) for n, m in zip(s, s[1:]))), "string"),
    (lambda s: float(sum(m * (n + 1) for n, m in zip(s, s[1:]))), "a float"),
    (lambda s: torch.tensor(sum(m * (n + 1) for n, m in zip(s, s[1:]))), ".item()"),
])
def test_count_parameters_mistakes(answer, phrase):
    _assert_named(check_count_parameters(answer), phrase)


def test_count_parameters_not_done():
    assert check_count_parameters(_stub).ok is None and check_count_parameters(None).ok is None


# ---------------------------------------------------------------- collapse

@pytest.mark.parametrize("answer", [
    lambda w1, b1, w2, b2: (w2 @ w1, w2 @ b1 + b2),
    lambda w1, b1, w2, b2: (torch.mm(w2, w1), torch.mv(w2, b1) + b2),
    lambda w1, b1, w2, b2: (w2 @ w1, F.linear(b1, w2, b2)),
])
def test_collapse_right(answer):
    assert check_collapse(answer).ok is True


@pytest.mark.parametrize("answer, phrase", [
    (lambda w1, b1, w2, b2: (w1 @ w2, w2 @ b1 + b2), "order is swapped"),
    (lambda w1, b1, w2, b2: (w1 * w2, w2 @ b1 + b2), "elementwise"),
    (lambda w1, b1, w2, b2: (w2 @ w1, b2), "forgot the first layer's bias"),
    (lambda w1, b1, w2, b2: (w2 @ w1, b1 + b2), "not b1 + b2"),
    (lambda w1, b1, w2, b2: (w2 @ w1, w2 @ b1), "second layer's own bias"),
    (lambda w1, b1, w2, b2: (w2 @ w1, w2 @ b1 - b2), "merged bias is wrong"),
    (lambda w1, b1, w2, b2: ((w2 @ w1).T, w2 @ b1 + b2), "transposed"),
    (lambda w1, b1, w2, b2: (w1.T @ w2.T, w2 @ b1 + b2), "transposed"),
    (lambda w1, b1, w2, b2: (w2 @ w1 if w1.shape[0] == w1.shape[1] else w1.T @ w2.T + 1, w2 @ b1 + b2),
     "layer 1 acts first"),
    (lambda w1, b1, w2, b2: (w2 @ b1 + b2, w2 @ w1), "return the weight first"),
    (lambda w1, b1, w2, b2: ((w2 @ w1).numpy(), (w2 @ b1 + b2).numpy()), "NumPy"),
    (lambda w1, b1, w2, b2: ((w2 @ w1).float(), (w2 @ b1 + b2).float()), "float32"),
    (lambda w1, b1, w2, b2: [w2 @ w1, w2 @ b1 + b2], "a list"),
    (lambda w1, b1, w2, b2: (w2 @ w1, w2 @ b1 + b2, 0), "3 items"),
    (lambda w1, b1, w2, b2: (w2 @ w1 + 1, w2 @ b1 + b2), "merged weight is wrong"),
    (lambda w1, b1, w2, b2: (w2 @ w1, (w2 @ b1 + b2)[None]), "one bias per output"),
    (lambda w1, b1, w2, b2: w2 @ w1, "tuple of 2"),
])
def test_collapse_mistakes(answer, phrase):
    _assert_named(check_collapse(answer), phrase)


def test_collapse_not_done_and_crash():
    assert check_collapse(_stub).ok is None
    feedback = check_collapse(lambda w1, b1, w2, b2: (w1 @ w1 @ w2, b2))  # shapes fail on the 3rd case
    assert feedback.ok is False


# ---------------------------------------------------------------- sigmoid

def _sigmoid(x):
    return 1 / (1 + torch.exp(-x))


@pytest.mark.parametrize("sig, dsig", [
    (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    (torch.sigmoid, lambda x: torch.sigmoid(x) * torch.sigmoid(-x)),
    (lambda x: 0.5 * (1 + torch.tanh(x / 2)), lambda x: 0.25 / torch.cosh(x / 2) ** 2),
])
def test_sigmoid_right(sig, dsig):
    assert check_sigmoid(sig, dsig).ok is True


@pytest.mark.parametrize("sig, dsig, phrase", [
    (lambda x: 1 / (1 + torch.exp(x)), None, "sign in the exponent"),
    (torch.tanh, None, "sigmoid(0) = 0.5"),
    (lambda x: x.exp() / (1 + x.exp()), None, "nan or inf"),
    (lambda x: _sigmoid(x).sum(), None, "elementwise"),
    (lambda x: 1 / (1 + np.exp(-x.numpy())), None, "NumPy"),
    (lambda x: _sigmoid(x.double()), None, "float64"),
    (lambda x: _sigmoid(x).tolist(), None, "torch tensor"),
    (_sigmoid, lambda x: _sigmoid(x)[None] * (1 - _sigmoid(x)), "shape"),
    (_sigmoid, lambda x: torch.exp(-x) / (1 + torch.exp(-x)) ** 2, "overflows"),
    (_sigmoid, lambda x: x * (1 - x), "you used x where"),
    (_sigmoid, _sigmoid, "that is sigmoid itself"),
    (_sigmoid, lambda x: _sigmoid(x) * (1 + _sigmoid(x)), "check the sign"),
    (_sigmoid, lambda x: 1 - _sigmoid(x) ** 2, "0.25 at x = 0"),
])
@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")  # a NumPy answer at x = -100
def test_sigmoid_mistakes(sig, dsig, phrase):
    dsig = dsig or (lambda x: _sigmoid(x) * (1 - _sigmoid(x)))
    _assert_named(check_sigmoid(sig, dsig), phrase)


def test_sigmoid_not_done():
    assert check_sigmoid(_stub, _stub).ok is None
    assert check_sigmoid(_sigmoid, _stub).ok is None


# ---------------------------------------------------------------- relu

@pytest.mark.parametrize("relu, drelu", [
    (lambda x: torch.clamp(x, min=0), lambda x: (x > 0).float()),
    (lambda x: torch.maximum(x, torch.zeros_like(x)), lambda x: (x >= 0).float()),  # 1 at 0 is fine
    (lambda x: x * (x > 0), lambda x: torch.where(x > 0, 1.0, 0.0)),
])
def test_relu_right(relu, drelu):
    assert check_relu(relu, drelu).ok is True


@pytest.mark.parametrize("relu, drelu, phrase", [
    (torch.abs, None, "absolute value"),
    (lambda x: (x > 0).float(), None, "that is the derivative"),
    (lambda x: torch.clamp(x, max=0), None, "negative part"),
    (lambda x: torch.clamp(x, min=0) + 0.01 * torch.clamp(x, max=0), None, "max(0, x)"),
    (torch.relu, torch.relu, "that is relu itself"),
    (torch.relu, torch.sign, "not -1"),
    (torch.relu, torch.ones_like, "only where x > 0"),
    (torch.relu, lambda x: torch.where(x > 0, 1.0, 0.01), "1 where x > 0 and 0 where x < 0"),
    (torch.relu, lambda x: torch.where(x > 0, 1.0, 0.0) + 2.0 * (x == 0), "at x = 0"),
    (torch.relu, lambda x: (x > 0).float()[:10], "same shape"),
    (torch.relu, lambda x: x > 0, "bool tensor"),
    (torch.relu, lambda x: (x > 0).double(), "float64"),
    (lambda x: x.clamp_(min=0), None, "in place"),
    (lambda x: np.maximum(x.numpy(), 0), None, "NumPy"),
])
def test_relu_mistakes(relu, drelu, phrase):
    drelu = drelu or (lambda x: (x > 0).float())
    _assert_named(check_relu(relu, drelu), phrase)


def test_relu_not_done():
    assert check_relu(_stub, _stub).ok is None and check_relu(torch.relu, _stub).ok is None
    feedback = check_relu(torch.relu, lambda x: None)
    assert feedback.ok is False and "forget `return`" in feedback.message


# ---------------------------------------------------------------- cross-entropy

def _stable(logits, targets):
    z = logits - logits.max(dim=1, keepdim=True).values
    log_probs = z - torch.log(torch.exp(z).sum(dim=1, keepdim=True))
    return -log_probs[torch.arange(len(targets)), targets].mean()


def _naive(logits, targets):
    probs = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
    return -torch.log(probs[torch.arange(len(targets)), targets]).mean()


@pytest.mark.parametrize("answer", [
    _stable,
    F.cross_entropy,
    lambda z, y: -(torch.log_softmax(z, 1)[torch.arange(len(y)), y]).mean(),
    lambda z, y: (torch.logsumexp(z, 1) - z.gather(1, y[:, None])[:, 0]).mean(),
])
def test_cross_entropy_right(answer):
    assert check_cross_entropy(answer).ok is True


@pytest.mark.parametrize("answer, phrase", [
    (_naive, "numeric overflow"),
    (lambda z, y: F.cross_entropy(z, y, reduction="none"), "one loss per item"),
    (lambda z, y: F.cross_entropy(z, y, reduction="sum"), "sum over the batch"),
    (lambda z, y: -F.cross_entropy(z, y), "sign is flipped"),
    (lambda z, y: -(torch.log_softmax(z, 0)[torch.arange(len(y)), y]).mean(), "wrong axis"),
    (lambda z, y: -(torch.softmax(z, 1)[torch.arange(len(y)), y]).mean(), "forgot the log"),
    (lambda z, y: _stable(z.clamp(-50, 50), y), "large ones"),
    (lambda z, y: F.cross_entropy(z, y) * 2, "should be"),
    (lambda z, y: torch.stack([F.cross_entropy(z, y)] * 2), "0-d tensor"),
    (lambda z, y: float(_stable(z.double(), y)), "0-d tensor"),
    (lambda z, y: F.cross_entropy(z, y).item(), "0-d tensor"),
    (lambda z, y: F.cross_entropy(z, y)[None], "0-d tensor"),
    (lambda z, y: F.cross_entropy(z, y).detach(), "cut off"),
    (lambda z, y: torch.tensor(F.cross_entropy(z, y).item()), "cut off"),
    (lambda z, y: _stable(z.double(), y), "float64"),
    (lambda z, y: F.cross_entropy(z[:, :-1], y.clamp(max=z.shape[1] - 2)) * 0 + float("nan"), "even for small"),
])
@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True:UserWarning")  # float(loss)
def test_cross_entropy_mistakes(answer, phrase):
    _assert_named(check_cross_entropy(answer), phrase)


def test_cross_entropy_not_done():
    assert check_cross_entropy(_stub).ok is None and check_cross_entropy(None).ok is None
