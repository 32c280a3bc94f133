"""The junk every checker must survive: one line gives a checker its hostile-junk test.

Use it in a test module like this::

    from checker_junk import junk_test

    test_check_output_size_survives_junk = junk_test(C.check_output_size)
    # a checker with several answers: the others stay right, junk goes in at `position`
    test_check_relu_survives_junk = junk_test(check_relu, relu, relu_derivative, position=1)
    # a value exercise (`one_value = None  # your answer`): functions are wrong, not stubs
    test_check_one_value_survives_junk = junk_test(C.check_one_value, value=True)

``junk_test(check, *right_answers, position=0, extra={}, value=False)`` returns a pytest test, parametrised
over JUNK (plus ``extra``, a {name: answer} dict of junk specific to that checker). For each junk
answer the checker must return a Feedback, never raise, and never say ``ok is True``; a stub
(``None``, ``...``, a function raising NotImplementedError) must say "not done yet" (ok None),
and a function that returns None must be told it forgot ``return``.
``assert_survives_junk(check, junk, *right_answers, position=0)`` is the same for one answer.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.checks import Feedback


class Hostile:
    """An object whose every dunder a checker might call raises."""

    def _boom(self, *args, **kwargs):
        raise RuntimeError("hostile object")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _boom
    __bool__ = __len__ = __iter__ = __getitem__ = __float__ = __int__ = __index__ = _boom
    __array__ = __repr__ = __str__ = __format__ = __add__ = __sub__ = __mul__ = __truediv__ = _boom
    __hash__ = None


def _raise(error):
    def answer(*args, **kwargs):
        raise error("junk")
    return answer


def _returns(value_factory):
    def answer(*args, **kwargs):
        return value_factory()
    return answer


def _generator(*args, **kwargs):
    yield 1


STUBS = {  # ok must be None ("not done yet")
    "None": lambda: None,
    "Ellipsis": lambda: Ellipsis,
    "raises NotImplementedError": lambda: _raise(NotImplementedError),
}

JUNK = {  # ok must not be True; every entry builds a fresh answer
    **STUBS,
    "raises ZeroDivisionError": lambda: _raise(ZeroDivisionError),
    "raises TypeError": lambda: _raise(TypeError),
    "raises RuntimeError": lambda: _raise(RuntimeError),
    "returns None": lambda: _returns(lambda: None),
    "returns Ellipsis": lambda: _returns(lambda: Ellipsis),
    "returns a string": lambda: _returns(lambda: "hello"),
    "returns a string of digits": lambda: _returns(lambda: "42"),
    "returns a float": lambda: _returns(lambda: 3.5),
    "returns True": lambda: _returns(lambda: True),
    "returns a list": lambda: _returns(lambda: [1, 2, 3]),
    "returns a tuple of strings": lambda: _returns(lambda: ("a", "b")),
    "returns a dict": lambda: _returns(lambda: {"a": 1}),
    "returns a generator": lambda: _returns(lambda: _generator()),
    "returns a wrong-shape tensor": lambda: _returns(lambda: torch.zeros(3, 7, 2)),
    "returns a 2-D tensor": lambda: _returns(lambda: torch.ones(2, 2)),
    "returns a float64 tensor": lambda: _returns(lambda: torch.zeros(5, dtype=torch.float64)),
    "returns an empty tensor": lambda: _returns(lambda: torch.zeros(0)),
    "returns a NumPy array": lambda: _returns(lambda: np.ones((4, 4))),
    "returns a nan": lambda: _returns(lambda: float("nan")),
    "returns a hostile object": lambda: _returns(Hostile),
    "takes no parameters": lambda: (lambda: 1),
    "takes one parameter": lambda: (lambda x: 1),
    "takes too many parameters": lambda: (lambda a, b, c, d, e, f, g, h: 1),
    "a non-callable int": lambda: 42,
    "a non-callable string": lambda: "abc",
    "a non-callable list": lambda: [28, 28],
    "a non-callable tensor": lambda: torch.zeros(2, 3),
    "a non-callable array": lambda: np.zeros(3),
    "a hostile value": lambda: Hostile(),
    "a generator value": lambda: _generator(),
}


def assert_survives_junk(check, junk, *right_answers, position: int = 0, name: str = "junk",
                         value: bool = False) -> Feedback:
    """Call ``check`` with ``junk`` at ``position`` among ``right_answers``; assert the verdict is
    a Feedback that is not ok (not done yet for a stub). ``value``: the exercise asks for a value,
    not a function, so any function is wrong and only ``None``/``...`` are stubs."""
    answers = list(right_answers)
    answers.insert(position, junk)
    feedback = check(*answers)  # must not raise
    assert isinstance(feedback, Feedback), f"{name}: got {type(feedback).__name__}, not Feedback"
    assert feedback.ok is not True, f"{name} was accepted: {feedback}"
    assert isinstance(feedback.message, str) and feedback.message
    if name in STUBS and not (value and callable(junk)):
        assert feedback.ok is None, f"{name} should be 'not done yet': {feedback}"
    if name == "returns None" and not value:
        assert feedback.ok is False and "return" in feedback.message, feedback
    return feedback


def junk_test(check, *right_answers, position: int = 0, extra: dict | None = None, value: bool = False):
    """A pytest test that feeds ``check`` every entry of JUNK (and of ``extra``, {name: answer});
    ``value=True`` for exercises whose answer is a value (``x = None  # your answer``)."""
    table = {**JUNK, **{name: (lambda value=value: value) for name, value in (extra or {}).items()}}

    @pytest.mark.parametrize("name", list(table))
    def test(name):
        assert_survives_junk(check, table[name](), *right_answers, position=position, name=name, value=value)

    test.__name__ = f"test_{getattr(check, '__name__', 'check')}_survives_junk"
    return test
