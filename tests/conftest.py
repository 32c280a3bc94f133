"""Shared test settings: fast mode. Fast-mode checkpoints are cached under their own names
(``<recipe>-fast-<fingerprint>``), so they never stand in for a student's full-mode ones."""
import os

os.environ.setdefault("COURSE_FAST", "1")
