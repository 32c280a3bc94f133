"""Exercise checkers: one module per lesson topic, sharing the machinery below.

A checker calls the student's answer on several cases and returns a Feedback that shows
as one line in the notebook: correct, "not done yet" (a stub that raises
NotImplementedError or returns None), or the likely mistake in one sentence. Errors raised
by the student's code become feedback too, never a traceback.

Writing a checker::

    @checker
    def check_square(square):
        got = attempt(square, 3)          # NotImplementedError / None -> "not done yet"
        if got == 6:
            return wrong("You doubled the number instead of squaring it.")
        return right() if got == 9 else wrong(f"square(3) returned {got!r}, expected 9.")
"""
from __future__ import annotations

import functools
import html
from dataclasses import dataclass

import numpy as np
import torch

# The verdict as data, next to the text and HTML a notebook shows; the autograder (course_utils.grade) reads it.
FEEDBACK_MIME = "application/vnd.course.feedback+json"


@dataclass(frozen=True)
class Feedback:
    """The verdict of a checker: ``ok`` is True (right), False (wrong) or None (not done yet)."""

    ok: bool | None
    message: str

    def __bool__(self) -> bool:
        return self.ok is True

    def __str__(self) -> str:
        mark = {True: "✅ Correct", False: "❌ Not quite", None: "⏳ Not done yet"}[self.ok]
        return f"{mark}: {self.message}" if self.message else mark

    __repr__ = __str__

    def _repr_html_(self) -> str:
        color = {True: "#1a7f37", False: "#cf222e", None: "#9a6700"}[self.ok]
        return f'<div style="color:{color};font-weight:600">{html.escape(str(self))}</div>'

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {FEEDBACK_MIME: {"ok": self.ok, "message": self.message}}


def right(message: str = "well done.") -> Feedback:
    return Feedback(True, message)


def wrong(message: str) -> Feedback:
    return Feedback(False, message)


class NotDone(Exception):
    """The student's answer is still a stub."""


class StudentError(Exception):
    """The student's code raised an exception; the message says which."""


def attempt(answer, *args, **kwargs):
    """Call the student's function (or take their value) and return the result.

    Raises NotDone for a stub (NotImplementedError, ``None`` or ``...``) and StudentError
    when their code raises anything else.
    """
    if answer is None or answer is Ellipsis:
        raise NotDone
    if not callable(answer):
        return answer
    try:
        result = answer(*args, **kwargs)
    except NotImplementedError as err:
        raise NotDone from err
    except Exception as err:  # the student's bug, reported as feedback
        raise StudentError(f"your code raised {type(err).__name__}: {err}") from err
    if result is None or result is Ellipsis:
        raise NotDone
    return result


def checker(func):
    """Turn NotDone and StudentError raised inside ``func`` into Feedback."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs) -> Feedback:
        try:
            return func(*args, **kwargs)
        except NotDone:
            return Feedback(None, "replace the `raise NotImplementedError` (or `None`) with your answer, "
                                  "run the cell, then run this check again.")
        except StudentError as err:
            return wrong(str(err)[0].upper() + str(err)[1:] + ".")
    return wrapper


def yours_or_reference(yours, reference, check):
    """``yours`` when ``check(yours)`` says it is correct, else the course's ``reference``; prints which.

    The cells after an exercise call this, so a lesson keeps running whatever state the exercise is
    in (a stub, a bug, or the student edition, which has no solution cells)::

        conv_output_size = yours_or_reference(conv_output_size, scratch.output_size, check_output_size)
    """
    verdict = check(yours)
    name = getattr(yours, "__name__", None) or getattr(reference, "__name__", "answer")
    if verdict.ok is True:
        print(f"Using your {name}: it passes the check.")
        return yours
    why = "is not done yet" if verdict.ok is None else "does not pass the check yet"
    print(f"Using the course's reference for {name}, because yours {why}.")
    return reference


def to_numpy(value) -> np.ndarray:
    """A tensor, array, list or number as a float64 NumPy array."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def close(got, expected, atol: float = 1e-6, rtol: float = 1e-5) -> bool:
    """True when ``got`` has the shape of ``expected`` and the same values within tolerance."""
    try:
        got, expected = to_numpy(got), to_numpy(expected)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and bool(np.allclose(got, expected, atol=atol, rtol=rtol))


def shape_of(value) -> tuple:
    """The shape of a tensor or array (``()`` for numbers)."""
    return tuple(getattr(value, "shape", np.shape(value)))
