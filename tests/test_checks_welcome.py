"""Lesson 00 checker: the shape of one image, as a tuple of two ints."""
import numpy as np
import pytest
import torch

from checker_junk import junk_test
from course_utils.checks.welcome import check_image_shape

test_image_shape_survives_junk = junk_test(check_image_shape, value=True, extra={"28 x 28 floats": (28.0, 28.0)})


@pytest.mark.parametrize("answer", [(28, 28), torch.Size([28, 28]), (np.int64(28), np.int64(28))])
def test_image_shape_right(answer):
    assert check_image_shape(answer).ok is True


@pytest.mark.parametrize("answer, phrase", [
    (784, "number of pixels"),
    ((1, 28, 28), "channel or batch"),
    ([28, 28], "a list"),
    ("(28, 28)", "string"),
    ((28.0, 28.0), "a float"),
    ((28, 27), "not the shape"),
    (28, "one number"),
    (np.zeros((28, 28)), "tuple"),
])
def test_image_shape_mistakes(answer, phrase):
    feedback = check_image_shape(answer)
    assert feedback.ok is False and phrase in feedback.message, feedback.message


def test_image_shape_not_done():
    assert check_image_shape(None).ok is None and check_image_shape(...).ok is None
