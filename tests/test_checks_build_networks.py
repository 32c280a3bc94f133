"""Lessons 05 and 07 build exercises: LeNet-5 as an nn.Module and a VGG block builder. Each checker
is fed the right answer, real wrong networks (one per named mistake) and junk."""
import pytest
import torch
from torch import nn

from checker_junk import JUNK, assert_survives_junk
from course_utils import models
from course_utils.checks import networks as N


def make_lenet(mistake=None):
    act = {"relu": nn.ReLU, "modern": nn.ReLU, "no activation": nn.Identity}.get(mistake, nn.Tanh)
    pool = nn.MaxPool2d if mistake in ("max pool", "modern") else nn.AvgPool2d

    class LeNet5(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(1, 6, 5, padding=0 if mistake == "no padding" else 2)
            self.s2 = pool(2)
            self.c3 = nn.Conv2d(6, 16, 5)
            self.s4 = pool(2)
            self.c5 = nn.Linear(16 * 5 * 5, 120) if mistake == "c5 as linear" else nn.Conv2d(16, 120, 5)
            self.f6 = nn.Linear(120, 84 if mistake != "f6 wide" else 100)
            self.output = nn.Linear(84 if mistake != "f6 wide" else 100, 10)
            self.act = act()

        def forward(self, x):
            x = self.s2(self.act(self.c1(x)))
            x = self.s4(self.act(self.c3(x)))
            x = self.act(self.c5(x.flatten(1) if isinstance(self.c5, nn.Linear) else x)).flatten(1)
            x = self.output(self.act(self.f6(x)))
            return x.softmax(dim=1) if mistake == "softmax" else x
    return LeNet5


@pytest.mark.parametrize("answer", [make_lenet(), make_lenet("c5 as linear"), models.lenet5_classic])
def test_right_lenet(answer):
    assert N.check_lenet5(answer).ok is True


@pytest.mark.parametrize("mistake, words", [
    ("no padding", "padding"), ("relu", "ReLU"), ("max pool", "max pooling"), ("modern", "modern variant"),
    ("no activation", "no activation"), ("softmax", "softmax"), ("f6 wide", "parameters")])
def test_lenet_mistakes_are_named(mistake, words):
    feedback = N.check_lenet5(make_lenet(mistake))
    assert feedback.ok is False and words in feedback.message, feedback


def make_vgg_block(mistake=None):
    def make_vgg_block(in_channels, out_channels, n_convs, batch_norm=False):
        layers = []
        for i in range(n_convs):
            c_in = in_channels if i == 0 or mistake == "in_channels everywhere" else out_channels
            layers.append(nn.Conv2d(c_in, out_channels, 3, padding=0 if mistake == "no padding" else 1))
            if batch_norm and mistake != "no batch norm":
                layers.append(nn.BatchNorm2d(out_channels))
            if mistake != "no relu":
                layers.append(nn.ReLU())
            if mistake == "pool in the loop":
                layers.append(nn.MaxPool2d(2))
        if mistake != "pool in the loop":
            layers.append(nn.MaxPool2d(2))
        return nn.Sequential(*layers)
    return make_vgg_block


def test_right_vgg_block():
    assert N.check_vgg_block_builder(make_vgg_block()).ok is True


@pytest.mark.parametrize("mistake, words", [
    ("no padding", "padding=1"), ("in_channels everywhere", "only the first convolution"),
    ("no relu", "ReLU"), ("pool in the loop", "ONE nn.MaxPool2d"), ("no batch norm", "BatchNorm2d")])
def test_vgg_block_mistakes_are_named(mistake, words):
    feedback = N.check_vgg_block_builder(make_vgg_block(mistake))
    assert feedback.ok is False and words in feedback.message, feedback


@pytest.mark.parametrize("check", [N.check_lenet5, N.check_vgg_block_builder], ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", list(JUNK))
def test_junk(check, name):
    assert_survives_junk(check, JUNK[name](), name=name)


def test_lenet_junk_modules():
    assert_survives_junk(N.check_lenet5, lambda: nn.Linear(784, 10))
    assert_survives_junk(N.check_lenet5, lambda: torch.zeros(3))
    assert_survives_junk(N.check_vgg_block_builder, lambda *a: nn.Identity())


def test_vgg_block_reference_passes():
    assert N.check_vgg_block_builder(N.make_vgg_block_reference).ok is True


# ----------------------------------------------------------------------------- capstone

def _templates() -> torch.Tensor:
    """One 28x28 template per class: a bright 6x6 square at a class-specific place."""
    templates = torch.zeros(10, 1, 28, 28)
    for k in range(10):
        top, left = 2 + 8 * (k // 4), 2 + 6 * (k % 4)
        templates[k, 0, top:top + 6, left:left + 6] = 1.0
    return templates


@pytest.fixture
def synthetic_validation(monkeypatch):
    """A validation set a template-matching ConvNet classifies perfectly (no training needed)."""
    gen = torch.Generator().manual_seed(0)
    y = torch.arange(200) % 10
    x = _templates()[y] + 0.1 * torch.rand(200, 1, 28, 28, generator=gen)
    monkeypatch.setattr(N, "capstone_validation", lambda: (x, y))


def template_net(classes: int = 10, known: int = 10) -> nn.Sequential:
    """Conv2d(1, classes, 28) whose filter k is class k's template (zero for classes >= known)."""
    net = nn.Sequential(nn.Conv2d(1, classes, 28), nn.Flatten())
    with torch.no_grad():
        net[0].weight.zero_()
        net[0].weight[:known] = _templates()[:known, :, :, :][:classes]
        net[0].bias.zero_()
    return net


def history(seconds: float = 60.0):
    from course_utils import train
    return train.History(train_loss=[0.5], train_acc=[0.9], seconds=[seconds])


def test_capstone_right(synthetic_validation):
    feedback = N.check_capstone(template_net(), history())
    assert feedback.ok is True, feedback


@pytest.mark.parametrize("make, seconds, words", [
    (lambda: nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.Flatten(), nn.Linear(8 * 784, 10)), 60, "over the budget"),
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), 60, "no convolution"),
    (template_net, 400, "Training took 400 s"),
    (lambda: nn.Sequential(template_net(), nn.Softmax(dim=1)), 60, "softmax"),
    (lambda: template_net(known=0), 60, "chance"),           # an untrained network: one answer for all
    (lambda: template_net(known=6), 60, "the target is"),
    (lambda: template_net(classes=5, known=5), 60, "(8, 10)"),
])
def test_capstone_mistakes_are_named(synthetic_validation, make, seconds, words):
    torch.manual_seed(1)
    feedback = N.check_capstone(make(), history(seconds))
    assert feedback.ok is False and words in feedback.message, feedback


@pytest.mark.parametrize("name", list(JUNK))
def test_capstone_junk(synthetic_validation, name):
    assert_survives_junk(N.check_capstone, JUNK[name](), history(), name=name, value=True)
    assert_survives_junk(N.check_capstone, JUNK[name](), template_net(), position=1, name=name, value=True)


def test_capstone_rules_match_the_lesson_text():
    """Lesson 07 states the budgets in words; they must be the checker's numbers."""
    import json
    from pathlib import Path
    notebook = json.loads((Path(__file__).parent.parent / "notebooks" / "07_vgg.ipynb").read_text())
    text = next("".join(c["source"]) for c in notebook["cells"] if "## Capstone" in "".join(c["source"]))
    assert f"{N.CAPSTONE_PARAMS:,} parameters" in text and N.CAPSTONE_SECONDS == 5 * 60 and "five minutes" in text
    assert "90% accuracy on the validation split" in text and "70% in fast mode" in text
