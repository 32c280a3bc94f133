"""Checkers for lesson 00 (how exercises work)."""
from __future__ import annotations

from . import Feedback, checker, expect_int, expect_tuple, right, value_of, wrong


@checker
def check_image_shape(answer) -> Feedback:
    """The shape of one Fashion-MNIST image, a tuple of two ints (rows, columns)."""
    got = value_of(answer)
    if _is_count(got):
        return wrong(f"{got} is one number; the shape is a tuple of two, (rows, columns)."
                     if got != 784 else "784 is the number of pixels (28 x 28); the shape has two "
                     "numbers, rows and columns.")
    if isinstance(got, (tuple, list)) and len(got) == 3:
        return wrong("that includes a channel or batch dimension; one image from load_fashion_mnist is 2-D.")
    bad = expect_tuple(got, 2, "your answer") or next(
        (expect_int(v, "the shape") for v in got if expect_int(v, "the shape")), None)
    if bad:
        return wrong(bad + " Look at `test_images[0].shape`.")
    if tuple(got) == (28, 28):
        return right("each image has 28 rows and 28 columns of pixels.")
    return wrong(f"{tuple(got)} is not the shape; look at `test_images[0].shape`.")


def _is_count(value) -> bool:
    return expect_int(value, "") is None
