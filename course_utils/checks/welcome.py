"""Checkers for lesson 00 (how exercises work)."""
from __future__ import annotations

from . import Feedback, attempt, checker, right, wrong


@checker
def check_image_shape(answer) -> Feedback:
    """The shape of one Fashion-MNIST image as a tuple (rows, columns)."""
    got = attempt(answer)
    got = tuple(got) if hasattr(got, "__len__") else (got,)
    if got == (28, 28):
        return right("each image has 28 rows and 28 columns of pixels.")
    if got == (784,):
        return wrong("784 is the number of pixels (28 x 28); the shape has two numbers, rows and columns.")
    if len(got) == 3:
        return wrong("that includes a channel or batch dimension; one image from load_fashion_mnist is 2-D.")
    return wrong(f"{got} is not the shape; look at `images[0].shape`.")
