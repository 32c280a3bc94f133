"""course_utils.design.design_report and the lesson-07 design widget's page (widgets.vgg)."""
import pytest

from course_utils.design import design_report
from course_utils.memory import format_bytes
from course_utils.summary import receptive_field


def test_design_report_numbers():
    report = design_report(blocks=2, convs_per_block=2, width=16, fc_layers=1, batch_size=32, optimizer="adam")
    assert report.params == sum(p.numel() for p in report.model.parameters())
    assert report.final_map == (32, 7, 7)
    assert report.receptive_field == receptive_field([(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2)]) == 16
    assert report.memory.total_bytes == report.table.memory(32, "adam").total_bytes
    assert any("first FC layer" in n for n in report.notes)
    assert "parameters" in str(report)


def test_design_report_notes_odd_sizes():
    report = design_report(blocks=3, convs_per_block=1, width=8)
    assert report.final_map == (32, 3, 3)
    assert any("odd size 7" in n for n in report.notes)


def test_design_report_invalid_designs():
    with pytest.raises(ValueError, match=r"block 5's 2x2 pooling gets a 1x1 map.*28 -> 14 -> 7 -> 3 -> 1.*at most 4"):
        design_report(blocks=5, convs_per_block=2, width=8)
    with pytest.raises(ValueError, match="width must be"):
        design_report(blocks=2, convs_per_block=2, width=0)
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'; choose one of"):
        design_report(blocks=2, convs_per_block=2, width=8, optimizer="lbfgs")
    assert design_report(blocks=6, convs_per_block=1, width=8, pool=False).final_map == (256, 28, 28)


def test_design_html_shows_the_numbers():
    from course_utils.widgets.vgg import INPUT_SIZES, design_explorer, design_html

    page = design_html(blocks=3, convs_per_block=2, width=32, pool=True, fc_layers=1, batch_size=64,
                       optimizer="sgd_momentum")
    report = design_report(3, 2, 32, True, 1, batch_size=64, optimizer="sgd_momentum")
    assert f"{report.params:,}" in page
    assert f"{report.receptive_field} x {report.receptive_field} pixels" in page
    assert format_bytes(report.memory.total_bytes) in page and "parameters x3" in page
    compact_table = '<table style="font-size:15px">'   # the page fits a slide under the widget's controls
    assert "odd size 7" in page and compact_table in page
    for shape in INPUT_SIZES.values():
        assert compact_table in design_html(4, 2, 16, True, 1, shape)
    assert design_explorer().children  # builds without a browser


def test_design_html_explains_invalid_designs():
    from course_utils.widgets.vgg import design_html

    page = design_html(blocks=6, convs_per_block=1, width=8, pool=True, fc_layers=1)
    assert "cannot be built" in page and "1x1 map" in page and "<table>" not in page
