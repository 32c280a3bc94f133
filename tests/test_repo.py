"""Repository checks: notebooks stored clean and well-formed, dependencies in step, README true."""
import json
import math
import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as pytest's own dependency tomli
    import tomli as tomllib

import pytest
import yaml
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}
# A projector slide (1280x800, the deck's large fonts) shows about 25 lines of code. A code cell longer
# than MAX_CODE_LINES can never fit, and a slide of more than MAX_SLIDE_ROWS rows (markdown wrapped at
# 100 characters + code lines, outputs not counted) is more than two screens: split it, or skip the code.
MAX_CODE_LINES = 40
MAX_SLIDE_ROWS = 60


def _load(path):
    return json.loads(path.read_text())


def _text(cell):
    return "".join(cell["source"])


def test_there_are_notebooks():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_welcome.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_outputs(path):
    for cell in _load(path)["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, \
                f"{path.name} is stored with outputs; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_structure(path):
    cells = _load(path)["cells"]
    first = _text(cells[0])
    assert cells[0]["cell_type"] == "markdown" and first.startswith("# "), "title first"
    assert re.search(r"objectives|you will", first, re.I), "learning objectives at the top"
    markdown = [_text(c) for c in cells if c["cell_type"] == "markdown"]
    assert any(re.search(r"^#+ .*summary", m, re.I | re.M) for m in markdown), "a Summary section"
    assert re.search(r"next", markdown[-1], re.I), "the last cell says what comes next"
    code = "\n".join(_text(c) for c in cells if c["cell_type"] == "code")
    assert "from course_utils" in code or "import course_utils" in code


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_slide_metadata(path):
    cells = _load(path)["cells"]
    types = [c["metadata"].get("slideshow", {}).get("slide_type") for c in cells]
    assert set(types) - {None} <= SLIDE_TYPES, f"invalid slide types {set(types) - SLIDE_TYPES - {None}}"
    assert types[0] == "slide", "the title cell opens a slide"
    slides = sum(t in ("slide", "subslide") for t in types)
    assert 5 <= slides <= 80, f"{slides} slides"
    assert "-" not in types, "continuation cells carry no slideshow metadata (some tools hide '-')"


def _slide_type(cell):
    return cell["metadata"].get("slideshow", {}).get("slide_type")


def _slides(cells):
    """The cells grouped by the slide (or subslide) they appear on, as (first cell index, cells)."""
    slides = []
    for i, cell in enumerate(cells):
        if _slide_type(cell) in ("slide", "subslide") or not slides:
            slides.append((i, []))
        slides[-1][1].append(cell)
    return slides


def _shown(cell):
    """Cells the audience sees on a slide: not skipped, not speaker notes, not a (collapsed) solution."""
    return _slide_type(cell) not in ("skip", "notes") and "solution" not in cell["metadata"].get("tags", [])


def _rows(cell):
    text = _text(cell)
    if cell["cell_type"] == "code":
        return len(text.splitlines())
    return sum(max(1, math.ceil(len(line) / 100)) for line in text.splitlines())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_slides_present_as_a_talk(path):
    """Set-up hidden, every slide titled, no slide that cannot fit on a projector."""
    cells = _load(path)["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code and _slide_type(code[0]) == "skip", "the set-up import cell (the first code cell) is skipped in slides"
    for i, cell in enumerate(cells):
        if _slide_type(cell) == "slide":
            assert cell["cell_type"] == "markdown" and _text(cell).lstrip().startswith("#"), \
                f"cell {i} starts a slide: make it a markdown cell with a heading (one idea per slide)"
        if _slide_type(cell) == "notes":
            assert cell["cell_type"] == "markdown", f"cell {i}: speaker notes are markdown cells"
        if cell["cell_type"] == "code" and _shown(cell):
            lines = len(_text(cell).splitlines())
            assert lines <= MAX_CODE_LINES, \
                f"cell {i}: {lines} lines of code cannot fit on a slide; split it, or mark the cell 'skip'"
    for first, group in _slides(cells):
        rows = sum(_rows(c) for c in group if _shown(c))
        assert rows <= MAX_SLIDE_ROWS, \
            f"the slide starting at cell {first} has about {rows} rows; split it into slides or subslides"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if not p.name.startswith("00")], ids=lambda p: p.name)
def test_lesson_has_widget_and_checked_exercises(path):
    cells = _load(path)["cells"]
    code = "\n".join(_text(c) for c in cells if c["cell_type"] == "code")
    assert "widgets" in code, "at least one interactive widget"
    assert len(re.findall(r"\bcheck_\w+\(", code)) >= 2, "at least two checked exercises"
    solutions = [c for c in cells if "solution" in c["metadata"].get("tags", [])]
    assert solutions, "solutions are tagged 'solution'"
    for cell in solutions:
        assert cell["metadata"].get("jupyter", {}).get("source_hidden"), "solution cells start collapsed"


def _requirement_names(specs):
    return {re.split(r"[<>=!~ ]", s, 1)[0].lower(): s[len(re.split(r"[<>=!~ ]", s, 1)[0]):].replace(" ", "")
            for s in specs}


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _requirement_names(project["dependencies"] + project["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    # conda packages, plus the pip section's PyPI-only packages (without the `-e .` of the course itself)
    pip = [s for d in env["dependencies"] if isinstance(d, dict) for s in d.get("pip", []) if not s.startswith("-")]
    conda = _requirement_names([d for d in env["dependencies"] if isinstance(d, str)] + pip)
    conda = {("torch" if k == "pytorch" else k): v for k, v in conda.items() if k not in {"python", "pip"}}
    assert conda == wanted


def test_oldest_constraints_pin_every_lower_bound():
    """constraints-oldest.txt pins each dependency (and the build requirement) to the lower bound of its
    range, and nothing else."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    floors = {name.lower(): Version(low) for name, low in (re.fullmatch(r"([\w.-]+)>=([\w.]+)", spec).groups()
                                                           for spec in build)}
    for spec in project["dependencies"] + project["optional-dependencies"]["test"]:
        name, low = re.fullmatch(r"([\w.-]+)>=([\w.]+),<[\w.]+(?:,!=[\w.*]+)*", spec.replace(" ", "")).groups()
        floors[name.lower()] = Version(low)
    lines = (ROOT / "constraints-oldest.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in lines if line.strip() and not line.startswith("#"))
    assert {name: Version(v) for name, v in pins.items()} == floors


def test_readme_commands_exist_in_makefile():
    readme = (ROOT / "README.md").read_text()
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))
    used = set(re.findall(r"`make ([\w-]+)", readme))
    assert {"lab", "test"} <= used
    assert used <= targets, f"README mentions missing targets {used - targets}"
    assert readme.index("make lab") < 1500 and readme.index("make test") < 1500, "the two commands come first"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_ci_installs_chromium_for_the_browser_tests():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "apt-get install" in ci and "chromium" in ci
    assert ci.index("chromium") < ci.index("make test")


def test_slide_assets_carry_their_licences():
    """Third-party files the offline decks copy come with their licence (see slides/vendor/README.md)."""
    vendor = ROOT / "slides" / "vendor"
    for package in ("reveal.js", "requirejs", "jquery"):
        assert list((vendor / package).glob("LICENSE*")), f"slides/vendor/{package} has no licence file"
        assert f"`{package}/`" in (vendor / "README.md").read_text(), f"{package} missing from slides/vendor/README.md"
    assert list((vendor / "reveal.js" / "dist" / "theme" / "fonts" / "source-sans-pro").glob("LICENSE*"))
