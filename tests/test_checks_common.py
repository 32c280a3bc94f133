"""The machinery shared by every checker (course_utils.checks)."""
from __future__ import annotations

from course_utils.checks import Feedback, checker, right, wrong, yours_or_reference


@checker
def check_double(double) -> Feedback:
    from course_utils.checks import attempt
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
