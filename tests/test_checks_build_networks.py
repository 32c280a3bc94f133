"""Lessons 05 and 07 build exercises: LeNet-5 as an nn.Module and a VGG block builder. Each checker
is fed the right answer, real wrong networks (one per named mistake) and junk."""
import pytest
import torch
from torch import nn

from build_junk import JUNK, assert_survives
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
    assert_survives(check, JUNK[name])


def test_lenet_junk_modules():
    assert_survives(N.check_lenet5, lambda: nn.Linear(784, 10))
    assert_survives(N.check_lenet5, lambda: torch.zeros(3))
    assert_survives(N.check_vgg_block_builder, lambda *a: nn.Identity())
