"""Checkers of lesson 08: right answers accepted, each typical mistake named, stubs 'not done yet'."""
import pytest
import torch

from checker_junk import junk_test
from course_utils.checks.viz import check_grad_cam, check_occlusion_drop, check_record_output, check_rf_conv2_2

test_record_output_survives_junk = junk_test(check_record_output)
test_rf_conv2_2_survives_junk = junk_test(check_rf_conv2_2, value=True, extra={"a float": 14.0, "a pair": (14, 14)})
test_occlusion_drop_survives_junk = junk_test(check_occlusion_drop)
test_grad_cam_survives_junk = junk_test(check_grad_cam)


def layer_named(model, name):
    return dict(model.named_modules())[name]


# ---------------------------------------------------------------- record_output

def record_right(model, layer_name, x):
    store = {}
    handle = layer_named(model, layer_name).register_forward_hook(lambda m, i, o: store.update(out=o.detach()))
    try:
        model(x)
    finally:
        handle.remove()
    return store["out"]


def record_no_grad(model, layer_name, x):
    store = {}
    handle = layer_named(model, layer_name).register_forward_hook(lambda m, i, o: store.update(out=o))
    with torch.no_grad():
        model(x)
    handle.remove()
    return store["out"]


def record_forgot_remove(model, layer_name, x):
    store = {}
    layer_named(model, layer_name).register_forward_hook(lambda m, i, o: store.update(out=o.detach()))
    model(x)
    return store["out"]


def record_input(model, layer_name, x):
    store = {}
    handle = layer_named(model, layer_name).register_forward_hook(lambda m, i, o: store.update(out=i[0].detach()))
    model(x)
    handle.remove()
    return store["out"]


def record_input_tuple(model, layer_name, x):
    store = {}
    handle = layer_named(model, layer_name).register_forward_hook(lambda m, i, o: store.update(out=i))
    model(x)
    handle.remove()
    return store["out"]


def record_attached(model, layer_name, x):
    store = {}
    handle = layer_named(model, layer_name).register_forward_hook(lambda m, i, o: store.update(out=o))
    model(x)
    handle.remove()
    return store["out"]


def record_wrong_layer(model, layer_name, x):
    return record_right(model, "relu" if layer_name == "conv" else layer_name, x)


def record_flattened(model, layer_name, x):
    return record_right(model, layer_name, x).flatten(1)


def record_raises(model, layer_name, x):
    return model.layers[layer_name]


def stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize("answer", [record_right, record_no_grad])
def test_record_output_accepts_right_answers(answer):
    assert check_record_output(answer).ok is True


@pytest.mark.parametrize("answer,phrase", [
    (record_forgot_remove, "handle.remove()"),
    (record_input, "input"),
    (record_input_tuple, "tuple"),
    (record_attached, "detach"),
    (record_wrong_layer, "output of 'relu'"),
    (record_flattened, "shape"),
    (record_raises, "raised AttributeError"),
    (lambda model, layer_name, x: record_right(model, layer_name, x).numpy(), "NumPy"),
    (lambda model, layer_name, x: record_right(model, layer_name, x).double(), "float64"),
    (lambda model, layer_name, x: [record_right(model, layer_name, x)], "tuple"),
])
def test_record_output_diagnoses(answer, phrase):
    feedback = check_record_output(answer)
    assert feedback.ok is False and phrase in feedback.message


def test_record_output_stub():
    assert check_record_output(stub).ok is None
    assert check_record_output(None).ok is None


# ---------------------------------------------------------------- receptive field

def test_receptive_field_checker():
    assert check_rf_conv2_2(14).ok is True
    assert check_rf_conv2_2(None).ok is None
    for answer, phrase in [(10, "did not multiply the step"), (9, "ignored the pooling"), (13, "nearly"),
                           (12, "do not add kernel sizes"), (5, "after block 1"), (6, "and its pooling"),
                           (20, "not it"), ("big", "whole number"), ("14", "string"), (14.0, "float"),
                           ((14, 14), "one whole number")]:
        feedback = check_rf_conv2_2(answer)
        assert feedback.ok is False and phrase in feedback.message, (answer, feedback)


# ---------------------------------------------------------------- occlusion drop

def make_drop(sign=1, base="logit", occ="logit", swap=False, extra=0, fill_zero=False, in_place=False,
              only_occluded=False, as_tensor=False):
    def occlusion_drop(model, image, target, top, left, patch, fill):
        if swap:
            top, left = left, top
        hidden = image if in_place else image.clone()
        hidden[:, top:top + patch + extra, left:left + patch + extra] = 0.0 if fill_zero else fill
        with torch.no_grad():
            a = model(image[None]) if not in_place else model(hidden[None])
            b = model(hidden[None])
        pick = lambda logits, kind: logits[0, target] if kind == "logit" else logits.softmax(1)[0, target]  # noqa
        if only_occluded:
            return float(pick(b, occ))
        value = sign * (pick(a, base) - pick(b, occ))
        return value if as_tensor else float(value)
    return occlusion_drop


def test_occlusion_drop_accepts_right_answers():
    assert check_occlusion_drop(make_drop()).ok is True
    assert check_occlusion_drop(make_drop(as_tensor=True)).ok is True


@pytest.mark.parametrize("answer,phrase", [
    (make_drop(sign=-1), "sign is flipped"),
    (make_drop(base="prob", occ="prob"), "probabilities"),
    (make_drop(base="logit", occ="prob"), "mixed a logit and a probability"),
    (make_drop(base="prob", occ="logit"), "mixed a logit and a probability"),
    (make_drop(swap=True), "top and left are swapped"),
    (make_drop(extra=1), "wrong size"),
    (make_drop(extra=-1), "wrong size"),
    (make_drop(fill_zero=True), "instead of fill"),
    (make_drop(in_place=True), "changed the image"),
    (make_drop(only_occluded=True), "occluded image's score"),
    (lambda *a: [1.0, 2.0], "one number"),
    (lambda *a: 123.0, "expected"),
    (lambda *a: str(make_drop()(*a)), "string"),
    (lambda *a: torch.tensor([make_drop()(*a)]), "1-element"),
    (make_drop(extra=-1, as_tensor=True), "wrong size"),
])
def test_occlusion_drop_diagnoses(answer, phrase):
    feedback = check_occlusion_drop(answer)
    assert feedback.ok is False and phrase in feedback.message, feedback


def test_occlusion_drop_stub():
    assert check_occlusion_drop(stub).ok is None


# ---------------------------------------------------------------- Grad-CAM

def cam_right(acts, grads):
    return ((grads.mean((2, 3), keepdim=True) * acts).sum(1)).clamp(min=0)


def cam_raising(error):
    def grad_cam_map(acts, grads):
        raise error("boom")
    return grad_cam_map


CAM_WRONG = [
    (lambda a, g: (g.mean((2, 3), keepdim=True) * a).sum(1), "ReLU"),
    (lambda a, g: (g.mean((2, 3), keepdim=True) * a).sum(1).abs(), "absolute value"),
    (lambda a, g: (g.sum((2, 3), keepdim=True) * a).sum(1).clamp(min=0), "*mean* of the gradient"),
    (lambda a, g: (g.mean((2, 3), keepdim=True) * a).mean(1).clamp(min=0), "do not average"),
    (lambda a, g: (g * a).sum(1).clamp(min=0), "its own gradient"),
    (lambda a, g: (a.mean((2, 3), keepdim=True) * g).sum(1).clamp(min=0), "swapped"),
    (lambda a, g: (g.mean((2, 3), keepdim=True) * a).sum(1, keepdim=True).clamp(min=0), "without keepdim"),
    (lambda a, g: (g.mean(1, keepdim=True) * a).sum(1).clamp(min=0), "not ReLU(sum_k"),
    (lambda a, g: (g.mean((2, 3), keepdim=True) * a).sum(1).clamp(min=0).transpose(1, 2), "should have shape"),
    (lambda a, g: cam_right(a, g).double(), "dtype"),
    (lambda a, g: cam_right(a, g).numpy(), "not a ndarray"),
    (lambda a, g: (g.clamp_(min=0).mean((2, 3), keepdim=True) * a).sum(1), "changed the tensors"),
]


def test_grad_cam_checker_accepts_the_right_answer():
    assert check_grad_cam(cam_right).ok is True
    # the course's own function, used by the lesson, passes too
    from course_utils.attribution import cam_from_gradients
    assert check_grad_cam(cam_from_gradients).ok is True


@pytest.mark.parametrize("answer,phrase", CAM_WRONG)
def test_grad_cam_checker_names_the_mistake(answer, phrase):
    feedback = check_grad_cam(answer)
    assert feedback.ok is False and phrase in feedback.message, feedback.message


def cam_stub(acts, grads):
    raise NotImplementedError  # your code


@pytest.mark.parametrize("junk", [
    cam_raising(ZeroDivisionError), cam_raising(TypeError), lambda a, g: "map", lambda a, g: torch.zeros(2, 3),
    lambda a: a, lambda: None, torch.zeros(2, 4, 5), "grad_cam", 3.0, lambda a, g: [[0.0]],
])
def test_grad_cam_checker_never_raises_on_junk(junk):
    feedback = check_grad_cam(junk)
    assert feedback.ok is False


@pytest.mark.parametrize("not_done", [None, Ellipsis, cam_stub])
def test_grad_cam_checker_not_done(not_done):
    assert check_grad_cam(not_done).ok is None


def test_grad_cam_checker_forgotten_return_is_not_accepted():
    assert check_grad_cam(lambda a, g: None).ok is not True
