"""The autograder: small notebooks built here with the course's real checkers, and one real lesson."""
import csv
import subprocess
import sys

import nbformat
import pytest

from course_utils import edition, grade
from course_utils.checks.conv import HAND_B, HAND_K, HAND_X, check_one_value
from course_utils.checks.pooling import check_pool_output_size

SETUP = """import numpy as np
from course_utils.checks import yours_or_reference
from course_utils.checks.conv import HAND_B, HAND_K, HAND_X, check_one_value
from course_utils.checks.pooling import check_pool_output_size"""
POOL_STUB = "def pool_output_size(w, f, s):\n    raise NotImplementedError  # your code\n\n\ncheck_pool_output_size(pool_output_size)"
POOL_SOLUTION = "def pool_output_size(w, f, s):\n    return (w - f) // s + 1\n\n\ncheck_pool_output_size(pool_output_size)"
VALUE_STUB = "one_value = None  # your answer\ncheck_one_value(one_value)"
VALUE_SOLUTION = "one_value = np.sum(HAND_X[1:4, 0:3] * HAND_K) + HAND_B\ncheck_one_value(one_value)"
LATER = ("pool_output_size = yours_or_reference(pool_output_size, lambda w, f, s: (w - f) // s + 1, "
         "check_pool_output_size)\nprint(pool_output_size(28, 2, 2))")
IDS = ["90-pool-output-size", "90-one-value"]


def _cell(text, exercise=None, solution=False):
    metadata = {"course": {"exercise": exercise}} if exercise else {}
    if solution:
        metadata.update(tags=["solution"], jupyter={"source_hidden": True})
    return nbformat.v4.new_code_cell(text, metadata=metadata)


def instructor_notebook():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 90 · A small lesson"), _cell(SETUP),
        _cell(POOL_STUB, IDS[0]), _cell(POOL_SOLUTION, IDS[0], solution=True),
        _cell(VALUE_STUB, IDS[1]), _cell(VALUE_SOLUTION, IDS[1], solution=True), _cell(LATER)])
    edition.stamp(nb, "90")
    assert edition.problems(nb, "90") == []
    return nb


def student_notebook():
    return nbformat.from_dict(edition.student_edition(instructor_notebook()))


def _save(nb, path):
    nbformat.write(nb, path)
    return path


def _verdicts(rows):
    return {row.exercise: (row.verdict, row.message) for row in rows}


def test_feedback_displays_a_machine_readable_verdict():
    from IPython.core.formatters import DisplayFormatter
    bundle, _ = DisplayFormatter().format(check_pool_output_size(lambda w, f, s: w // s))
    assert bundle[grade.FEEDBACK_MIME] == {"ok": False, "message": check_pool_output_size(lambda w, f, s: w // s).message}
    assert "text/plain" in bundle and "text/html" in bundle, "the notebook still shows text and HTML"


def test_a_cell_with_several_checks_takes_the_worst_verdict():
    verdicts = [{"ok": True, "message": "sigmoid fine."}, {"ok": None, "message": "relu not done."}]
    assert grade.combine(verdicts) == ("not done", "relu not done.")
    assert grade.combine(verdicts + [{"ok": False, "message": "bad."}]) == ("wrong", "bad.")
    assert grade.combine(verdicts[:1]) == ("correct", "sigmoid fine.")


def test_instructor_edition_is_all_correct(tmp_path):
    rows = grade.grade(_save(instructor_notebook(), tmp_path / "instructor.ipynb"), timeout=120)
    assert [(r.exercise, r.verdict) for r in rows] == [(i, "correct") for i in IDS]


def test_planted_mistakes_get_the_checkers_diagnosis_whatever_the_cell_order(tmp_path):
    nb = student_notebook()
    stubs = {edition.exercise_id(c): c for c in nb.cells if edition.exercise_id(c)}
    for cell in stubs.values():  # a forged verdict stored in the file counts for nothing
        cell.outputs = [nbformat.v4.new_output("display_data", {grade.FEEDBACK_MIME: {"ok": True, "message": ""}})]
    stubs[IDS[0]].source = "def pool_output_size(w, f, s):\n    return w // s\n\n\ncheck_pool_output_size(pool_output_size)"
    stubs[IDS[1]].source = "one_value = np.sum(HAND_X[1:4, 0:3] * HAND_K)  # no bias\ncheck_one_value(one_value)"
    nb.cells.remove(stubs[IDS[1]])
    nb.cells.insert(2, stubs[IDS[1]])                             # the value exercise moved up
    nb.cells.insert(3, _cell("print('an extra cell of my own')"))
    nb.cells.append(_cell("with open('scratch.txt', 'w') as f:\n    f.write('a file in the temporary folder')"))
    results = _verdicts(grade.grade(_save(nb, tmp_path / "mistakes.ipynb"), timeout=120))
    assert set(results) == set(IDS)
    assert results[IDS[0]] == ("wrong", check_pool_output_size(lambda w, f, s: w // s).message)
    assert results[IDS[1]] == ("wrong", check_one_value(float(sum((HAND_X[1:4, 0:3] * HAND_K).ravel()))).message)
    assert not (tmp_path / "scratch.txt").exists(), "the submission runs in a temporary folder"


def test_errors_are_reported_and_the_rest_is_graded(tmp_path):
    nb = instructor_notebook()
    nb.cells.insert(2, _cell("import no_such_module_anywhere"))
    stub = next(c for c in nb.cells if edition.exercise_id(c) == IDS[1] and not edition.is_solution(c))
    nb.cells.remove(next(c for c in nb.cells if edition.exercise_id(c) == IDS[1] and edition.is_solution(c)))
    stub.source = "one_value = 1 / 0\ncheck_one_value(one_value)"
    nb.metadata["course"] = {"exercises": IDS + ["90-deleted"]}
    rows = grade.grade(_save(nb, tmp_path / "broken.ipynb"), timeout=120)
    results = _verdicts(rows)
    assert results[IDS[0]][0] == "correct"
    assert results[IDS[1]] == ("error", "the cell raised ZeroDivisionError: division by zero")
    assert results["90-deleted"][0] == "not done" and "missing" in results["90-deleted"][1]
    assert results[grade.WHOLE] == ("error", "cell 2 raised ModuleNotFoundError: No module named 'no_such_module_anywhere'")


def test_a_run_past_the_timeout_is_stopped_and_reported(tmp_path):
    nb = instructor_notebook()
    nb.cells.insert(1, _cell("while True:\n    pass"))
    results = _verdicts(grade.grade(_save(nb, tmp_path / "loop.ipynb"), timeout=3))
    assert results[grade.WHOLE] == ("error", "the run passed the 3 s time limit")
    assert [results[i] for i in IDS] == [("error", "no checker verdict: the run passed the 3 s time limit")] * 2


def test_a_crashed_kernel_is_reported(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[_cell("import os\nos._exit(1)"), _cell(VALUE_STUB, IDS[1])])
    results = _verdicts(grade.grade(_save(nb, tmp_path / "crash.ipynb"), timeout=60))
    assert results[grade.WHOLE] == ("error", "the kernel died (a crash, or out of memory)")
    assert results[IDS[1]][0] == "error"


def test_command_line_grades_every_submission_and_writes_csv(tmp_path, capsys):
    """Broken files get a row each; the student edition, graded after them, is all "not done"."""
    good = _save(student_notebook(), tmp_path / "good.ipynb")
    (tmp_path / "not_json.ipynb").write_text("{ this is not json")
    (tmp_path / "not_notebook.ipynb").write_text('{"cells": 3}')
    out = tmp_path / "results.csv"
    assert grade.main([str(tmp_path / "not_json.ipynb"), str(tmp_path / "not_notebook.ipynb"), str(good),
                       "--csv", str(out), "--timeout", "120"]) == 0
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["exercise"], r["verdict"]) for r in rows] == [
        (grade.WHOLE, "error"), (grade.WHOLE, "error"), (IDS[0], "not done"), (IDS[1], "not done")]
    assert rows[0]["notebook"].endswith("not_json.ipynb") and "not a readable notebook" in rows[0]["message"]
    printed = capsys.readouterr().out
    assert "notebook" in printed.splitlines()[0] and printed.count("not done") == 2


LESSON = "04_pooling"  # a quick lesson, graded as the instructor has it and as students get it


@pytest.mark.parametrize("student", [False, True], ids=["instructor", "student"])
def test_a_real_lesson(tmp_path, student):
    """Graded the way an instructor runs it: `python -m course_utils.grade` in a process of its own.
    Lesson 04 takes about 11 s on an idle 2-core machine and under a minute beside six busy processes.
    Its two stepper widgets once made this run stall now and then (a reply's lost wake-up, see
    course_utils.notebook_client); the limits stop a stuck run after ten minutes, and a failure
    lists every row with its message."""
    nb = edition.read_notebook(edition.NOTEBOOKS / f"{LESSON}.ipynb")
    ids = [ex.id for ex in edition.exercises(nb)]
    if student:
        nb = edition.student_edition(nb)
    path, out = tmp_path / f"{LESSON}.ipynb", tmp_path / "results.csv"
    edition.write_notebook(nb, path)
    subprocess.run([sys.executable, "-m", "course_utils.grade", str(path), "--csv", str(out), "--timeout", "600"],
                   check=True, timeout=900, capture_output=True)
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["exercise"], r["verdict"]) for r in rows] == [(i, "not done" if student else "correct") for i in ids], \
        "\n".join(f"{r['exercise']}: {r['verdict']}: {r['message']}" for r in rows)
