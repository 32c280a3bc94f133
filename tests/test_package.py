"""The course package as `pip install .`, Binder and conda users get it: a wheel built from the
repository holds every module under course_utils/ (sub-packages such as checks/ and widgets/ too)."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_holds_every_module(tmp_path):
    src = tmp_path / "src"  # a copy, so the build leaves no build/ or egg-info in the repository
    shutil.copytree(ROOT / "course_utils", src / "course_utils", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                          "--quiet", "--wheel-dir", str(tmp_path / "dist"), str(src)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"pip wheel failed:\n{run.stdout}\n{run.stderr}"
    (wheel,) = (tmp_path / "dist").glob("course_utils-*.whl")
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(src).as_posix() for p in (src / "course_utils").rglob("*.py")}
    assert {"course_utils/checks/__init__.py", "course_utils/widgets/__init__.py"} <= modules
    missing = sorted(modules - in_wheel)
    assert not missing, f"the wheel leaves out {missing}: check [tool.setuptools.packages.find] in pyproject.toml"
    strays = sorted(n for n in in_wheel if not n.startswith(("course_utils/", "course_utils-")))
    assert not strays, f"the wheel holds files outside course_utils: {strays}"
