"""course_utils.timing: best-of timing, the race of implementations and its table."""
import numpy as np
import pytest

from course_utils import timing


def test_best_of_keeps_the_smallest_time_and_the_result():
    calls = []
    seconds, result = timing.best_of(lambda: calls.append(1) or len(calls), repeats=3)
    assert result == 3 and len(calls) == 3 and 0 <= seconds < 1


def test_race_runs_each_implementation_its_number_of_times():
    counts = {"slow": 0, "fast": 0}

    def run(name):
        counts[name] += 1
        return [1.0, 2.0]

    seconds, results = timing.race({"slow": lambda: run("slow"), "fast": lambda: run("fast")}, {"slow": 1}, 4)
    assert counts == {"slow": 1, "fast": 4} and set(seconds) == {"slow", "fast"}
    assert isinstance(results["fast"], np.ndarray) and results["fast"].tolist() == [1.0, 2.0]


def test_speed_table_compares_with_the_reference():
    table = timing.speed_table({"loops": 0.5, "torch": 0.001}, reference="torch")
    assert "500.0 ms" in table and "500.0 x torch" in table and "1.0 x torch" in table


@pytest.mark.parametrize("call, message", [
    (lambda: timing.best_of(lambda: 1, repeats=0), "at least 1"),
    (lambda: timing.race({"a": lambda: 1}, {"b": 2}), "not among"),
    (lambda: timing.speed_table({"a": 1.0}, "b"), "not one of"),
])
def test_bad_input_says_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()
