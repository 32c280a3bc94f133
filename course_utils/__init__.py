"""Helpers for the CNN course: data, from-scratch operations, models, training, plots and checks.

Each module has one concern; notebooks import what they need, e.g.
``from course_utils import data, train``. See README.md for the map.
"""

__version__ = "0.1.0"
