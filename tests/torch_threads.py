"""An autouse fixture for test modules that compare NumPy code with PyTorch on tiny tensors:
with one thread PyTorch skips the hand-offs between threads that dominate such small work
(twenty-fold on a busy 2-core machine). Import it into a test module to switch it on."""
import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
