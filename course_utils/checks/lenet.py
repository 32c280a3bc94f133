"""Checkers for lesson 05 (LeNet and the first real CNN).

- ``check_conv_params(conv_params)``: the parameter count of a convolutional layer.
- ``check_training_loop(train_epoch, accuracy)``: the missing lines of a training loop. The
  checker trains a small network with dropout on three Gaussian blobs and watches what the loop
  does: the model's mode, which rows go into each batch (shuffled mini-batches that cover the
  data once per epoch), the gradient that reaches the logits (it must be that of the mean
  cross-entropy with the batch's labels, so a made-up "loss" that falls without bound fails),
  the gradients at each step, and the loss the loop returns. It names the first mistake it sees.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from . import Feedback, attempt, checker, expect_int, expect_number, right, wrong

# (in_channels, out_channels, kernel_size): LeNet-5's three convolutions, the lesson's CNN,
# and AlexNet's first layer (lesson 03), so every mistake changes at least one answer.
CONV_CASES = ((1, 6, 5), (6, 16, 5), (16, 120, 5), (1, 32, 3), (32, 64, 3), (3, 96, 11))


def conv_params_reference(in_channels: int, out_channels: int, kernel_size: int) -> int:
    """Weights and biases of nn.Conv2d(in_channels, out_channels, kernel_size): each of the
    ``out_channels`` filters has in_channels * k * k weights and one bias."""
    return out_channels * (in_channels * kernel_size * kernel_size + 1)


def _conv_mistakes(c_in: int, c_out: int, k: int) -> list[tuple[int, str]]:
    return [
        (c_out * c_in * k * k, "you left out the biases: every filter also has one bias, "
                               "so add out_channels."),
        (c_out * (k * k + 1), "you left out the input channels: a filter spans all in_channels "
                              "input maps, so it has in_channels * k * k weights."),
        (c_out * (c_in * k + 1), "a k x k kernel has k * k weights per input channel, not k."),
        (c_in * k * k + 1, "that is the count for one filter; the layer has out_channels filters."),
        (c_out * c_in * (k * k + 1), "a filter has one bias in total, not one per input channel."),
        (c_out * c_in * k * k + c_in, "there is one bias per output channel (filter), not per input channel."),
    ]


@checker
def check_conv_params(conv_params: Callable[[int, int, int], int]) -> Feedback:
    """``conv_params(in_channels, out_channels, kernel_size) -> int`` for a square kernel."""
    for c_in, c_out, k in CONV_CASES:
        got = attempt(conv_params, c_in, c_out, k)
        expected = conv_params_reference(c_in, c_out, k)
        bad = expect_int(got, f"conv_params({c_in}, {c_out}, {k})")
        if bad:
            return wrong(bad)
        if got == expected:
            continue
        case = f"conv_params({c_in}, {c_out}, {k}) returned {got:,}, expected {expected:,}"
        for value, why in _conv_mistakes(c_in, c_out, k):
            if got == value:
                return wrong(f"{case}: {why}")
        return wrong(f"{case}. Count the weights of one filter, add its bias, multiply by the filters.")
    return right(f"e.g. LeNet's C3 has 16 x (6 x 5 x 5 + 1) = {conv_params_reference(6, 16, 5):,} "
                 "parameters, matching the table.")


# ---------------------------------------------------------------- the training loop exercise

def _blobs(n: int = 300, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Three overlapping Gaussian blobs in 2-D: x (n, 2) float, y (n,) int64."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    centres = torch.tensor([[0.0, 2.0], [2.0, -1.5], [-2.0, -1.5]])
    return centres[y] + torch.randn(n, 2, generator=g), y


def _small_net(seed: int = 0) -> nn.Sequential:
    """A tiny classifier with dropout, so training and evaluation mode give different outputs."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 3))


def train_epoch_reference(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                          optimizer: torch.optim.Optimizer, batch_size: int = 32) -> float:
    """The loop the exercise asks for: one shuffled pass, returns the mean training loss."""
    model.train()
    order = torch.randperm(len(x))
    total = 0.0
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        logits = model(x[idx])
        loss = F.cross_entropy(logits, y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    return total / len(x)


@torch.no_grad()
def accuracy_reference(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction (0..1) of items whose largest logit is the true class, in evaluation mode."""
    model.eval()
    return (model(x).argmax(1) == y).float().mean().item()


class _Watch:
    """What happened inside the student's loop: model modes, batches, gradients at each step."""

    def __init__(self, x: torch.Tensor) -> None:
        self.row_index = {row.numpy().tobytes(): i for i, row in enumerate(x)}
        self.modes: list[bool] = []          # model.training at every forward pass
        self.loss_inputs: list[torch.Tensor] = []
        self.batches: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []  # (indices, logits, dloss/dlogits)
        self.unknown_rows = False            # the model saw inputs that are not rows of x
        self.steps = 0
        self.stale_grad = False              # a step saw gradients summed over several batches
        self.zero_grad_at_step = False       # a step saw gradients that were all zero
        self.no_grad_at_step = False         # a step saw no gradients at all

    def indices(self, xb) -> torch.Tensor | None:
        if not isinstance(xb, torch.Tensor) or xb.ndim != 2:
            return None
        found = [self.row_index.get(row.detach().cpu().numpy().tobytes()) for row in xb]
        return None if None in found else torch.tensor(found, dtype=torch.long)


@contextmanager
def _watching(model: nn.Module, optimizer: torch.optim.Optimizer, watch: _Watch):
    params = [p for p in model.parameters() if p.requires_grad]
    fresh: dict[int, torch.Tensor] = {}

    def on_forward(module, inputs, output):
        watch.modes.append(module.training)
        idx = watch.indices(inputs[0] if inputs else None)
        if idx is None:
            watch.unknown_rows = True
        elif isinstance(output, torch.Tensor) and output.requires_grad:
            logits = output.detach().clone()
            output.register_hook(lambda grad: watch.batches.append((idx, logits, grad.detach().clone())))

    def grad_hook(i):
        def hook(grad):
            fresh[i] = grad.detach().clone()
        return hook

    def before_step(opt, args, kwargs):
        watch.steps += 1
        grads = [p.grad for p in params]
        if all(g is None or not g.any() for g in grads):
            if fresh:  # backward() ran, but its gradients were cleared before the step
                watch.zero_grad_at_step = True
            else:
                watch.no_grad_at_step = True
            fresh.clear()
            return
        for i, g in enumerate(grads):
            if g is not None and i in fresh and not torch.allclose(g, fresh[i], atol=1e-7):
                watch.stale_grad = True
        fresh.clear()

    real_ce = F.cross_entropy

    def spy_ce(input, target, *args, **kwargs):
        watch.loss_inputs.append(input.detach())
        return real_ce(input, target, *args, **kwargs)

    handles = [model.register_forward_hook(on_forward), optimizer.register_step_pre_hook(before_step)]
    handles += [p.register_hook(grad_hook(i)) for i, p in enumerate(params)]
    F.cross_entropy = spy_ce  # nn.CrossEntropyLoss calls F.cross_entropy too
    try:
        yield watch
    finally:
        F.cross_entropy = real_ce
        for h in handles:
            h.remove()


def _looks_like_probabilities(t: torch.Tensor) -> bool:
    return t.ndim == 2 and t.numel() > 0 and bool((t >= 0).all() and (t <= 1).all()
                                and torch.allclose(t.sum(1), torch.ones(len(t)), atol=1e-4))


def _loop_mistake(watch: _Watch, y: torch.Tensor, batch_size: int, previous_order: torch.Tensor | None) -> str | None:
    """The first thing wrong with one epoch of the student's loop, or None."""
    n = len(y)
    if not watch.modes:
        return "train_epoch never called the model: compute `logits = model(x[idx])` for each batch."
    if not all(watch.modes):
        return ("train_epoch ran the model in evaluation mode, so dropout was off while training: "
                "call model.train() at the start of the epoch.")
    if watch.unknown_rows:
        return "the model saw inputs that are not rows of x: pass the batch x[idx] itself to the model."
    if any(_looks_like_probabilities(t) for t in watch.loss_inputs):
        return ("the loss received probabilities (softmax output): F.cross_entropy applies log-softmax "
                "itself, so pass it the raw logits.")
    if watch.steps == 0:
        return "the weights never changed: call optimizer.step() after loss.backward()."
    if watch.no_grad_at_step:
        return "optimizer.step() found no gradients: call loss.backward() before it."
    if watch.zero_grad_at_step:
        return ("the gradients were all zero at optimizer.step(): zero_grad() must come before "
                "loss.backward(), not between backward() and step().")
    if watch.stale_grad:
        return ("gradients from earlier batches were still there at optimizer.step(): call "
                "optimizer.zero_grad() before loss.backward() in every batch.")
    sizes = [len(idx) for idx, _, _ in watch.batches]
    if not sizes:
        return "no gradient reached the model's output: compute the loss from `model(x[idx])` and call loss.backward()."
    if max(sizes) == n:
        return (f"each step used the whole data set ({n} items) at once: loop over shuffled mini-batches "
                f"of batch_size ({batch_size}) items, one optimizer.step() per batch.")
    if max(sizes) > batch_size:
        return (f"a batch had {max(sizes)} items, more than batch_size = {batch_size}: "
                "slice order[start:start + batch_size].")
    order = torch.cat([idx for idx, _, _ in watch.batches])
    if len(order) != n or not torch.equal(order.sort().values, torch.arange(n)):
        return (f"one epoch should use every example exactly once, but the batches held {len(order)} items "
                f"({len(set(order.tolist()))} different ones) out of {n}: step through all of order in batches.")
    if torch.equal(order, torch.arange(n)):
        return "the batches are not shuffled: take them from `order = torch.randperm(len(x))`, a new order every epoch."
    if previous_order is not None and torch.equal(order, previous_order):
        return "every epoch visits the examples in the same order: draw a new torch.randperm(len(x)) in each call."
    if watch.steps != len(sizes):
        return f"optimizer.step() ran {watch.steps} times for {len(sizes)} batches: step once per batch."
    for idx, logits, grad in watch.batches:
        expected = (logits.softmax(1) - F.one_hot(y[idx], logits.shape[1]).to(logits.dtype)) / len(idx)
        if torch.allclose(grad, expected, atol=1e-6, rtol=1e-3):
            continue
        if torch.allclose(grad, expected * len(idx), atol=1e-6, rtol=1e-3):
            return "the loss is summed over the batch; use the mean (F.cross_entropy's default), as the exercise asks."
        return ("what was minimised is not the cross-entropy of the logits with their labels: use "
                "loss = F.cross_entropy(model(x[idx]), y[idx]), on the raw logits and the same idx for x and y.")
    return None


def _epoch_loss_mistake(got, watch: _Watch, y: torch.Tensor) -> str | None:
    """Why ``got`` is not the mean training loss of the epoch the watch saw, or None."""
    bad = expect_number(got, "train_epoch")
    if bad:
        return bad + " Return the mean loss as a float: add up loss.item() * len(idx), divide by len(x)."
    losses = [F.cross_entropy(logits, y[idx]).item() for idx, logits, _ in watch.batches]
    sizes = [len(idx) for idx, _, _ in watch.batches]
    weighted = sum(loss * k for loss, k in zip(losses, sizes)) / sum(sizes)
    got = float(got)

    def near(value: float) -> bool:
        return abs(got - value) <= 1e-4 * max(1.0, abs(value))

    if near(weighted) or near(sum(losses) / len(losses)):
        return None
    if near(losses[-1]):
        return (f"train_epoch returned the last batch's loss ({got:.4f}); "
                f"return the mean over the epoch ({weighted:.4f}).")
    if near(weighted * sum(sizes)) or near(sum(losses)):
        return f"train_epoch returned the total {got:.4f}; divide by len(x) to return the mean loss ({weighted:.4f})."
    return (f"train_epoch returned {got:.4f}, but the mean loss of its batches was {weighted:.4f}: "
            "return total / len(x).")


@checker
def check_training_loop(train_epoch: Callable, accuracy: Callable) -> Feedback:
    """``train_epoch(model, x, y, optimizer, batch_size) -> mean loss`` (a float) and
    ``accuracy(model, x, y) -> fraction`` (a float in [0, 1]), checked on a small problem with dropout."""
    x, y = _blobs()
    model = _small_net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.eval()  # a correct loop switches to training mode itself
    losses, previous_order, batch_size = [], None, 32
    for epoch in range(4):
        watch = _Watch(x)
        with _watching(model, optimizer, watch):
            torch.manual_seed(100 + epoch)
            got = attempt(train_epoch, model, x, y, optimizer, batch_size)
        mistake = _loop_mistake(watch, y, batch_size, previous_order) or _epoch_loss_mistake(got, watch, y)
        if mistake:
            return wrong(mistake)
        previous_order = torch.cat([idx for idx, _, _ in watch.batches])
        losses.append(float(got))
    if not losses[-1] < 0.8 * losses[0]:
        return wrong(f"the loss did not fall enough over 4 epochs ({losses[0]:.3f} -> {losses[-1]:.3f}); "
                     "check the forward pass, the loss and the update.")

    # evaluation: hand accuracy a model left in training mode, with dropout active
    reference = copy.deepcopy(model)
    expected = accuracy_reference(reference, x, y)
    model.train()
    watch = _Watch(x)
    with _watching(model, optimizer, watch):
        got = attempt(accuracy, model, x, y)
    if watch.modes and any(watch.modes):
        return wrong("accuracy ran the model in training mode (dropout still active, so the result "
                     "is noisy and too low): call model.eval() first.")
    bad = expect_number(got, "accuracy", tensor_ok=True)
    if bad:
        return wrong(bad + " Return the fraction of correct items, a float between 0 and 1.")
    got = float(got)
    if abs(got - 100 * expected) < 1e-6 and expected > 0.01:
        return wrong(f"accuracy returned {got:.2f}: return a fraction between 0 and 1, not a percentage.")
    if not abs(got - expected) <= 1e-6:  # also refuses nan
        return wrong(f"accuracy returned {got:.4f}, expected {expected:.4f}: compare logits.argmax(1) "
                     "with y and take the mean.")
    return right(f"the loss fell from {losses[0]:.3f} to {losses[-1]:.3f} in 4 epochs and the "
                 f"accuracy is {expected:.1%}.")
