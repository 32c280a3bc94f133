"""The student edition of the course, and the exercise convention it relies on.

An exercise is a STUB cell (``raise NotImplementedError  # your code`` or ``name = None  # your
answer``, then the checker call) followed by its SOLUTION cell (the same names, solved, then the
same checker call). Both carry ``"course": {"exercise": "<id>"}`` in their metadata, the id being
the lesson number and a short slug ("03-output-size"). The solution cell is tagged ``solution``,
starts collapsed, and marks the solved part with nbgrader's markers::

    def conv_output_size(w, f, s, p):
        ### BEGIN SOLUTION
        return (w - f + 2 * p) // s + 1
        ### END SOLUTION


    check_output_size(conv_output_size)

so ``nbgrader generate_assignment`` leaves a stub that still defines the function and calls the
checker. The student edition is the course without the solution cells and without outputs.

usage::

    python -m course_utils.edition            # build/student/NN_name.ipynb and build/cnn-course-student.zip
    python -m course_utils.edition --no-zip   # only the notebooks (what the test suite runs)
    python -m course_utils.edition --stamp    # authors: ids, markers and nbgrader metadata in notebooks/
"""
from __future__ import annotations

import argparse
import ast
import copy
import json
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from course_utils.config import ROOT

NOTEBOOKS = ROOT / "notebooks"
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
# What a handed-out folder needs besides the notebooks: the package, the data, and how to install it.
HANDOUT = ("course_utils", "data", "pyproject.toml", "environment.yml", "Makefile", "README.md")


# ---------------------------------------------------------------- reading and writing notebooks

def read_notebook(path: Path) -> dict:
    """A notebook file as plain JSON (nbformat 4)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_notebook(nb: dict, path: Path) -> None:
    """Write ``nb`` the way Jupyter does (sorted keys, one-space indent, UTF-8), so diffs stay small."""
    Path(path).write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def lessons(folder: Path = NOTEBOOKS) -> list[Path]:
    """The lesson notebooks ``NN_name.ipynb`` in ``folder``, in order."""
    return sorted(Path(folder).glob(LESSON_GLOB))


def source(cell: dict) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def set_source(cell: dict, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True)


# ---------------------------------------------------------------- the exercise convention

def exercise_id(cell: dict) -> str | None:
    """The exercise id in the cell's metadata ("03-output-size"), or None."""
    return cell["metadata"].get("course", {}).get("exercise")


def is_solution(cell: dict) -> bool:
    return "solution" in cell["metadata"].get("tags", [])


@dataclass(frozen=True)
class Exercise:
    id: str
    stub: int | None       # cell index of the stub, None when it is missing
    solution: int


def exercises(nb: dict) -> list[Exercise]:
    """Every solution cell with the stub cell before it that has the same id."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if not is_solution(cell):
            continue
        ex_id = exercise_id(cell)
        stub = next((j for j in range(i - 1, -1, -1) if exercise_id(nb["cells"][j]) == ex_id
                     and not is_solution(nb["cells"][j])), None) if ex_id else None
        found.append(Exercise(ex_id, stub, i))
    return found


def solution_regions(text: str) -> list[tuple[int, int]]:
    """Line spans (begin, end) of the ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` regions.

    Raises ValueError when the markers are not exactly nbgrader's, are nested, unbalanced or empty.
    """
    regions, begin = [], None
    for n, line in enumerate(text.splitlines()):
        if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line:
            continue
        marker = line.strip()
        if marker not in (BEGIN, END):
            raise ValueError(f"line {n + 1}: write the marker exactly as {BEGIN!r} or {END!r}, got {marker!r}")
        if marker == BEGIN:
            if begin is not None:
                raise ValueError(f"line {n + 1}: {BEGIN!r} inside another solution region (line {begin + 1})")
            begin = n
        else:
            if begin is None:
                raise ValueError(f"line {n + 1}: {END!r} without a {BEGIN!r} before it")
            if n == begin + 1:
                raise ValueError(f"line {n + 1}: the solution region is empty")
            regions.append((begin, n))
            begin = None
    if begin is not None:
        raise ValueError(f"line {begin + 1}: {BEGIN!r} is never closed by {END!r}")
    return regions


def problems(nb: dict, lesson: str) -> list[str]:
    """Everything in notebook ``nb`` (lesson number ``lesson``, e.g. "03") that breaks the convention."""
    found = []
    cells = nb["cells"]
    for ex in exercises(nb):
        sol = cells[ex.solution]
        where = f"cell {ex.solution} ({ex.id or 'no id'})"
        if not ex.id:
            found.append(f"{where}: a solution cell without metadata course.exercise")
            continue
        if not ex.id.startswith(lesson + "-") or not re.fullmatch(r"\d\d-[a-z0-9]+(-[a-z0-9]+)*", ex.id):
            found.append(f"{where}: the id should be '{lesson}-' and a lower-case slug, e.g. '{lesson}-output-size'")
        if ex.stub is None:
            found.append(f"{where}: no stub cell with the same id before the solution")
        elif source(cells[ex.stub]).rstrip().splitlines()[-1:] != source(sol).rstrip().splitlines()[-1:]:
            found.append(f"{where}: the stub and the solution end with the same checker call")
        if sol["cell_type"] != "code" or not sol["metadata"].get("jupyter", {}).get("source_hidden"):
            found.append(f"{where}: a solution is a collapsed code cell (jupyter.source_hidden)")
        if sol["metadata"].get("nbgrader") != nbgrader_metadata(ex.id):
            found.append(f"{where}: nbgrader metadata missing or different; run python -m course_utils.edition --stamp")
        try:
            if not solution_regions(source(sol)):
                found.append(f"{where}: no {BEGIN!r} ... {END!r} region")
        except ValueError as err:
            found.append(f"{where}: {err}")
    for i, cell in enumerate(cells):
        if not is_solution(cell) and ("BEGIN SOLUTION" in source(cell) or "END SOLUTION" in source(cell)):
            found.append(f"cell {i}: solution markers outside a solution cell")
        if not is_solution(cell) and "nbgrader" in cell["metadata"]:
            found.append(f"cell {i}: nbgrader metadata on a cell that is not a solution")
    found += unguarded_uses(nb)
    ids = [exercise_id(c) for c in cells if is_solution(c) and exercise_id(c)]
    found += [f"exercise id {i!r} is used by more than one solution" for i in sorted(set(ids)) if ids.count(i) > 1]
    stubs = [exercise_id(c) for c in cells if exercise_id(c) and not is_solution(c)]
    found += [f"stub with id {i!r} has no solution cell" for i in sorted(set(stubs) - set(ids))]
    return found


def _names(tree: ast.Module) -> set[str]:
    """Names a cell defines at its top level (functions and plain assignments)."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {n.id for target in node.targets for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def unguarded_uses(nb: dict) -> list[str]:
    """Cells that use an exercise's answer without ``yours_or_reference``.

    In the student edition the answer is only the student's stub (and names only the solution
    defines do not exist), so a later cell must first rebind it,
    ``name = yours_or_reference(name, reference, check)``, or define it afresh.
    """
    found = []
    cells = nb["cells"]
    for ex in exercises(nb):
        if ex.stub is None:
            continue
        answers = _names(ast.parse(source(cells[ex.stub]))) | _names(ast.parse(source(cells[ex.solution])))
        for i in range(ex.solution + 1, len(cells)):
            cell = cells[i]
            if cell["cell_type"] != "code" or is_solution(cell) or not answers:
                continue
            tree = ast.parse(source(cell))
            used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            rebound = {n.targets[0].id for n in tree.body if isinstance(n, ast.Assign)
                       and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Call)
                       and getattr(n.value.func, "id", None) == "yours_or_reference"}
            for name in sorted(answers & used - rebound):
                found.append(f"cell {i} uses {name!r} from exercise {ex.id} (a stub in the student edition): "
                             f"start the cell with {name} = yours_or_reference({name}, reference, check)")
            answers -= _names(tree)  # rebound or defined afresh: safe from here on
    return found


# ---------------------------------------------------------------- stamping (authors)

def nbgrader_metadata(ex_id: str) -> dict:
    """What nbgrader expects on a manually graded answer cell; the exercise id is its grade_id."""
    return {"grade": False, "grade_id": ex_id, "locked": False, "schema_version": 3, "solution": True,
            "task": False}


def add_markers(text: str) -> str:
    """Wrap the solved part of a solution cell in nbgrader's markers (unchanged if it has them).

    Functions: the body of every top-level ``def`` after its docstring, so the cleared cell still
    defines the function (raising NotImplementedError) and calls the checker. Values: every line
    before the final checker call.
    """
    if BEGIN in text:
        return text
    tree = ast.parse(text)
    lines = text.split("\n")
    functions = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    regions = []
    for func in functions:
        body = func.body[1:] if ast.get_docstring(func) is not None and len(func.body) > 1 else func.body
        start = body[0].lineno - 1
        while start - 1 >= func.body[0].lineno and lines[start - 1].strip().startswith("#"):
            start -= 1  # comments that open the solved body belong to it
        regions.append((start, func.end_lineno))
    if not functions:
        start, end = tree.body[0].lineno - 1, tree.body[-1].lineno - 1
        while end > start and not lines[end - 1].strip():
            end -= 1
        regions.append((start, end))
    for start, end in reversed(regions):
        indent = re.match(r"\s*", lines[start]).group(0)
        lines[end:end] = [indent + END]
        lines[start:start] = [indent + BEGIN]
    return "\n".join(lines)


def slug_from_checker(text: str) -> str:
    """'check_output_size(conv_output_size)' -> 'output-size': the id part of a new exercise."""
    match = re.search(r"\bcheck_(\w+)\(", text)
    if not match:
        raise ValueError("a solution cell without a checker call (check_...) and without an exercise id")
    return match.group(1).replace("_", "-")


def stamp(nb: dict, lesson: str) -> list[str]:
    """Give every exercise of ``nb`` its id, markers and nbgrader metadata; returns what changed.

    Idempotent. A solution without an id gets '<lesson>-<checker name>' and so does its stub, the
    nearest code cell before it.
    """
    changes = []
    cells = nb["cells"]
    for i, cell in enumerate(cells):
        if not is_solution(cell):
            continue
        ex_id = exercise_id(cell)
        if not ex_id:
            ex_id = f"{lesson}-{slug_from_checker(source(cell))}"
            stub = next(j for j in range(i - 1, -1, -1) if cells[j]["cell_type"] == "code")
            for j in (stub, i):
                cells[j]["metadata"]["course"] = {"exercise": ex_id}
            changes.append(f"{ex_id}: id given to cells {stub} and {i}")
        marked = add_markers(source(cell))
        if marked != source(cell):
            set_source(cell, marked)
            changes.append(f"{ex_id}: solution markers added")
        if cell["metadata"].get("nbgrader") != nbgrader_metadata(ex_id):
            cell["metadata"]["nbgrader"] = nbgrader_metadata(ex_id)
            changes.append(f"{ex_id}: nbgrader metadata")
    return changes


# ---------------------------------------------------------------- the student edition

def student_edition(nb: dict) -> dict:
    """``nb`` without its solution cells and without outputs; stubs keep their exercise ids.

    The notebook's metadata lists the exercise ids, so the grader notices a deleted exercise.
    """
    nb = copy.deepcopy(nb)
    nb["metadata"]["course"] = {"exercises": [ex.id for ex in exercises(nb)]}
    nb["cells"] = [cell for cell in nb["cells"] if not is_solution(cell)]
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return nb


def build(out: Path, zip_path: Path | None = None, source_dir: Path = NOTEBOOKS) -> list[Path]:
    """Write the student edition of every lesson to ``out``; with ``zip_path``, also a folder to hand out.

    The zip holds the course as students install it (course_utils/, data/, pyproject.toml, Makefile,
    ...) with the student edition as its notebooks/, so ``make lab`` works in the unpacked folder.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in lessons(source_dir):
        target = out / path.name
        write_notebook(student_edition(read_notebook(path)), target)
        written.append(target)
    if zip_path is not None:
        write_handout(written, Path(zip_path))
    return written


def write_handout(notebooks: list[Path], zip_path: Path) -> None:
    """A zip of the course for students: the package, data and set-up files, the student notebooks."""
    top = zip_path.stem
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in HANDOUT:
            path = ROOT / name
            files = [path] if path.is_file() else sorted(p for p in path.rglob("*")
                                                         if p.is_file() and "__pycache__" not in p.parts)
            for file in files:  # already compressed files are stored as they are
                packed = zipfile.ZIP_STORED if file.suffix in (".gz", ".png", ".zip") else zipfile.ZIP_DEFLATED
                archive.write(file, f"{top}/{file.relative_to(ROOT)}", compress_type=packed)
        for notebook in notebooks:
            archive.write(notebook, f"{top}/notebooks/{notebook.name}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m course_utils.edition", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "student", help="folder for the notebooks")
    ap.add_argument("--zip", type=Path, default=ROOT / "build" / "cnn-course-student.zip",
                    help="the folder to hand out, zipped")
    ap.add_argument("--no-zip", action="store_true", help="write only the notebooks")
    ap.add_argument("--stamp", action="store_true",
                    help="authors: add exercise ids, solution markers and nbgrader metadata to notebooks/")
    args = ap.parse_args(argv)
    if args.stamp:
        failed = False
        for path in lessons():
            nb = read_notebook(path)
            changes = stamp(nb, path.name[:2])
            if changes:
                write_notebook(nb, path)
            for line in changes + [f"PROBLEM {p}" for p in problems(nb, path.name[:2])]:
                failed |= line.startswith("PROBLEM")
                print(f"{path.name}: {line}")
        return int(failed)
    written = build(args.out, None if args.no_zip else args.zip)
    print(f"student edition: {len(written)} notebooks in {args.out}" + ("" if args.no_zip else f", handout {args.zip}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
