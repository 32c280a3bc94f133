"""Shared test settings.

- Fast mode. Fast-mode checkpoints are cached under their own names (``<recipe>-fast-<fingerprint>``),
  so they never stand in for a student's full-mode ones.
- Deprecations triggered by the course's own code are errors, in this process (pyproject.toml's
  ``filterwarnings``) and in the notebook kernels that nbval starts from it: they inherit
  PYTHONWARNINGS, whose module field must name each module exactly, so every course_utils module is listed.
"""
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "course_utils"

os.environ.setdefault("COURSE_FAST", "1")

_MODULES = [".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
            for p in sorted(PACKAGE.rglob("*.py"))]
_STRICT = [f"error::{category}:{module}" for module in _MODULES
           for category in ("DeprecationWarning", "PendingDeprecationWarning", "FutureWarning")]
os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS", "")] + _STRICT))


def pytest_configure(config):
    """Keep each lesson's nbval run as build/executed/NN_name.ipynb (tests/executed_copies.py): the deck test
    builds and measures the slides from those copies instead of running every lesson again."""
    if config.pluginmanager.hasplugin("nbval") and not config.pluginmanager.has_plugin("course-executed-copies"):
        from executed_copies import ExecutedCopies

        config.pluginmanager.register(ExecutedCopies(), "course-executed-copies")
