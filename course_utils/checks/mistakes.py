"""Shared by the build-it-yourself checkers: unpack a forward pass's ``(out, cache)``, name the
known mistake whose (wrong) answer the student's answer reproduces, and say why an array is wrong."""
from __future__ import annotations

import numpy as np

from . import Feedback, StudentError, close, describe, shape_of, wrong


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


def diagnose(got, expected: np.ndarray, mistakes: dict[str, object], where: str, name: str, rule: str) -> Feedback:
    """The verdict on an array ``got`` that is not close to ``expected``: the known mistake it
    reproduces, else its wrong shape, else wrong values, with ``rule`` saying how each value is made.
    ``where`` names the test case, ``name`` the array (e.g. 'dx')."""
    slip = named_mistake(got, mistakes)
    if slip:
        return wrong(f"For {where}: {slip}")
    if shape_of(got) != expected.shape:
        return wrong(f"For {where}: {name} must have shape {expected.shape}; yours is {shape_of(got)}.")
    return wrong(f"For {where}: {name} has the right shape but wrong values. {rule}")


def out_and_cache(result, what: str, cache_len: int):
    """``result`` must be a pair (out: NumPy array, cache: tuple of ``cache_len`` entries)."""
    if not (isinstance(result, tuple) and len(result) == 2):
        raise StudentError(f"{what} must return a pair (out, cache), CS231n style; it returned "
                           f"{describe(result)}")
    out, cache = result
    if not isinstance(out, np.ndarray):
        raise StudentError(f"the out of {what} must be a NumPy array, got {type(out).__name__}")
    if not (isinstance(cache, tuple) and len(cache) == cache_len):
        raise StudentError(f"the cache of {what} must be a tuple of {cache_len} entries (see the docstring), "
                           f"got {describe(cache)}")
    return out, cache


def arrays(result, what: str, names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """``result`` must be a tuple of len(names) NumPy arrays, e.g. (dx, dw, db)."""
    if not (isinstance(result, tuple) and len(result) == len(names)):
        raise StudentError(f"{what} must return a tuple ({', '.join(names)}); it returned "
                           f"{describe(result)}")
    for name, value in zip(names, result):
        if not isinstance(value, np.ndarray):
            raise StudentError(f"{name} must be a NumPy array, got {type(value).__name__}")
    return result
