"""Every lesson run top to bottom in full mode as on a fresh clone.

Each lesson runs in a fresh kernel with an empty checkpoint cache (a temporary COURSE_CACHE), so
every course network (``zoo.trained``) comes from data/networks or is trained on the spot; the table
says which, with the lesson's wall time, the kernel's CPU time and its slowest cells. Target (issue 17):
each lesson under 3 minutes on the 2-core CPU, no course network trained. The experiments a lesson
runs on purpose (lesson 06's training comparisons, lesson 07's capstone exercise) are part of its time.
usage: python benchmarks/run.py lessons   (COURSE_BENCH_LESSONS="05 07" for some of them)
"""
from __future__ import annotations

import datetime
import os
import re
import resource
import tempfile
import time
from pathlib import Path

import nbformat

from course_utils.notebook_client import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
                 if p.stem[:2] in os.environ.get("COURSE_BENCH_LESSONS", p.stem[:2]).split())
TARGET_SECONDS = 180.0
SOURCES = {"shipped": re.compile(r"^(\w+): the network shipped in", re.M),
           "cache": re.compile(r"^(\w+): loaded from the checkpoint cache", re.M),
           "trained now": re.compile(r"^(\w+): training now", re.M)}


def _text(cell) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out["output_type"] == "stream")


def _seconds(cell) -> float:
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = lambda t: datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def run_lesson(name: str) -> dict:
    """Execute notebooks/NAME.ipynb in full mode with an empty cache; times, sources, slowest cells."""
    path = ROOT / "notebooks" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
        env = dict(os.environ, COURSE_FAST="0", COURSE_CACHE=cache)
        client = NotebookClient(nb, kernel_name="python3", timeout=3600, record_timing=True,
                                resources={"metadata": {"path": str(path.parent)}})
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        client.execute(env=env)
        wall = time.perf_counter() - start
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    text = "\n".join(_text(c) for c in nb.cells if c.cell_type == "code")
    sources = {kind: sorted(set(rx.findall(text))) for kind, rx in SOURCES.items()}
    cells = sorted(((_seconds(c), i, c.source.splitlines()[0][:60] if c.source else "")
                    for i, c in enumerate(nb.cells) if c.cell_type == "code"), reverse=True)
    return {"name": name, "wall": wall, "cpu": cpu, "sources": sources, "slowest": cells[:3]}


def run() -> str:
    rows, slow = [], []
    for name in LESSONS:
        print(f"-- {name} (load now {os.getloadavg()[0]:.1f})", flush=True)
        load_before = os.getloadavg()[0]
        r = run_lesson(name)
        source = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in r["sources"].items() if names) or "none"
        verdict = "met" if r["wall"] < TARGET_SECONDS and not r["sources"]["trained now"] else "MISSED"
        rows.append(f"| {name} | {r['wall']:.0f} | {r['cpu']:.0f} | {load_before:.1f} / {os.getloadavg()[0]:.1f} "
                    f"| {source} | **{verdict}** |")
        slow.append(f"- {name}: " + "; ".join(f"cell {i} `{first}` {s:.0f} s" for s, i, first in r["slowest"]))
    return "\n".join([
        "Each lesson executed top to bottom in full mode (nbclient, a fresh kernel, default threads) with an "
        "empty checkpoint cache, as on a fresh clone: the networks come from `data/networks` unless the "
        "table says otherwise. CPU time is the kernel's (user + system, all threads).",
        "",
        f"| lesson | wall s | kernel CPU s | load before / after (1 min) | networks | under {TARGET_SECONDS / 60:.0f} min, "
        "nothing trained |",
        "| --- | ---: | ---: | ---: | --- | --- |",
        *rows,
        "",
        "The slowest cells:",
        "",
        *slow,
    ])
