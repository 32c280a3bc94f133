"""The machinery shared by every checker (course_utils.checks)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from checker_junk import Hostile, junk_test
from course_utils.checks import (Feedback, NotDone, StudentError, attempt, checker, close, describe, expect_array,
                                 expect_int, expect_number, expect_tensor, expect_tuple, right, shape_of, value_of,
                                 wrong, yours_or_reference)


@checker
def check_double(double) -> Feedback:
    """``double(x)``: twice x."""
    got = attempt(double, 3)
    return right() if got == 6 else wrong(f"double(3) returned {got!r}, expected 6.")


def reference_double(x):
    return 2 * x


def test_yours_or_reference_keeps_a_correct_answer(capsys):
    def double(x):
        return x + x
    assert yours_or_reference(double, reference_double, check_double) is double
    assert "Using your double" in capsys.readouterr().out


def test_yours_or_reference_falls_back_for_a_stub_and_for_a_wrong_answer(capsys):
    def double(x):
        raise NotImplementedError

    assert yours_or_reference(double, reference_double, check_double) is reference_double
    assert "reference for double, because yours is not done yet" in capsys.readouterr().out

    def double(x):  # noqa: F811 - a second, wrong attempt
        return x * x

    assert yours_or_reference(double, reference_double, check_double) is reference_double
    assert "does not pass the check yet" in capsys.readouterr().out


# ---------------------------------------------------------------- the machinery never raises

test_check_double_survives_junk = junk_test(check_double)


def test_attempt_tells_a_stub_from_a_missing_return():
    def stub(x):
        raise NotImplementedError

    def forgot_return(x):
        x * 2

    with pytest.raises(NotDone):
        attempt(stub, 3)
    with pytest.raises(StudentError, match="did you forget `return`"):
        attempt(forgot_return, 3)
    assert check_double(stub).ok is None
    feedback = check_double(forgot_return)
    assert feedback.ok is False and "did you forget `return`?" in feedback.message


def test_attempt_refuses_a_wrong_signature_and_a_non_function():
    with pytest.raises(StudentError, match="cannot be called with the 1 arguments"):
        attempt(lambda a, b: a, 3)
    with pytest.raises(StudentError, match="expected a function"):
        attempt(6, 3)
    assert attempt(abs, -3) == 3  # a builtin is simply called


def test_value_of():
    with pytest.raises(NotDone):
        value_of(None)
    with pytest.raises(NotDone):
        value_of(...)
    with pytest.raises(StudentError, match="should be a value"):
        value_of(lambda: 3)
    assert value_of(torch.zeros(2)).shape == (2,)


def test_a_crash_while_inspecting_becomes_a_wrong_verdict_that_says_what_came_back():
    @checker
    def check_len(answer):
        """``answer``: a list of three ints."""
        got = value_of(answer)
        return right() if len(got) == 3 else wrong("not three")

    feedback = check_len(Hostile())
    assert feedback.ok is False
    assert "a Hostile" in feedback.message and "a list of three ints" in feedback.message
    feedback = check_len(5)
    assert feedback.ok is False and "the int 5" in feedback.message


@pytest.mark.parametrize("value, ok", [
    (3, True), (np.int64(3), True), (3.0, False), ("3", False), (True, False), (torch.tensor(3), False),
    (None, False), (Hostile(), False), ([3], False),
])
def test_expect_int(value, ok):
    assert (expect_int(value, "x") is None) is ok


@pytest.mark.parametrize("value, tensor_ok, ok", [
    (3, False, True), (2.5, False, True), (np.float32(2.5), False, True), (np.array(2.5), False, True),
    ("2.5", False, False), (True, False, False), (torch.tensor(2.5), False, False), (torch.tensor(2.5), True, True),
    (torch.tensor([2.5]), True, False), (torch.tensor(2), True, False), (np.array([2.5]), False, False),
])
def test_expect_number(value, tensor_ok, ok):
    assert (expect_number(value, "x", tensor_ok=tensor_ok) is None) is ok


def test_expect_tensor_names_the_fix():
    assert expect_tensor(torch.zeros(2, 3), (2, 3), torch.float32, "x") is None
    assert "NumPy" in expect_tensor(np.zeros((2, 3)), (2, 3), torch.float32, "x")
    assert ".float()" in expect_tensor(torch.zeros(2, 3, dtype=torch.float64), (2, 3), torch.float32, "x")
    assert "transposed" in expect_tensor(torch.zeros(3, 2), (2, 3), torch.float32, "x")
    assert "expected (2, 3)" in expect_tensor(torch.zeros(2, 3, 1), (2, 3), torch.float32, "x")
    assert expect_tensor(torch.zeros(5), None, torch.float32, "x") is None


def test_expect_array_and_tuple():
    assert expect_array(np.zeros((2, 2)), (2, 2), "dx") is None
    assert "np.array" in expect_array([[0, 0], [0, 0]], (2, 2), "dx")
    assert "NumPy" in expect_array(torch.zeros(2, 2), (2, 2), "dx")
    assert "numbers" in expect_array(np.array([["a"]]), (1, 1), "dx")
    assert expect_tuple((1, 2), 2, "s") is None and expect_tuple(torch.Size([1, 2]), 2, "s") is None
    assert "a list" in expect_tuple([1, 2], 2, "s") and "3 items" in expect_tuple((1, 2, 3), 2, "s")


def test_close_and_shape_of_never_raise():
    assert close(np.ones(3), torch.ones(3)) and not close("1", 1) and not close(Hostile(), 1)
    assert not close(None, 0) and not close([1, "a"], [1, 2])
    assert shape_of(torch.zeros(2, 3)) == (2, 3) and shape_of(5) == () and shape_of(Hostile()) is None


@pytest.mark.parametrize("value, words", [
    (torch.zeros(2, dtype=torch.float64), "float64 tensor of shape (2,)"), (np.zeros(3), "NumPy float64 array"),
    ("12", "the string '12'"), ([1, 2, 3], "a list of 3 items"), ((x for x in []), "a generator"),
    (Hostile(), "a Hostile"), (len, "the function len"),
])
def test_describe(value, words):
    assert words in describe(value)
