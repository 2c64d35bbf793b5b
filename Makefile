# The README's commands. `make demo` and `make test` each work on a fresh Debian machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench chromium java fonts xmlsec1 messages clean

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
demo: $(VENV)/.installed fonts
	$(BIN)/greenlane demo

## chromium: Debian's browser for the browser tests (installed when missing and we are root)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium is missing; browser tests will be skipped (sudo apt-get install chromium)"; fi; }

## fonts: Noto CJK, so that PDF reports in Korean and Chinese show their glyphs (docs/i18n.md)
fonts:
	@fc-list 2>/dev/null | grep -q "Noto Sans CJK" || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk; \
	  else echo "fonts-noto-cjk is missing; Korean and Chinese PDFs will show boxes (sudo apt-get install fonts-noto-cjk)"; fi; }

## xmlsec1: libxmlsec1's command, the standard XML-signature verifier the origin tests check with
xmlsec1:
	@command -v xmlsec1 >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xmlsec1; \
	  else echo "xmlsec1 is missing; one origin test will be skipped (sudo apt-get install xmlsec1)"; fi; }

## messages: collect the interface's strings into the .po files and compile them (docs/i18n.md)
messages: $(VENV)/.installed-dev
	cd src/greenlane && ../../$(BIN)/django-admin makemessages --settings=greenlane.settings \
	  --no-obsolete --add-location file -l ko -l es -l zh_Hans --ignore 'cli/*'
	cd src/greenlane && ../../$(BIN)/django-admin compilemessages --settings=greenlane.settings

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
test: $(VENV)/.installed-dev chromium java fonts xmlsec1 lint
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
