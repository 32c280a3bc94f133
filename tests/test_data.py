import hashlib
import shutil

import numpy as np
import pytest
import torch

from course_utils import config, data


def test_train_and_validation_splits_shapes_and_balance():
    images, labels = data.load_fashion_mnist("train")
    assert images.shape == (54_000, 28, 28) and images.dtype == torch.uint8
    assert labels.shape == (54_000,) and labels.dtype == torch.int64
    assert torch.bincount(labels).tolist() == [5400] * 10
    images, labels = data.load_fashion_mnist("val")
    assert images.shape == (6_000, 28, 28) and labels.dtype == torch.int64
    assert torch.bincount(labels).tolist() == [data.VAL_PER_CLASS] * 10


def test_test_split_shapes_and_balance():
    images, labels = data.load_fashion_mnist("test")
    assert images.shape == (10_000, 28, 28)
    assert torch.bincount(labels).tolist() == [1000] * 10
    assert images.max() == 255 and images.min() == 0


def test_validation_split_is_carved_out_of_the_training_file_and_fixed():
    original_images, original_labels = data._load_arrays("train")
    val_idx = data.validation_indices(original_labels)
    assert len(val_idx) == len(set(val_idx.tolist())) == 6_000
    # the same split on every machine and in every lesson: pinned by a digest of its indices
    assert hashlib.sha256(val_idx.astype(np.int64).tobytes()).hexdigest()[:16] == "2152247fe6c49c9d"
    train_x, _ = data.load_fashion_mnist("train")
    val_x, val_y = data.load_fashion_mnist("val")
    assert torch.equal(val_x, torch.from_numpy(original_images[val_idx]))
    assert torch.equal(val_y, torch.from_numpy(original_labels[val_idx].astype(np.int64)))
    rest = np.setdiff1d(np.arange(60_000), val_idx)
    assert torch.equal(train_x, torch.from_numpy(original_images[rest]))  # disjoint, together all 60,000


def test_unknown_split_names_the_choices():
    with pytest.raises(ValueError, match="'train', 'val', 'test'"):
        data.load_fashion_mnist("validation")
    with pytest.raises(ValueError, match="not True"):
        data.fashion_mnist_tensors(True)  # the old train=True form


def test_class_names():
    assert len(data.CLASS_NAMES) == 10
    assert data.CLASS_NAMES[0] == "T-shirt/top" and data.CLASS_NAMES[9] == "Ankle boot"


def test_float_tensors_and_balanced_subset():
    x, y = data.fashion_mnist_tensors("test", n=500)
    assert x.shape == (500, 1, 28, 28) and x.dtype == torch.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert torch.bincount(y).tolist() == [50] * 10


@pytest.mark.parametrize("split", data.SPLITS)
def test_fast_mode_keeps_a_balanced_subset_of_each_split(split, monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    _, y = data.fashion_mnist_tensors(split)
    assert torch.bincount(y).tolist() == [data.FAST_SIZES[split] // 10] * 10
    monkeypatch.setenv("COURSE_FAST", "0")
    _, y = data.fashion_mnist_tensors(split)
    assert len(y) == {"train": 54_000, "val": 6_000, "test": 10_000}[split]


def _copy_dataset(tmp_path, monkeypatch):
    folder = tmp_path / "fashion-mnist"
    shutil.copytree(data.FASHION_DIR, folder)
    monkeypatch.setattr(data, "FASHION_DIR", folder)
    monkeypatch.setattr(config, "CACHE_DIR", tmp_path / "cache")
    data._load_arrays.cache_clear()
    return folder


def test_corrupt_file_names_file_checksum_and_fix(tmp_path, monkeypatch):
    folder = _copy_dataset(tmp_path, monkeypatch)
    target = folder / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(target.read_bytes())
    raw[100] ^= 0xFF
    target.write_bytes(bytes(raw))
    with pytest.raises(data.DataError) as err:
        data.load_fashion_mnist("test")
    message = str(err.value)
    assert "t10k-labels-idx1-ubyte.gz" in message and "damaged" in message
    assert "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05" in message
    assert "git checkout" in message
    data._load_arrays.cache_clear()


def test_truncated_and_missing_files(tmp_path, monkeypatch):
    folder = _copy_dataset(tmp_path, monkeypatch)
    images = folder / "t10k-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes()[:1000])
    with pytest.raises(data.DataError, match="t10k-images-idx3-ubyte.gz is damaged"):
        data.load_fashion_mnist("test")
    images.unlink()
    with pytest.raises(data.DataError, match="missing"):
        data.load_fashion_mnist("test")
    data._load_arrays.cache_clear()


def test_decoded_cache_is_reused(tmp_path, monkeypatch):
    _copy_dataset(tmp_path, monkeypatch)
    first = data.load_fashion_mnist("test")
    cached = sorted((tmp_path / "cache" / "fashion-mnist").glob("*.npy"))
    assert len(cached) == 2
    data._load_arrays.cache_clear()
    monkeypatch.setattr(data, "_decode_idx", lambda path: pytest.fail("decoded again"))
    second = data.load_fashion_mnist("test")
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    data._load_arrays.cache_clear()


def test_photos():
    names = data.list_photos()
    assert {"cat", "coffee", "astronaut"} <= set(names)
    cat = data.load_photo("cat")
    assert cat.dtype == np.uint8 and cat.ndim == 3 and cat.shape[2] == 3
    with pytest.raises(ValueError, match="unknown photo 'dog'; choose one of astronaut, cat, coffee"):
        data.load_photo("dog")
    with pytest.raises(ValueError, match="unknown photo"):
        data.load_photo("../images/cat")  # only the course's photos, by name


def test_noisy_labels_corrupts_exactly_the_fraction_and_never_keeps_the_class():
    labels = torch.arange(1000) % 10
    noisy = data.noisy_labels(labels, 0.3, seed=0)
    changed = noisy != labels
    assert changed.sum() == 300 and noisy.dtype == labels.dtype and labels.equal(torch.arange(1000) % 10)
    assert noisy.min() >= 0 and noisy.max() <= 9
    assert torch.bincount((noisy - labels)[changed] % 10, minlength=10)[0] == 0
    assert noisy.equal(data.noisy_labels(labels, 0.3, seed=0)) and not noisy.equal(data.noisy_labels(labels, 0.3, seed=1))
    assert data.noisy_labels(labels, 0.0).equal(labels) and (data.noisy_labels(labels, 1.0) != labels).all()
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            data.noisy_labels(labels, bad)
