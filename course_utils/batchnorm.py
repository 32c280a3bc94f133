"""Batch normalisation from scratch in NumPy: the reference for lesson 06's exercise.

For images ``x: (N, C, H, W)`` batch norm treats each channel on its own. In **training mode**
it takes the mean and variance of all N*H*W values of channel c in the batch, normalises the
channel with them, then scales and shifts it with two learned numbers ``gamma[c]`` and
``beta[c]``. It also keeps running averages of those statistics. In **evaluation mode** it
normalises with the running averages instead, so an item's output no longer depends on the
other items in its batch.

The conventions are PyTorch's (``nn.BatchNorm2d``), which the tests compare against:

- running = (1 - momentum) * running + momentum * batch statistic, with momentum 0.1;
- the output is normalised with the *biased* batch variance (divide by m = N*H*W), but the
  running variance is updated with the *unbiased* one (divide by m - 1);
- eps = 1e-5 is added to the variance before the square root, so a constant channel
  does not divide by zero.
"""
from __future__ import annotations

import numpy as np

AXES = (0, 2, 3)  # batch, height, width: everything except the channel


def _per_channel(v: np.ndarray) -> np.ndarray:
    """(C,) -> (1, C, 1, 1), so it broadcasts over a batch of images."""
    return v.reshape(1, -1, 1, 1)


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                      running_mean: np.ndarray, running_var: np.ndarray, training: bool,
                      momentum: float = 0.1, eps: float = 1e-5
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batch norm of x: (N, C, H, W) with gamma, beta, running_mean, running_var: (C,).

    Returns ``(out, new_running_mean, new_running_var)``: out has x's shape; the running
    statistics are new arrays (updated in training mode, unchanged in evaluation mode).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4:
        raise ValueError(f"x must be a batch of images (N, C, H, W), got shape {x.shape}.")
    channels = x.shape[1]
    for name, v in (("gamma", gamma), ("beta", beta), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if np.shape(v) != (channels,):
            raise ValueError(f"{name} must have one value per channel, shape ({channels},), "
                             f"got {np.shape(v)}.")
    running_mean = np.array(running_mean, dtype=np.float64)
    running_var = np.array(running_var, dtype=np.float64)
    if training:
        m = x.size // channels  # values per channel
        if m < 2:
            raise ValueError("training mode needs more than one value per channel to estimate a "
                             f"variance; x has shape {x.shape}.")
        mean = x.mean(axis=AXES)
        var = x.var(axis=AXES)  # biased: divides by m
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var * m / (m - 1)
    else:
        mean, var = running_mean, running_var
    x_hat = (x - _per_channel(mean)) / np.sqrt(_per_channel(var) + eps)
    out = _per_channel(np.asarray(gamma)) * x_hat + _per_channel(np.asarray(beta))
    return out, running_mean, running_var
