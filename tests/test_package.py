"""The course package as `pip install .`, Binder and conda users get it: a wheel built from the
repository holds every module under course_utils/ (sub-packages such as checks/ and widgets/ too)."""
import ast
import re
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


# ---------------------------------------------------------------- dependency direction (DESIGN.md)

PACKAGE = ROOT / "course_utils"
DISPLAY_LIBRARIES = ("matplotlib.pyplot", "ipywidgets", "IPython")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Dotted names that ``path`` imports anywhere in the file, relative imports made absolute."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1] + [node.module or ""]).strip(".") \
                if node.level else node.module
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def _layer(module: str) -> int:
    """0 config, 1 plain modules (NumPy, torch), 2 plots (figures), 3 checks/ and widgets/,
    4 the tools that work on whole notebooks (edition, grade)."""
    name = (module.split(".") + [""])[1]
    return {"config": 0, "plots": 2, "checks": 3, "widgets": 3, "edition": 4, "grade": 4}.get(name, 1)


def test_no_module_imports_a_higher_one():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        me = _module_name(path)
        for other in sorted(_imports(path)):
            if other.startswith("course_utils.") and _layer(other) > _layer(me):
                wrong.append(f"{me} imports {other}")
            if _layer(me) < 2 and other.startswith(DISPLAY_LIBRARIES):
                wrong.append(f"{me} imports {other}: display code stays in plots and widgets")
    assert not wrong, "imports against the dependency direction of DESIGN.md:\n" + "\n".join(wrong)


def test_widgets_show_figures_one_way():
    """Inside an Output widget a figure is shown with display(fig), then closed so pyplot forgets it
    (plt.show() shows pyplot's global figures and takes no figure)."""
    for path in sorted((PACKAGE / "widgets").glob("*.py")):
        source = path.read_text()
        assert "plt.show(" not in source, f"{path.name}: show a figure with display(fig); plt.close(fig)"
        assert source.count("display(fig)") == source.count("plt.close(fig)"), path.name


# ---------------------------------------------------------------- README's module map

def _module_map() -> dict[str, str]:
    """{module or sub-package/: its line} from the Layout section of README.md, in order."""
    readme = (ROOT / "README.md").read_text()
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return {m.group(1): m.group(0) for m in re.finditer(r"^  (\w+/?) {2,}.*$", layout, re.M)}


def test_readme_lists_every_module_once_in_dependency_order():
    listed = list(_module_map())
    on_disk = [p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"]
    on_disk += [p.name + "/" for p in PACKAGE.iterdir() if (p / "__init__.py").exists()]
    assert sorted(listed) == sorted(on_disk), \
        f"README's Layout lists {sorted(set(listed) - set(on_disk))} that do not exist and misses " \
        f"{sorted(set(on_disk) - set(listed))}: one line per module"
    for package in (n for n in listed if n.endswith("/")):
        line = _module_map()[package]
        missing = [p.stem for p in (PACKAGE / package).glob("*.py") if p.stem != "__init__" and p.stem not in line]
        assert not missing, f"README's line for {package} does not name {missing}"
    position = {name.rstrip("/"): i for i, name in enumerate(listed)}
    late = []
    for path in sorted(PACKAGE.rglob("*.py")):
        me = _module_name(path).split(".")[1:2] or [""]
        for other in _imports(path):
            parts = other.split(".")
            if parts[0] == "course_utils" and len(parts) > 1 and parts[1] in position and me[0] in position \
                    and position[parts[1]] > position[me[0]]:
                late.append(f"{me[0]} imports {parts[1]}, listed below it")
    assert not late, "README's Layout is ordered bottom-up (a module imports only those above it):\n" \
        + "\n".join(sorted(set(late)))
