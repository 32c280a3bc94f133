"""course_utils.memory: units, the memory of a training step and the largest batch that fits."""
import math
import random

import pytest

from course_utils.memory import PARAM_COPIES, format_bytes, largest_batch, memory_estimate, to_unit


def test_units():
    assert to_unit(2**30, "GiB") == 1 and to_unit(10**9, "GB") == 1
    assert math.isclose(to_unit(2**30, "GB"), 1.073741824)
    assert format_bytes(512) == "512 B" and format_bytes(3 * 2**20) == "3.0 MiB"
    with pytest.raises(ValueError, match=r"unknown unit 'Mb'; choose one of \['B', 'KB'"):
        to_unit(1, "Mb")


def test_memory_estimate_counts_copies():
    acts, params = 1000, 50
    for optimizer, copies in PARAM_COPIES.items():
        est = memory_estimate(acts, params, batch_size=8, optimizer=optimizer)
        assert est.param_bytes == params * copies * 4
        factor = 1 if optimizer == "inference" else 2
        assert est.activation_bytes == 8 * acts * factor * 4
        assert est.total_bytes == est.param_bytes + est.activation_bytes
    assert PARAM_COPIES["sgd_momentum"] == 3 and PARAM_COPIES["adam"] == 4
    assert memory_estimate(acts, params, 2, "sgd", bytes_per_value=2).total_bytes == (2 * acts * 2 + params * 2) * 2
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'; choose one of"):
        memory_estimate(acts, params, optimizer="rmsprop")


def test_largest_batch_is_the_largest_that_fits():
    rng = random.Random(1)
    for _ in range(50):
        acts, params = rng.randint(10, 10**6), rng.randint(0, 10**7)
        budget = rng.randint(1, 10**10)
        opt = rng.choice(list(PARAM_COPIES))
        b = largest_batch(acts, params, budget, opt)
        if b > 0:
            assert memory_estimate(acts, params, b, opt).total_bytes <= budget
        assert memory_estimate(acts, params, b + 1, opt).total_bytes > budget
