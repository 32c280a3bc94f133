"""Data shipped with the course: Fashion-MNIST (from data/fashion-mnist) and a few real photos.

Nothing is downloaded. The IDX files are checked against SHA256SUMS, decoded with NumPy
once and cached as .npy files, so later loads (also in a new process) take well under a second.

Three splits, the same in every lesson:

- ``"train"``: 54,000 images, what every model learns from;
- ``"val"``: 6,000 images (600 per class) carved out of the 60,000 original training images,
  chosen once with a fixed seed (VAL_PER_CLASS, SPLIT_SEED). Every choice the course makes (sizes,
  epochs, learning rates, regularisers, recipes) is made by comparing models on this split;
- ``"test"``: the 10,000 original test images, evaluated once per final model, at the end.

Fast mode keeps a class-balanced subset of each split (FAST_SIZES).
"""
from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from . import config

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
FASHION_DIR = config.DATA_DIR / "fashion-mnist"
PHOTO_DIR = config.DATA_DIR / "images"
SPLITS = ("train", "val", "test")
VAL_PER_CLASS = 600  # the validation split: 600 images of each class from the 60,000 training images
SPLIT_SEED = 0       # which 600: a fixed random choice, the same on every machine (a test pins it)
FAST_SIZES = {"train": 6000, "val": 1000, "test": 2000}  # fast mode: class-balanced subsets

_FILES = {  # the original files: 60,000 training and 10,000 test images
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
_RESTORE = "Restore it with `git checkout -- {path}` (or copy it again from a fresh clone of the course)."


class DataError(RuntimeError):
    """A course data file is missing, damaged or not what the course expects."""


def expected_sums(folder: Path) -> dict[str, str]:
    """{file name: sha256} as listed in ``folder``/SHA256SUMS; DataError when that file is missing."""
    sums = folder / "SHA256SUMS"
    if not sums.exists():
        raise DataError(f"{sums} is missing, so the data files cannot be verified. "
                        + _RESTORE.format(path=sums.relative_to(config.ROOT)))
    pairs = (line.split() for line in sums.read_text().splitlines() if line.strip())
    return {name.lstrip("*"): digest for digest, name in pairs}


def verify_file(path: Path) -> str:
    """Check ``path`` against the SHA256SUMS file beside it; return its digest or raise DataError."""
    expected = expected_sums(path.parent).get(path.name)
    rel = config.shown_path(path)
    if expected is None:
        raise DataError(f"{rel} is not listed in {path.parent / 'SHA256SUMS'}.")
    if not path.exists():
        raise DataError(f"Data file {rel} is missing (expected sha256 {expected}). "
                        + _RESTORE.format(path=rel))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected:
        raise DataError(f"Data file {rel} is damaged: its sha256 is {digest}, expected {expected} "
                        f"(size now {path.stat().st_size:,} bytes). " + _RESTORE.format(path=rel))
    return digest


def _decode_idx(path: Path) -> np.ndarray:
    """Decode a gzip-compressed IDX file (big-endian header, then uint8 data) into an array."""
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as err:
        raise DataError(f"{path.name} passed its checksum but could not be decompressed ({err}).") from err
    if raw[:2] != b"\0\0" or raw[2] != 0x08:
        raise DataError(f"{path.name} is not an IDX file of unsigned bytes.")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise DataError(f"{path.name} holds {data.size} values but its header says {shape}.")
    return data.reshape(shape)


@lru_cache(maxsize=2)
def _load_arrays(file_set: str) -> tuple[np.ndarray, np.ndarray]:
    """The decoded original files ``file_set`` ('train' or 'test'): images (N, 28, 28), labels (N,)."""
    out = []
    for name in _FILES[file_set]:
        path = FASHION_DIR / name
        digest = verify_file(path)
        cached = config.cache_dir("fashion-mnist") / f"{name[:-3]}-{digest[:16]}.npy"
        if cached.exists():
            arr = np.load(cached)
        else:
            arr = _decode_idx(path)
            tmp = cached.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, arr)
            tmp.replace(cached)
        out.append(arr)
    images, labels = out
    if len(images) != len(labels):
        raise DataError(f"{file_set}: {len(images)} images but {len(labels)} labels.")
    return images, labels


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, SPLITS))}, not {split!r}.")


def validation_indices(labels: np.ndarray) -> np.ndarray:
    """Which of the original training images form the validation split: sorted indices (600 * 10,).

    For each class, a fixed random choice (seed SPLIT_SEED) of VAL_PER_CLASS of its images.
    ``labels``: the 60,000 original training labels.
    """
    rng = np.random.default_rng(SPLIT_SEED)
    chosen = [rng.choice(np.flatnonzero(labels == c), VAL_PER_CLASS, replace=False)
              for c in range(len(CLASS_NAMES))]
    return np.sort(np.concatenate(chosen))


def load_fashion_mnist(split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """Fashion-MNIST split ``split`` as tensors: images uint8 (N, 28, 28), labels int64 (N,).

    N is 54,000 for "train", 6,000 for "val" (both from the original training file) and 10,000
    for "test". Always the whole split, in fast mode too (fashion_mnist_tensors shrinks it).
    """
    _check_split(split)
    images, labels = _load_arrays("test" if split == "test" else "train")
    if split == "test":
        images = images.copy()  # never hand out the cached array itself
    else:
        in_val = np.zeros(len(labels), dtype=bool)
        in_val[validation_indices(labels)] = True
        keep = in_val if split == "val" else ~in_val
        images, labels = images[keep], labels[keep]  # indexing with a mask copies
    return torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64))


def balanced_subset(labels: torch.Tensor, n: int) -> torch.Tensor:
    """Indices of the first ``n // 10`` items of each class, in their original order: (n,)."""
    per_class = n // len(CLASS_NAMES)
    keep = torch.zeros_like(labels, dtype=torch.bool)
    for c in range(len(CLASS_NAMES)):
        keep[torch.nonzero(labels == c).flatten()[:per_class]] = True
    return torch.nonzero(keep).flatten()


def noisy_labels(labels: torch.Tensor, fraction: float, seed: int = 0) -> torch.Tensor:
    """A copy of ``labels`` (N,) in which round(fraction * N) of them, chosen at random, are replaced
    by a different class, also at random: careless annotation, for the regularisation experiments."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction is the share of labels to corrupt, between 0 and 1; got {fraction!r}.")
    gen = torch.Generator().manual_seed(seed)
    noisy = labels.clone()
    flip = torch.randperm(len(labels), generator=gen)[:round(fraction * len(labels))]
    shift = torch.randint(1, len(CLASS_NAMES), (len(flip),), generator=gen)  # never the right class
    noisy[flip] = (labels[flip] + shift) % len(CLASS_NAMES)
    return noisy


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (N, H, W) -> float32 (N, 1, H, W) scaled to [0, 1]."""
    return images.unsqueeze(1).float().div_(255)


def fashion_mnist_tensors(split: str = "train", n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Split ``split`` ("train", "val" or "test") as float images (N, 1, 28, 28) in [0, 1] and
    int64 labels (N,), ready for a model.

    ``n`` keeps a class-balanced subset. By default fast mode keeps FAST_SIZES[split] items and
    full mode keeps the whole split.
    """
    images, labels = load_fashion_mnist(split)
    if n is None and config.is_fast():
        n = FAST_SIZES[split]
    if n is not None and n < len(labels):
        idx = balanced_subset(labels, n)
        images, labels = images[idx], labels[idx]
    return to_float(images), labels


def split_description() -> dict:
    """What fashion_mnist_tensors serves in the current mode, for recording beside a trained model:
    the validation split's definition and, in fast mode, the subset sizes."""
    return {"val_per_class": VAL_PER_CLASS, "split_seed": SPLIT_SEED,
            "fast_sizes": FAST_SIZES if config.is_fast() else None}


def list_photos() -> list[str]:
    """Names of the photos the course ships in data/images (listed in its SHA256SUMS),
    e.g. ['astronaut', 'cat', 'coffee']."""
    return sorted(Path(name).stem for name in expected_sums(PHOTO_DIR) if name.endswith(".png"))


def load_photo(name: str = "cat") -> np.ndarray:
    """A real photo from data/images as a uint8 array (H, W, 3), values 0..255.

    An unknown name raises ValueError naming the photos; a missing or damaged file, DataError.
    """
    from PIL import Image

    if name not in list_photos():
        raise ValueError(f"unknown photo {name!r}; choose one of {', '.join(list_photos())}.")
    path = PHOTO_DIR / f"{name}.png"
    verify_file(path)
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))
