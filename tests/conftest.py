"""Shared test settings: fast mode and a private cache, so tests never touch a student's cache."""
import os

os.environ.setdefault("COURSE_FAST", "1")
