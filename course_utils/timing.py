"""Timing several implementations of the same computation (lesson 03 races loops, im2col and
PyTorch): each runs a few times, the best wall time counts, and the results are kept so the
lesson can check that the implementations agree before it compares their speed.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Mapping

import numpy as np


def best_of(fn: Callable[[], Any], repeats: int = 5) -> tuple[float, Any]:
    """Smallest wall time (seconds) of ``repeats`` calls of fn(), and the last result.

    The smallest time is the one least disturbed by other programs sharing the CPU.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}.")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def race(implementations: Mapping[str, Callable[[], np.ndarray]], repeats: Mapping[str, int] | None = None,
         default_repeats: int = 5) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Time every implementation: ({name: best seconds}, {name: result as a NumPy array}).

    repeats: {name: how many calls} for the slow ones (e.g. loops once); others get default_repeats.
    """
    repeats = dict(repeats or {})
    unknown = set(repeats) - set(implementations)
    if unknown:
        raise ValueError(f"repeats names {sorted(unknown)}, which are not among the implementations "
                         f"{list(implementations)}.")
    seconds, results = {}, {}
    for name, fn in implementations.items():
        seconds[name], result = best_of(fn, repeats.get(name, default_repeats))
        results[name] = np.asarray(result)
    return seconds, results


def speed_table(seconds: Mapping[str, float], reference: str) -> str:
    """One line per implementation: milliseconds and how many times slower than ``reference``."""
    if reference not in seconds:
        raise ValueError(f"reference {reference!r} is not one of {list(seconds)}.")
    width = max(map(len, seconds)) + 2
    return "\n".join(f"{name:<{width}}{s * 1000:>10.1f} ms {s / seconds[reference]:>10.1f} x {reference}"
                     for name, s in seconds.items())
