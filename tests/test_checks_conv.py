"""Lesson 03 checkers: right answers pass, each typical mistake gets its diagnosis, stubs are
"not done yet" (ok is None) and a crashing answer becomes feedback, not a traceback."""
import numpy as np
import pytest
import torch

from course_utils import scratch
from course_utils.checks import conv as C
from checker_junk import junk_test


def stub(*args, **kwargs):
    raise NotImplementedError


# ----------------------------------------------------------------------------- output size

def right_size(w, f, s, p):
    room = w - f + 2 * p
    if room % s:
        raise ValueError("does not tile")
    return room // s + 1


def tiles_ignoring_padding(w, f, s, p):
    if (w - f) % s:
        raise ValueError("does not tile")
    return (w - f + 2 * p) // s + 1


def tiles_counting_padding_once(w, f, s, p):
    if (w - f + p) % s:
        raise ValueError("does not tile")
    return (w - f + 2 * p) // s + 1


def refuses_only_the_example(w, f, s, p):
    if (w, f, s, p) == (10, 3, 2, 0):
        raise ValueError("does not tile")
    return (w - f + 2 * p) // s + 1


test_output_size_survives_junk = junk_test(C.check_output_size)
test_one_value_survives_junk = junk_test(C.check_one_value, value=True,
                                        extra={"a numpy array": np.array([17]), "the digits": "17"})
test_conv2d_single_survives_junk = junk_test(C.check_conv2d_single)
test_im2col_shapes_survives_junk = junk_test(C.check_im2col_shapes, value=True,
                                            extra={"strings": (("75", "1024"),) * 3})


def test_output_size_right_and_stub():
    assert C.check_output_size(right_size).ok is True
    assert C.check_output_size(lambda w, f, s, p: scratch.output_size(w, f, s, p)).ok is True
    assert C.check_output_size(stub).ok is None
    assert C.check_output_size(None).ok is None


@pytest.mark.parametrize("answer, phrase", [
    (lambda w, f, s, p: (w - f + 2 * p) // s, "forgot the + 1"),
    (lambda w, f, s, p: (w - f + p) // s + 1, "counted the padding once"),
    (lambda w, f, s, p: (w - f) // s + 1, "left out the padding"),
    (lambda w, f, s, p: w - f + 2 * p + 1, "left out the stride"),
    (lambda w, f, s, p: (w - f + 2 * p + 1) // s, "divided after adding 1"),
    (lambda w, f, s, p: (w - f + 2 * p) // s + 1, "not a whole number"),       # silent floor
    (lambda w, f, s, p: (w - f + 2 * p) / s + 1, "a float"),
    (lambda w, f, s, p: float((w - f + 2 * p) // s + 1), "a float"),
    (lambda w, f, s, p: str((w - f + 2 * p) // s + 1), "string"),
    (lambda w, f, s, p: 3, "gives 5"),
    (lambda w, f, s, p: [(w - f + 2 * p) // s + 1], "list"),
    (tiles_ignoring_padding, "ignore the padding"),
    (tiles_counting_padding_once, "which tiles"),
    (refuses_only_the_example, "W=9, F=3, S=3, P=1"),
    (lambda w, f, s, p: round((w - f + 2 * p) / s) + 1, "not a whole number"),
])
def test_output_size_diagnoses(answer, phrase):
    feedback = C.check_output_size(answer)
    assert feedback.ok is False and phrase in feedback.message


def test_output_size_student_error_is_feedback():
    feedback = C.check_output_size(lambda w, f, s, p: w / 0)
    assert feedback.ok is False and "ZeroDivisionError" in feedback.message


# ----------------------------------------------------------------------------- one value

def test_one_value():
    i, j = C.HAND_POS
    value = np.sum(C.HAND_X[i:i + 3, j:j + 3] * C.HAND_K) + C.HAND_B
    assert C.check_one_value(value).ok is True
    assert C.check_one_value(float(value)).ok is True
    assert C.check_one_value(int(value)).ok is True
    assert C.check_one_value(str(value)).ok is False
    assert C.check_one_value(np.array([value])).ok is False
    assert C.check_one_value(lambda: value).ok is False  # a function where a value is asked for
    assert C.check_one_value(None).ok is None


def test_one_value_slips_are_distinct():
    values = [C.hand_value(), *C._hand_slips().values()]
    assert len(set(values)) == len(values)


@pytest.mark.parametrize("kwargs, phrase", [
    (dict(k=C.HAND_K[::-1, ::-1]), "flipped"),
    (dict(b=0), "forgot the bias"),
    (dict(pos=C.HAND_POS[::-1]), "swapped rows and columns"),
    (dict(pos=(0, 0)), "That is output (0, 0)"),
    (dict(pos=(1, 1)), "That is output (1, 1)"),
])
def test_one_value_diagnoses(kwargs, phrase):
    feedback = C.check_one_value(C.hand_value(**kwargs))
    assert feedback.ok is False and phrase in feedback.message


def test_one_value_other_wrong_number():
    feedback = C.check_one_value(-100)
    assert feedback.ok is False and "nine products" in feedback.message


# ----------------------------------------------------------------------------- conv2d single channel

def make_conv(flip=False, bias=True, pad=True, stride=True, off_by_one=False, transpose_out=False,
              transpose_kernel=False, swap_size=False):
    """A loop implementation with one deliberate mistake switched on."""
    def conv2d_single(image, kernel, b=0.0, s=1, p=0):
        if flip:
            kernel = kernel[::-1, ::-1]
        if transpose_kernel:
            kernel = kernel.T
        if pad:
            image = np.pad(image, p)
        if not stride:
            s = 1
        fh, fw = kernel.shape
        h2 = (image.shape[0] - fh) // s + 1 - off_by_one
        w2 = (image.shape[1] - fw) // s + 1 - off_by_one
        out = np.zeros((w2, h2) if swap_size else (h2, w2))
        for i in range(min(h2, out.shape[0])):
            for j in range(min(w2, out.shape[1])):
                out[i, j] = np.sum(image[i * s:i * s + fh, j * s:j * s + fw] * kernel) + (b if bias else 0)
        return out.T if transpose_out else out
    return conv2d_single


def test_conv2d_single_right_and_stub():
    assert C.check_conv2d_single(make_conv()).ok is True
    assert C.check_conv2d_single(stub).ok is None


@pytest.mark.parametrize("mistake, phrase", [
    (dict(flip=True), "flipped"),
    (dict(bias=False), "forgot the bias"),
    (dict(pad=False), "left out the padding"),
    (dict(stride=False), "instead of by the stride"),
    (dict(off_by_one=True), "Off by one"),
    (dict(transpose_out=True), "Rows and columns are swapped"),
    (dict(transpose_kernel=True), "kernel transposed"),
    (dict(swap_size=True), "height and width are swapped"),
])
def test_conv2d_single_diagnoses(mistake, phrase):
    feedback = C.check_conv2d_single(make_conv(**mistake))
    assert feedback.ok is False and phrase in feedback.message


def test_conv2d_single_crash_is_feedback():
    feedback = C.check_conv2d_single(lambda image, kernel, b, s, p: image[100])
    assert feedback.ok is False and "IndexError" in feedback.message


@pytest.mark.parametrize("answer, phrase", [
    (lambda image, kernel, b, s, p: torch.from_numpy(make_conv()(image, kernel, b, s, p)), "NumPy"),
    (lambda image, kernel, b, s, p: make_conv()(image, kernel, b, s, p).tolist(), "np.array"),
    (lambda image, kernel, b, s, p: make_conv()(image, kernel, b, s, p)[None], "2-D"),
    (lambda image, kernel, b, s, p: make_conv()(np.pad(image, ((p, 0), (p, 0))), kernel, b, s, 0), "Off by one"),
])
def test_conv2d_single_wrong_kinds(answer, phrase):
    feedback = C.check_conv2d_single(answer)
    assert feedback.ok is False and phrase in feedback.message, feedback.message


def test_conv2d_single_wrong_values():
    feedback = C.check_conv2d_single(lambda image, kernel, b, s, p: make_conv()(image, kernel, b, s, p) * 2)
    assert feedback.ok is False and "largest difference" in feedback.message


# ----------------------------------------------------------------------------- im2col shapes

def test_im2col_shapes_agree_with_scratch():
    ex = C.IM2COL_EXERCISE
    x = np.zeros(ex["x_shape"])
    cols = scratch.im2col(x, ex["f"], ex["f"], ex["stride"], ex["padding"])
    x_col, w_row, product = C.im2col_shapes(**ex)
    assert cols.shape == x_col
    assert (np.zeros(w_row) @ cols).shape == product
    assert C.im2col_shapes(x_shape=(1, 3, 227, 227), filters=96, f=11, stride=4, padding=0) == \
        ((363, 3025), (96, 363), (96, 3025))


def test_im2col_shapes_right_and_stub():
    assert C.check_im2col_shapes(((75, 1024), (16, 75), (16, 1024))).ok is True
    assert C.check_im2col_shapes(((np.int64(75), 1024), (16, 75), (16, 1024))).ok is True
    assert C.check_im2col_shapes([[75, 1024], [16, 75], [16, 1024]]).ok is False  # the exercise asks for tuples
    assert C.check_im2col_shapes(None).ok is None


@pytest.mark.parametrize("answer, phrase", [
    (((1024, 75), (16, 75), (16, 1024)), "transposed"),
    (((25, 1024), (16, 25), (16, 1024)), "all 3 channels"),
    (((75, 784), (16, 75), (16, 784)), "1024 positions"),
    (((75, 1024), (75, 16), (16, 1024)), "one row per filter"),
    (((75, 1024), (16, 75), (16, 32, 32)), "is 16x1024"),
    (((1, 2), (3, 4), (5, 6)), "start with X_col"),
    ((75, 1024), "three shapes"),
    ("abc", "three shapes"),
    (((75.0, 1024), (16, 75), (16, 1024)), "float"),
])
def test_im2col_shapes_diagnoses(answer, phrase):
    feedback = C.check_im2col_shapes(answer)
    assert feedback.ok is False and phrase in feedback.message
