# The CRM course kit. Quick start: `make course` (run the course) and `make test` (run every test).
# Everything lives in .venv, created on first use; nothing needs to be installed beforehand but Python 3.11+.
# Each target installs the extras it needs (pyproject.toml): the course `course`, JupyterLab `lab`, the tests `test`.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
OUT    ?= build
PYTEST_ARGS ?=
# Extras installed by `make test`; CI adds spark (.ci/run): make test EXTRAS=test,spark
EXTRAS ?= test

.PHONY: help course test lint test-browser lab notebooks data bench exercises clean bytecode

help:
	@echo "make course        set up, then run every chapter on the bundled data and build the course site in $(OUT)/"
	@echo "make test          set up, then run every test (lint, types, doctests, unit, notebooks, wheel, CLI, browser)"
	@echo "make lint          only ruff and mypy (part of make test)"
	@echo "make lab           open JupyterLab on the course"
	@echo "make notebooks     re-execute the stored notebooks in place (deterministic)"
	@echo "make data          regenerate data/ from fixed seeds"
	@echo "make exercises     regenerate the student versions in exercises/"
	@echo "make test-browser  only the real-browser tests (needs Debian's chromium)"
	@echo "make bench         run the speed and scale benchmarks (writes benchmarks/README.md)"

# The packages are installed by uv where it can be installed: the same versions as pip's, in half the time (the
# test extra on a fresh clone: 36-40 s against 80 s), compiled to bytecode as pip does. Otherwise, or if uv fails,
# by pip. INSTALL takes pip's arguments.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet uv || echo "uv could not be installed: the packages are installed by pip"
	$(INSTALL) --upgrade pip

INSTALL := install() { \
	  if [ -x $(BIN)/uv ] && $(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode "$$@"; then :; \
	  else $(PIP) install --quiet "$$@"; fi; }; install

# One stamp per set of extras; a wider set (test includes lab, lab includes course) also stamps the narrower ones.
$(VENV)/.installed-course: pyproject.toml | $(BIN)/python
	$(INSTALL) -e ".[course]"
	touch $@

$(VENV)/.installed-lab: pyproject.toml | $(BIN)/python
	$(INSTALL) -e ".[lab]"
	touch $@ $(VENV)/.installed-course

$(VENV)/.installed-$(EXTRAS): pyproject.toml | $(BIN)/python
	$(INSTALL) -e ".[$(EXTRAS)]"
	touch $@ $(VENV)/.installed-lab $(VENV)/.installed-course

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(INSTALL) -e ".[test,bench]"
	touch $@ $(VENV)/.installed-lab $(VENV)/.installed-course

# The kit's bytecode, written before each run: where PYTHONDONTWRITEBYTECODE is set (CI and container images),
# every kernel and subprocess would compile crmlib from source again (about 0.45 s of CPU for the whole package).
# compileall rewrites only what changed; a stale file is never used (Python compares it with its source).
bytecode: | $(BIN)/python
	$(BIN)/python -m compileall -q crmlib

course: $(VENV)/.installed-course bytecode
	$(BIN)/crmlib course --out $(OUT)

# ruff, mypy and the doctests run inside pytest (tests/test_tooling.py, --doctest-modules), scheduled by xdist
# with everything else.
test: $(VENV)/.installed-$(EXTRAS) bytecode
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: $(VENV)/.installed-$(EXTRAS)
	$(BIN)/ruff check .
	$(BIN)/mypy

test-browser: $(VENV)/.installed-$(EXTRAS) bytecode
	CRM_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -m browser $(PYTEST_ARGS) tests/browser

lab: $(VENV)/.installed-lab bytecode
	$(BIN)/jupyter lab notebooks/

notebooks: $(VENV)/.installed-course bytecode
	$(BIN)/crmlib notebooks

data: $(VENV)/.installed-course bytecode
	$(BIN)/python -m crmlib.datasets data

exercises: $(VENV)/.installed-course bytecode
	$(BIN)/crmlib exercises build

bench: $(VENV)/.installed-bench bytecode
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(OUT) test-output .pytest_cache dist
