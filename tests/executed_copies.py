"""Keep what nbval's run of each lesson produced: ``build/executed/NN_name.ipynb``, the lesson with its outputs.

nbval runs every lesson top to bottom (`make test`) but keeps no notebook. This pytest plugin (registered by
tests/conftest.py) listens to the kernel messages nbval reads, and turns each code cell's messages into
outputs exactly as nbclient (what `make slides` runs) would: display updates, clear_output, widget state
and Output widgets included. When a lesson's last cell has run and no cell failed, the lesson is written
with its outputs, its widget state and ``metadata.course_executed`` (the sha256 of the notebook it ran, the
mode), so the deck test (tests/test_deck_fit.py) builds and measures the slides without running the
lessons a second time. A lesson with a failing cell gets no copy (an older copy is removed).

Only lessons under notebooks/ are kept (not the student edition). COURSE_EXECUTED_DIR changes the folder.
"""
from __future__ import annotations

import collections
import copy
import hashlib
import os
import tokenize
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "notebooks"


def executed_dir() -> Path:
    return Path(os.environ.get("COURSE_EXECUTED_DIR") or ROOT / "build" / "executed")


def source_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def ends_with_semicolon(source: str) -> bool:
    """Does the cell end in ';'? IPython then shows no value, but only for cells it stores in its history:
    nbval runs cells with store_history=False, so its kernel shows the value anyway (a figure twice)."""
    from IPython.core.displayhook import DisplayHook
    try:
        return bool(DisplayHook.semicolon_at_end_of_expression(source))
    except (SyntaxError, tokenize.TokenError):  # a magic or a broken cell: IPython would not stay quiet either
        return False


class _NoKernel:
    """Stands in for nbclient's kernel client: its Output widgets send their state back to the kernel,
    which must not be disturbed while nbval runs the lesson."""

    class session:  # noqa: N801 (mimics the attribute)
        @staticmethod
        def msg(*args, **kwargs):
            return {}

    class shell_channel:  # noqa: N801
        @staticmethod
        def send(msg):
            pass


class _Recording:
    """The messages of one lesson's nbval run, by the execute request they answer."""

    def __init__(self, path: Path):
        self.path = path
        self.nb = nbformat.read(path, as_version=4)
        self.code_cells = [i for i, c in enumerate(self.nb.cells) if c.cell_type == "code"]
        self.requests: dict[int, str] = {}  # nbval's code-cell number -> execute msg_id
        self.messages: dict[str, list] = collections.defaultdict(list)
        self.failed = False
        self.current: int | None = None

    def attach(self, collector) -> None:
        """Wrap the nbval collector's message reader and its kernel's execute call (once)."""
        kernel = collector.kernel
        execute, read = kernel.execute_cell_input, collector.get_kernel_message

        def execute_cell_input(*args, **kwargs):
            msg_id = execute(*args, **kwargs)
            if self.current is not None:
                self.requests[self.current] = msg_id
            return msg_id

        def get_kernel_message(*args, **kwargs):
            msg = read(*args, **kwargs)
            parent = msg.get("parent_header", {}).get("msg_id")
            if parent:
                self.messages[parent].append(msg)
            return msg

        kernel.execute_cell_input = execute_cell_input
        collector.get_kernel_message = get_kernel_message

    def notebook(self) -> nbformat.NotebookNode:
        """The lesson with the outputs nbclient would have written from these messages."""
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionComplete

        nb = copy.deepcopy(self.nb)
        client = NotebookClient(nb, store_widget_state=True, record_timing=False)
        client.kc = _NoKernel()
        for number, index in enumerate(self.code_cells):
            cell = nb.cells[index]
            cell.outputs = []
            client.clear_before_next_output = False  # as nbclient does before each cell
            quiet = ends_with_semicolon(cell.source)
            for msg in self.messages.get(self.requests.get(number, ""), []):
                if quiet and msg["header"]["msg_type"] == "execute_result":
                    continue
                try:
                    client.process_message(msg, cell, index)
                except CellExecutionComplete:
                    break
        client.set_widgets_metadata()
        nb.metadata["course_executed"] = {"source_sha256": source_digest(self.path),
                                          "mode": "full" if os.environ.get("COURSE_FAST", "1") == "0" else "fast"}
        return nb


class ExecutedCopies:
    """The plugin: one _Recording per lesson that nbval runs in this process."""

    def __init__(self):
        self.recordings: dict[Path, _Recording] = {}

    def _recording(self, item) -> _Recording | None:
        if type(item).__name__ != "IPyNbCell":
            return None
        path = Path(str(item.parent.fspath)).resolve()
        if path.parent != LESSONS:
            return None
        if path not in self.recordings:
            self.recordings[path] = _Recording(path)
        return self.recordings[path]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        rec = self._recording(item)
        if rec is not None and getattr(item.parent, "kernel", None) is not None:
            if getattr(item.parent, "_course_recording", None) is not rec:
                rec.attach(item.parent)
                item.parent._course_recording = rec
            rec.current = item.cell_num
        yield
        if rec is not None:
            rec.current = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        rec = self._recording(item)
        if rec is not None and outcome.get_result().failed:
            rec.failed = True

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        yield
        rec = self._recording(item)
        if rec is None or (nextitem is not None and nextitem.parent is item.parent):
            return
        del self.recordings[rec.path]
        target = executed_dir() / rec.path.name
        if rec.failed or len(rec.requests) < len(rec.code_cells):
            target.unlink(missing_ok=True)  # an unfinished run leaves no copy to build slides from
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        try:
            nbformat.write(rec.notebook(), tmp)
            os.replace(tmp, target)
        except Exception as exc:  # never break the test run: the deck test then says the copy is missing
            tmp.unlink(missing_ok=True)
            target.unlink(missing_ok=True)
            item.warn(pytest.PytestWarning(f"could not keep the executed copy of {rec.path.name}: "
                                           f"{type(exc).__name__}: {exc}"))
