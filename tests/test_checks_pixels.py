"""Lesson 01 checkers: right answers accepted, stubs 'not done yet', each typical mistake named."""
import numpy as np
import pytest
import torch

from checker_junk import junk_test
from course_utils.checks.pixels import check_dense_weights, check_flatten_normalise, check_to_pytorch_layout

test_flatten_normalise_survives_junk = junk_test(check_flatten_normalise)
test_to_pytorch_layout_survives_junk = junk_test(check_to_pytorch_layout)
test_dense_weights_survives_junk = junk_test(check_dense_weights)


def _stub(*args):
    raise NotImplementedError


# ---------------------------------------------------------------- flatten and normalise

@pytest.mark.parametrize("answer", [
    lambda x: x.reshape(len(x), -1).float() / 255,
    lambda x: x.view(x.shape[0], x.shape[1] * x.shape[2]) / 255.0,
    lambda x: torch.stack([img.flatten() for img in x]).to(torch.float32) / 255,
])
def test_flatten_normalise_right_answers(answer):
    assert check_flatten_normalise(answer).ok is True


@pytest.mark.parametrize("answer", [_stub, None])
def test_flatten_normalise_not_done(answer):
    feedback = check_flatten_normalise(answer)
    assert feedback.ok is None and "not done" in str(feedback).lower()


def test_flatten_normalise_missing_return_is_not_a_stub():
    feedback = check_flatten_normalise(lambda x: None)
    assert feedback.ok is False and "did you forget `return`" in feedback.message


@pytest.mark.parametrize("answer, phrase", [
    (lambda x: x.float() / 255, "did not flatten"),
    (lambda x: x.flatten().float() / 255, "batch axis too"),
    (lambda x: x.reshape(len(x), -1).T.float() / 255, "transposed"),
    (lambda x: x.reshape(len(x), 2, -1).float() / 255, "should have shape"),
    (lambda x: x.reshape(len(x), -1).float(), "forgot to divide by 255"),
    (lambda x: x.reshape(len(x), -1) // 255, "integer division"),
    (lambda x: x.reshape(len(x), -1).float() / 256, "not 256"),
    (lambda x: (lambda f: f / f.amax(1, keepdim=True))(x.reshape(len(x), -1).float()), "its own brightest"),
    (lambda x: x.transpose(1, 2).reshape(len(x), -1).float() / 255, "column by column"),
    (lambda x: x.reshape(len(x), -1).float() / 255 * 2 - 1, "[0, 1]"),
    (lambda x: x.reshape(len(x), -1).float() / 255 + 1e-3 * (x.reshape(len(x), -1) > 100), "run from 0 to 1.001"),
    (lambda x: x.reshape(len(x), -1).float() / 255 * 0.9, "values differ"),
    (lambda x: x.flatten(1).double().div(255), "float64"),
    (lambda x: (x.numpy().reshape(len(x), -1) / 255).astype(np.float32), "NumPy array"),
    (lambda x: (x.reshape(len(x), -1).float() / 255).tolist(), "torch tensor"),
])
def test_flatten_normalise_mistakes_are_named(answer, phrase):
    feedback = check_flatten_normalise(answer)
    assert feedback.ok is False and phrase in feedback.message, feedback.message


def test_flatten_normalise_reports_a_crash_without_traceback():
    feedback = check_flatten_normalise(lambda x: x.reshape(-1, 785))
    assert feedback.ok is False and "RuntimeError" in feedback.message


# ---------------------------------------------------------------- layouts

@pytest.mark.parametrize("answer", [
    lambda p: torch.from_numpy(p).permute(0, 3, 1, 2).float() / 255,
    lambda p: torch.tensor(p.transpose(0, 3, 1, 2), dtype=torch.float32) / 255,
    lambda p: torch.from_numpy(p).float().div(255).movedim(-1, 1),
    lambda p: torch.from_numpy(np.ascontiguousarray(np.moveaxis(p, 3, 1))).double().float() / 255,
])
def test_layout_right_answers(answer):
    assert check_to_pytorch_layout(answer).ok is True


def test_layout_not_done():
    assert check_to_pytorch_layout(_stub).ok is None


@pytest.mark.parametrize("answer, phrase", [
    (lambda p: torch.from_numpy(p).float() / 255, "channels last"),
    (lambda p: torch.from_numpy(p).permute(0, 3, 2, 1).float() / 255, "swapped"),
    (lambda p: torch.from_numpy(p).reshape(p.shape[0], 3, p.shape[1], p.shape[2]).float() / 255, "scrambled"),
    (lambda p: torch.from_numpy(p).permute(0, 3, 1, 2).float(), "divide by 255"),
    (lambda p: p.transpose(0, 3, 1, 2) / 255, "NumPy array"),
    (lambda p: torch.from_numpy(p).permute(0, 3, 1, 2).double() / 255, "float64"),
    (lambda p: torch.from_numpy(p).permute(0, 3, 1, 2).half() / 255, "float16"),
    (lambda p: torch.from_numpy(p).permute(0, 3, 1, 2) // 255, "integer division"),
    (lambda p: torch.from_numpy(p[..., ::-1].copy()).permute(0, 3, 1, 2).float() / 255, "B, G, R"),
    (lambda p: torch.from_numpy(p).permute(3, 0, 1, 2).float() / 255, "should have shape"),
])
def test_layout_mistakes_are_named(answer, phrase):
    feedback = check_to_pytorch_layout(answer)
    assert feedback.ok is False and phrase in feedback.message, feedback.message


def test_layout_swapped_axes_on_square_photos_are_caught():
    def swap_on_square(p):  # right on non-square photos, transposed pictures on square ones
        t = torch.from_numpy(p).float() / 255
        return t.permute(0, 3, 2, 1) if p.shape[1] == p.shape[2] else t.permute(0, 3, 1, 2)
    feedback = check_to_pytorch_layout(swap_on_square)
    assert feedback.ok is False and "swapped" in feedback.message


# ---------------------------------------------------------------- dense weights

@pytest.mark.parametrize("answer", [lambda h, w, c: h * w * c, lambda h, w, c: int(np.prod([h, w, c])),
                                    lambda h, w, c: torch.nn.Linear(h * w * c, 1).weight.numel(),
                                    lambda h, w, c: np.int64(h * w * c)])
def test_dense_weights_right(answer):
    assert check_dense_weights(answer).ok is True


@pytest.mark.parametrize("answer, phrase", [
    (lambda h, w, c: h * w * c + 1, "counts the bias"),
    (lambda h, w, c: h * w, "forgets the channels"),
    (lambda h, w, c: h + w + c, "multiply"),
    (lambda h, w, c: 2 * h * w * c, "one weight per input value"),
    (lambda h, w, c: str(h * w * c), "string"),
    (lambda h, w, c: float(h * w * c), "a float"),
    (lambda h, w, c: torch.tensor(h * w * c), ".item()"),
    (lambda h, w, c: [h, w, c], "whole number"),
])
def test_dense_weights_mistakes(answer, phrase):
    feedback = check_dense_weights(answer)
    assert feedback.ok is False and phrase in feedback.message, feedback.message


def test_dense_weights_not_done():
    assert check_dense_weights(None).ok is None and check_dense_weights(_stub).ok is None
