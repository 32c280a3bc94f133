"""Lesson-05 checkers: right answers accepted, each typical mistake named, stubs are 'not done yet'."""
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from checker_junk import junk_test
from course_utils.checks import lenet as chk


# ---------------------------------------------------------------- conv_params

def test_conv_reference_matches_pytorch():
    for c_in, c_out, k in chk.CONV_CASES:
        layer = nn.Conv2d(c_in, c_out, k)
        assert chk.conv_params_reference(c_in, c_out, k) == sum(p.numel() for p in layer.parameters())


def test_conv_params_right_answer():
    fb = chk.check_conv_params(lambda c_in, c_out, k: c_out * (c_in * k * k + 1))
    assert fb.ok is True and "2,416" in fb.message


def test_conv_params_stub_is_not_done():
    def stub(c_in, c_out, k):
        raise NotImplementedError
    assert chk.check_conv_params(stub).ok is None
    assert chk.check_conv_params(None).ok is None


@pytest.mark.parametrize("answer, phrase", [
    (lambda c_in, c_out, k: c_out * c_in * k * k, "left out the biases"),
    (lambda c_in, c_out, k: c_out * (k * k + 1), "left out the input channels"),
    (lambda c_in, c_out, k: c_out * (c_in * k + 1), "k * k weights per input channel"),
    (lambda c_in, c_out, k: c_in * k * k + 1, "count for one filter"),
    (lambda c_in, c_out, k: c_out * c_in * (k * k + 1), "one bias in total"),
    (lambda c_in, c_out, k: c_out * c_in * k * k + c_in, "one bias per output channel"),
    (lambda c_in, c_out, k: 7, "Count the weights of one filter"),
    (lambda c_in, c_out, k: "many", "whole number"),
    (lambda c_in, c_out, k: str(c_out * (c_in * k * k + 1)), "string"),
    (lambda c_in, c_out, k: c_out * (c_in * k * k + 1) / 1, "a float"),
    (lambda c_in, c_out, k: 1 / 0, "ZeroDivisionError"),
])
def test_conv_params_mistakes_are_named(answer, phrase):
    fb = chk.check_conv_params(answer)
    assert fb.ok is False and phrase in fb.message, fb.message


# ---------------------------------------------------------------- training loop

@torch.no_grad()
def correct_accuracy(model, x, y):
    model.eval()
    return (model(x).argmax(1) == y).float().mean().item()


def epoch_with(*, train_mode=True, zero_grad="before", probabilities=False, step=True, backward=True,
               loss_fn=None, order=None, batch=None, steps=1, returns="mean"):
    """A student's training loop with the chosen mistake (none with the defaults), for the diagnosis tests."""
    def train_epoch(model, x, y, optimizer, batch_size=32):
        if train_mode:
            model.train()
        perm = order(len(x)) if order else torch.randperm(len(x))
        size = batch(len(x), batch_size) if batch else batch_size
        total, losses = 0.0, []
        for start in range(0, len(x), size):
            idx = perm[start:start + size]
            out = model(x[idx])
            if probabilities:
                out = F.softmax(out, dim=1)
            loss = (loss_fn or F.cross_entropy)(out, y[idx])
            if zero_grad == "before":
                optimizer.zero_grad()
            if backward:
                loss.backward()
            if zero_grad == "between":
                optimizer.zero_grad()
            for _ in range(steps if step else 0):
                optimizer.step()
            total += loss.item() * len(idx)
            losses.append(loss)
        return {"mean": total / len(x), "last": losses[-1].item(), "total": total, "negative": -total / len(x),
                "tensor": sum(losses) / len(losses)}[returns]
    return train_epoch


correct_epoch = epoch_with()  # the same loop with no mistake: a right answer written independently of the reference


def test_training_loop_right_answer():
    fb = chk.check_training_loop(correct_epoch, correct_accuracy)
    assert fb.ok is True, fb.message
    assert chk.check_training_loop(chk.train_epoch_reference, chk.accuracy_reference).ok is True


def test_training_loop_accepts_variants():
    """nn.CrossEntropyLoss, model.zero_grad() and zero_grad at the end of the batch are all fine."""
    def variant(model, x, y, optimizer, batch_size=32):
        model.train()
        loss_fn = nn.CrossEntropyLoss()
        order = torch.randperm(len(x))
        losses = []
        for start in range(0, len(x), batch_size):
            idx = order[start:start + batch_size]
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            model.zero_grad()
            losses.append(loss.item())
        return sum(losses) / len(losses)
    assert chk.check_training_loop(variant, correct_accuracy).ok is True


test_train_epoch_survives_junk = junk_test(chk.check_training_loop, correct_accuracy)
test_accuracy_survives_junk = junk_test(chk.check_training_loop, correct_epoch, position=1)
test_conv_params_survives_junk = junk_test(chk.check_conv_params)


def test_training_loop_stubs_are_not_done():
    def stub(*args):
        raise NotImplementedError
    assert chk.check_training_loop(stub, correct_accuracy).ok is None
    assert chk.check_training_loop(correct_epoch, stub).ok is None


@pytest.mark.parametrize("options, phrase", [
    (dict(zero_grad="never"), "call optimizer.zero_grad() before loss.backward()"),
    (dict(zero_grad="between"), "not between backward() and step()"),
    (dict(train_mode=False), "call model.train()"),
    (dict(probabilities=True), "pass it the raw logits"),
    (dict(probabilities=True, loss_fn=nn.CrossEntropyLoss()), "pass it the raw logits"),
    (dict(step=False), "call optimizer.step()"),
    (dict(backward=False), "call loss.backward() before it"),
    # not a proper loss: it falls without bound (goes negative), or is not the cross-entropy
    (dict(loss_fn=lambda z, y: -z[torch.arange(len(y)), y].mean()), "not the cross-entropy"),
    (dict(loss_fn=lambda z, y: ((z.softmax(1) - F.one_hot(y, 3)) ** 2).mean()), "not the cross-entropy"),
    (dict(loss_fn=lambda z, y: F.cross_entropy(z, y.roll(1))), "not the cross-entropy"),
    (dict(loss_fn=lambda z, y: F.cross_entropy(z, y, reduction="sum")), "summed over the batch"),
    (dict(batch=lambda n, b: n), "whole data set"),
    (dict(batch=lambda n, b: 2 * b), "more than batch_size"),
    (dict(order=torch.arange), "not shuffled"),
    (dict(order=lambda n: torch.randperm(n, generator=torch.Generator().manual_seed(0))), "same order"),
    (dict(order=lambda n: torch.randint(0, n, (n,))), "every example exactly once"),  # with replacement
    (dict(steps=2), "step once per batch"),
    (dict(returns="last"), "last batch"),
    (dict(returns="total"), "divide by len(x)"),
    (dict(returns="negative"), "return total / len(x)"),
    (dict(returns="tensor"), ".item()"),
])
def test_training_loop_mistakes_are_named(options, phrase):
    fb = chk.check_training_loop(epoch_with(**options), correct_accuracy)
    assert fb.ok is False and phrase in fb.message, fb.message


def test_accuracy_mistakes_are_named():
    @torch.no_grad()
    def no_eval(model, x, y):
        return (model(x).argmax(1) == y).float().mean().item()

    @torch.no_grad()
    def percent(model, x, y):
        return 100 * correct_accuracy(model, x, y)

    @torch.no_grad()
    def wrong_axis(model, x, y):
        model.eval()
        return (model(x).argmax(0)[:1] == y[:1]).float().mean().item() * 0.5

    @torch.no_grad()
    def as_string(model, x, y):
        return str(correct_accuracy(model, x, y))

    @torch.no_grad()
    def as_1d_tensor(model, x, y):
        model.eval()
        return (model(x).argmax(1) == y).float().mean()[None]

    cases = [(no_eval, "call model.eval() first"), (percent, "not a percentage"),
             (wrong_axis, "compare logits.argmax(1)"), (as_string, "string"), (as_1d_tensor, "1-element")]
    for answer, phrase in cases:
        fb = chk.check_training_loop(correct_epoch, answer)
        assert fb.ok is False and phrase in fb.message, (answer.__name__, fb.message)


def test_training_loop_student_exception_is_feedback():
    def broken(model, x, y, optimizer, batch_size=32):
        return model(x[:, :1])  # wrong input width
    fb = chk.check_training_loop(broken, correct_accuracy)
    assert fb.ok is False and "RuntimeError" in fb.message


def test_checker_restores_cross_entropy():
    chk.check_training_loop(epoch_with(probabilities=True), correct_accuracy)
    assert F.cross_entropy.__name__ == "cross_entropy"
