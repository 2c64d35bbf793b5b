# The README's commands. `make demo` and `make test` each work on a fresh Debian machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench chromium java clean

$(BIN)/python:
	@rm -rf $(VENV)
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && \
	    rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); \
	  else echo "python3 -m venv failed: install python3-venv (sudo apt-get install python3-venv)"; exit 2; fi; }
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

## demo: install, migrate, seed the synthetic economy and serve on http://127.0.0.1:8000
demo: $(VENV)/.installed
	$(BIN)/greenlane demo

## chromium: Debian's browser for the browser tests (installed when missing and we are root)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium is missing; browser tests will be skipped (sudo apt-get install chromium)"; fi; }

## java: a Java runtime for the Spark leg of the Time Release Study tests (PySpark, local mode)
java:
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless; \
	  else echo "java is missing; the Spark test will fail (sudo apt-get install default-jre-headless)"; fi; }

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src/greenlane/core

## test: lint, type-check the core, run every test (browser tests included)
test: $(VENV)/.installed-dev chromium java lint
	$(BIN)/pytest

## bench: the benchmarks under bench/, results in docs/benchmarks.md
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/synth.py
	$(BIN)/python bench/criteria.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/score.py
	$(BIN)/python bench/rescore.py
	$(BIN)/python bench/model_card.py
	$(BIN)/python bench/trs.py
	$(BIN)/python bench/monitoring.py
	$(BIN)/python bench/assess_api.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/outage.py
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
