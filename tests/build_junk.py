"""Junk answers for the build-exercise checkers: each must get a Feedback that is not ok, never an exception."""
from __future__ import annotations

import numpy as np
import torch

from course_utils.checks import Feedback


def _raise(error):
    def answer(*args, **kwargs):
        raise error("junk")
    return answer


def _returns(value):
    return lambda *args, **kwargs: value


JUNK = {
    "None": None,
    "Ellipsis": Ellipsis,
    "raises NotImplementedError": _raise(NotImplementedError),
    "raises ZeroDivisionError": _raise(ZeroDivisionError),
    "raises TypeError": _raise(TypeError),
    "returns None": _returns(None),
    "returns a string": _returns("hello"),
    "returns a float": _returns(3.5),
    "returns a wrong-shape tensor": _returns(torch.zeros(3, 7, 2)),
    "returns a wrong-shape array": _returns(np.zeros((2, 2))),
    "returns a pair of junk": _returns((np.zeros(3), "cache")),
    "returns a triple of strings": _returns(("a", "b", "c")),
    "takes no parameters": lambda: 1,
    "takes too many parameters": lambda a, b, c, d, e, f, g, h: 1,
    "a non-callable int": 42,
    "a non-callable array": np.zeros(3),
}


def assert_survives(check, *answers) -> Feedback:
    feedback = check(*answers)
    assert isinstance(feedback, Feedback), type(feedback)
    assert feedback.ok is not True, feedback
    assert feedback.message
    return feedback
