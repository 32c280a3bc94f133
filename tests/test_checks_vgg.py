"""Lesson-07 checkers: right answers accepted, each typical mistake named, stubs 'not done yet'."""
import math

import pytest
import torch
from torch import nn

from course_utils import memory, summary
from course_utils.checks import vgg as C
from checker_junk import junk_test


def stub(*args):
    raise NotImplementedError


# ---------------------------------------------------------------- VGG block

def block_right(c_in, c_out, n, size):
    params = 0
    for i in range(n):
        params += (3 * 3 * (c_in if i == 0 else c_out) + 1) * c_out
    return params, (c_out, size // 2, size // 2)


def test_block_reference_agrees_with_pytorch():
    for c_in, c_out, n, size in C.BLOCK_CASES:
        layers = []
        for i in range(n):
            layers += [nn.Conv2d(c_in if i == 0 else c_out, c_out, 3, padding=1), nn.ReLU()]
        block = nn.Sequential(*layers, nn.MaxPool2d(2))
        with torch.device("meta"):
            shape = tuple(block.to("meta")(torch.zeros(1, c_in, size, size)).shape[1:])
        params = sum(p.numel() for p in block.parameters())
        assert C.vgg_block_reference(c_in, c_out, n, size) == (params, shape)
        assert summary.layer_table(block, (c_in, size, size)).total_params == params


def test_block_right_answers():
    assert C.check_vgg_block(block_right).ok is True
    assert C.check_vgg_block(lambda *a: (block_right(*a)[0], torch.Size(block_right(*a)[1]))).ok is True


def test_block_stub_and_errors():
    assert C.check_vgg_block(stub).ok is None
    fb = C.check_vgg_block(lambda *a: None)
    assert fb.ok is False and "forget `return`" in fb.message
    fb = C.check_vgg_block(lambda *a: 1 / 0)
    assert fb.ok is False and "ZeroDivisionError" in fb.message
    fb = C.check_vgg_block(lambda *a: 5)
    assert fb.ok is False and "pair" in fb.message


@pytest.mark.parametrize("answer, phrase", [
    (lambda *a: (block_right(*a)[0], list(block_right(*a)[1])), "a list"),
    (lambda *a: (block_right(*a)[1], block_right(*a)[0]), "put the parameter count first"),
    (lambda *a: (float(block_right(*a)[0]), block_right(*a)[1]), "a float"),
    (lambda *a: (str(block_right(*a)[0]), block_right(*a)[1]), "string"),
    (lambda *a: (block_right(*a)[0], block_right(*a)[1][:2]), "2 items"),
    (lambda *a: (block_right(*a)[0], tuple(v / 1 for v in block_right(*a)[1])), "a float"),
    (lambda *a: [*block_right(*a)], "a list"),
])
def test_block_wrong_kinds(answer, phrase):
    fb = C.check_vgg_block(answer)
    assert fb.ok is False and phrase in fb.message, fb.message


test_vgg_block_survives_junk = junk_test(C.check_vgg_block)
test_receptive_field_of_survives_junk = junk_test(C.check_receptive_field_of)
test_largest_batch_survives_junk = junk_test(C.check_largest_batch)


def _with_params(fn):
    return lambda c_in, c_out, n, size: (fn(c_in, c_out, n, size), block_right(c_in, c_out, n, size)[1])


def _with_shape(fn):
    return lambda c_in, c_out, n, size: (block_right(c_in, c_out, n, size)[0], fn(c_in, c_out, n, size))


@pytest.mark.parametrize("answer, phrase", [
    (_with_params(lambda ci, co, n, s: sum(9 * (ci if i == 0 else co) * co for i in range(n))), "forgot the biases"),
    (_with_params(lambda ci, co, n, s: n * 10 * co), "forgot the input channels:"),
    (_with_params(lambda ci, co, n, s: n * 9 * co), "forgot the input channels and the biases"),
    (_with_params(lambda ci, co, n, s: n * (9 * ci + 1) * co), "only the first one sees c_in"),
    (_with_params(lambda ci, co, n, s: (9 * ci + 1) * co), "counted only the first convolution"),
    (_with_params(lambda ci, co, n, s: 12345), "Count (3*3*inputs + 1) * c_out"),
    (_with_shape(lambda ci, co, n, s: (co, s, s)), "halves the height and width"),
    (_with_shape(lambda ci, co, n, s: (s // 2, s // 2, co)), "channels first"),
    (_with_shape(lambda ci, co, n, s: (co, (s - 2 * n) // 2, (s - 2 * n) // 2)), "keeps the size"),
    (_with_shape(lambda ci, co, n, s: (ci, s // 2, s // 2)), "not c_in"),
    (_with_shape(lambda ci, co, n, s: (co, math.ceil(s / 2), math.ceil(s / 2))), "pooling rounds down"),
    (_with_shape(lambda ci, co, n, s: (co, 1, 1)), "expected"),
])
def test_block_mistakes(answer, phrase):
    fb = C.check_vgg_block(answer)
    assert fb.ok is False and phrase in fb.message, fb.message


# ---------------------------------------------------------------- receptive field

def rf_right(layers):
    r, j = 1, 1
    for k, s in layers:
        r += (k - 1) * j
        j *= s
    return r


def test_rf_reference_agrees_with_summary():
    for layers in C.RF_CASES:
        assert C.receptive_field_reference(layers) == summary.receptive_field(layers) == rf_right(layers)


def test_rf_right_and_stub():
    assert C.check_receptive_field_of(rf_right).ok is True
    assert C.check_receptive_field_of(summary.receptive_field).ok is True
    assert C.check_receptive_field_of(stub).ok is None
    assert C.check_receptive_field_of(lambda layers: "seven").ok is False


def rf_late(layers):
    r, j = 1, 1
    for k, s in layers:
        j *= s
        r += (k - 1) * j
    return r


@pytest.mark.parametrize("answer, phrase", [
    (lambda layers: sum(k for k, _ in layers), "added the kernel sizes"),
    (lambda layers: 1 + sum(k - 1 for k, _ in layers), "ignored the strides"),
    (rf_late, "too early"),
    (lambda layers: math.prod(k for k, _ in layers), "multiplied the kernel sizes"),
    (lambda layers: rf_right(layers) - 1, "Off by one"),
    (lambda layers: rf_right(layers) + 3, "expected"),
    (lambda layers: float(rf_right(layers)), "a float"),
    (lambda layers: (rf_right(layers), rf_right(layers)), "whole number"),
    (lambda layers: torch.tensor(rf_right(layers)), ".item()"),
])
def test_rf_mistakes(answer, phrase):
    fb = C.check_receptive_field_of(answer)
    assert fb.ok is False and phrase in fb.message, fb.message


# ---------------------------------------------------------------- largest batch

def batch_right(params, acts, gib):
    free = gib * 2**30 - params * 3 * 4
    return max(0, int(free // (acts * 2 * 4)))


def test_batch_reference_agrees_with_memory():
    for params, acts, gib in C.BATCH_CASES:
        assert C.largest_batch_reference(params, acts, gib) == memory.largest_batch(
            acts, params, gib * 2**30, "sgd_momentum", bytes_per_value=4)


def test_batch_right_and_stub():
    assert C.check_largest_batch(batch_right).ok is True
    assert C.check_largest_batch(stub).ok is None
    assert C.check_largest_batch(lambda *a: "many").ok is False


def _variant(copies=3, factor=2, nbytes=4.0, unit=2**30, rounding=math.floor, clamp=True):
    def answer(params, acts, gib):
        b = rounding((gib * unit - params * copies * nbytes) / (acts * factor * nbytes))
        return max(0, int(b)) if clamp else int(b)
    return answer


@pytest.mark.parametrize("answer, phrase", [
    (_variant(copies=1), "forgot the optimizer state and the gradients"),
    (_variant(copies=2), "forgot SGD's momentum"),
    (_variant(copies=4), "answer for Adam"),
    (_variant(nbytes=32), "32 bits = 4 bytes"),
    (_variant(nbytes=0.5), "4 bits is half a byte"),
    (_variant(unit=10**9), "GB vs GiB"),
    (_variant(unit=1000 * 2**20), "MB vs MiB"),
    (_variant(factor=1), "backward pass"),
    (_variant(rounding=math.ceil), "Round down"),
    (_variant(clamp=False), "return 0"),
    (lambda *a: 7, "expected"),
    (lambda *a: float(batch_right(*a)), "a float"),
    (lambda *a: str(batch_right(*a)), "string"),
])
def test_batch_mistakes(answer, phrase):
    fb = C.check_largest_batch(answer)
    assert fb.ok is False and phrase in fb.message, fb.message
