"""Present a lesson live: `make present LESSON=03` (or `python slides/present.py 03 [jupyter lab options]`).

Starts JupyterLab on the lesson with the *jupyterlab-slideshow* deck switched on: the notebook is the
slide show, its kernel is live, code cells can be edited and run on the slides, and widgets work.
Everything is served by the local Jupyter server; the page makes no request to any other address.

A presenter profile is written to ``build/present/`` each time, so presenting never changes the
settings you use for `make lab`:
- JupyterLab settings: deck mode on, large fonts and widgets while presenting, every cell rendered,
  long code lines wrapped, no news or update checks;
- a fresh workspace (no leftover tabs or dialogs);
- an IPython start-up file that runs the lesson's set-up cells (the code cells marked "skip" before
  its first shown code cell) whenever its kernel starts or restarts: the deck hides those cells, so
  the first code slide would otherwise fail with a NameError.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from build_decks import find_notebooks  # noqa: E402

OVERRIDES = HERE / "jupyterlab" / "overrides.json"

STARTUP = '''\
"""Written by slides/present.py: run the set-up cells of the lesson this kernel belongs to."""
import json as _json, os as _os


def _course_setup():
    path = _os.environ.get("JPY_SESSION_NAME", "")
    if not path.endswith(".ipynb") or not _os.path.exists(path):
        return
    cells = _json.load(open(path, encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        if cell.get("metadata", {}).get("slideshow", {}).get("slide_type") != "skip":
            break  # the first code cell the audience sees: set-up is over
        get_ipython().run_cell("".join(cell["source"]), store_history=False)  # noqa: F821 (IPython start-up)


_course_setup()
del _course_setup
'''


def setup_cells(notebook: Path) -> list[str]:
    """Sources of the set-up cells that the presenter kernel runs at start (see STARTUP)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    found = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        if cell.get("metadata", {}).get("slideshow", {}).get("slide_type") != "skip":
            break
        found.append("".join(cell["source"]))
    return found


def write_profile(profile: Path, settings: dict | None = None) -> dict[str, Path]:
    """Write the presenter profile under ``profile``; return its folders (settings, workspaces, ipython)."""
    if profile.exists():
        shutil.rmtree(profile)
    dirs = {name: profile / name for name in ("settings", "workspaces", "ipython")}
    for d in dirs.values():
        d.mkdir(parents=True)
    plugins = json.loads(OVERRIDES.read_text())
    plugins["jupyterlab-slideshow:plugin"] = {"active": True}
    # render every cell: the deck shows cells far down the notebook (and JupyterLab 4.6's
    # content-visibility windowing throws errors while the deck moves between cells)
    # long code lines wrap instead of running off the right edge of the slide
    plugins["@jupyterlab/notebook-extension:tracker"] = {"windowingMode": "none", "codeCellConfig": {"lineWrap": True}}
    plugins.update(settings or {})
    for plugin, values in plugins.items():
        package, name = plugin.rsplit(":", 1)
        target = dirs["settings"] / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values, indent=2))
    startup = dirs["ipython"] / "profile_default" / "startup" / "00-course-setup.py"
    startup.parent.mkdir(parents=True)
    startup.write_text(STARTUP)
    return dirs


def lab_command(notebook: Path, dirs: dict[str, Path], extra: list[str], root: Path = ROOT) -> list[str]:
    """The `jupyter lab` command line that opens ``notebook`` (under ``root``) with the presenter profile."""
    jupyter = Path(sys.executable).parent / "jupyter"
    return [str(jupyter if jupyter.exists() else "jupyter"), "lab", str(notebook.resolve()),
            f"--ServerApp.root_dir={root}",
            f"--LabApp.user_settings_dir={dirs['settings']}",
            f"--LabApp.workspaces_dir={dirs['workspaces']}",
            "--LabApp.news_url=None", *extra]


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    lesson = argv.pop(0) if argv and not argv[0].startswith("-") else os.environ.get("LESSON", "00")
    (notebook,) = find_notebooks(lesson)
    dirs = write_profile(ROOT / "build" / "present")
    env = dict(os.environ, IPYTHONDIR=str(dirs["ipython"]))
    cmd = lab_command(notebook, dirs, argv)
    mode = "fast" if env.get("COURSE_FAST", "0") in ("1", "true", "yes") else "full"
    print(f"Presenting {notebook.name} live ({mode} mode). In the browser: Space / Shift+Space or the arrow keys "
          f"move, Ctrl+Enter runs the cell on the slide, Esc or the deck button leaves the slides. Ctrl+C here stops.",
          flush=True)
    os.chdir(ROOT)
    os.execvpe(cmd[0], cmd, env)


if __name__ == "__main__":
    main()
