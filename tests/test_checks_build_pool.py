"""Lesson 04 build exercises: max pooling forward and backward with loops (overlapping windows,
padding, ties). Each checker is fed the right answer, real wrong implementations and junk."""
import numpy as np
import pytest

from checker_junk import JUNK, assert_survives_junk
from course_utils import scratch
from course_utils.checks import pool_layer as P


def make_max_pool_forward(mistake=None):
    def max_pool_forward(x, f, stride, padding=0):
        n_images, channels, height, width = x.shape
        p = 0 if mistake == "no padding" else padding
        s = f if mistake == "stride ignored" else stride
        fill = 0.0 if mistake == "zero padding" else -np.inf
        xpad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
        out_h, out_w = (height - f + 2 * p) // s + 1, (width - f + 2 * p) // s + 1
        out = np.zeros((n_images, channels, out_h, out_w))
        reduce = {"average": np.mean, "min": np.min}.get(mistake, np.max)
        for n, c, i, j in np.ndindex(out.shape):
            out[n, c, i, j] = reduce(xpad[n, c, i * s:i * s + f, j * s:j * s + f])
        if mistake == "nhwc":
            out = out.transpose(0, 2, 3, 1)
        return out, (x, f, stride, padding)
    return max_pool_forward


def test_right_max_pool_forward():
    assert P.check_max_pool_forward(make_max_pool_forward()).ok is True


@pytest.mark.parametrize("mistake, words", [
    ("average", "average pooling"), ("min", "smallest"), ("stride ignored", "ignored the stride"),
    ("no padding", "forgot the padding"), ("zero padding", "-inf"), ("nhwc", "NHWC")])
def test_max_pool_forward_mistakes_are_named(mistake, words):
    feedback = P.check_max_pool_forward(make_max_pool_forward(mistake))
    assert feedback.ok is False and words in feedback.message, feedback


def make_max_pool_backward(mistake=None):
    def max_pool_backward(dout, cache):
        x, f, stride, padding = cache
        xpad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=-np.inf)
        dxpad = np.zeros(xpad.shape)
        for n, c, i, j in np.ndindex(dout.shape):
            rows, cols = slice(i * stride, i * stride + f), slice(j * stride, j * stride + f)
            field = xpad[n, c, rows, cols]
            if mistake == "average":
                dxpad[n, c, rows, cols] += dout[n, c, i, j] / field.size
                continue
            if mistake == "every tie":
                mask = field == field.max()
            else:
                flat = field.size - 1 - np.argmax(field.ravel()[::-1]) if mistake == "last tie" else np.argmax(field)
                mask = np.zeros(field.shape, bool)
                mask.flat[flat] = True
            value = 1.0 if mistake == "ones" else dout[n, c, i, j]
            if mistake == "overwrite":
                dxpad[n, c, rows, cols][mask] = value
            else:
                dxpad[n, c, rows, cols] += mask * value
        return dxpad[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]
    return max_pool_backward


def test_right_max_pool_backward():
    assert P.check_max_pool_backward(make_max_pool_backward()).ok is True
    assert P.check_max_pool_backward(scratch.max_pool_backward_naive).ok is True


@pytest.mark.parametrize("mistake, words", [
    ("every tie", "every tied maximum"), ("last tie", "last maximum"), ("overwrite", "(+=)"),
    ("average", "average pooling"), ("ones", "not 1")])
def test_max_pool_backward_mistakes_are_named(mistake, words):
    feedback = P.check_max_pool_backward(make_max_pool_backward(mistake))
    assert feedback.ok is False and words in feedback.message, feedback


@pytest.mark.parametrize("check", [P.check_max_pool_forward, P.check_max_pool_backward], ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", list(JUNK))
def test_junk(check, name):
    assert_survives_junk(check, JUNK[name](), name=name)
