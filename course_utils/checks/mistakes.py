"""Shared by the build-it-yourself checkers: unpack a forward pass's ``(out, cache)`` and name the
known mistake whose (wrong) answer the student's answer reproduces."""
from __future__ import annotations

import functools

import numpy as np

from . import Feedback, StudentError, checker, close, wrong


def sturdy_checker(func):
    """``checks.checker``, and any error raised while inspecting an answer (an odd value where an
    array was expected) becomes a wrong verdict naming it, never a traceback."""
    inner = checker(func)

    @functools.wraps(func)
    def wrapper(*args, **kwargs) -> Feedback:
        try:
            return inner(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - the answer's fault, reported as feedback
            return wrong(f"Your answer could not be used ({type(err).__name__}: {str(err)[:150]}); "
                         f"check what your function returns against its docstring.")
    return wrapper


def named_mistake(got, mistakes: dict[str, object], same=close) -> str | None:
    """The message of the first mistake in ``{message: wrong answer}`` that ``got`` equals, else None.

    A wrong answer may be given as a function of no arguments, computed only when needed; one that
    cannot be computed for this case (an invalid configuration) matches nothing.
    """
    for message, candidate in mistakes.items():
        try:
            if same(got, candidate() if callable(candidate) else candidate):
                return message
        except Exception:  # noqa: BLE001 - a candidate that cannot be compared is not a match
            continue
    return None


def out_and_cache(result, what: str, cache_len: int):
    """``result`` must be a pair (out: NumPy array, cache: tuple of ``cache_len`` entries)."""
    if not (isinstance(result, tuple) and len(result) == 2):
        raise StudentError(f"{what} must return a pair (out, cache), CS231n style; it returned "
                           f"{type(result).__name__} {_short(result)}")
    out, cache = result
    if not isinstance(out, np.ndarray):
        raise StudentError(f"the out of {what} must be a NumPy array, got {type(out).__name__}")
    if not (isinstance(cache, tuple) and len(cache) == cache_len):
        raise StudentError(f"the cache of {what} must be a tuple of {cache_len} entries (see the docstring), "
                           f"got {type(cache).__name__} {_short(cache)}")
    return out, cache


def arrays(result, what: str, names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """``result`` must be a tuple of len(names) NumPy arrays, e.g. (dx, dw, db)."""
    if not (isinstance(result, tuple) and len(result) == len(names)):
        raise StudentError(f"{what} must return a tuple ({', '.join(names)}); it returned "
                           f"{type(result).__name__} {_short(result)}")
    for name, value in zip(names, result):
        if not isinstance(value, np.ndarray):
            raise StudentError(f"{name} must be a NumPy array, got {type(value).__name__}")
    return result


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
