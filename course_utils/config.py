"""Course-wide settings: fast mode, seeding, device choice and paths.

Fast mode (environment variable ``COURSE_FAST=1``, set by the test suite) shrinks data
and epochs so every notebook runs in a minute or two; full mode (the default) reproduces
the accuracies the lessons state.
"""
from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
CACHE_DIR = Path(os.environ.get("COURSE_CACHE", ROOT / ".cache"))


def is_fast() -> bool:
    """True when ``COURSE_FAST`` is set to 1 (the test suite's quick mode)."""
    return os.environ.get("COURSE_FAST", "0").strip().lower() in {"1", "true", "yes"}


def pick(full, fast):
    """Return ``fast`` in fast mode and ``full`` otherwise, e.g. ``EPOCHS = pick(full=10, fast=1)``."""
    return fast if is_fast() else full


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (CPU and all GPUs) so a run can be repeated."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def get_device() -> torch.device:
    """The best available device: CUDA GPU, then Apple MPS, then CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def shown_path(path: Path) -> Path:
    """``path`` relative to the course folder when it is inside it (for messages), else as given."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def cache_dir(*parts: str) -> Path:
    """A folder under the course cache (created if needed), e.g. ``cache_dir("checkpoints")``."""
    path = CACHE_DIR.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
