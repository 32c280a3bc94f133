"""tests/executed_copies.py keeps a lesson as JupyterLab shows it: a value after a trailing ';' is not shown."""
import pytest
from executed_copies import ends_with_semicolon


@pytest.mark.parametrize("source, quiet", [
    ('plots.plot_history(h, title="curves");', True),
    ('x = 1\nplots.show_images(x,\n                  title="a");  # the figure only', True),
    ('plots.plot_history(h, title="curves")', False),
    ('print("a;")', False),
    ('x = 1;\ny = 2', False),
    ("%matplotlib inline", False),
    ("f(", False),        # an unfinished cell: the kernel raises, nothing to hide
    ("", False),
])
def test_a_trailing_semicolon_hides_the_value(source, quiet):
    assert ends_with_semicolon(source) is quiet
