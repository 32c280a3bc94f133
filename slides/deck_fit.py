"""Does every slide fit the screen? Measure offline decks in headless Chromium at projector size.

Each deck (``NN_name.slides.html``, as `make slides` writes them) is opened from disk at 1280x720 (by
default) with every request to a non-local address blocked. Every slide is visited in turn through
reveal.js with all its fragments shown, and its content height is compared with the height reveal.js
gives the slide on that screen. A slide whose content is taller than that (by more than TOLERANCE) makes
the audience see a cut-off slide until the presenter scrolls: it does not fit.

usage: python slides/deck_fit.py [build/slides | DECK.slides.html ...] [--size 1280x720] [--shots DIR]
Prints one line per slide that does not fit and a summary per deck; exit status 1 if any slide does not fit.
Needs the playwright package and Chromium (/usr/bin/chromium, or COURSE_CHROMIUM=path); no browser is downloaded.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
SIZE = (1280, 720)
TOLERANCE = 1.05  # content up to 5% taller than the frame still counts as fitting (a margin, a rounding)

# reveal.js is loaded by RequireJS in nbconvert's decks, so it is not a global: find it among RequireJS's modules
REVEAL = ("(window.Reveal || (() => { const d = window.require && require.s && require.s.contexts._.defined;"
          " if (!d) return null; const k = Object.keys(d).find(k => /(^|\\/)reveal(\\.js)?$/.test(k));"
          " return k ? d[k] : null; })())")

SETTLE = """async () => {
  // pictures decoded and MathJax done: both change heights
  await Promise.all([...document.images].map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
  if (window.MathJax && MathJax.Hub && MathJax.Hub.Queue) await new Promise(r => MathJax.Hub.Queue(r));
}"""

MEASURE = """async () => {
  const Reveal = %s;
  const frame = () => new Promise(r => requestAnimationFrame(() => r()));
  const slides = [...document.querySelectorAll('.reveal .slides > section')].flatMap(
      s => s.querySelector(':scope > section') ? [...s.querySelectorAll(':scope > section')] : [s]);
  const rows = [];
  for (const s of slides) {
    const idx = Reveal.getIndices(s);
    Reveal.slide(idx.h, idx.v, 1e6);                                  // with every fragment shown
    s.querySelectorAll('.fragment').forEach(f => f.classList.add('visible'));
    await frame();
    const heading = s.querySelector('h1, h2, h3, h4');
    const text = (heading || s).textContent.replace(/\\s+/g, ' ').replace(/¶/g, '').trim().replace(/^In \\[[ 0-9]*\\]:\\s*/, '');
    const code = [...s.querySelectorAll('.jp-CodeCell .jp-InputArea pre')]
        .reduce((n, p) => n + p.textContent.replace(/\\n$/, '').split('\\n').length, 0);
    rows.push({h: idx.h, v: idx.v || 0, title: text.slice(0, 70), titled: !!heading,
               content: s.scrollHeight, frame: s.clientHeight, code_lines: code});
  }
  return rows;
}""" % REVEAL


@dataclass
class SlideFit:
    """One slide as measured: its number (h.v as reveal.js counts, from 0), title and heights in slide pixels."""

    deck: str
    h: int
    v: int
    title: str
    content: int
    frame: int
    code_lines: int

    @property
    def number(self) -> str:
        return f"{self.h}.{self.v}"

    @property
    def ratio(self) -> float:
        return self.content / max(self.frame, 1)

    @property
    def fits(self) -> bool:
        return self.ratio <= TOLERANCE

    def __str__(self) -> str:
        return (f"{self.deck} slide {self.number} '{self.title}': content {self.content} px in a "
                f"{self.frame} px frame ({self.ratio:.2f}x), {self.code_lines} code line(s)")


def missing() -> str | None:
    """Why decks cannot be measured on this machine, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (make setup installs it)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (install it with `apt-get install chromium`; .ci/run does)"
    return None


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])


def measure_deck(browser, deck: Path, size: tuple[int, int] = SIZE, shots: Path | None = None) -> list[SlideFit]:
    """Measure every slide of ``deck``; with ``shots``, save a screenshot of each slide that does not fit there."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "blob:", "about:"))
               else r.abort())
    name = Path(deck).name.removesuffix(".slides.html")
    try:
        page.goto(Path(deck).resolve().as_uri())
        page.wait_for_function(f"() => {{ const R = {REVEAL}; return R && R.isReady && R.isReady(); }}", timeout=60_000)
        page.evaluate(SETTLE)
        rows = [SlideFit(deck=name, **{k: r[k] for k in ("h", "v", "title", "content", "frame", "code_lines")})
                for r in page.evaluate(MEASURE)]
        if shots is not None:
            for r in rows:
                if not r.fits:
                    shots.mkdir(parents=True, exist_ok=True)
                    page.evaluate(f"([h, v]) => {REVEAL}.slide(h, v, 1e6)", [r.h, r.v])
                    page.wait_for_timeout(100)
                    page.screenshot(path=str(shots / f"{name}-{r.h:02d}.{r.v:02d}.png"))
        return rows
    finally:
        page.close()


def measure(decks: list[Path], size: tuple[int, int] = SIZE, shots: Path | None = None) -> dict[Path, list[SlideFit]]:
    """Measure several decks in one browser: {deck: its slides}."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            return {Path(d): measure_deck(browser, d, size, shots) for d in decks}
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("decks", nargs="*", type=Path, default=[Path(__file__).resolve().parent.parent / "build" / "slides"])
    ap.add_argument("--size", default=f"{SIZE[0]}x{SIZE[1]}", help="screen WIDTHxHEIGHT (default 1280x720)")
    ap.add_argument("--shots", type=Path, help="save a screenshot of every slide that does not fit here")
    args = ap.parse_args(argv)
    why = missing()
    if why:
        print(f"cannot measure: {why}", file=sys.stderr)
        return 2
    size = tuple(int(n) for n in args.size.lower().split("x"))
    decks = [d for p in args.decks for d in (sorted(p.glob("*.slides.html")) if p.is_dir() else [p])]
    if not decks:
        print(f"no decks (*.slides.html) in {', '.join(map(str, args.decks))}: run `make slides` first", file=sys.stderr)
        return 2
    bad = 0
    for deck, rows in measure(decks, size, args.shots).items():
        over = [r for r in rows if not r.fits]
        bad += len(over)
        for r in over:
            print(f"  {r}")
        print(f"{deck}: {len(rows)} slides, {len(over)} do not fit {size[0]}x{size[1]}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
