"""Checkers for lesson 05 (LeNet and the first real CNN).

- ``check_conv_params(conv_params)``: the parameter count of a convolutional layer.
- ``check_training_loop(train_epoch, accuracy)``: the missing lines of a training loop. The
  checker trains a small network with dropout on three Gaussian blobs, watches the model's
  mode, the gradients and the loss input, and names the first mistake it sees.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from . import Feedback, attempt, checker, right, wrong

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
        try:
            got = int(got)
        except (TypeError, ValueError):
            return wrong(f"conv_params({c_in}, {c_out}, {k}) returned {got!r}; return a whole number.")
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
    """What happened inside the student's loop: model modes, loss inputs, gradients at each step."""

    def __init__(self) -> None:
        self.modes: list[bool] = []          # model.training at every forward pass
        self.loss_inputs: list[torch.Tensor] = []
        self.steps = 0
        self.stale_grad = False              # a step saw gradients summed over several batches
        self.zero_grad_at_step = False       # a step saw gradients that were all zero
        self.no_grad_at_step = False         # a step saw no gradients at all


@contextmanager
def _watching(model: nn.Module, optimizer: torch.optim.Optimizer, watch: _Watch):
    params = [p for p in model.parameters() if p.requires_grad]
    fresh: dict[int, torch.Tensor] = {}

    def on_forward(module, inputs, output):
        watch.modes.append(module.training)

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
    return t.ndim == 2 and bool((t >= 0).all() and (t <= 1).all()
                                and torch.allclose(t.sum(1), torch.ones(len(t)), atol=1e-4))


@checker
def check_training_loop(train_epoch: Callable, accuracy: Callable) -> Feedback:
    """``train_epoch(model, x, y, optimizer, batch_size) -> mean loss`` and
    ``accuracy(model, x, y) -> fraction``, checked on a small problem with dropout."""
    x, y = _blobs()
    model = _small_net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.eval()  # a correct loop switches to training mode itself
    losses = []
    for epoch in range(4):
        watch = _Watch()
        with _watching(model, optimizer, watch):
            torch.manual_seed(100 + epoch)
            losses.append(attempt(train_epoch, model, x, y, optimizer, 32))
        if not watch.modes:
            return wrong("train_epoch never called the model: compute `logits = model(x[idx])` for each batch.")
        if not all(watch.modes):
            return wrong("train_epoch ran the model in evaluation mode, so dropout was off while "
                         "training: call model.train() at the start of the epoch.")
        if any(_looks_like_probabilities(t) for t in watch.loss_inputs):
            return wrong("the loss received probabilities (softmax output): F.cross_entropy applies "
                         "log-softmax itself, so pass it the raw logits.")
        if watch.steps == 0:
            return wrong("the weights never changed: call optimizer.step() after loss.backward().")
        if watch.no_grad_at_step:
            return wrong("optimizer.step() found no gradients: call loss.backward() before it.")
        if watch.zero_grad_at_step:
            return wrong("the gradients were all zero at optimizer.step(): zero_grad() must come "
                         "before loss.backward(), not between backward() and step().")
        if watch.stale_grad:
            return wrong("gradients from earlier batches were still there at optimizer.step(): "
                         "call optimizer.zero_grad() before loss.backward() in every batch.")
    try:
        losses = [float(v) for v in losses]
    except (TypeError, ValueError):
        return wrong(f"train_epoch returned {losses[0]!r}; return the mean loss as a float.")
    if not losses[-1] < 0.8 * losses[0]:
        return wrong(f"the loss did not fall enough over 4 epochs ({losses[0]:.3f} -> {losses[-1]:.3f}); "
                     "check the forward pass, the loss and the update.")

    # evaluation: hand accuracy a model left in training mode, with dropout active
    reference = copy.deepcopy(model)
    expected = accuracy_reference(reference, x, y)
    model.train()
    watch = _Watch()
    with _watching(model, optimizer, watch):
        got = attempt(accuracy, model, x, y)
    if watch.modes and any(watch.modes):
        return wrong("accuracy ran the model in training mode (dropout still active, so the result "
                     "is noisy and too low): call model.eval() first.")
    try:
        got = float(got)
    except (TypeError, ValueError):
        return wrong(f"accuracy returned {got!r}; return a fraction between 0 and 1 as a float.")
    if abs(got - 100 * expected) < 1e-6 and expected > 0.01:
        return wrong(f"accuracy returned {got:.2f}: return a fraction between 0 and 1, not a percentage.")
    if abs(got - expected) > 1e-6:
        return wrong(f"accuracy returned {got:.4f}, expected {expected:.4f}: compare logits.argmax(1) "
                     "with y and take the mean.")
    return right(f"the loss fell from {losses[0]:.3f} to {losses[-1]:.3f} in 4 epochs and the "
                 f"accuracy is {expected:.1%}.")
