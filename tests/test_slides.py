"""Slide tooling without a browser: offline deck builder (slides/build_decks.py) and `make present` (slides/present.py)."""
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "slides"))
import build_decks  # noqa: E402
import present  # noqa: E402

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def _model(name, **state):
    return {"model_name": name, "model_module": "@jupyter-widgets/controls", "state": state}


def _widget_notebook():
    """A notebook whose second cell shows VBox[HBox[Dropdown, IntSlider], Label, Output(png)], as saved by nbclient."""
    state = {
        "box": _model("VBoxModel", children=["IPY_MODEL_row", "IPY_MODEL_label", "IPY_MODEL_out"]),
        "row": _model("HBoxModel", children=["IPY_MODEL_cls", "IPY_MODEL_k"]),
        "cls": _model("DropdownModel", description="class", _options_labels=["T-shirt/top", "Trouser"], index=1),
        "k": _model("IntSliderModel", description="item", value=3),
        "label": _model("LabelModel", value="test item #21: Trouser <dark>"),
        "out": _model("OutputModel", outputs=[{"output_type": "display_data", "metadata": {},
                                                "data": {"image/png": PNG, "text/plain": "<Figure>"}}]),
        "layout": {"model_name": "LayoutModel", "state": {}},
    }
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {build_decks.WIDGET_STATE: {"version_major": 2, "version_minor": 0, "state": state}}
    plain = nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", text="1\n")])
    view = nbformat.v4.new_output("display_data", data={
        build_decks.WIDGET_VIEW: {"model_id": "box", "version_major": 2, "version_minor": 0},
        "text/plain": "VBox(children=(...))"})
    lost = nbformat.v4.new_output("display_data", data={build_decks.WIDGET_VIEW: {"model_id": "gone"}})
    nb.cells = [plain, nbformat.v4.new_code_cell("browser()", outputs=[view]), nbformat.v4.new_code_cell("w", outputs=[lost])]
    return nb


def test_widgets_become_their_last_static_state():
    nb = _widget_notebook()
    assert build_decks.static_widgets(nb, "00") == 2
    assert "widgets" not in nb.metadata, "no widget state left, so nbconvert adds no CDN widget renderer"
    assert nb.cells[0].outputs[0].text == "1\n", "other outputs are kept"
    note, label, image = nb.cells[1].outputs
    html = note.data["text/html"]
    assert "Interactive widget" in html and "make present LESSON=00" in html
    assert "class: Trouser  ·  item: 3" in html
    assert label.data["text/html"] == "<p>test item #21: Trouser &lt;dark&gt;</p>", "label text, escaped"
    assert image.data["image/png"] == PNG, "the Output widget's figure"
    assert "not saved" in nb.cells[2].outputs[0].data["text/html"], "a widget without saved state gets the note only"
    assert len(nb.cells[2].outputs) == 1


def test_static_widgets_leaves_a_notebook_without_widgets_alone():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output("execute_result", data={"text/plain": "1"})])]
    assert build_decks.static_widgets(nb) == 0
    assert nb.cells[0].outputs[0].data == {"text/plain": "1"}


def test_image_widget_buffers_become_a_picture():
    entry = {"model_name": "ImageModel", "state": {"format": "png"},
             "buffers": [{"path": ["value"], "encoding": "base64", "data": PNG}]}
    outputs = []
    build_decks._walk("img", {"img": entry}, [], outputs, set())
    assert outputs[0].data == {"image/png": PNG}


def test_solutions_appear_on_subslides_of_their_own():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\nf()",
                                          metadata={"tags": ["solution"]}),
                nbformat.v4.new_code_cell("y", metadata={"tags": ["solution"], "slideshow": {"slide_type": "skip"}}),
                nbformat.v4.new_code_cell("z")]
    assert build_decks.reveal_solutions(nb) == 1
    assert [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells] == ["subslide", "skip", None]
    assert nb.cells[0].source == "def f():\n    return 1\nf()", "nbgrader's markers are not shown"


def test_find_notebooks_by_lesson_number():
    every = build_decks.find_notebooks()
    assert every and every[0].name == "00_welcome.ipynb"
    assert all(re.fullmatch(r"\d\d_\w+\.ipynb", p.name) for p in every)
    assert build_decks.find_notebooks("0") == build_decks.find_notebooks("00") == [every[0]]
    with pytest.raises(SystemExit, match="no lesson '42'.*00_welcome.ipynb"):
        build_decks.find_notebooks("42")


def test_deck_html_loads_only_local_assets(tmp_path):
    """Without running it: the deck's scripts and style sheets all come from _assets/, no CDN, no Mermaid."""
    src = tmp_path / "01_demo.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Demo\n\n$o = (n - k)/s + 1$", metadata={"slideshow": {"slide_type": "slide"}}),
                nbformat.v4.new_markdown_cell("## Two", metadata={"slideshow": {"slide_type": "slide"}}),
                nbformat.v4.new_markdown_cell("say this", metadata={"slideshow": {"slide_type": "notes"}})]
    nbformat.write(nb, src)
    deck, _, _ = build_decks.build_one(src, tmp_path, run=False)
    html = deck.read_text()
    loaded = re.findall(r"<(?:script|link)[^>]*?(?:src|href)=\"([^\"]+)\"", html)
    loaded += re.findall(r"\"(\S+?/(?:reveal|notes)\.js)\"", html)  # reveal.js and its notes plugin, loaded by RequireJS
    assert len(loaded) >= 6 and all(u.startswith("_assets/") for u in loaded), loaded
    assert "mermaid" not in html.lower()
    assert html.count("<section") >= 2 and '<aside class="notes">' in html


def test_assets_are_copied_with_their_licences(tmp_path):
    assets = build_decks.copy_assets(tmp_path)
    for rel in ("reveal.js/dist/reveal.js", "reveal.js/plugin/notes/notes.js", "reveal.js/dist/theme/white.css",
                "requirejs/require.js", "jquery/jquery.min.js", "mathjax/MathJax.js",
                "mathjax/config/TeX-AMS-MML_HTMLorMML-full.js"):
        assert (assets / rel).is_file(), rel
    for licence in ("reveal.js/LICENSE", "requirejs/LICENSE", "jquery/LICENSE.txt", "mathjax/LICENSE", "README.md"):
        assert (assets / licence).is_file(), licence


def test_present_runs_only_the_leading_skipped_code_cells(tmp_path):
    nb = nbformat.v4.new_notebook()
    skip = {"slideshow": {"slide_type": "skip"}}
    nb.cells = [nbformat.v4.new_markdown_cell("# T", metadata={"slideshow": {"slide_type": "slide"}}),
                nbformat.v4.new_code_cell("import os", metadata=skip),
                nbformat.v4.new_markdown_cell("text", metadata=skip),
                nbformat.v4.new_code_cell("import sys", metadata=skip),
                nbformat.v4.new_code_cell("print(os, sys)"),
                nbformat.v4.new_code_cell("later = 1", metadata=skip)]
    path = tmp_path / "03_x.ipynb"
    nbformat.write(nb, path)
    assert present.setup_cells(path) == ["import os", "import sys"]
    welcome = present.setup_cells(ROOT / "notebooks" / "00_welcome.ipynb")
    assert len(welcome) == 1 and "from course_utils" in welcome[0]


def test_present_profile_turns_the_deck_on_with_large_fonts(tmp_path):
    dirs = present.write_profile(tmp_path / "present")
    settings = dirs["settings"]
    deck = json.loads((settings / "jupyterlab-slideshow" / "plugin.jupyterlab-settings").read_text())
    assert deck == {"active": True}
    fonts = json.loads((settings / "@deathbeds" / "jupyterlab-fonts" / "fonts.jupyterlab-settings").read_text())
    presenting = fonts["styles"]["[data-jp-deck-mode='presenting'] .jp-Notebook"]
    assert int(presenting["--jp-content-font-size1"].rstrip("px")) >= 20
    startup = dirs["ipython"] / "profile_default" / "startup" / "00-course-setup.py"
    compile(startup.read_text(), str(startup), "exec")
    cmd = present.lab_command(ROOT / "notebooks" / "00_welcome.ipynb", dirs, ["--no-browser"])
    assert cmd[1] == "lab" and cmd[2].endswith("00_welcome.ipynb") and cmd[-1] == "--no-browser"
    assert f"--LabApp.user_settings_dir={settings}" in cmd


def test_lab_overrides_are_valid_settings():
    overrides = json.loads(present.OVERRIDES.read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert all(":" in plugin for plugin in overrides)


def test_control_summary_is_short_and_readable():
    assert build_decks._control_text("FloatSliderModel", {"description": "contrast", "value": 1 / 3}) == "contrast: 0.333"
    assert build_decks._control_text("IntRangeSliderModel", {"description": "rows", "value": [2, 9]}) == "rows: 2 to 9"
    assert build_decks._control_text("CheckboxModel", {"description": "flip", "value": True}) == "flip: True"
    # the unlabelled number boxes of a kernel editor say nothing on their own
    assert build_decks._control_text("FloatTextModel", {"description": "", "value": -1 / 9}) is None


def test_progress_bars_become_a_line_of_text():
    state = {
        "bar": _model("HBoxModel", children=["IPY_MODEL_d", "IPY_MODEL_p", "IPY_MODEL_s"]),
        "d": _model("HTMLModel", value="LeNet, own loop: 100%"),
        "p": _model("FloatProgressModel", value=5.0, min=0, max=5.0),
        "s": _model("HTMLModel", value=" 5/5 [00:10&lt;00:00, 2.0batch/s]"),
    }
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {build_decks.WIDGET_STATE: {"state": state}}
    nb.cells = [nbformat.v4.new_code_cell("fit()", outputs=[nbformat.v4.new_output(
        "display_data", data={build_decks.WIDGET_VIEW: {"model_id": "bar"}})])]
    build_decks.static_widgets(nb)
    (out,) = nb.cells[0].outputs
    assert out.output_type == "stream"
    assert out.text == "LeNet, own loop: 100% |" + "█" * 20 + "| 5/5 [00:10<00:00, 2.0batch/s]\n"


def _deck_notebook(path):
    """Two horizontal slides, the first with two subslides; three code cells (one a fragment), one notes cell."""
    md = nbformat.v4.new_markdown_cell
    code = nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    nb.cells = [md("# Pooling", metadata={"slideshow": {"slide_type": "slide"}}),
                code("x = 1"),
                md("Say: the next cell takes 20 s in full mode.", metadata={"slideshow": {"slide_type": "notes"}}),
                md("## Max pooling", metadata={"slideshow": {"slide_type": "subslide"}}),
                code("y = 2", metadata={"slideshow": {"slide_type": "fragment"}}),
                md("## Average pooling", metadata={"slideshow": {"slide_type": "subslide"}}),
                code("import os", metadata={"slideshow": {"slide_type": "skip"}}),
                md("# Summary", metadata={"slideshow": {"slide_type": "slide"}}),
                code("z = 3")]
    nbformat.write(nb, path)
    return path


def test_notes_cells_become_reveal_notes_on_their_slide(tmp_path):
    deck, _, _ = build_decks.build_one(_deck_notebook(tmp_path / "04_demo.ipynb"), tmp_path, run=False)
    html = deck.read_text()
    notes = re.findall(r'<aside class="notes">(.*?)</aside>', html, re.S)
    assert len(notes) == 1 and "takes 20 s in full mode" in notes[0]
    # on the first slide (the title's section), before the first subslide begins
    first_slide = html[html.index("<section"):html.index("Max pooling")]
    assert '<aside class="notes">' in first_slide


def test_deck_stats_count_slides_subslides_and_code(tmp_path):
    deck, _, _ = build_decks.build_one(_deck_notebook(tmp_path / "04_demo.ipynb"), tmp_path, run=False)
    stats = build_decks.deck_stats(deck)
    assert stats["horizontal"] == 2 and stats["subslides"] == 2 and stats["slides"] == 4
    assert stats["code_cells"] == 3, "the skipped cell is not on a slide"
    assert stats["notes"] == 1 and stats["fragments"] == 1
    # 4 slides x 1 min + 3 code cells x 0.5 min = 5.5 min, rounded up to 5-minute steps
    assert stats["minutes"] == 10


def test_index_lists_each_deck_with_counts_talk_length_and_link(tmp_path):
    decks = [build_decks.build_one(_deck_notebook(tmp_path / name), tmp_path, run=False)[0]
             for name in ("04_demo.ipynb", "00_intro.ipynb")]
    page = build_decks.write_index(tmp_path, decks).read_text()
    rows = re.findall(r"<tr><td>(.*?)</tr>", page)
    assert len(rows) == 2 and "00_intro" in rows[0] and "04_demo" in rows[1], "one row per lesson, in order"
    assert '<a href="04_demo.slides.html">04_demo</a>' in rows[1]
    cells = re.findall(r"<td>(.*?)</td>", rows[1])
    assert cells == ["4", "2", "2", "3", "1", "about 10 min"], cells  # slides, horizontal, subslides, code, notes, talk
    assert "1 minute per slide" in page and "30 s per code cell" in page and "20 minutes in all" in page


def test_build_prints_how_long_it_took(tmp_path, monkeypatch, capsys):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    src = _deck_notebook(notebooks / "04_demo.ipynb")
    monkeypatch.setattr(build_decks, "find_notebooks", lambda lesson=None: [src])
    assert build_decks.main(["--no-execute", "--jobs", "1", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"built 1 of 1 deck\(s\) in \d+ min \d+ s", out), out
    assert (tmp_path / "out" / "index.html").is_file() and (tmp_path / "out" / "04_demo.slides.html").is_file()
