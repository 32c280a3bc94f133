"""Lesson 03 build exercises: convolution forward with loops, im2col, convolution via im2col and the
backward pass. Each checker is fed the right answer, real wrong implementations (one per named
mistake, written the way a student would) and junk."""
import numpy as np
import pytest

from checker_junk import JUNK, assert_survives_junk
from course_utils import scratch
from course_utils.checks import conv_layer as C


def _pad(x, p):
    return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))


def make_conv_forward(mistake=None):
    def conv_forward(x, w, b, stride=1, padding=0):
        n_images, _, height, width = x.shape
        n_filters, _, fh, fw = w.shape
        p = 0 if mistake == "no padding" else padding
        s = 1 if mistake == "stride ignored" else stride
        xpad = _pad(x, p)
        out_h, out_w = (height - fh + 2 * p) // s + 1, (width - fw + 2 * p) // s + 1
        out = np.zeros((n_images, n_filters, out_h, out_w))
        kernel = w[:, :, ::-1, ::-1] if mistake == "flipped" else w
        for n, k, i, j in np.ndindex(out.shape):
            top, left = (i, j) if mistake == "stride on the index" else (i * s, j * s)
            field = xpad[n, :, top:top + fh, left:left + fw]
            value = np.sum(field[0] * kernel[k, 0]) if mistake == "channels not summed" else np.sum(field * kernel[k])
            out[n, k, i, j] = value + (0 if mistake == "no bias" else b[k])
        if mistake == "nhwc":
            out = out.transpose(0, 2, 3, 1)
        return out, (x, w, b, stride, padding, 1)
    return conv_forward


def test_right_conv_forward():
    assert C.check_conv_forward(make_conv_forward()).ok is True
    assert C.check_conv_forward(lambda x, w, b, s, p: scratch.conv_forward_naive(x, w, b, s, p)).ok is True


@pytest.mark.parametrize("mistake, words", [
    ("flipped", "flipped the kernel"), ("no padding", "forgot the padding"),
    ("stride on the index", "stride is applied wrongly"), ("stride ignored", "ignored the stride"),
    ("channels not summed", "did not sum over the input channels"), ("no bias", "forgot the bias"),
    ("nhwc", "NHWC")])
def test_conv_forward_mistakes_are_named(mistake, words):
    feedback = C.check_conv_forward(make_conv_forward(mistake))
    assert feedback.ok is False and words in feedback.message, feedback


def test_conv_forward_wrong_cache():
    right = make_conv_forward()
    feedback = C.check_conv_forward(lambda x, w, b, s=1, p=0: (right(x, w, b, s, p)[0], (x, w, b, s, p, 2)))
    assert feedback.ok is False and "cache" in feedback.message
    feedback = C.check_conv_forward(lambda x, w, b, s=1, p=0: right(x, w, b, s, p)[0])
    assert feedback.ok is False and "(out, cache)" in feedback.message


def make_im2col(mistake=None):
    def im2col(x, fh, fw, stride=1, padding=0):
        n_images, channels, height, width = x.shape
        p = 0 if mistake == "no padding" else padding
        s = 1 if mistake == "stride ignored" else stride
        xpad = _pad(x, p)
        out_h, out_w = (height - fh + 2 * p) // s + 1, (width - fw + 2 * p) // s + 1
        cols = np.zeros((channels * fh * fw, n_images * out_h * out_w))
        for n, i, j in np.ndindex(n_images, out_h, out_w):
            field = xpad[n, :, i * s:i * s + fh, j * s:j * s + fw]
            if mistake == "row order":
                field = field.transpose(1, 2, 0)
            column = (i * out_w + j) * n_images + n if mistake == "column order" else (n * out_h + i) * out_w + j
            cols[:, column] = field.ravel()
        return cols.T if mistake == "transposed" else cols
    return im2col


def test_right_im2col():
    assert C.check_im2col(make_im2col()).ok is True


@pytest.mark.parametrize("mistake, words", [
    ("row order", "(u, v, c) order"), ("column order", "(i, j, n) order"), ("transposed", "transpose"),
    ("no padding", "forgot the padding"), ("stride ignored", "ignored the stride")])
def test_im2col_mistakes_are_named(mistake, words):
    feedback = C.check_im2col(make_im2col(mistake))
    assert feedback.ok is False and words in feedback.message, feedback


def make_conv_im2col(mistake=None):
    def conv_forward_im2col(x, w, b, stride=1, padding=0):
        n_images = len(x)
        n_filters, _, fh, fw = w.shape
        out_h = (x.shape[2] - fh + 2 * padding) // stride + 1
        out_w = (x.shape[3] - fw + 2 * padding) // stride + 1
        cols = scratch.im2col(x, fh, fw, stride, padding)
        w_row = (w.transpose(0, 2, 3, 1) if mistake == "w order" else w).reshape(n_filters, -1)
        out = w_row @ cols + (0 if mistake == "no bias" else b[:, None])
        if mistake == "no transpose":
            out = out.reshape(n_images, n_filters, out_h, out_w)
        else:
            out = out.reshape(n_filters, n_images, out_h, out_w)
            if mistake != "KN order":
                out = out.transpose(1, 0, 2, 3)
        return out, (x, w, cols, stride, padding, 1)
    return conv_forward_im2col


def test_right_conv_forward_im2col():
    assert C.check_conv_forward_im2col(make_conv_im2col()).ok is True
    assert C.check_conv_forward_im2col(lambda x, w, b, s, p: scratch.conv_forward_im2col(x, w, b, s, p)).ok is True


@pytest.mark.parametrize("mistake, words", [
    ("no transpose", "straight to (N, K, H2, W2)"), ("KN order", "(K, N, H2, W2)"),
    ("no bias", "forgot the bias"), ("w order", "w.reshape(K, -1)")])
def test_conv_forward_im2col_mistakes_are_named(mistake, words):
    feedback = C.check_conv_forward_im2col(make_conv_im2col(mistake))
    assert feedback.ok is False and words in feedback.message, feedback


def make_conv_backward(mistake=None):
    def conv_backward(dout, cache):
        x, w, b, stride, padding, _ = cache
        n_images, _, height, width = x.shape
        fh, fw = w.shape[2:]
        xpad = _pad(x, padding)
        dxpad = np.zeros(xpad.shape)
        kernel = w[:, :, ::-1, ::-1] if mistake == "flipped dx" else w
        for n in range(n_images):
            if mistake == "dw per image":
                dw = np.zeros(w.shape)             # reset for every image: only the last one survives
            elif n == 0:
                dw = np.zeros(w.shape)
            for k, i, j in np.ndindex(dout.shape[1:]):
                rows = slice(i * stride, i * stride + fh)
                cols = slice(j * stride, j * stride + fw)
                dw[k] += dout[n, k, i, j] * xpad[n, :, rows, cols]
                if mistake == "dx overwritten":
                    dxpad[n, :, rows, cols] = dout[n, k, i, j] * kernel[k]
                else:
                    dxpad[n, :, rows, cols] += dout[n, k, i, j] * kernel[k]
            db = dout[n].sum(axis=(1, 2)) if mistake == "db per image" else None
        if mistake == "dw mean":
            dw = dw / n_images
        if db is None:
            db = dout.mean(axis=(0, 2, 3)) if mistake == "db mean" else dout.sum(axis=(0, 2, 3))
        if mistake == "padding kept":
            return dxpad, dw, db
        return dxpad[:, :, padding:padding + height, padding:padding + width], dw, db
    return conv_backward


def test_right_conv_backward():
    assert C.check_conv_backward(make_conv_backward()).ok is True
    assert C.check_conv_backward(scratch.conv_backward_naive).ok is True


@pytest.mark.parametrize("mistake, words", [
    ("dw per image", "dw holds only the last image"), ("dw mean", "dw is averaged"),
    ("db per image", "db holds only the last image"), ("db mean", "db is averaged"),
    ("dx overwritten", "use +="), ("padding kept", "still has the padding"), ("flipped dx", "flipped kernel")])
def test_conv_backward_mistakes_are_named(mistake, words):
    feedback = C.check_conv_backward(make_conv_backward(mistake))
    assert feedback.ok is False and words in feedback.message, feedback


CHECKS = [C.check_conv_forward, C.check_im2col, C.check_conv_forward_im2col, C.check_conv_backward]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", list(JUNK))
def test_junk(check, name):
    assert_survives_junk(check, JUNK[name](), name=name)
