"""Every slide of every offline deck, and of one lesson's live deck (make present), fits a 1280x720 screen
(headless Chromium); speaker notes reach the offline deck's 'S' view.

The lessons are not run again here: nbval's run (the main `make test` step) leaves each lesson with its
outputs in build/executed/ (tests/executed_copies.py), and `make test` runs this file afterwards. Each deck
is built from that copy exactly as `make slides` builds it (widgets made static, solutions on their own
subslide), written to build/test-slides/, and measured with slides/deck_fit.py: every slide visited through
reveal.js with all fragments shown, its content height compared with the height of the slide on screen.
A slide that does not fit fails the lesson's test, which names each such slide (reveal.js number h.v and
title); screenshots of them go to build/screenshots/deck-fit/.

A lesson whose executed copy is missing, or older than the notebook, is skipped with the reason (run the
notebook under nbval first, e.g. `make test`). Without playwright or Chromium every test here is skipped.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "slides"))
import build_decks  # noqa: E402
import deck_fit  # noqa: E402
from executed_copies import ends_with_semicolon, executed_dir, source_digest  # noqa: E402

DECKS = ROOT / "build" / "test-slides"
SHOTS = ROOT / "build" / "screenshots" / "deck-fit"
WHY_NOT = deck_fit.missing()

pytestmark = pytest.mark.skipif(WHY_NOT is not None, reason=f"deck tests skipped: {WHY_NOT}")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = deck_fit.launch(p)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def deck_dir():
    DECKS.mkdir(parents=True, exist_ok=True)
    build_decks.copy_assets(DECKS)
    return DECKS


def executed_copy(lesson: Path) -> Path:
    """The lesson as nbval ran it in this checkout, or skip (with what to do) when there is none."""
    copy = executed_dir() / lesson.name
    if not copy.is_file():
        pytest.skip(f"no executed copy {copy}: run the lesson under nbval first "
                    f"(`make test`, or pytest tests/conftest.py {lesson.relative_to(ROOT)} --nbval-lax --nbval-current-env)")
    stamp = nbformat.read(copy, as_version=4).metadata.get("course_executed", {})
    if stamp.get("source_sha256") != source_digest(lesson):
        pytest.skip(f"{copy} was run from an older {lesson.name}: run the lesson under nbval again")
    return copy


@pytest.mark.parametrize("lesson", build_decks.find_notebooks(), ids=lambda p: p.stem)
def test_every_slide_fits_1280x720(lesson, deck_dir, browser):
    deck, _, _ = build_decks.build_one(executed_copy(lesson), deck_dir, run=False)
    slides = deck_fit.measure_deck(browser, deck, deck_fit.SIZE, shots=SHOTS)
    assert slides, f"{deck.name} has no slides"
    too_tall = [s for s in slides if not s.fits]
    width, height = deck_fit.SIZE
    if too_tall:
        pytest.fail(f"lesson {lesson.stem}: {len(too_tall)} of {len(slides)} slides do not fit {width}x{height} (content "
                    f"taller than the slide by more than {deck_fit.TOLERANCE - 1:.0%}, all fragments shown); split them "
                    f"into subslides or fragments, or move plumbing into skipped cells (screenshots: "
                    f"{SHOTS.relative_to(ROOT)}):\n"
                    + "\n".join(f"  slide {s.number} '{s.title}': {s.ratio:.2f}x the frame, {s.code_lines} code line(s)"
                                for s in too_tall), pytrace=False)


@pytest.mark.parametrize("lesson", build_decks.find_notebooks(), ids=lambda p: p.stem)
def test_executed_copy_shows_no_value_after_a_semicolon(lesson):
    """A cell ending in ';' shows no value in JupyterLab; its copy must not either (nbval's kernel shows it,
    tests/executed_copies.py drops it), or the measured slide shows a figure twice."""
    nb = nbformat.read(executed_copy(lesson), as_version=4)
    shown = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and ends_with_semicolon(cell.source)
             and any(out.output_type == "execute_result" for out in cell.outputs)]
    assert not shown, f"lesson {lesson.stem}: cells {shown} end in ';' and still show their value"


def test_speaker_notes_open_in_the_speaker_view(tmp_path, browser):
    """A cell of slide type 'notes' becomes reveal.js notes: not on the slide, shown by 'S' (the speaker view)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Pooling", metadata={"slideshow": {"slide_type": "slide"}}),
                nbformat.v4.new_markdown_cell("Say: the cell below takes 20 s in full mode.",
                                              metadata={"slideshow": {"slide_type": "notes"}}),
                nbformat.v4.new_markdown_cell("## Next", metadata={"slideshow": {"slide_type": "slide"}})]
    nbformat.write(nb, tmp_path / "09_notes.ipynb")
    build_decks.copy_assets(tmp_path)
    deck, _, _ = build_decks.build_one(tmp_path / "09_notes.ipynb", tmp_path, run=False)
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        page.goto(deck.as_uri())
        page.wait_for_selector(".reveal.ready", timeout=60_000)
        assert "takes 20 s" not in page.inner_text(".reveal .slides section.present"), "notes are not on the slide"
        with page.expect_popup(timeout=30_000) as popup:
            page.keyboard.press("s")
        speaker = popup.value
        speaker.wait_for_selector(".speaker-controls-notes", state="attached", timeout=30_000)
        speaker.wait_for_function("document.querySelector('.speaker-controls-notes .value')"
                                  ".textContent.includes('takes 20 s')", timeout=180_000)  # the previews load the deck twice: slow on a busy machine
        speaker.close()
    finally:
        page.close()


# ---------------------------------------------------------------- the live deck (make present)

LIVE_MEASURE = """() => {
  // the cells the deck shows now, and the height of the scrolling area it shows them in
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
  const on = cells.map((c, i) => [c, i]).filter(([c]) => c.classList.contains('jp-deck-mod-onscreen'));
  if (!on.length) return null;
  let view = on[0][0].parentElement;
  while (view && !['auto', 'scroll'].includes(getComputedStyle(view).overflowY)) view = view.parentElement;
  view = view || document.documentElement;
  const rects = on.map(([c]) => c.getBoundingClientRect()).filter(r => r.height > 0);
  const heading = on.map(([c]) => c.querySelector('h1, h2, h3, h4')).find(h => h);
  return {cells: on.map(([, i]) => i), content: Math.round(Math.max(...rects.map(r => r.bottom)) - Math.min(...rects.map(r => r.top))),
          frame: view.clientHeight, title: heading ? heading.textContent.replace(/¶/g, '').trim().slice(0, 70) : ''};
}"""


def slide_numbers(nb) -> dict[int, str]:
    """Cell index -> 'h.v' for the cells that start a slide or subslide (reveal.js numbering, from 0)."""
    numbers, h, v = {}, -1, 0
    for i, cell in enumerate(nb.cells):
        kind = cell.metadata.get("slideshow", {}).get("slide_type")
        if kind == "slide" or (h < 0 and kind not in ("skip", "notes")):
            h, v = h + 1, 0
        elif kind == "subslide":
            v += 1
        else:
            continue
        numbers[i] = f"{h}.{v}"
    return numbers


def test_live_deck_fits_1280x720(tmp_path, browser):
    """`make present` for a lesson with widgets (04; COURSE_LIVE_LESSON=NN for another): JupyterLab's deck
    (jupyterlab-slideshow) shows the lesson as nbval ran it, widgets drawn from their saved state; every slide,
    stepped through with Space to its last fragment, fits the notebook area of a 1280x720 window."""
    import os

    import present
    import test_browser as tb

    (lesson,) = build_decks.find_notebooks(os.environ.get("COURSE_LIVE_LESSON", "04"))
    copy = executed_copy(lesson)
    root = tmp_path / "present"
    (root / "notebooks").mkdir(parents=True)
    target = root / "notebooks" / lesson.name
    target.write_bytes(copy.read_bytes())
    nb = nbformat.read(target, as_version=4)
    numbers = slide_numbers(nb)
    dirs = present.write_profile(tmp_path / "profile", {"@jupyterlab/docmanager-extension:plugin": {"autosave": False}})
    port = tb.free_port()
    cmd = present.lab_command(target, dirs, tb.server_args(port, tmp_path), root=root)
    env = tb.server_env(tmp_path, IPYTHONDIR=str(dirs["ipython"]))
    with tb.jupyter_server(cmd, port, tmp_path / "present.log", env, timeout=300) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        try:
            page.goto(f"{base}/lab/tree/notebooks/{lesson.name}?token={tb.TOKEN}&reset")
            page.wait_for_selector("[data-jp-deck-mode='presenting']", state="attached", timeout=300_000)
            page.wait_for_selector(".jp-Notebook .jp-Cell.jp-deck-mod-onscreen", timeout=120_000)
            page.wait_for_timeout(3000)  # widgets drawn from the saved state
            tb.shot(page, f"live-{lesson.stem}-first-slide")
            page.locator(".jp-Notebook .jp-Cell").first.click()  # focus the deck (Esc would leave it)
            slides: dict[int, dict] = {}  # first cell of the slide -> its tallest state (all fragments shown)
            last, unchanged = None, 0
            for _ in range(3 * len(nb.cells)):
                now = page.evaluate(LIVE_MEASURE)
                if now:
                    start = max(i for i in numbers if i <= now["cells"][0]) if any(i <= now["cells"][0] for i in numbers) else 0
                    if start not in slides or now["content"] >= slides[start]["content"]:
                        if not now["title"] and start in slides:
                            now["title"] = slides[start]["title"]
                        slides[start] = now
                        if now["content"] > now["frame"] * deck_fit.TOLERANCE:
                            tb.shot(page, f"live-{lesson.stem}-{numbers.get(start, '?')}")
                unchanged = unchanged + 1 if now == last else 0
                if unchanged >= 5:
                    break  # the last slide (or the deck stopped moving)
                if unchanged:
                    page.wait_for_timeout(1000)  # a busy machine: give the deck time to move before giving up
                last = now
                page.keyboard.press("Space")
                page.wait_for_timeout(250)
        finally:
            page.close()
    unseen = [numbers[i] for i in sorted(set(numbers) - set(slides))]
    assert not unseen, f"the live deck of {lesson.name} never showed slide(s) {', '.join(unseen)} (Space stopped moving it)"
    too_tall = {start: s for start, s in slides.items() if s["content"] > s["frame"] * deck_fit.TOLERANCE}
    print(f"\nlive deck {lesson.stem}: {len(slides)} slides measured, {len(too_tall)} taller than the 1280x720 view")
    if too_tall:
        pytest.fail(f"live deck (make present) {lesson.stem}: {len(too_tall)} of {len(slides)} slides do not fit 1280x720 "
                    f"(screenshots: {tb.SHOTS.relative_to(ROOT)}/live-*):\n"
                    + "\n".join(f"  slide {numbers.get(start, '?')} '{s['title']}': {s['content'] / max(s['frame'], 1):.2f}x "
                                f"the view" for start, s in sorted(too_tall.items())), pytrace=False)
