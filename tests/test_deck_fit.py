"""Every slide of every offline deck fits a 1280x720 screen (headless Chromium), and speaker notes reach the 'S' view.

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
from executed_copies import executed_dir, source_digest  # noqa: E402

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
        pytest.fail(
        f"lesson {lesson.stem}: {len(too_tall)} of {len(slides)} slides do not fit {width}x{height} (content taller "
        f"than the slide by more than {deck_fit.TOLERANCE - 1:.0%}, all fragments shown); split them into subslides "
        f"or fragments, or move plumbing into skipped cells (screenshots: {SHOTS.relative_to(ROOT)}):\n"
        + "\n".join(f"  slide {s.number} '{s.title}': {s.ratio:.2f}x the frame, {s.code_lines} code line(s)"
                    for s in too_tall), pytrace=False)


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
