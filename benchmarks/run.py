"""Run the benchmarks and write benchmarks/RESULTS.md.

usage: python benchmarks/run.py [NAME ...]   (NAME = bench_NAME.py; default: all)

Each bench_*.py defines ``run() -> str`` returning a Markdown section. Its result is kept in
benchmarks/results/NAME.md, so running one benchmark refreshes its section and keeps the others;
RESULTS.md is then assembled from all sections under a header naming the machine.
"""
from __future__ import annotations

import datetime
import importlib.util
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def machine() -> str:
    import torch

    from course_utils.shipped import machine as cpu_and_gpu

    return (f"{cpu_and_gpu()}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
            f"Python {platform.python_version()}")


def run_one(name: str) -> None:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", HERE / f"bench_{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # under its own name, so a benchmark's worker processes can import it
    spec.loader.exec_module(module)
    print(f"== {name}", flush=True)
    start = time.perf_counter()
    body = module.run()
    took = time.perf_counter() - start
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    text = (f"## {name}\n\n_Run {stamp} on {machine()}; the benchmark took {took:.0f} s._\n\n"
            f"{body.strip()}\n")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.md").write_text(text)
    print(text, flush=True)


def assemble() -> None:
    sections = [p.read_text() for p in sorted(RESULTS.glob("*.md"))]
    header = ("# Benchmark results\n\nWritten by `make bench` (`python benchmarks/run.py [NAME]`); "
              "each section says when and on what machine it ran. Accuracies are full-mode runs: models "
              "train on the 54,000-image training split; every choice is made on the 6,000-image validation "
              "split (600 per class, carved out of the 60,000 original training images, see "
              "`course_utils.data`); the 10,000 test images are evaluated once per final model.\n")
    (HERE / "RESULTS.md").write_text("\n".join([header, *sections]))


if __name__ == "__main__":
    os.environ.setdefault("COURSE_FAST", "0")
    names = sys.argv[1:] or sorted(p.stem[len("bench_"):] for p in HERE.glob("bench_*.py"))
    for name in names:
        run_one(name)
    assemble()
