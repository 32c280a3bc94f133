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

.PHONY: setup lab test test-unit test-notebooks bench clean help

help:
	@echo "make lab     install if needed, start JupyterLab on lesson 00 (ARGS='--no-browser --port 8899')"
	@echo "make test    install if needed, run unit tests, every notebook (fast mode) and repo checks"
	@echo "make setup   only create .venv and install the course"
	@echo "make bench   full-mode benchmarks -> benchmarks/RESULTS.md (ONLY=name for one)"
	@echo "make clean   remove .venv, caches and build output"

setup: $(STAMP)

# Reinstall only when pyproject.toml is newer than the last install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[test]"
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/00_welcome.ipynb $(ARGS)

# Unit tests, repo checks and every notebook (nbval, fast mode), spread over the CPU cores.
test: $(STAMP)
	COURSE_FAST=1 $(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env \
		-n $(JOBS) --dist loadfile $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(ONLY)

clean:
	rm -rf $(VENV) .cache build .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
