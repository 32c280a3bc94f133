"""Checkers for the build exercises that assemble networks: LeNet-5 written as an ``nn.Module``
from its table (lesson 05) and a VGG block builder (lesson 07). Each checker builds the student's
network, runs it on a small batch and compares it with the course's reference from
``course_utils.models``, naming the likely mistake."""
from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .. import config, data, models, train
from . import Feedback, NotDone, StudentError, attempt, checker, right, wrong

# ----------------------------------------------------------------------------- LeNet-5 as an nn.Module

LENET_PARAMS = 61_706


def _build(factory, *args, what: str) -> nn.Module:
    model = attempt(factory, *args)
    if not isinstance(model, nn.Module):
        raise StudentError(f"{what} must give an nn.Module, got {type(model).__name__}")
    return model


def _run(model: nn.Module, x: torch.Tensor, what: str) -> torch.Tensor:
    try:
        with torch.no_grad():
            return model.eval()(x)
    except Exception as err:  # noqa: BLE001 - the student's network failed on the input
        raise StudentError(f"{what} raised {type(err).__name__} on an input of shape {tuple(x.shape)}: "
                           f"{str(err)[:200]}") from err


def _load_like(student: nn.Module, reference: nn.Module) -> bool:
    """Copy the student's parameters, in order, into the reference (reshaped: a Linear(400, 120) C5 is
    the same numbers as a Conv2d(16, 120, 5)); False when the sizes do not line up."""
    theirs, ours = list(student.parameters()), list(reference.parameters())
    if [p.numel() for p in theirs] != [p.numel() for p in ours]:
        return False
    with torch.no_grad():
        for mine, yours in zip(ours, theirs):
            mine.copy_(yours.detach().reshape(mine.shape))
    return True


def _lenet_variants() -> dict[str, nn.Module]:
    """The classic LeNet-5 with one thing changed each: the mistakes a forward pass can show."""
    def swap(model, old, new):
        for name, module in model.named_children():
            if isinstance(module, old):
                setattr(model, name, new())
        return model
    return {
        "Your network has no activation functions, so it collapses to one linear map: apply tanh after C1, "
        "C3, C5 and F6.": swap(models.lenet5_classic(), nn.Tanh, nn.Identity),
        "You used ReLU; the table (the 1998 network) says tanh. ReLU is the modern variant trained later in "
        "this lesson.": swap(models.lenet5_classic(), nn.Tanh, nn.ReLU),
        "You used max pooling; S2 and S4 are 2x2 AVERAGE pooling in the table.":
            swap(models.lenet5_classic(), nn.AvgPool2d, lambda: nn.MaxPool2d(2)),
        "You built the modern variant (ReLU, max pooling); the table (the 1998 network) says tanh and 2x2 "
        "average pooling.":
            swap(swap(models.lenet5_classic(), nn.Tanh, nn.ReLU), nn.AvgPool2d, lambda: nn.MaxPool2d(2)),
        "Your output layer is followed by tanh; the last layer gives raw scores (logits), no activation.":
            nn.Sequential(models.lenet5_classic(), nn.Tanh()),
        "Your network ends in softmax; return logits, the loss (cross-entropy) applies softmax itself.":
            nn.Sequential(models.lenet5_classic(), nn.Softmax(dim=1)),
    }


@checker
def check_lenet5(LeNet5) -> Feedback:  # noqa: N803 - the student's class
    """``LeNet5()`` builds LeNet-5 from the table of lesson 05: input (N, 1, 28, 28) -> logits (N, 10)."""
    model = _build(LeNet5, what="LeNet5()")
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if convs and tuple(convs[0].padding) == (0, 0):
        return wrong("C1 has no padding: the 28x28 items are padded by 2 pixels to LeNet's 32x32 "
                     "(nn.Conv2d(1, 6, 5, padding=2)), otherwise C5 gets a map smaller than 5x5.")
    n_params = sum(p.numel() for p in model.parameters())
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    out = _run(model, x, "your LeNet5")
    if tuple(out.shape) != (4, 10):
        return wrong(f"For a batch of 4 images the output must be (4, 10), one score per class; yours is "
                     f"{tuple(out.shape)}.")
    if n_params != LENET_PARAMS:
        return wrong(f"Your network has {n_params:,} parameters; the table's layers have {LENET_PARAMS:,} "
                     f"(C1 156, C3 2,416, C5 48,120, F6 10,164, output 850). Compare each layer with its row.")
    for message, variant in _lenet_variants().items():
        if _load_like(model, variant) and torch.allclose(out, variant.eval()(x), atol=1e-5):
            return wrong(message)
    reference = models.lenet5_classic()
    if not _load_like(model, reference):
        return wrong("Your layers hold the right number of parameters in a different order; define them in the "
                     "table's order: C1, C3, C5, F6, output.")
    if not torch.allclose(out, reference.eval()(x), atol=1e-5):
        return wrong("Right layers, but the forward pass computes something else: C1 -> tanh -> S2 -> C3 -> "
                     "tanh -> S4 -> C5 -> tanh -> flatten -> F6 -> tanh -> output.")
    return right(f"{LENET_PARAMS:,} parameters, and the same outputs as models.lenet5_classic with your weights.")


# ----------------------------------------------------------------------------- a VGG block builder

VGG_BLOCK_CASES = [(1, 8, 1, False, 28), (3, 16, 2, False, 16), (8, 16, 3, True, 12), (4, 4, 2, True, 8)]


def make_vgg_block_reference(in_channels: int, out_channels: int, n_convs: int,
                             batch_norm: bool = False) -> nn.Sequential:
    """The course's answer, built by models.vgg_block: [Conv2d 3x3, padding 1 -> (BatchNorm2d) -> ReLU]
    x n_convs -> MaxPool2d(2)."""
    return nn.Sequential(OrderedDict(models.vgg_block(1, in_channels, out_channels, n_convs, batch_norm)))


def vgg_block_layers(batch_norm: bool) -> list[type]:
    """The layer types of one [conv 3x3 -> (batch norm) -> ReLU] step."""
    return [nn.Conv2d, nn.BatchNorm2d, nn.ReLU] if batch_norm else [nn.Conv2d, nn.ReLU]


def _param_count(c_in: int, c_out: int, n: int, batch_norm: bool, conv_bias: bool) -> int:
    convs = sum(9 * (c_in if i == 0 else c_out) * c_out + (c_out if conv_bias else 0) for i in range(n))
    return convs + (2 * c_out * n if batch_norm else 0)


@checker
def check_vgg_block_builder(make_vgg_block) -> Feedback:
    """``make_vgg_block(in_channels, out_channels, n_convs, batch_norm)`` -> nn.Sequential of
    [Conv2d 3x3 padding 1 -> (BatchNorm2d) -> ReLU] x n_convs -> MaxPool2d(2)."""
    for c_in, c_out, n, bn, size in VGG_BLOCK_CASES:
        label = f"make_vgg_block({c_in}, {c_out}, n_convs={n}, batch_norm={bn})"
        block = _build(make_vgg_block, c_in, c_out, n, bn, what=label)
        layers = [m for m in block.modules() if not list(m.children())]
        kinds = [type(m) for m in layers]
        convs = [m for m in layers if isinstance(m, nn.Conv2d)]
        pools = [m for m in layers if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d))]
        if len(convs) != n:
            return wrong(f"{label} has {len(convs)} convolutions; it needs n_convs = {n}.")
        if any(tuple(c.kernel_size) != (3, 3) for c in convs):
            return wrong(f"{label}: every convolution in a VGG block is 3x3.")
        if any(tuple(c.padding) != (1, 1) for c in convs):
            return wrong(f"{label}: you forgot padding=1, so every 3x3 convolution shrinks the map by 2 pixels; "
                         f"VGG keeps the size inside a block and only the pooling halves it.")
        if convs[0].in_channels != c_in or any(c.in_channels != c_out for c in convs[1:]):
            return wrong(f"{label}: only the first convolution takes in_channels = {c_in}; the later ones take the "
                         f"out_channels = {c_out} maps of the convolution before them.")
        if kinds.count(nn.ReLU) != n:
            return wrong(f"{label} has {kinds.count(nn.ReLU)} ReLUs; each convolution is followed by one, "
                         f"otherwise the stacked convolutions collapse into one linear map.")
        if len(pools) != 1 or not isinstance(layers[-1], nn.MaxPool2d):
            return wrong(f"{label} has {len(pools)} pooling layers; a block ends with ONE nn.MaxPool2d(2), "
                         f"after its last ReLU (a pool inside the loop halves the map n_convs times).")
        if kinds.count(nn.BatchNorm2d) != (n if bn else 0) or nn.BatchNorm1d in kinds:
            return wrong(f"{label} has {kinds.count(nn.BatchNorm2d)} BatchNorm2d layers; batch_norm={bn} asks for "
                         f"{n if bn else 0}, one after each convolution, before its ReLU.")
        expected = [kind for _ in range(n) for kind in vgg_block_layers(bn)] + [nn.MaxPool2d]
        if kinds != expected:
            order = " -> ".join(k.__name__ for k in expected)
            return wrong(f"{label}: the layers are in the wrong order; expected {order}.")
        n_params = sum(p.numel() for p in block.parameters())
        if n_params not in {_param_count(c_in, c_out, n, bn, bias) for bias in (True, False)}:
            return wrong(f"{label} has {n_params:,} parameters; expected "
                         f"{_param_count(c_in, c_out, n, bn, True):,}.")
        out = _run(block, torch.rand(2, c_in, size, size), label)
        if tuple(out.shape) != (2, c_out, size // 2, size // 2):
            return wrong(f"{label} on a (2, {c_in}, {size}, {size}) batch must give (2, {c_out}, {size // 2}, "
                         f"{size // 2}); yours gives {tuple(out.shape)}.")
    return right("3x3 convolutions that keep the size, ReLUs, optional batch norm, one 2x2 max pool.")


# ----------------------------------------------------------------------------- capstone: your own ConvNet

CAPSTONE_PARAMS = 50_000          # parameter budget
CAPSTONE_SECONDS = 300            # training-time budget: five minutes (History.total_seconds)
CAPSTONE_TARGET = config.pick(full=0.90, fast=0.70)   # validation accuracy to reach


def capstone_validation() -> tuple[torch.Tensor, torch.Tensor]:
    """The validation split the capstone is judged on: (N, 1, 28, 28) float images and (N,) labels."""
    return data.fashion_mnist_tensors("val")


@checker
def check_capstone(model, history) -> Feedback:
    """``model``: your trained ConvNet, (N, 1, 28, 28) -> logits (N, 10), at most CAPSTONE_PARAMS parameters;
    ``history``: the train.History of its training, at most CAPSTONE_SECONDS seconds. The network is
    evaluated on the validation split and must reach CAPSTONE_TARGET."""
    if any(answer is None or answer is Ellipsis for answer in (model, history)):
        raise NotDone
    if not isinstance(model, nn.Module):
        return wrong(f"model must be your trained network, an nn.Module; got {type(model).__name__}.")
    n_params = sum(p.numel() for p in model.parameters())
    if n_params > CAPSTONE_PARAMS:
        return wrong(f"Your network has {n_params:,} parameters, over the budget of {CAPSTONE_PARAMS:,}. Most of them "
                     f"usually sit in the first Linear layer: pool more before flattening, or end with global average "
                     f"pooling (nn.AdaptiveAvgPool2d(1)) instead of a large dense layer.")
    if not any(isinstance(m, nn.Conv2d) for m in model.modules()):
        return wrong("Your network has no convolution: the capstone asks for a ConvNet (convolutions, pooling, "
                     "then a small classifier).")
    if not isinstance(history, train.History) or not history.epochs:
        return wrong(f"history must be the train.History that train.fit returned; got {type(history).__name__}.")
    if history.total_seconds > CAPSTONE_SECONDS:
        return wrong(f"Training took {history.total_seconds:.0f} s, over the budget of {CAPSTONE_SECONDS} s: "
                     f"fewer epochs, or fewer channels in the first block, where the maps are largest.")
    x_val, y_val = capstone_validation()
    logits = _run(model, x_val[:8], "your network")
    if tuple(logits.shape) != (8, 10):
        return wrong(f"For 8 images your network returns shape {tuple(logits.shape)}; it must return (8, 10) logits.")
    if bool((logits >= 0).all()) and torch.allclose(logits.sum(1), torch.ones(8), atol=1e-4):
        return wrong("Your network ends in softmax; return logits (the loss applies softmax itself), "
                     "otherwise training is slow and the check cannot trust the scores.")
    _, accuracy = train.evaluate(model, x_val, y_val)
    if accuracy < 0.2:
        return wrong(f"Validation accuracy {accuracy:.1%} is about chance (10%): did you train this model, or a "
                     f"fresh copy of it? Pass the network that train.fit trained.")
    if accuracy < CAPSTONE_TARGET:
        return wrong(f"Validation accuracy {accuracy:.1%}, the target is {CAPSTONE_TARGET:.0%}. Within the budgets: "
                     f"more epochs, batch norm, a learning-rate schedule (schedule='onecycle'), or wider late blocks.")
    return right(f"{n_params:,} parameters, {history.total_seconds:.0f} s of training, {accuracy:.1%} on the "
                 f"{len(y_val):,} validation images (target {CAPSTONE_TARGET:.0%}).")
