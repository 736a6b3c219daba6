# The CRM course kit. Quick start: `make course` (run the course) and `make test` (run every test).
# Everything lives in .venv, created on first use; nothing needs to be installed beforehand but Python 3.11+.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
OUT    ?= build
PYTEST_ARGS ?=
# Extras installed by `make test`; CI adds spark (.ci/run): make test EXTRAS=test,spark
EXTRAS ?= test

.PHONY: help course test test-browser lab notebooks data bench exercises clean

help:
	@echo "make course        set up, then run every chapter on the bundled data and build the course site in $(OUT)/"
	@echo "make test          set up, then run every test (unit, notebooks, papermill, CLI, browser if present)"
	@echo "make lab           open JupyterLab on the course"
	@echo "make notebooks     re-execute the stored notebooks in place (deterministic)"
	@echo "make data          regenerate data/ from fixed seeds"
	@echo "make exercises     regenerate the student versions in exercises/"
	@echo "make test-browser  only the real-browser tests (needs Debian's chromium)"
	@echo "make bench         run the speed and scale benchmarks (writes benchmarks/README.md)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e ".[lab,course]"
	touch $@

$(VENV)/.installed-$(EXTRAS): pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e ".[$(EXTRAS)]"
	touch $@ $(VENV)/.installed-base

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e ".[test,bench]"
	touch $@ $(VENV)/.installed-base

course: $(VENV)/.installed-base
	$(BIN)/crmlib course --out $(OUT)

test: $(VENV)/.installed-$(EXTRAS)
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

test-browser: $(VENV)/.installed-$(EXTRAS)
	CRM_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -m browser $(PYTEST_ARGS) tests/browser

lab: $(VENV)/.installed-base
	$(BIN)/jupyter lab notebooks/

notebooks: $(VENV)/.installed-base
	$(BIN)/crmlib notebooks

data: $(VENV)/.installed-base
	$(BIN)/python -m crmlib.datasets data

exercises: $(VENV)/.installed-base
	$(BIN)/crmlib exercises build

bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(OUT) test-output .pytest_cache
