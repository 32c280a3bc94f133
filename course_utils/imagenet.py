"""An ImageNet VGG16 for lesson 08, from weights the student provides locally: nothing is downloaded.

``load_vgg16()`` looks for torchvision's VGG16 weights file (``vgg16-397923af.pth``, a
state_dict) in this order:

1. the path in the environment variable ``COURSE_VGG16_WEIGHTS``, if it is set;
2. ``.cache/weights/vgg16-397923af.pth`` in the course folder;
3. torchvision's own cache (``~/.cache/torch/hub/checkpoints/``), where
   ``torchvision.models.vgg16(weights="IMAGENET1K_V1")`` stores it on a machine with internet.

When none exists it returns a randomly initialised VGG16 with ``pretrained == False`` and
``how_to_get_weights()`` explains how to provide the file. A file that exists but is not
a VGG16 state_dict raises WeightsError saying what is wrong and what to do.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torchvision
from torch import nn
from torchvision.transforms.v2 import functional as TF

from . import config

WEIGHTS_ENV = "COURSE_VGG16_WEIGHTS"
WEIGHTS_FILE = "vgg16-397923af.pth"
WEIGHTS_URL = "https://download.pytorch.org/models/vgg16-397923af.pth"
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
CATEGORIES: list[str] = list(torchvision.models.VGG16_Weights.IMAGENET1K_V1.meta["categories"])


class WeightsError(RuntimeError):
    """A VGG16 weights file is missing, unreadable or not a VGG16 state_dict."""


def default_weights_path() -> Path:
    """Where the course looks for the file when ``COURSE_VGG16_WEIGHTS`` is not set."""
    return config.CACHE_DIR / "weights" / WEIGHTS_FILE


def candidate_paths() -> list[Path]:
    """Every place searched, in order (the environment variable's path only when it is set)."""
    paths = []
    if os.environ.get(WEIGHTS_ENV):
        paths.append(Path(os.environ[WEIGHTS_ENV]).expanduser())
    paths.append(default_weights_path())
    paths.append(Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_FILE)
    return paths


def how_to_get_weights() -> str:
    """Instructions for providing the pretrained weights (the course never downloads them)."""
    return (f"To use the ImageNet weights, get torchvision's file {WEIGHTS_FILE} (528 MB) on a machine with "
            f"internet, either from {WEIGHTS_URL} or by running "
            f"`torchvision.models.vgg16(weights='IMAGENET1K_V1')` once there (it lands in "
            f"{Path(torch.hub.get_dir()) / 'checkpoints'}). Then copy it to {default_weights_path()} or set "
            f"the environment variable {WEIGHTS_ENV}=/path/to/{WEIGHTS_FILE} before starting Jupyter, "
            "and restart the kernel.")


def find_weights() -> Path | None:
    """The first existing weights file among ``candidate_paths()``, or None.

    Raises WeightsError when ``COURSE_VGG16_WEIGHTS`` is set but names no file: the student
    asked for that file, so silently using random weights would mislead.
    """
    env = os.environ.get(WEIGHTS_ENV)
    if env and not Path(env).expanduser().is_file():
        raise WeightsError(f"{WEIGHTS_ENV} is set to {env!r}, but there is no file there. Fix the path or "
                           f"unset the variable. " + how_to_get_weights())
    return next((p for p in candidate_paths() if p.is_file()), None)


class ImageNetVGG(nn.Module):
    """torchvision's VGG16 taking images in [0, 1], x: (N, 3, H, W) -> logits (N, 1000).

    It normalises with the ImageNet mean and std itself, so the lesson's tools (occlusion
    fill, activation maximisation's value range) work in plain pixel units. Layers keep
    torchvision's names: ``features.0`` (conv1_1) ... ``features.30`` (pool5), ``classifier.6``.
    ``pretrained`` says whether ImageNet weights were loaded; ``source`` says from where.
    """

    def __init__(self, vgg: torchvision.models.VGG, pretrained: bool, source: str):
        super().__init__()
        self.features, self.avgpool, self.classifier = vgg.features, vgg.avgpool, vgg.classifier
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))
        self.pretrained, self.source = pretrained, source

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features((x - self.mean) / self.std)
        return self.classifier(torch.flatten(self.avgpool(x), 1))


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Load a state_dict with ``weights_only=True``; WeightsError with the reason and the fix otherwise."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"No weights file at {path}. " + how_to_get_weights())
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # truncated download, not a torch file, or a pickled whole model
        first = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
        hint = ("It may be a pickled whole model: save `model.state_dict()` instead."
                if "weights_only" in str(err) or "Unsupported global" in str(err)
                else "It may be an incomplete download: get the file again.")
        raise WeightsError(f"{path} ({path.stat().st_size:,} bytes) could not be read as PyTorch weights "
                           f"({type(err).__name__}: {first}). {hint}") from err
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"{path} holds a {type(state).__name__}, not a state_dict (a dict of tensors "
                           "such as torchvision's vgg16-397923af.pth).")
    return state


def load_vgg16(path: str | Path | None = None, allow_random: bool = True) -> ImageNetVGG:
    """VGG16 with ImageNet weights from ``path`` (or the first file ``find_weights()`` finds).

    With no file anywhere and ``allow_random``, returns a randomly initialised VGG16
    (``weights=None``, seeded) with ``pretrained=False``; otherwise raises WeightsError.
    A file that exists but does not fit VGG16 always raises WeightsError.
    """
    path = Path(path).expanduser() if path is not None else find_weights()
    if path is None:
        if not allow_random:
            raise WeightsError("No VGG16 weights found (looked in: "
                               + ", ".join(map(str, candidate_paths())) + "). " + how_to_get_weights())
        with torch.random.fork_rng():  # the same random network every time, the caller's RNG untouched
            torch.manual_seed(0)
            vgg = torchvision.models.vgg16(weights=None)
        return ImageNetVGG(vgg, False, "random initialisation (no weights file found)").eval()
    state = read_state_dict(path)
    vgg = torchvision.models.vgg16(weights=None)
    expected = vgg.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [f"{k}: file {tuple(state[k].shape)}, VGG16 {tuple(v.shape)}"
             for k, v in expected.items() if k in state and state[k].shape != v.shape]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing keys (e.g. {', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected keys (e.g. {', '.join(unexpected[:3])})")
        if wrong:
            parts.append(f"{len(wrong)} tensors of the wrong shape (e.g. {wrong[0]})")
        raise WeightsError(f"{path} is not a torchvision VGG16 state_dict: " + "; ".join(parts)
                           + f". Use torchvision's {WEIGHTS_FILE} (VGG16 without batch norm).")
    vgg.load_state_dict(state)
    return ImageNetVGG(vgg, True, str(path)).eval()


def preprocess(photo: np.ndarray, size: int = 224) -> torch.Tensor:
    """A uint8 photo (H, W, 3) -> (1, 3, size, size) in [0, 1]: resize the shorter side to
    ``size * 256 / 224`` and crop the centre, as torchvision's ImageNet evaluation does."""
    if photo.ndim != 3 or photo.shape[2] != 3:
        raise ValueError(f"photo must be (H, W, 3), got {photo.shape}")
    img = torch.from_numpy(np.ascontiguousarray(photo)).permute(2, 0, 1).float().div(255)
    img = TF.resize(img, [round(size * 256 / 224)], antialias=True)
    return TF.center_crop(img, [size, size]).clamp(0, 1)[None]


def top_classes(logits: torch.Tensor, k: int = 5) -> list[tuple[str, float]]:
    """The k most probable ImageNet classes of one logit vector (1000,) or (1, 1000) as (name, probability)."""
    probs = logits.detach().flatten().softmax(0)
    values, idx = probs.topk(k)
    return [(CATEGORIES[i], float(v)) for v, i in zip(values, idx.tolist())]
