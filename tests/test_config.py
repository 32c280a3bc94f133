import torch

from course_utils import config


def test_fast_mode_switch(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    assert config.is_fast() and config.pick(full=10, fast=1) == 1
    monkeypatch.setenv("COURSE_FAST", "0")
    assert not config.is_fast() and config.pick(full=10, fast=1) == 10
    monkeypatch.delenv("COURSE_FAST")
    assert not config.is_fast()


def test_seed_everything_repeats_random_numbers():
    config.seed_everything(123)
    a = torch.randn(5)
    config.seed_everything(123)
    assert torch.equal(a, torch.randn(5))


def test_device_is_usable():
    device = config.get_device()
    assert device.type in {"cpu", "cuda", "mps"}
    assert (torch.ones(2, device=device) * 2).sum().item() == 4


def test_paths_and_cache_dir(tmp_path, monkeypatch):
    assert (config.DATA_DIR / "fashion-mnist" / "SHA256SUMS").exists()
    monkeypatch.setattr(config, "CACHE_DIR", tmp_path / "c")
    assert config.cache_dir("a", "b") == tmp_path / "c" / "a" / "b" and (tmp_path / "c" / "a" / "b").is_dir()
