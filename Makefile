# Two commands to remember: `make lab` (start the course) and `make test` (run every check).
# Both create .venv and install the course on first use; later runs reuse it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=
LESSON ?= 00
PYTEST_ARGS ?=
JOBS ?= 2

# JupyterLab settings the course ships (large fonts while presenting a deck, no news fetch); `make lab`
# and `make present` install them as this environment's defaults, user settings still win.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
# `make slides` builds every lesson unless LESSON is given (LESSON=03); FULL=1 runs them in full mode.
SLIDES_ARGS := $(if $(filter command line environment,$(origin LESSON)),--lesson $(LESSON)) $(if $(FULL),--full)

# The oldest end of the dependency ranges (constraints-oldest.txt) on the oldest supported Python, in a
# separate environment with its own cache, so nothing it trains or decodes is shared with .venv.
# The first working Python 3.10: `python3.10` on the PATH, else one that pyenv installed (its shim may
# refuse to run a version that is not selected). Override with OLDEST_PYTHON=/path/to/python3.10.
OLDEST_PYTHON ?= $(shell for p in python3.10 $$(pyenv root 2>/dev/null)/versions/3.10*/bin/python3.10; do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { echo $$p; break; }; done)
OLDEST_VENV := .venv-oldest
OLDEST_STAMP := $(OLDEST_VENV)/.installed

.PHONY: setup lab test test-oldest bench ship clean help present slides student

help:
	@echo "make lab     install if needed, start JupyterLab on lesson 00 (ARGS='--no-browser --port 8899')"
	@echo "make test    install if needed, run unit tests, every notebook (fast mode) and repo checks"
	@echo "make test-oldest  the same suite with every dependency at the lowest version pyproject.toml allows"
	@echo "make setup   only create .venv and install the course"
	@echo "make present LESSON=03   present a lesson live as slides in JupyterLab (widgets work, offline)"
	@echo "make slides  run every lesson (fast mode) and write offline reveal.js decks to build/slides/ (LESSON=03 for one)"
	@echo "make student the student edition: build/student/NN_name.ipynb (no solutions) + build/cnn-course-student.zip"
	@echo "             grade submissions: .venv/bin/python -m course_utils.grade alice/03_convolution.ipynb ... --csv results.csv"
	@echo "make bench   full-mode benchmarks -> benchmarks/RESULTS.md (ONLY=name for one); retrains the course networks"
	@echo "make ship    copy the networks make bench trained into data/networks (NAMES=vgg for one)"
	@echo "make clean   remove .venv, caches and build output"

setup: $(STAMP)

# Reinstall only when pyproject.toml is newer than the last install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[test]"
	touch $(STAMP)

$(LAB_OVERRIDES): slides/jupyterlab/overrides.json $(STAMP)
	mkdir -p $(dir $@)
	cp slides/jupyterlab/overrides.json $@

lab: $(STAMP) $(LAB_OVERRIDES)
	$(BIN)/jupyter lab notebooks/00_welcome.ipynb $(ARGS)

# Live slides: JupyterLab opens lesson $(LESSON) as a deck (jupyterlab-slideshow); see README, "For instructors".
present: $(STAMP) $(LAB_OVERRIDES)
	$(BIN)/python slides/present.py $(LESSON) $(ARGS)

# Offline decks: build/slides/NN_name.slides.html + build/slides/index.html, openable from disk.
slides: $(STAMP)
	$(BIN)/python slides/build_decks.py $(SLIDES_ARGS)

# Unit tests, repo checks and every notebook (nbval, fast mode) in both editions: the course's and
# the student edition (no solution cells; its own copy, so `make student`'s folder is never touched),
# spread over the CPU cores. The student edition costs as much again as the course's notebooks;
# `make test PYTEST_ARGS=--ignore=build/test-student` leaves it out.
# One math thread per worker: JOBS workers with several OpenMP threads each oversubscribe the
# cores, and small PyTorch models then run many times slower than single-threaded.
# Then the slide decks: tests/test_deck_fit.py builds every lesson's deck from the copy nbval's run left in
# build/executed/ (no lesson runs twice) and measures every slide in Chromium at 1280x720; it runs even when
# the first step failed (a lesson that failed has no copy and is skipped), and either failing fails `make test`.
SUITE := COURSE_FAST=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
DECK_TEST := tests/test_deck_fit.py
SUITE_ARGS := tests notebooks build/test-student --ignore=$(DECK_TEST) --nbval-lax --nbval-current-env -n $(JOBS) --dist loadfile $(PYTEST_ARGS)

test: $(STAMP)
	$(BIN)/python -m course_utils.edition --no-zip --out build/test-student
	$(SUITE) $(BIN)/python -m pytest $(SUITE_ARGS); status=$$?; \
	$(SUITE) $(BIN)/python -m pytest $(DECK_TEST) || status=1; exit $$status

$(OLDEST_STAMP): pyproject.toml constraints-oldest.txt
	@test -n "$(OLDEST_PYTHON)" || { echo "make test-oldest needs Python 3.10 (the oldest the course supports) and found none; set OLDEST_PYTHON=/path/to/python3.10" >&2; exit 1; }
	test -x $(OLDEST_VENV)/bin/python || $(OLDEST_PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install --upgrade pip
	$(OLDEST_VENV)/bin/python -m pip install -c constraints-oldest.txt setuptools
	$(OLDEST_VENV)/bin/python -m pip install -c constraints-oldest.txt -e ".[test]"
	touch $(OLDEST_STAMP)

test-oldest: $(OLDEST_STAMP)
	$(OLDEST_VENV)/bin/python -m course_utils.edition --no-zip --out build/test-student
	$(SUITE) COURSE_CACHE=.cache-oldest $(OLDEST_VENV)/bin/python -m pytest $(SUITE_ARGS); status=$$?; \
	$(SUITE) COURSE_CACHE=.cache-oldest $(OLDEST_VENV)/bin/python -m pytest $(DECK_TEST) || status=1; exit $$status

# The student edition: build/student/NN_name.ipynb, and build/cnn-course-student.zip to hand out
# (the package, data and set-up files with the student notebooks; `make lab` works in it).
student: $(STAMP)
	$(BIN)/python -m course_utils.edition

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(ONLY)

# The shipped networks (data/networks) are written only here, from full-mode checkpoints in .cache
ship: $(STAMP)
	COURSE_FAST=0 $(BIN)/python -m course_utils.zoo ship $(NAMES)

clean:
	rm -rf $(VENV) $(OLDEST_VENV) .cache .cache-oldest build .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
