"""Exercise checkers: one module per lesson topic, sharing the machinery below.

A checker calls the student's answer on several cases and returns a Feedback that shows
as one line in the notebook: correct, "not done yet" (a stub that still raises
NotImplementedError, or a value still ``None``/``...``), or the likely mistake in one
sentence. A checker never raises and never shows a traceback: errors in the student's code
become feedback, and so does any error while inspecting a strange answer.

Writing a checker::

    @checker
    def check_square(square):
        '''``square(n) -> int``: n squared.'''
        got = attempt(square, 3)          # stub -> "not done yet"; returned None -> "forgot return?"
        bad = expect_int(got, "square(3)")
        if bad:
            return wrong(bad)
        if got == 6:
            return wrong("You doubled the number instead of squaring it.")
        return right() if got == 9 else wrong(f"square(3) returned {got!r}, expected 9.")

The pieces:

- ``attempt(function, *args)`` calls the student's function; ``value_of(answer)`` takes a
  value answer (``x = None  # your answer``). Both raise NotDone for a stub and StudentError
  (shown as a wrong verdict) for a crash, a wrong number of parameters, a non-function where a
  function is expected, or a function that returned None.
- ``expect_int``, ``expect_number``, ``expect_tensor``, ``expect_array``, ``expect_tuple``
  check the type, dtype and shape the exercise asks for and return a one-sentence message
  for ``wrong(...)``, or None when the answer has the right kind. The rules, the same in
  every lesson: a whole number is a Python int or a NumPy integer (a float, bool, string or
  tensor is refused); a number is an int or float or NumPy scalar (a 0-d tensor only where the
  exercise works on tensors); a tensor must have the exercise's dtype (float32 unless said
  otherwise) and shape; a NumPy exercise wants an ``np.ndarray``; a pair or shape is a tuple.
- ``close(got, expected)`` compares numbers, arrays and tensors (never strings) by value;
  ``shape_of(value)`` and ``describe(value)`` say what came back, safely for any object.
- ``yours_or_reference(yours, reference, check)`` lets later cells use the student's function
  when it passes, the course's reference otherwise.
"""
from __future__ import annotations

import contextvars
import functools
import html
import inspect
import numbers
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


def all_of(checks, praise: str) -> Feedback:
    """Run zero-argument checks in order; the first verdict that is not right is the answer, else
    ``right(praise)``. For an exercise made of parts, e.g. a forward and a backward pass."""
    for check in checks:
        verdict = check()
        if verdict.ok is not True:
            return verdict
    return right(praise)


class NotDone(Exception):
    """The student's answer is still a stub."""


class StudentError(Exception):
    """The student's answer cannot be used (it crashed, returned None, is not a function...);
    the message says why."""


NOT_DONE = ("replace the `raise NotImplementedError` (or `None`) with your answer, run the cell, "
            "then run this check again.")

# what the student's answer last gave back, for the message when inspecting it fails
_last_answer: contextvars.ContextVar = contextvars.ContextVar("last_answer", default=NotDone)


# ---------------------------------------------------------------- taking the student's answer

def attempt(answer, *args, **kwargs):
    """Call the student's function with ``args`` and return the result.

    Raises NotDone for a stub (the function raises NotImplementedError, or is still ``None``
    or ``...``) and StudentError when the function crashes, takes the wrong number of
    parameters, returns None or ``...``, or is not a function at all. Called without ``args``
    on something that is not callable, it returns that value (prefer ``value_of`` for values).
    """
    if answer is None or answer is Ellipsis:
        raise NotDone
    if not callable(answer):
        if args or kwargs:
            raise StudentError(f"expected a function, but this is {describe(answer)}")
        return _remember(answer)
    _check_signature(answer, args, kwargs)
    try:
        result = answer(*args, **kwargs)
    except NotImplementedError as err:
        raise NotDone from err
    except Exception as err:  # the student's bug, reported as feedback
        raise StudentError(f"your code raised {type(err).__name__}: {_safe_str(err)}") from err
    if result is None:
        raise StudentError("your function returned None: did you forget `return`?")
    if result is Ellipsis:
        raise StudentError("your function returned `...`: return your result instead")
    return _remember(result)


def value_of(answer):
    """The student's value answer (``name = None  # your answer``): NotDone while it is ``None``
    or ``...``; StudentError for a function where a value is asked for."""
    if answer is None or answer is Ellipsis:
        raise NotDone
    if callable(answer) and not isinstance(answer, (torch.Tensor, np.ndarray)):
        raise StudentError(f"the answer should be a value, not {describe(answer)}: "
                           "write the value itself (call the function if you used one)")
    return _remember(answer)


def _remember(value):
    _last_answer.set(value)
    return value


def _check_signature(func, args, kwargs) -> None:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):  # a builtin without a signature: just call it
        return
    try:
        signature.bind(*args, **kwargs)
    except TypeError:
        name = getattr(func, "__name__", "your function")
        raise StudentError(f"{name}{signature} cannot be called with the {len(args) + len(kwargs)} "
                           f"arguments the exercise passes; keep the parameters of the stub") from None


def checker(func):
    """Make ``func`` a checker: its verdict is always a Feedback, never an exception.

    NotDone becomes "not done yet" (ok None); StudentError becomes a wrong verdict with its
    message; any other exception while inspecting the answer becomes a wrong verdict that says
    what came back and what the exercise expects (the first paragraph of ``func``'s docstring).
    """
    first_paragraph = inspect.cleandoc(func.__doc__ or "").split("\n\n")[0]
    expected = " ".join(first_paragraph.split()).rstrip(".") or "see the exercise text"

    @functools.wraps(func)
    def wrapper(*args, **kwargs) -> Feedback:
        token = _last_answer.set(NotDone)
        try:
            return func(*args, **kwargs)
        except NotDone:
            return Feedback(None, NOT_DONE)
        except StudentError as err:
            return wrong(_sentence(str(err)))
        except Exception as err:  # noqa: BLE001 - a strange answer must still get a verdict
            last = _last_answer.get()
            got = "your answer" if last is NotDone else describe(last)
            return wrong(f"Could not use {got} (checking it raised {type(err).__name__}). "
                         f"Expected: {expected}.")
        finally:
            _last_answer.reset(token)
    return wrapper


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _safe_str(value, limit: int = 120) -> str:
    try:
        text = str(value)
    except Exception:  # noqa: BLE001
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def describe(value) -> str:
    """What a value is, in a few words, for messages: 'a float32 tensor of shape (3, 4)',
    "the string '12'", 'a list of 3 items: [1, 2, 3]', 'the int 5'. Never raises."""
    try:
        kind = type(value).__name__
        if isinstance(value, torch.Tensor):
            return f"a {str(value.dtype).replace('torch.', '')} tensor of shape {tuple(value.shape)}"
        if isinstance(value, np.ndarray):
            return f"a NumPy {value.dtype} array of shape {value.shape}"
        if isinstance(value, str):
            return f"the string {_safe_str(repr(value), 40)}"
        if isinstance(value, (bool, numbers.Number, bytes, np.generic)):
            return f"the {kind} {_safe_str(repr(value), 40)}"
        if isinstance(value, (tuple, list, dict, set)):
            return f"a {kind} of {len(value)} item{'s' * (len(value) != 1)}: {_safe_str(repr(value), 60)}"
        if inspect.isgenerator(value):
            return "a generator (return a value, not `yield`)"
        if callable(value):
            return f"the function {getattr(value, '__name__', kind)}"
        return f"a {kind}"
    except Exception:  # noqa: BLE001
        return f"a {type(value).__name__}"


# ---------------------------------------------------------------- the kind of answer an exercise asks for

def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value) -> bool:
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)))


def expect_int(value, what: str) -> str | None:
    """None when ``value`` is a whole number (Python int or NumPy integer), else why not."""
    if _is_int(value):
        return None
    if isinstance(value, (float, np.floating)):
        hint = "use // instead of /, or int(...)" if float(value).is_integer() else "a fraction is not a count"
        return f"{what}: got {value!r}, a float; return a whole number, an int ({hint})."
    if isinstance(value, str):
        return f"{what}: got the string {_safe_str(repr(value), 40)}; return a whole number (an int), not text."
    if isinstance(value, torch.Tensor):
        return f"{what}: got {describe(value)}; return a whole number as a plain int (use .item())."
    return f"{what}: got {describe(value)}; return one whole number (an int)."


def expect_number(value, what: str, tensor_ok: bool = False) -> str | None:
    """None when ``value`` is one real number (int, float, NumPy scalar, a 0-d array, or where
    ``tensor_ok`` a 0-d float tensor), else why not."""
    if _is_real(value) or (isinstance(value, np.ndarray) and value.shape == () and _is_real(value[()])):
        return None
    if isinstance(value, torch.Tensor):
        if tensor_ok and value.shape == () and value.is_floating_point():
            return None
        if value.numel() == 1 and value.ndim > 0:
            return f"{what}: got {describe(value)}; return a single number, not a 1-element tensor."
        if tensor_ok and value.shape == ():
            return f"{what}: got {describe(value)}; return a float, not an integer tensor."
        return f"{what}: got {describe(value)}; return one number (use .item())."
    if isinstance(value, str):
        return f"{what}: got the string {_safe_str(repr(value), 40)}; return the number itself."
    return f"{what}: got {describe(value)}; return one number."


def expect_tensor(value, shape: tuple | None, dtype: torch.dtype, what: str) -> str | None:
    """None when ``value`` is a torch tensor of ``dtype`` and ``shape`` (None: any shape), else
    why not, with the likely fix (a NumPy array, float64 instead of float32, transposed axes)."""
    if not isinstance(value, torch.Tensor):
        if isinstance(value, np.ndarray):
            return f"{what}: got a NumPy array; return a torch tensor (torch.from_numpy(...))."
        return f"{what}: got {describe(value)}; return a {_dtype_name(dtype)} torch tensor."
    if value.dtype != dtype:
        fix = {torch.float32: ".float()", torch.float64: ".double()"}.get(dtype, f".to({dtype})")
        return (f"{what}: got a {_dtype_name(value.dtype)} tensor; the exercise asks for "
                f"{_dtype_name(dtype)} (convert with {fix}).")
    return _shape_problem(tuple(value.shape), shape if shape is None else tuple(shape), what)


def expect_array(value, shape: tuple | None, what: str) -> str | None:
    """None when ``value`` is a NumPy array of real numbers of ``shape`` (None: any shape),
    else why not."""
    if not isinstance(value, np.ndarray):
        if isinstance(value, torch.Tensor):
            return f"{what}: got {describe(value)}; this exercise works in NumPy: return an np.ndarray."
        if isinstance(value, (list, tuple)):
            return f"{what}: got a {type(value).__name__}; return a NumPy array (wrap it in np.array(...))."
        return f"{what}: got {describe(value)}; return a NumPy array."
    if value.dtype.kind not in "iuf":
        return f"{what}: got a NumPy array of {value.dtype}; it should hold numbers (ints or floats)."
    return _shape_problem(tuple(value.shape), shape if shape is None else tuple(shape), what)


def expect_tuple(value, length: int, what: str) -> str | None:
    """None when ``value`` is a tuple (torch.Size counts) of ``length`` items, else why not."""
    if not isinstance(value, tuple):
        if isinstance(value, list):
            return f"{what}: got a list; give a tuple, with round brackets."
        return f"{what}: got {describe(value)}; give a tuple of {length}."
    if len(value) != length:
        return f"{what}: got {len(value)} item{'s' * (len(value) != 1)}; it should have {length}."
    return None


def _shape_problem(got: tuple, want: tuple | None, what: str) -> str | None:
    if want is None or got == want:
        return None
    if len(got) == len(want) == 2 and got == want[::-1]:
        return f"{what}: got shape {got}, expected {want}: it is transposed (rows and columns swapped)."
    return f"{what}: got shape {got}, expected {want}."


def _dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "")


# ---------------------------------------------------------------- comparing

def to_numpy(value) -> np.ndarray:
    """A tensor, array, list or number as a float64 NumPy array (raises for strings)."""
    if isinstance(value, (str, bytes)):
        raise TypeError("a string is not a number")
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def close(got, expected, atol: float = 1e-6, rtol: float = 1e-5) -> bool:
    """True when ``got`` has the shape of ``expected`` and the same values within tolerance.
    False for anything that is not numbers (strings, None, objects that fail to convert)."""
    try:
        got, expected = to_numpy(got), to_numpy(expected)
        return got.shape == expected.shape and bool(np.allclose(got, expected, atol=atol, rtol=rtol))
    except Exception:  # noqa: BLE001 - not numbers, so not close
        return False


def shape_of(value) -> tuple | None:
    """The shape of a tensor or array (``()`` for numbers); None for things without a shape."""
    try:
        return tuple(value.shape) if hasattr(value, "shape") else tuple(np.shape(value))
    except Exception:  # noqa: BLE001
        return None


# ---------------------------------------------------------------- later cells

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
