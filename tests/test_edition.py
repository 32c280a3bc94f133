"""The exercise convention (ids, stub + solution, nbgrader markers and metadata) and the student edition."""
import ast
import copy
import re
import zipfile

import nbformat
import pytest

from course_utils import edition

LESSONS = edition.lessons()
NBGRADER_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"  # ClearSolutions.code_stub["python"], the default


def clear_solutions(text, stub=NBGRADER_STUB):
    """nbgrader's ClearSolutions._replace_solution_region (nbgrader 0.9), line for line: each region
    becomes the stub at the indentation of its BEGIN line. nbgrader is not a course dependency (it
    would add its server and JupyterLab extensions to every student's JupyterLab); when it is installed,
    test_nbgrader_clears_like_this compares the two."""
    new_lines, in_solution = [], False
    for line in text.split("\n"):
        if "BEGIN SOLUTION" in line:
            if in_solution:
                raise RuntimeError("encountered nested begin solution statements")
            in_solution = True
            indent = re.match(r"\s*", line).group(0)
            new_lines += [indent + stub_line for stub_line in stub.split("\n")]
        elif "END SOLUTION" in line:
            in_solution = False
        elif not in_solution:
            new_lines.append(line)
    if in_solution:
        raise RuntimeError("no end solution statement found")
    return "\n".join(new_lines)


def _all_exercises():
    for path in LESSONS:
        nb = edition.read_notebook(path)
        for ex in edition.exercises(nb):
            yield path, nb, ex


EXERCISES = list(_all_exercises())


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_follows_the_exercise_convention(path):
    nb = edition.read_notebook(path)
    assert edition.exercises(nb), "every lesson has at least one exercise"
    assert edition.problems(nb, path.name[:2]) == []


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_stamping_a_lesson_changes_nothing(path):
    """The stamp script has been run and is idempotent (the coordinator runs it after merges)."""
    nb = edition.read_notebook(path)
    before = copy.deepcopy(nb)
    assert edition.stamp(nb, path.name[:2]) == [], "run: python -m course_utils.edition --stamp"
    assert nb == before


def test_exercise_ids_are_unique_in_the_course():
    ids = [ex.id for _, _, ex in EXERCISES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("path,nb,ex", EXERCISES, ids=[ex.id for _, _, ex in EXERCISES])
def test_cleared_solution_is_a_runnable_stub(path, nb, ex):
    """What nbgrader generate_assignment leaves of a solution still compiles, keeps the checker call,
    and, for function exercises, defines every function as a stub raising NotImplementedError."""
    text = edition.source(nb["cells"][ex.solution])
    cleared = clear_solutions(text)
    tree = ast.parse(cleared)
    assert text.rstrip().splitlines()[-1] == cleared.rstrip().splitlines()[-1], "the checker call stays"
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    for func in functions:
        assert any(isinstance(node, ast.Raise) for node in func.body), f"{func.name} is cleared to a stub"
    if functions:
        assert not any(isinstance(node, ast.Raise) for node in tree.body), "no raise at the top level"
    stub_names = {node.name for node in ast.parse(edition.source(nb["cells"][ex.stub])).body
                  if isinstance(node, ast.FunctionDef)}
    assert stub_names == {func.name for func in functions}, "solution defines the stub's functions"


def test_nbgrader_clears_like_this():
    clear = pytest.importorskip("nbgrader.preprocessors").ClearSolutions()
    for path in LESSONS:
        nb = nbformat.read(path, as_version=4)
        expected = [clear_solutions(cell.source) for cell in nb.cells]
        cleared, _ = clear.preprocess(nb, {"language": "python"})
        assert [cell.source for cell in cleared.cells] == expected, path.name


def test_solution_regions_reject_malformed_markers():
    assert edition.solution_regions("a\n### BEGIN SOLUTION\nb\n### END SOLUTION\nc") == [(1, 3)]
    for bad in ["### BEGIN SOLUTION\nb",                                       # never closed
                "b\n### END SOLUTION",                                         # no begin
                "### BEGIN SOLUTION\n### BEGIN SOLUTION\nb\n### END SOLUTION",  # nested
                "### BEGIN SOLUTION\n### END SOLUTION",                        # empty
                "## BEGIN SOLUTION\nb\n### END SOLUTION"]:                      # not nbgrader's marker
        with pytest.raises(ValueError):
            edition.solution_regions(bad)


def _exercise_cells(stub, solution, tags=("solution",)):
    return [nbformat.v4.new_code_cell(stub),
            nbformat.v4.new_code_cell(solution, metadata={"tags": list(tags), "jupyter": {"source_hidden": True}})]


def test_stamp_gives_a_new_exercise_id_markers_and_nbgrader_metadata():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 09 · New"),
        *_exercise_cells("def area(w, h):\n    raise NotImplementedError  # your code\n\n\ncheck_area(area)",
                         'def area(w, h):\n    """w x h."""\n    # multiply\n    return w * h\n\n\ncheck_area(area)'),
        *_exercise_cells("n = None  # your answer\ncheck_count(n)", "n = 2 + 2\n\ncheck_count(n)"),
    ])
    changes = edition.stamp(nb, "09")
    assert changes and edition.stamp(nb, "09") == [], "a second run changes nothing"
    assert edition.problems(nb, "09") == []
    assert [edition.exercise_id(c) for c in nb.cells] == [None, "09-area", "09-area", "09-count", "09-count"]
    assert edition.source(nb.cells[2]) == ('def area(w, h):\n    """w x h."""\n    ### BEGIN SOLUTION\n    # multiply\n'
                                           '    return w * h\n    ### END SOLUTION\n\n\ncheck_area(area)')
    assert edition.source(nb.cells[4]) == "### BEGIN SOLUTION\nn = 2 + 2\n### END SOLUTION\n\ncheck_count(n)"
    assert nb.cells[4].metadata["nbgrader"]["grade_id"] == "09-count"


def test_problems_name_what_is_wrong():
    nb = nbformat.v4.new_notebook(cells=_exercise_cells("x = None\ncheck_x(x)", "x = 1\ncheck_x(x)"))
    assert any("without metadata course.exercise" in p for p in edition.problems(nb, "09"))
    edition.stamp(nb, "09")
    nb.cells[0].metadata["course"]["exercise"] = "09-other"
    found = edition.problems(nb, "09")
    assert any("no stub cell" in p for p in found) and any("has no solution" in p for p in found)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_student_edition_has_stubs_but_no_solutions(path):
    nb = edition.read_notebook(path)
    student = edition.student_edition(nb)
    ids = [ex.id for ex in edition.exercises(nb)]
    assert student["metadata"]["course"]["exercises"] == ids
    assert not any(edition.is_solution(c) or "SOLUTION" in edition.source(c) for c in student["cells"])
    assert [edition.exercise_id(c) for c in student["cells"] if edition.exercise_id(c)] == ids, "one stub each"
    assert len(student["cells"]) == len(nb["cells"]) - len(ids), "everything else stays"


def test_build_writes_every_lesson_and_a_handout(tmp_path):
    written = edition.build(tmp_path / "student", tmp_path / "handout.zip")
    assert [p.name for p in written] == [p.name for p in LESSONS]
    names = set(zipfile.ZipFile(tmp_path / "handout.zip").namelist())
    for needed in ["course_utils/checks/__init__.py", "data/fashion-mnist/SHA256SUMS", "pyproject.toml", "Makefile",
                   *(f"notebooks/{p.name}" for p in LESSONS)]:
        assert f"handout/{needed}" in names
    assert not any("__pycache__" in n for n in names)


def test_a_later_cell_must_not_use_an_unfinished_answer():
    nb = nbformat.v4.new_notebook(cells=[
        *_exercise_cells("def area(w, h):\n    raise NotImplementedError\n\n\ncheck_area(area)",
                         "def area(w, h):\n    return w * h\n\n\ncheck_area(area)"),
        nbformat.v4.new_code_cell("print(area(2, 3))")])
    edition.stamp(nb, "09")
    assert [p for p in edition.problems(nb, "09") if "cell 2 uses 'area'" in p and "yours_or_reference" in p]
    nb.cells[2].source = "area = yours_or_reference(area, lambda w, h: w * h, check_area)\nprint(area(2, 3))"
    nb.cells.append(nbformat.v4.new_code_cell("print(area(4, 5))"))  # rebound above: safe from here on
    assert edition.problems(nb, "09") == []
