"""Build offline reveal.js slide decks from the lessons (`make slides`, or `make slides LESSON=03`).

Each lesson is executed top to bottom in a fresh kernel (fast mode unless ``--full``), its widget
outputs are replaced by their last static state plus a note, and the deck is written to
``build/slides/NN_name.slides.html``. reveal.js, RequireJS, jQuery and MathJax are copied next to
the decks (``build/slides/_assets/``) with their licences, so the folder can be copied to a laptop
and opened from disk with no network: double-click ``build/slides/index.html``.

usage: python slides/build_decks.py [--lesson 03] [--out build/slides] [--full] [--no-execute] [--jobs 2]
"""
from __future__ import annotations

import argparse
import base64
import copy
import html
import math
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
TEMPLATES = HERE / "templates"
VENDOR = HERE / "vendor"
ASSETS = "_assets"  # folder next to the decks; the decks refer to it by relative URLs

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
CONTAINERS = {"BoxModel", "HBoxModel", "VBoxModel", "GridBoxModel", "TabModel", "AccordionModel", "StackModel"}
TEXT_MODELS = {"LabelModel", "HTMLModel", "HTMLMathModel"}
SELECTION_MODELS = {"DropdownModel", "RadioButtonsModel", "ToggleButtonsModel", "SelectModel",
                    "SelectionSliderModel"}


# ---------------------------------------------------------------- which notebooks

def find_notebooks(lesson: str | None = None, root: Path = ROOT) -> list[Path]:
    """Lesson notebooks ``notebooks/NN_*.ipynb``, or the one whose number is ``lesson`` (e.g. "03" or "3")."""
    found = sorted((root / "notebooks").glob(NOTEBOOK_GLOB))
    if lesson in (None, ""):
        return found
    number = f"{int(lesson):02d}" if str(lesson).isdigit() else str(lesson)
    picked = [p for p in found if p.name.startswith(number + "_") or p.stem == number]
    if not picked:
        names = ", ".join(p.name for p in found) or "none"
        raise SystemExit(f"no lesson {lesson!r} in notebooks/ (found: {names}); use e.g. LESSON=03")
    return picked


# ---------------------------------------------------------------- widgets -> static outputs

def _model_id(ref: str) -> str:
    return ref[len("IPY_MODEL_"):] if isinstance(ref, str) and ref.startswith("IPY_MODEL_") else ref


def _value_text(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _control_text(name: str, state: dict) -> str | None:
    """'description: value' for a labelled control (slider, dropdown, checkbox, text); None otherwise.

    Controls without a description (e.g. the nine number boxes of a 3x3 kernel editor) are left out:
    a row of bare numbers tells the audience nothing.
    """
    label = state.get("description")
    if not label:
        return None
    if name in SELECTION_MODELS:
        labels, index = state.get("_options_labels") or [], state.get("index")
        if isinstance(index, int) and 0 <= index < len(labels):
            return f"{label}: {labels[index]}"
        return None
    value = state.get("value")
    if isinstance(value, list) and len(value) == 2 and name.endswith("RangeSliderModel"):
        return f"{label}: {_value_text(value[0])} to {_value_text(value[1])}"
    if value is not None and not isinstance(value, (dict, list)):
        return f"{label}: {_value_text(value)}"
    return None


def _image_output(entry: dict) -> dict | None:
    """An ``ipywidgets.Image`` (its bytes are stored as a base64 buffer) as a display_data output."""
    state = entry.get("state", {})
    for buf in entry.get("buffers", []):
        if buf.get("path") == ["value"] and buf.get("encoding", "base64") == "base64":
            fmt = state.get("format", "png")
            data = buf["data"] if isinstance(buf["data"], str) else base64.b64encode(buf["data"]).decode()
            return nbformat.v4.new_output("display_data", data={f"image/{fmt}": data})
    return None


def _walk(model_id: str, models: dict, controls: list[str], outputs: list, seen: set) -> None:
    """Collect, in display order, the control values and the outputs shown by a widget tree."""
    if model_id in seen or model_id not in models:
        return
    seen.add(model_id)
    entry = models[model_id]
    name, state = entry.get("model_name", ""), entry.get("state", {})
    if name in CONTAINERS:
        for child in state.get("children", []):
            _walk(_model_id(child), models, controls, outputs, seen)
    elif name == "OutputModel":
        outputs.extend(nbformat.from_dict(o) for o in state.get("outputs", []))
    elif name in TEXT_MODELS:
        value = state.get("value", "")
        if value:
            text = value if name != "LabelModel" else html.escape(value)
            outputs.append(nbformat.v4.new_output("display_data", data={"text/html": f"<p>{text}</p>"}))
    elif name == "ImageModel":
        image = _image_output(entry)
        if image is not None:
            outputs.append(image)
    elif name not in {"ButtonModel", "LayoutModel", "StyleModel"} and not name.endswith("StyleModel"):
        text = _control_text(name, state)
        if text:
            controls.append(text)


def _strip_tags(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def progress_text(model_id: str, models: dict) -> str | None:
    """A progress bar (tqdm's HBox of HTML, FloatProgress, HTML) as one line of text; None for other widgets."""
    entry = models.get(model_id, {})
    children = [models.get(_model_id(c), {}) for c in entry.get("state", {}).get("children", [])]
    bars = [c for c in children if c.get("model_name") in ("FloatProgressModel", "IntProgressModel")]
    if entry.get("model_name") not in CONTAINERS or len(bars) != 1:
        return None
    parts = []
    for child in children:
        state = child.get("state", {})
        if child is bars[0]:
            low, high, value = state.get("min", 0), state.get("max", 100), state.get("value", 0)
            filled = round(20 * (value - low) / (high - low)) if high > low else 0
            parts.append("|" + "█" * filled + " " * (20 - filled) + "|")
        elif child.get("model_name") in TEXT_MODELS and state.get("value"):
            parts.append(_strip_tags(state["value"]))
    return " ".join(p for p in parts if p)


def widget_note(lesson_number: str) -> str:
    """The note a deck shows where the live lesson has an interactive widget."""
    return (f"<div class='course-widget-note'><b>Interactive widget</b>, shown as it was saved; to use it, present "
            f"the lesson live: <code>make present LESSON={lesson_number}</code></div>")


def static_widgets(nb: nbformat.NotebookNode, lesson_number: str = "NN") -> int:
    """Replace every widget output of ``nb`` (in place) by its last static state; return how many.

    A progress bar (tqdm) becomes one line of text with its final state.
    A widget view becomes: a note saying it is interactive in the live lesson, one line with the
    controls' values (e.g. ``class: Trouser · item: 3``), then whatever its labels and Output
    widgets showed (text, figures). The notebook's widget-state metadata is removed, so nbconvert
    does not add the widget renderer, which it would load from a CDN.
    """
    models = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    replaced = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        new_outputs = []
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW) if out.get("output_type") in ("display_data", "execute_result") else None
            if view is None:
                new_outputs.append(out)
                continue
            replaced += 1
            progress = progress_text(view.get("model_id", ""), models)
            if progress is not None:  # a finished progress bar is not interactive: show it as text
                new_outputs.append(nbformat.v4.new_output("stream", name="stdout", text=progress + "\n"))
                continue
            controls, shown = [], []
            _walk(view.get("model_id", ""), models, controls, shown, set())
            note = widget_note(lesson_number)
            if controls:
                note += "<div class='course-widget-controls'>" + html.escape("  ·  ".join(controls)) + "</div>"
            if not controls and not shown:
                note += "<div class='course-widget-controls'>(its last state was not saved with the notebook)</div>"
            new_outputs.append(nbformat.v4.new_output("display_data", data={"text/html": note}))
            new_outputs.extend(copy.deepcopy(shown))
        cell.outputs = new_outputs
    nb.metadata.pop("widgets", None)
    return replaced


def reveal_solutions(nb: nbformat.NotebookNode) -> int:
    """Show each solution cell (tagged ``solution``, no slide type) on a subslide of its own, right after the
    exercise: the next key press reveals it, and the exercise's slide only has to fit the stub.

    nbgrader's ``### BEGIN SOLUTION`` / ``### END SOLUTION`` marker lines are for instructors' tools,
    not for the audience: they are left out of every solution cell.
    """
    count = 0
    for cell in nb.cells:
        if "solution" not in cell.metadata.get("tags", []):
            continue
        cell.source = re.sub(r"(?m)^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", cell.source)
        if not cell.metadata.get("slideshow", {}).get("slide_type"):
            cell.metadata.setdefault("slideshow", {})["slide_type"] = "subslide"
            count += 1
    return count


# ---------------------------------------------------------------- assets, execution, export

def mathjax_dir() -> Path:
    """MathJax 2 as shipped by the PyPI package jupyter-server-mathjax (a course dependency)."""
    try:
        import jupyter_server_mathjax
    except ImportError as exc:
        raise SystemExit("MathJax for offline decks comes from the package jupyter-server-mathjax: "
                         "run `make setup` (or pip install jupyter-server-mathjax)") from exc
    return Path(jupyter_server_mathjax.__file__).parent / "static"


def copy_assets(out: Path) -> Path:
    """Copy reveal.js, RequireJS, jQuery (slides/vendor) and MathJax with their licences to ``out/_assets``."""
    dest = out / ASSETS
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(VENDOR, dest, ignore=shutil.ignore_patterns("README.md"))
    shutil.copy(VENDOR / "README.md", dest / "README.md")
    shutil.copytree(mathjax_dir(), dest / "mathjax", ignore=shutil.ignore_patterns("localization", "*.py*"))
    return dest


def exporter():
    """nbconvert's SlidesExporter set up for local assets and the course template."""
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    c = Config()
    c.SlidesExporter.extra_template_basedirs = [str(TEMPLATES)]
    c.SlidesExporter.template_name = "course_reveal"
    c.SlidesExporter.reveal_url_prefix = f"{ASSETS}/reveal.js"
    c.SlidesExporter.reveal_theme = "white"          # loads no web fonts ('simple' pulls Google Fonts)
    c.SlidesExporter.reveal_transition = "none"
    # A slide taller than the screen scrolls by the template's CSS (slides/templates/course_reveal). nbconvert's
    # own scrolling script stays off: it shrinks such a slide to 95% of the window minus 20 px (684 of 800 px).
    c.SlidesExporter.reveal_scroll = False
    c.SlidesExporter.reveal_number = "c/t"
    c.SlidesExporter.reveal_width = "1280"
    c.SlidesExporter.reveal_height = "800"
    c.SlidesExporter.require_js_url = f"{ASSETS}/requirejs/require.js"
    c.SlidesExporter.jquery_url = f"{ASSETS}/jquery/jquery.min.js"
    c.SlidesExporter.mathjax_url = f"{ASSETS}/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
    c.SlidesExporter.mermaid_js_url = ""
    c.SlidesExporter.widget_renderer_url = ""
    return SlidesExporter(config=c)


def execute(nb: nbformat.NotebookNode, cwd: Path, timeout: int) -> None:
    """Run ``nb`` in place in a fresh python3 kernel started in ``cwd`` (widget state is kept)."""
    from course_utils.notebook_client import NotebookClient

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False, store_widget_state=True,
                            resources={"metadata": {"path": str(cwd)}})
    # the kernel process's own stderr only carries start-up chatter; cell output is captured in the notebook
    client.execute(stderr=subprocess.DEVNULL)


def build_one(path: Path, out: Path, run: bool = True, timeout: int = 1800) -> tuple[Path, float, int]:
    """Execute one lesson and write its deck; return (deck path, seconds, widgets replaced)."""
    t0 = time.time()
    nb = nbformat.read(path, as_version=4)
    if run:
        execute(nb, path.parent, timeout)
    widgets = static_widgets(nb, path.name[:2])
    reveal_solutions(nb)
    body, _ = exporter().from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
    deck = out / f"{path.stem}.slides.html"
    deck.write_text(body, encoding="utf-8")
    return deck, time.time() - t0, widgets


# The index page's rough talk length: a minute per slide (horizontal or subslide), half a minute more per
# code cell run on a slide, rounded up to 5 minutes. Long training cells in full mode come on top.
MINUTES_PER_SLIDE = 1.0
MINUTES_PER_CODE_CELL = 0.5


class _DeckCounter(HTMLParser):
    """Counts what a reveal.js deck from nbconvert holds. Each horizontal slide is a <section> in
    <div class="slides">; nbconvert puts its content in inner <section>s: the first is the horizontal slide
    itself, each further one a subslide."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.inner: list[int] = []  # inner sections of each horizontal slide
        self.code_cells = self.notes = self.fragments = 0

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "section":
            self.depth += 1
            if self.depth == 1:
                self.inner.append(0)
            elif self.depth == 2:
                self.inner[-1] += 1
        elif tag == "aside" and "notes" in classes:
            self.notes += 1
        if "jp-CodeCell" in classes:
            self.code_cells += 1
        if "fragment" in classes:
            self.fragments += 1

    def handle_endtag(self, tag):
        if tag == "section":
            self.depth -= 1


def deck_stats(deck: Path) -> dict:
    """What a built deck holds: horizontal slides, subslides, all slides, code cells, speaker notes, fragments,
    and a rough talk length in minutes (MINUTES_PER_SLIDE, MINUTES_PER_CODE_CELL, rounded up to 5)."""
    text = deck.read_text(encoding="utf-8")
    start = text.find('<div class="slides">')
    counter = _DeckCounter()
    counter.feed(text[start:] if start >= 0 else text)
    horizontal = len(counter.inner)
    slides = sum(max(1, n) for n in counter.inner)
    minutes = MINUTES_PER_SLIDE * slides + MINUTES_PER_CODE_CELL * counter.code_cells
    return {"horizontal": horizontal, "subslides": slides - horizontal, "slides": slides,
            "code_cells": counter.code_cells, "notes": counter.notes, "fragments": counter.fragments,
            "minutes": 5 * math.ceil(minutes / 5)}


def write_index(out: Path, decks: list[Path]) -> Path:
    """``out/index.html``: every deck in ``out`` with its slide count and a rough talk length, linked."""
    rows, total = [], 0
    for deck in sorted(decks):
        st = deck_stats(deck)
        total += st["minutes"]
        name = html.escape(deck.name.removesuffix(".slides.html"))
        rows.append(f'  <tr><td><a href="{html.escape(deck.name)}">{name}</a></td><td>{st["slides"]}</td>'
                    f'<td>{st["horizontal"]}</td><td>{st["subslides"]}</td><td>{st["code_cells"]}</td>'
                    f'<td>{st["notes"]}</td><td>about {st["minutes"]} min</td></tr>')
    page = out / "index.html"
    page.write_text(f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>CNN course: slide decks</title>
<style>body {{ font: 20px/1.5 sans-serif; margin: 2em auto; max-width: 52em; }}
table {{ border-collapse: collapse; }} th, td {{ padding: 0.2em 0.8em; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }} tr:nth-child(even) {{ background: #f3f3f3; }}</style></head>
<body><h1>CNN course: slide decks</h1>
<p>Open a deck, then use the arrow keys or the space bar; <b>S</b> opens the speaker view (notes, next slide,
timer), <b>Esc</b> the overview, <b>F</b> full screen. These decks work offline; their widgets are static
pictures (present a lesson live with <code>make present LESSON=NN</code> to use them).</p>
<table>
  <tr><th>lesson</th><th>slides</th><th>horizontal</th><th>subslides</th><th>code cells</th><th>speaker notes</th><th>talk</th></tr>
{chr(10).join(rows)}
</table>
<p>Talk length is a rough guide: {MINUTES_PER_SLIDE:g} minute per slide (horizontal slides and subslides alike)
plus {MINUTES_PER_CODE_CELL * 60:g} s per code cell on the slides, rounded up to 5 minutes; {total} minutes in all.
Long cells (training in full mode) add the time their speaker notes state.</p>
</body></html>
""", encoding="utf-8")
    return page


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lesson", default=os.environ.get("LESSON") or None, help="build one lesson, e.g. 03")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "slides")
    ap.add_argument("--full", action="store_true", help="execute in full mode (default: fast mode, COURSE_FAST=1)")
    ap.add_argument("--no-execute", dest="run", action="store_false", help="convert without running (no outputs)")
    ap.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default 2)")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds a cell may run")
    args = ap.parse_args(argv)

    started = time.time()
    os.environ["COURSE_FAST"] = "0" if args.full else "1"   # the kernels inherit it
    paths = find_notebooks(args.lesson)
    args.out.mkdir(parents=True, exist_ok=True)
    copy_assets(args.out)
    mode = "full" if args.full else "fast"
    print(f"building {len(paths)} deck(s) in {mode} mode into {args.out}", flush=True)
    failures = []
    # spawn, not fork: a forked nbclient can hang waiting for its kernel
    with ProcessPoolExecutor(max_workers=max(1, min(args.jobs, len(paths))),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {p: pool.submit(build_one, p, args.out, args.run, args.timeout) for p in paths}
        for path, fut in futures.items():
            try:
                deck, secs, widgets = fut.result()
                shown = deck.relative_to(ROOT) if deck.is_relative_to(ROOT) else deck
                print(f"  {shown}  ({secs:.0f} s, {widgets} widget output(s) made static)", flush=True)
            except Exception as exc:  # report every lesson, then fail
                failures.append(path.name)
                print(f"  FAILED {path.name}: {type(exc).__name__}: {str(exc).strip()[:2000]}", file=sys.stderr, flush=True)
    decks = sorted(args.out.glob("*.slides.html"))
    index = write_index(args.out, decks)
    minutes, seconds = divmod(round(time.time() - started), 60)
    print(f"built {len(paths) - len(failures)} of {len(paths)} deck(s) in {minutes} min {seconds} s "
          f"({os.cpu_count()} CPU core(s), --jobs {args.jobs})")
    print(f"open {index} (works offline): each lesson's slide count and a rough talk length, with links")
    if failures:
        print(f"{len(failures)} lesson(s) failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
