"""How much memory does a network need? Bytes and their units, the memory a training step
takes, and the largest batch that fits a budget (lesson 07).

- ``to_unit`` / ``format_bytes``: the same number of bytes in MB (powers of 1000) or MiB (1024).
- ``memory_estimate``: activations (x2 when training, for their gradients) plus parameters
  times the copies the optimizer keeps (``PARAM_COPIES``), for a batch of images.
- ``largest_batch``: the largest batch whose estimate fits in a memory budget.

The inputs are plain counts (activations per image, number of parameters); ``summary.LayerTable``
counts them for any network.
"""
from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------- bytes and units

UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9,
         "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}


def to_unit(n_bytes: float, unit: str) -> float:
    """``n_bytes`` expressed in ``unit``: 'KB', 'MB', 'GB' are powers of 1000 (SI);
    'KiB', 'MiB', 'GiB' are powers of 1024 (binary), e.g. to_unit(2**30, 'GB') = 1.074."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; choose one of {list(UNITS)}")
    return n_bytes / UNITS[unit]


def format_bytes(n_bytes: float, binary: bool = True) -> str:
    """A readable size: format_bytes(60_950_432) = '58.1 MiB'; with binary=False '61.0 MB'."""
    units = ("KiB", "MiB", "GiB") if binary else ("KB", "MB", "GB")
    for unit in reversed(units):
        if abs(n_bytes) >= UNITS[unit]:
            return f"{n_bytes / UNITS[unit]:.1f} {unit}"
    return f"{int(n_bytes)} B"


# ---------------------------------------------------------------- one training step

# How many copies of the parameters training keeps, by optimizer (float values of the same size):
PARAM_COPIES = {
    "inference": 1,     # the weights only, no gradients
    "sgd": 2,           # weights + gradients
    "sgd_momentum": 3,  # weights + gradients + one momentum buffer: CS231n's "parameters x3"
    "adam": 4,          # weights + gradients + Adam's first and second moments (m and v)
    "adamw": 4,         # AdamW keeps the same two moments as Adam
}


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes needed to run a batch through a network.

    activations: forward values of every layer for the whole batch, x2 when training (the
    backward pass needs a gradient of the same size for each; CS231n's "~x2 for bwd").
    parameters: weights x PARAM_COPIES[optimizer] (gradients and optimizer state).
    misc: whatever else you add: the framework, the CUDA context, cuDNN work space, the data.
    """
    batch_size: int
    optimizer: str
    bytes_per_value: int
    activation_bytes: int
    param_bytes: int
    misc_bytes: int = 0

    @property
    def total_bytes(self) -> int:
        return self.activation_bytes + self.param_bytes + self.misc_bytes

    def __str__(self) -> str:
        return (f"batch {self.batch_size}, {self.optimizer}: activations {format_bytes(self.activation_bytes)}"
                f" + parameters {format_bytes(self.param_bytes)} + misc {format_bytes(self.misc_bytes)}"
                f" = {format_bytes(self.total_bytes)} ({format_bytes(self.total_bytes, binary=False)})")

    __repr__ = __str__


def param_copies(optimizer: str) -> int:
    """PARAM_COPIES[optimizer], or ValueError naming the optimizers the model knows."""
    if optimizer not in PARAM_COPIES:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {list(PARAM_COPIES)}")
    return PARAM_COPIES[optimizer]


def memory_estimate(activations_per_image: int, params: int, batch_size: int = 1,
                    optimizer: str = "sgd_momentum", bytes_per_value: int = 4,
                    misc_bytes: int = 0) -> MemoryEstimate:
    """Memory for one training step (or one forward pass with optimizer='inference').

    activations_per_image: forward values per image (LayerTable.total_activations); params:
    number of parameters. float32 has bytes_per_value=4 (32 bits), float16/bfloat16 2.
    """
    copies = param_copies(optimizer)
    if batch_size < 0:
        raise ValueError(f"batch_size must be >= 0, got {batch_size}")
    factor = 1 if optimizer == "inference" else 2
    return MemoryEstimate(batch_size, optimizer, bytes_per_value,
                          activation_bytes=batch_size * activations_per_image * factor * bytes_per_value,
                          param_bytes=params * copies * bytes_per_value, misc_bytes=misc_bytes)


def largest_batch(activations_per_image: int, params: int, memory_bytes: float,
                  optimizer: str = "sgd_momentum", bytes_per_value: int = 4, misc_bytes: int = 0) -> int:
    """The largest batch size whose memory_estimate fits in ``memory_bytes`` (rounded down).

    Returns 0 when the parameters, their gradients and optimizer state (plus misc) alone do not fit.
    """
    fixed = memory_estimate(activations_per_image, params, 0, optimizer, bytes_per_value, misc_bytes)
    per_image = memory_estimate(activations_per_image, 0, 1, optimizer, bytes_per_value).activation_bytes
    free = memory_bytes - fixed.total_bytes
    if free < per_image:
        return 0
    return int(free // per_image)
