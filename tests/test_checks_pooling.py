"""Lesson 04 checkers: right answers pass, each typical mistake gets its diagnosis, stubs are
"not done yet" (ok is None)."""
import numpy as np
import pytest
import torch

from course_utils import scratch
from course_utils.checks import pooling as P
from checker_junk import junk_test


def stub(*args, **kwargs):
    raise NotImplementedError


test_pool_output_size_survives_junk = junk_test(P.check_pool_output_size)
test_max_pool_survives_junk = junk_test(P.check_max_pool)
test_max_pool_grad_survives_junk = junk_test(P.check_max_pool_grad, value=True,
                                             extra={"a list of lists": P.max_pool_grad().tolist(),
                                                    "a tensor": torch.from_numpy(P.max_pool_grad()),
                                                    "strings": np.array([["0"] * 4] * 4)})

# ----------------------------------------------------------------------------- output size

def test_pool_output_size_right_and_stub():
    assert P.check_pool_output_size(lambda w, f, s: (w - f) // s + 1).ok is True
    assert P.check_pool_output_size(lambda w, f, s: scratch.output_size(w, f, s)).ok is True
    assert P.check_pool_output_size(stub).ok is None


@pytest.mark.parametrize("answer, phrase", [
    (lambda w, f, s: (w - f) // s, "forgot the + 1"),
    (lambda w, f, s: w // s, "ignored the window size"),
    (lambda w, f, s: w - f + 1, "left out the stride"),
    (lambda w, f, s: 7, "gives 2"),
    (lambda w, f, s: (w - f) / s + 1, "a float"),
    (lambda w, f, s: str((w - f) // s + 1), "string"),
    (lambda w, f, s: (w - f + 1) // s, "returned"),
])
def test_pool_output_size_diagnoses(answer, phrase):
    feedback = P.check_pool_output_size(answer)
    assert feedback.ok is False and phrase in feedback.message


# ----------------------------------------------------------------------------- max pool

def loop_pool(reduce=np.max, stride_override=None, transpose=False):
    def max_pool(x, f, stride):
        s = stride_override or stride
        h2, w2 = (x.shape[0] - f) // s + 1, (x.shape[1] - f) // s + 1
        out = np.array([[reduce(x[i * s:i * s + f, j * s:j * s + f]) for j in range(w2)] for i in range(h2)])
        return out.T if transpose else out
    return max_pool


def reshape_pool(axes):
    def max_pool(x, f, stride):
        h, w = x.shape
        return x.reshape(h // f, f, w // f, f).max(axis=axes)
    return max_pool


def test_max_pool_right_and_stub():
    assert P.check_max_pool(loop_pool()).ok is True
    assert P.check_max_pool(lambda x, f, s: scratch.max_pool_forward_naive(x[None, None], f, s)[0][0, 0]).ok is True
    assert P.check_max_pool(stub).ok is None


@pytest.mark.parametrize("answer, phrase", [
    (loop_pool(reduce=np.mean), "average pooling"),
    (loop_pool(reduce=np.min), "smallest value"),
    (loop_pool(stride_override=1), "Wrong stride"),
    (loop_pool(transpose=True), "Rows and columns are swapped"),
    (reshape_pool((0, 2)), "Wrong axes"),
    (lambda x, f, s: x[:1], "shape"),
    (lambda x, f, s: loop_pool()(x, f, s) + 1, "largest difference"),
    (lambda x, f, s: torch.from_numpy(loop_pool()(x, f, s)), "NumPy"),
    (lambda x, f, s: loop_pool()(x, f, s).tolist(), "np.array"),
    (lambda x, f, s: loop_pool()(x, f, s).ravel(), "2-D"),
    (lambda x, f, s: loop_pool()(x, f, s)[:, :-1], "shape"),
])
def test_max_pool_diagnoses(answer, phrase):
    feedback = P.check_max_pool(answer)
    assert feedback.ok is False and phrase in feedback.message


def test_reshape_trick_fails_on_overlapping_windows_with_feedback():
    feedback = P.check_max_pool(reshape_pool((1, 3)))
    assert feedback.ok is False and "Your code raised ValueError" in feedback.message


# ----------------------------------------------------------------------------- gradient

def test_max_pool_grad_right_and_stub():
    dx = np.zeros((4, 4))
    for i in range(2):
        for j in range(2):
            window = P.GRAD_X[2 * i:2 * i + 2, 2 * j:2 * j + 2]
            u, v = np.unravel_index(np.argmax(window), (2, 2))
            dx[2 * i + u, 2 * j + v] = P.GRAD_DOUT[i, j]
    assert P.check_max_pool_grad(dx).ok is True
    assert P.check_max_pool_grad(dx.astype(int)).ok is True
    assert P.check_max_pool_grad(dx.tolist()).ok is False  # the exercise asks for a NumPy array
    assert P.check_max_pool_grad(None).ok is None


def test_grad_slips_are_distinct_from_each_other_and_the_answer():
    arrays = [P.max_pool_grad(), *P._grad_slips().values()]
    for a in range(len(arrays)):
        for b in range(a + 1, len(arrays)):
            assert not np.allclose(arrays[a], arrays[b])


@pytest.mark.parametrize("index, phrase", [
    (0, "average pooling"), (1, "whole dout"), (2, "not 1"), (3, "smallest"), (4, "swapped"),
])
def test_max_pool_grad_diagnoses(index, phrase):
    answer = list(P._grad_slips().values())[index]
    feedback = P.check_max_pool_grad(answer)
    assert feedback.ok is False and phrase in feedback.message


def test_max_pool_grad_transposed():
    feedback = P.check_max_pool_grad(P.max_pool_grad().T)
    assert feedback.ok is False and "transposed" in feedback.message


def test_max_pool_grad_wrong_shape_and_other():
    assert "shape of the input" in P.check_max_pool_grad(np.zeros((2, 2))).message
    assert "Not yet" in P.check_max_pool_grad(np.ones((4, 4))).message
