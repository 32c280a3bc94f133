"""The course in a real browser: JupyterLab lessons, live slides and an offline deck (headless Chromium).

Needs the Debian/Ubuntu ``chromium`` package at /usr/bin/chromium (or COURSE_CHROMIUM=path) and the
``playwright`` Python package; no browser is downloaded. Without them every test here is skipped with
the reason. .ci/run installs chromium, so CI always runs them.

Each page blocks and counts every request to a non-local address: the count must be zero.
Screenshots go to build/screenshots/. Servers run on free local ports with a token and are stopped
in all cases. All browser tests live in this one file, so `pytest -n 2 --dist loadfile` keeps them on
one worker. Lesson choice: COURSE_BROWSER_LESSON=03 picks the second lesson run in JupyterLab
(default: the lowest-numbered lesson after 00 that has a widget).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "slides"))
import build_decks  # noqa: E402
import present  # noqa: E402

CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "build" / "screenshots"
TOKEN = "course-browser-test"
LOCAL = re.compile(r"^(https?|wss?)://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(/|$)")
EXTERNAL: dict[str, list[str]] = {}  # page name -> blocked non-local URLs (reported at the end)

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

if sync_playwright is None:
    pytestmark = pytest.mark.skip(reason="browser tests skipped: the playwright package is missing (make setup installs it)")
elif not os.access(CHROMIUM, os.X_OK):
    pytestmark = pytest.mark.skip(reason=f"browser tests skipped: no Chromium at {CHROMIUM} "
                                         "(install it with `apt-get install chromium`; .ci/run does)")


# ---------------------------------------------------------------- helpers

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lesson_with_widget() -> Path | None:
    """The lesson (besides 00) opened in JupyterLab: COURSE_BROWSER_LESSON or the first one with a widget."""
    wanted = os.environ.get("COURSE_BROWSER_LESSON")
    if wanted:
        return build_decks.find_notebooks(wanted)[0]
    for path in build_decks.find_notebooks()[1:]:
        code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        if "widgets" in code:
            return path
    return None


def copy_lessons(dest: Path) -> Path:
    """A scratch copy of notebooks/ (runs in the browser save outputs there, never in the repo)."""
    shutil.copytree(ROOT / "notebooks", dest / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dest


@contextmanager
def jupyter_server(cmd: list[str], port: int, log: Path, env: dict, timeout: float = 90):
    """Run a Jupyter server command until the block ends (it has ``timeout`` seconds to start); always stop it
    (and its kernels)."""
    proc = subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    try:
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={TOKEN}", timeout=2)
                break
            except Exception:
                if proc.poll() is not None or time.time() > deadline:
                    tail = log.read_text()[-2000:] if log.exists() else ""
                    raise RuntimeError(f"Jupyter server did not start; its log ends:\n{tail}") from None
                time.sleep(0.25)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def server_args(port: int, scratch: Path) -> list[str]:
    return ["--no-browser", "--allow-root", f"--port={port}", "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={TOKEN}"]


def server_env(scratch: Path, **extra: str) -> dict:
    """A private HOME and Jupyter config for the servers, fast mode, and the user's matplotlib cache (saves a font scan)."""
    import matplotlib

    return dict(os.environ, HOME=str(scratch / "home"), JUPYTER_CONFIG_DIR=str(scratch / "jupyter"), COURSE_FAST="1",
                MPLCONFIGDIR=os.environ.get("MPLCONFIGDIR", matplotlib.get_configdir()), **extra)


def write_test_settings(settings_dir: Path, extra: dict | None = None) -> None:
    """Lab settings for tests: the course overrides, no autosave, every cell rendered (no windowing)."""
    plugins = json.loads(present.OVERRIDES.read_text())
    plugins["@jupyterlab/docmanager-extension:plugin"] = {"autosave": False}
    plugins["@jupyterlab/notebook-extension:tracker"] = {"windowingMode": "none"}
    plugins.update(extra or {})
    for plugin, values in plugins.items():
        package, name = plugin.rsplit(":", 1)
        (settings_dir / package).mkdir(parents=True, exist_ok=True)
        (settings_dir / package / f"{name}.jupyterlab-settings").write_text(json.dumps(values))


def new_page(browser, name: str, viewport=(1400, 950)):
    """A page that blocks and records requests to any non-local address, and records page errors.

    The route handler runs in this Python process: while waiting for the page, wait with
    ``page.wait_for_timeout`` (never ``time.sleep``), or every request the page makes stalls.
    """
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    blocked = EXTERNAL.setdefault(name, [])
    page.page_errors = []

    def route(r):
        url = r.request.url
        if LOCAL.match(url) or url.startswith(("data:", "blob:", "file:", "about:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda exc: page.page_errors.append(f"{exc}: {(exc.stack or '')[:600]}"))
    return page


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def kernel_state(base: str, notebook_name: str) -> str | None:
    sessions = json.load(urllib.request.urlopen(f"{base}/api/sessions?token={TOKEN}", timeout=5))
    for s in sessions:
        if s["path"].endswith(notebook_name):
            return s["kernel"]["execution_state"]
    return None


def wait_kernel_idle(page, base: str, notebook_name: str, timeout: float = 120) -> None:
    """Wait until the notebook's kernel exists, is idle, and no cell is queued or running."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        dialog = page.locator(".jp-Dialog")
        if dialog.count() and dialog.get_by_role("button", name="Select").count():
            dialog.get_by_role("button", name="Select").click()
        busy = page.locator(".jp-InputArea-prompt:has-text('[*]')").count()
        if not busy and kernel_state(base, notebook_name) == "idle":
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"kernel for {notebook_name} still busy after {timeout} s")


def open_notebook(page, base: str, rel: str) -> None:
    page.goto(f"{base}/lab/tree/{rel}?token={TOKEN}&reset")  # reset: no tabs left from an earlier page
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    # the kernel is ready once the status bar says so (the REST API reports 'idle' earlier)
    page.wait_for_selector(".jp-StatusBar-TextItem:has-text('| Idle')", state="attached", timeout=90_000)


def run_all(page, base: str, notebook_name: str, timeout: float) -> None:
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
    page.wait_for_timeout(1000)
    wait_kernel_idle(page, base, notebook_name, timeout)


def saved_cells(page, path: Path, timeout: float = 30) -> list[dict]:
    """The cells of a notebook JupyterLab is saving: its file can be caught half-written (JupyterLab 4.2
    writes in place), so read until it parses."""
    deadline = time.time() + timeout
    while True:
        try:
            return json.loads(path.read_text())["cells"]
        except json.JSONDecodeError:
            if time.time() > deadline:
                raise
            page.wait_for_timeout(200)


def error_outputs(page, path: Path) -> list[tuple[int, str]]:
    """Save the (scratch) notebook and list its error outputs as (cell index, exception name)."""
    before = path.stat().st_mtime
    page.get_by_role("menuitem", name="File", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Save( Notebook)?\b")).first.click()
    deadline = time.time() + 30
    while path.stat().st_mtime == before and time.time() < deadline:
        page.wait_for_timeout(200)
    if path.stat().st_mtime == before:
        shot(page, f"lab-{path.stem}-save-failed")
    assert path.stat().st_mtime != before, f"JupyterLab did not save {path.name}: cannot read its outputs"
    cells = saved_cells(page, path)
    assert any(c.get("outputs") for c in cells), f"{path.name} was saved without outputs: did Run All run?"
    return [(i, o.get("ename", "?")) for i, c in enumerate(cells) for o in c.get("outputs", [])
            if o.get("output_type") == "error"]


SIGNATURE_JS = """(root) => {
    // what the kernel draws for a widget: pictures, labels, HTML and Output-widget contents (not the slider readout)
    const parts = [];
    root.querySelectorAll('img').forEach(i => parts.push(i.src.slice(-200)));
    root.querySelectorAll('.widget-label, .widget-html-content, .jp-OutputArea-output pre').forEach(e => parts.push(e.textContent));
    return parts.join('|');
}"""


def move_slider_and_wait(page, area, timeout: float = 30) -> tuple[str, str]:
    """Press ArrowRight on the first slider in ``area`` and wait until its kernel-drawn output changes."""
    handle = area.locator(".widget-slider .noUi-handle").first
    before = area.evaluate(SIGNATURE_JS)
    for key in ("ArrowRight", "ArrowRight", "ArrowLeft", "ArrowLeft", "ArrowLeft"):
        handle.focus()
        page.keyboard.press(key)
        deadline = time.time() + timeout / 3
        while time.time() < deadline:
            after = area.evaluate(SIGNATURE_JS)
            if after != before:
                page.wait_for_timeout(500)  # let the redraw finish for the screenshot
                return before, area.evaluate(SIGNATURE_JS)
            page.wait_for_timeout(200)
    return before, area.evaluate(SIGNATURE_JS)


def first_widget_area(page):
    """The output area of the first code cell, in the notebook on screen, whose output holds a slider."""
    areas = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell-outputArea:has(.widget-slider)")
    assert areas.count() > 0, "no rendered widget with a slider"
    return areas.first


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def scratch():
    path = Path(tempfile.mkdtemp(prefix="course-browser-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def lab(scratch):
    """JupyterLab (as `make lab` runs it, plus test settings) on a scratch copy of the lessons."""
    root = copy_lessons(scratch / "lab")
    settings = scratch / "lab-settings"
    write_test_settings(settings)
    port = free_port()
    env = server_env(scratch)
    cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", *server_args(port, scratch),
           f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
           f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={scratch / 'lab-ws'}"]
    with jupyter_server(cmd, port, scratch / "lab.log", env) as base:
        yield base, root


@pytest.fixture(scope="module", autouse=True)
def report_external_requests():
    yield
    total = sum(len(v) for v in EXTERNAL.values())
    print(f"\nbrowser tests: {total} request(s) to non-local addresses blocked "
          f"({', '.join(f'{k}: {len(v)}' for k, v in EXTERNAL.items())}); screenshots in {SHOTS}")


# ---------------------------------------------------------------- tests

def check_lesson_in_lab(browser, lab, rel: str, timeout: float):
    base, root = lab
    name = Path(rel).stem
    page = new_page(browser, f"lab-{name}")
    t0 = time.time()
    try:
        open_notebook(page, base, rel)
        t1 = time.time()
        run_all(page, base, Path(rel).name, timeout)
        t2 = time.time()
        errors = error_outputs(page, root / rel)
        print(f"\n{rel}: opened in {t1 - t0:.1f} s, ran all cells in {t2 - t1:.1f} s, saved in {time.time() - t2:.1f} s")
        shot(page, f"lab-{name}-after-run-all")
        assert errors == [], f"{rel}: cells with errors (index, exception): {errors}"
        widgets = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jupyter-widgets").count()
        assert widgets > 0, f"{rel}: no widget rendered"
        area = first_widget_area(page)
        area.scroll_into_view_if_needed()
        before, after = move_slider_and_wait(page, area)
        shot(page, f"lab-{name}-slider-moved")
        assert after != before, f"{rel}: moving the slider changed nothing the kernel draws"
        assert page.page_errors == [], page.page_errors
        assert EXTERNAL[f"lab-{name}"] == [], f"requests to non-local addresses: {EXTERNAL[f'lab-{name}']}"
    finally:
        page.close()


def test_lesson_00_in_jupyterlab(browser, lab):
    """Lesson 00 runs top to bottom in JupyterLab, its widget renders and answers the slider via the kernel."""
    check_lesson_in_lab(browser, lab, "notebooks/00_welcome.ipynb", timeout=120)


def test_a_lesson_with_a_widget_in_jupyterlab(browser, lab):
    lesson = lesson_with_widget()
    if lesson is None:
        pytest.skip("no lesson besides 00 with a widget yet")
    check_lesson_in_lab(browser, lab, f"notebooks/{lesson.name}", timeout=300)


def test_live_slides_make_present(browser, scratch):
    """`make present LESSON=00`: the deck opens, the set-up cell ran, a widget works on a slide."""
    root = copy_lessons(scratch / "present")
    notebook = root / "notebooks" / "00_welcome.ipynb"
    dirs = present.write_profile(scratch / "present-profile",
                                 {"@jupyterlab/docmanager-extension:plugin": {"autosave": False}})
    port = free_port()
    cmd = present.lab_command(notebook, dirs, server_args(port, scratch), root=root)
    env = server_env(scratch, IPYTHONDIR=str(dirs["ipython"]))
    cells = json.loads(notebook.read_text())["cells"]
    widget_cell = next(i for i, c in enumerate(cells) if "dataset_browser(" in "".join(c["source"]))
    with jupyter_server(cmd, port, scratch / "present.log", env) as base:
        page = new_page(browser, "present-00", viewport=(1280, 800))
        try:
            open_notebook(page, base, "notebooks/00_welcome.ipynb")
            page.wait_for_selector("[data-jp-deck-mode='presenting']", state="attached", timeout=30_000)
            shot(page, "present-00-title-slide")
            wait_kernel_idle(page, base, "00_welcome.ipynb")
            page.locator(".jp-Notebook .jp-Cell").first.click()  # focus the deck (its keys work in command mode)
            on_screen = []
            for _ in range(len(cells)):
                on_screen = page.evaluate("""() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')]
                    .map((c, i) => c.classList.contains('jp-deck-mod-onscreen') ? i : -1).filter(i => i >= 0)""")
                if widget_cell in on_screen:
                    break
                page.keyboard.press("Space")
                page.wait_for_timeout(300)
            assert widget_cell in on_screen, f"never reached the widget slide (cell {widget_cell})"
            cell = page.locator(".jp-Notebook .jp-Cell").nth(widget_cell)
            cell.click()
            page.keyboard.press("Escape")
            page.keyboard.press("Control+Enter")  # run the cell on the slide: uses the set-up cell's imports
            page.wait_for_selector(".widget-slider .noUi-handle", timeout=60_000)
            wait_kernel_idle(page, base, "00_welcome.ipynb")
            area = first_widget_area(page)
            before, after = move_slider_and_wait(page, area)
            shot(page, "present-00-widget-slide")
            assert after != before, "moving the slider on the slide changed nothing the kernel draws"
            size = page.evaluate("getComputedStyle(document.querySelector('.jp-RenderedMarkdown p')).fontSize")
            assert float(size.rstrip("px")) >= 20, f"slide text is {size}: too small for a projector"
            assert page.page_errors == [], page.page_errors
            assert EXTERNAL["present-00"] == [], f"requests to non-local addresses: {EXTERNAL['present-00']}"
        finally:
            page.close()


def test_offline_deck(browser, scratch):
    """`make slides` for lesson 00: reveal.js starts from disk with no network and the arrow keys move slides."""
    out = scratch / "slides"
    out.mkdir()
    build_decks.copy_assets(out)
    os.environ.setdefault("COURSE_FAST", "1")
    deck, _, widgets = build_decks.build_one(ROOT / "notebooks" / "00_welcome.ipynb", out)
    html = deck.read_text()
    assert widgets >= 1 and "Interactive widget" in html, "the widget's static snapshot and note are in the deck"
    page = new_page(browser, "deck-00", viewport=(1280, 800))
    try:
        page.goto(deck.as_uri())
        page.wait_for_selector(".reveal.ready", timeout=30_000)
        shot(page, "deck-00-first-slide")
        total = page.evaluate("document.querySelectorAll('.reveal .slides > section').length")
        assert total >= 5
        index = "[...document.querySelectorAll('.reveal .slides > section')].findIndex(s => s.classList.contains('present'))"
        assert page.evaluate(index) == 0
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"{index} === 1", timeout=5_000)
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"{index} === 2", timeout=5_000)
        page.keyboard.press("ArrowLeft")
        page.wait_for_function(f"{index} === 1", timeout=5_000)
        shot(page, "deck-00-second-slide")
        assert page.evaluate("typeof MathJax") == "object", "MathJax loaded from the local copy"
        assert page.page_errors == [], page.page_errors
        assert EXTERNAL["deck-00"] == [], f"requests to non-local addresses: {EXTERNAL['deck-00']}"
    finally:
        page.close()
