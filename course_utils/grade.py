"""Grade submitted notebooks with the course's own checkers.

usage::

    python -m course_utils.grade alice/03_convolution.ipynb bob/03_convolution.ipynb --csv results.csv
    python -m course_utils.grade submissions/*.ipynb --timeout 300 --full

Each submission runs top to bottom in a fresh kernel, in a temporary folder, in fast mode unless
``--full``; outputs stored in the file are thrown away first. Every checker shows its verdict with a
machine-readable copy (``application/vnd.course.feedback+json``, see ``checks.Feedback``); the grader
reads them from the cells that carry an exercise id (``course.exercise`` in the cell metadata), so
exercises are found by id, not by position, and moved or added cells do not matter. When several
cells of an exercise show verdicts, the last one counts (in the instructor edition: the solution).

Verdicts: ``correct``, ``wrong`` (with the checker's diagnosis), ``not done`` (a stub, or the
exercise's cells are missing) and ``error`` (the cell raised before its checker ran, or the run
stopped). A submission that is not a notebook, crashes its kernel or runs past ``--timeout``, and
a cell outside the exercises that raises, get a row of their own (exercise ``(notebook)``); the
run goes on after a cell's error, and the other submissions are graded all the same.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from dataclasses import astuple, dataclass, fields
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from course_utils.checks import FEEDBACK_MIME
from course_utils.edition import exercise_id
from course_utils.notebook_client import NotebookClient

WHOLE = "(notebook)"  # the exercise column of a row about the whole submission
VERDICTS = {True: "correct", False: "wrong", None: "not done"}


@dataclass(frozen=True)
class Row:
    notebook: str
    exercise: str
    verdict: str    # correct / wrong / not done / error
    message: str


def feedbacks(cell) -> list[dict]:
    """The checker verdicts ``{"ok": ..., "message": ...}`` a cell displayed, in order."""
    return [out["data"][FEEDBACK_MIME] for out in cell.get("outputs", [])
            if out["output_type"] in ("display_data", "execute_result") and FEEDBACK_MIME in out.get("data", {})]


def cell_error(cell) -> str | None:
    """'ZeroDivisionError: division by zero' when the cell raised, else None."""
    errors = [out for out in cell.get("outputs", []) if out["output_type"] == "error"]
    return f"{errors[-1]['ename']}: {errors[-1]['evalue']}" if errors else None


def combine(verdicts: list[dict]) -> tuple[str, str]:
    """One verdict for a cell that checked several things: wrong beats not done beats correct."""
    for ok in (False, None, True):
        picked = [v["message"] for v in verdicts if v["ok"] is ok]
        if picked:
            return VERDICTS[ok], " ".join(picked)
    raise ValueError("no verdicts to combine")


def exercise_results(nb, stopped: str | None = None) -> dict[str, tuple[str, str]]:
    """Verdict and message of every exercise in an executed notebook, by exercise id.

    ``stopped`` says why the run ended early (cells after that show nothing).
    """
    expected = list(nb.metadata.get("course", {}).get("exercises", []))
    results = {}
    for cell in nb.cells:
        ex_id = exercise_id(cell)
        if ex_id is None:
            continue
        if ex_id not in expected:
            expected.append(ex_id)
        shown, error = feedbacks(cell), cell_error(cell)
        if shown:
            results[ex_id] = combine(shown)
        elif error:
            results[ex_id] = ("error", f"the cell raised {error}")
        elif ex_id not in results:
            results[ex_id] = ("error", f"no checker verdict: {stopped}" if stopped else
                              "the cell showed no checker verdict; was the check call removed?")
    for ex_id in expected:
        results.setdefault(ex_id, ("not done", "the exercise's cells are missing from the submission"))
    return {ex_id: results[ex_id] for ex_id in expected}


def execute(nb, workdir: Path, timeout: float, fast: bool) -> str | None:
    """Run ``nb`` in place in a fresh kernel started in ``workdir``; None, or why the run stopped.

    ``timeout`` bounds the whole notebook (seconds); cell errors do not stop the run.
    """
    deadline = []  # set when the first cell starts: the kernel's start-up is not the student's time

    def time_left(cell) -> int:
        deadline[:] = deadline or [time.monotonic() + timeout]
        return max(1, round(deadline[0] - time.monotonic()))

    client = NotebookClient(nb, kernel_name="python3", allow_errors=True, record_timing=False,
                            timeout_func=time_left, resources={"metadata": {"path": str(workdir)}})
    env = dict(os.environ, COURSE_FAST="1" if fast else "0")
    try:
        client.execute(env=env)
    except CellTimeoutError:
        return f"the run passed the {timeout:g} s time limit"
    except DeadKernelError:
        return "the kernel died (a crash, or out of memory)"
    return None


def grade(path: Path, timeout: float = 600, fast: bool = True) -> list[Row]:
    """Rows for one submission: one per exercise, plus one for the whole notebook if it failed."""
    name = str(path)
    try:
        nb = nbformat.reads(Path(path).read_text(encoding="utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # unreadable, not JSON, not a notebook
        return [Row(name, WHOLE, "error", f"not a readable notebook: {type(err).__name__}: {err}")]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None  # never trust stored outputs
    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        nbformat.write(nb, Path(workdir) / Path(path).name)  # the copy the kernel works next to
        stopped = execute(nb, Path(workdir), timeout, fast)
    rows = [Row(name, ex_id, verdict, message) for ex_id, (verdict, message) in exercise_results(nb, stopped).items()]
    failed = [(i, cell_error(cell)) for i, cell in enumerate(nb.cells) if exercise_id(cell) is None and cell_error(cell)]
    if failed:
        more = f" (and {len(failed) - 1} more cells)" if len(failed) > 1 else ""
        rows.append(Row(name, WHOLE, "error", f"cell {failed[0][0]} raised {failed[0][1]}{more}"))
    if stopped:
        rows.append(Row(name, WHOLE, "error", stopped))
    if not rows:
        rows.append(Row(name, WHOLE, "error", "no exercises found (no cells with metadata course.exercise)"))
    return rows


def table(rows: list[Row], width: int = 70) -> str:
    """The rows as an aligned text table, long messages cut to ``width`` characters."""
    header = [f.name for f in fields(Row)]
    cells = [header] + [[str(v) if len(str(v)) <= width else str(v)[:width - 1] + "…" for v in astuple(r)]
                        for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip() for line in cells)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m course_utils.grade", description=__doc__.split("\n\n")[0])
    ap.add_argument("submissions", nargs="+", type=Path, help="submitted .ipynb files")
    ap.add_argument("--csv", type=Path, help="also write the rows to this CSV file")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per submission (default 600)")
    ap.add_argument("--full", action="store_true", help="run in full mode (default: fast mode, COURSE_FAST=1)")
    args = ap.parse_args(argv)
    rows = []
    for path in args.submissions:
        graded = grade(path, args.timeout, fast=not args.full)
        correct = sum(r.verdict == "correct" for r in graded)
        exercises = sum(r.exercise != WHOLE for r in graded)
        print(f"{path}: {correct}/{exercises} correct", file=sys.stderr)
        rows += graded
    print(table(rows))
    if args.csv:
        with open(args.csv, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow([f.name for f in fields(Row)])
            writer.writerows(astuple(r) for r in rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
