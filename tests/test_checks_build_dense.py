"""Lesson 02 build exercises: the dense layer and the numerical gradient check, each checker fed the
right answer, real wrong implementations (one per named mistake) and junk."""
import numpy as np
import pytest

from checker_junk import JUNK, assert_survives_junk
from course_utils import scratch
from course_utils.checks.backprop import check_dense_layer, check_gradient_check


def make_dense(mistake=None):
    def dense_forward(x, w, b):
        flat = x.reshape(len(x), -1)
        out = flat @ w if mistake == "no bias" else flat @ w + b
        if mistake == "relu":
            out = np.maximum(out, 0)
        return out, (x, w, b)

    def dense_backward(dout, cache):
        x, w, b = cache
        flat = x.reshape(len(x), -1)
        dx = dout @ w.T
        if mistake != "dx flat":
            dx = dx.reshape(x.shape)
        dw = np.outer(flat[-1], dout[-1]) if mistake == "dw last example" else flat.T @ dout
        if mistake == "dw mean":
            dw = dw / len(x)
        db = {"db mean": dout.mean(axis=0), "db axis": dout.sum(axis=1)}.get(mistake, dout.sum(axis=0))
        return dx, dw, db
    return dense_forward, dense_backward


def test_right_dense_layer():
    assert check_dense_layer(*make_dense()).ok is True


@pytest.mark.parametrize("mistake, words", [
    ("no bias", "forgot the bias"), ("relu", "ReLU"), ("dx flat", "reshape it"),
    ("dw last example", "only the last example"), ("dw mean", "divided by the batch size"),
    ("db mean", "db is the mean"), ("db axis", "wrong axis")])
def test_dense_mistakes_are_named(mistake, words):
    feedback = check_dense_layer(*make_dense(mistake))
    assert feedback.ok is False and words in feedback.message, feedback


@pytest.mark.parametrize("name", list(JUNK))
def test_dense_junk(name):
    forward, backward = make_dense()
    assert_survives_junk(check_dense_layer, JUNK[name](), backward, name=name)
    assert_survives_junk(check_dense_layer, JUNK[name](), forward, position=1, name=name)


def make_numerical_gradient(mistake=None):
    def numerical_gradient(f, x, dout, h=1e-5):
        grad = np.zeros(x.shape)
        base = np.sum(f(x) * dout)
        for index in np.ndindex(x.shape):
            saved = x[index]
            x[index] = saved + h
            plus = np.sum(f(x) * (1 if mistake == "no dout" else dout))
            x[index] = saved - h
            minus = np.sum(f(x) * (1 if mistake == "no dout" else dout))
            if mistake != "not restored":
                x[index] = saved
            if mistake == "one-sided":
                x[index] = saved + h
                grad[index] = (np.sum(f(x) * dout) - base) / h
                x[index] = saved
            else:
                grad[index] = (plus - minus) / (h if mistake == "divide by h" else 2 * h)
        return grad
    return numerical_gradient


def make_relative_error(mistake=None):
    def relative_error(a, b):
        diff = np.abs(a - b)
        if mistake == "absolute":
            return float(np.max(diff))
        scale = np.maximum(a + b if mistake == "no abs" else np.abs(a) + np.abs(b), 1e-8)
        return float(np.mean(diff / scale) if mistake == "mean" else np.max(diff / scale))
    return relative_error


def test_right_gradient_check():
    assert check_gradient_check(make_numerical_gradient(), make_relative_error()).ok is True
    assert check_gradient_check(scratch.numerical_gradient, scratch.relative_error).ok is True


@pytest.mark.parametrize("mistake, words", [
    ("divide by h", "divided by h"), ("one-sided", "one-sided"), ("no dout", "ignored dout"),
    ("not restored", "x changed")])
def test_numerical_gradient_mistakes_are_named(mistake, words):
    feedback = check_gradient_check(make_numerical_gradient(mistake), make_relative_error())
    assert feedback.ok is False and words in feedback.message, feedback


@pytest.mark.parametrize("mistake, words", [("absolute", "absolute difference"), ("no abs", "absolute values"),
                                            ("mean", "the largest")])
def test_relative_error_mistakes_are_named(mistake, words):
    feedback = check_gradient_check(make_numerical_gradient(), make_relative_error(mistake))
    assert feedback.ok is False and words in feedback.message, feedback


@pytest.mark.parametrize("name", list(JUNK))
def test_gradient_check_junk(name):
    assert_survives_junk(check_gradient_check, JUNK[name](), make_relative_error(), name=name)
    assert_survives_junk(check_gradient_check, JUNK[name](), make_numerical_gradient(), position=1, name=name)
