# The quick start: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test test-fast lint typecheck pytest bench clean venv i18n

# Debian's python3 may lack ensurepip (package python3-venv): then make the venv without
# pip and let the system's pip put pip into it; last resort, virtualenv from PyPI.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV) \
	  || { rm -rf $(VENV) && $(PYTHON) -m venv --without-pip $(VENV) \
	       && $(PYTHON) -m pip --python $(BIN)/python install --quiet pip; } \
	  || { rm -rf $(VENV) && $(PYTHON) -m pip install --user --quiet --break-system-packages virtualenv \
	       && $(PYTHON) -m virtualenv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.run-installed $@

venv: $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/coworkbot run $(ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check coworkbot bot handlers storage locales tools tests $(wildcard bench)
	$(BIN)/ruff format --check coworkbot bot handlers storage locales tools tests $(wildcard bench)

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

pytest: $(VENV)/.test-installed
	$(BIN)/pytest $(ARGS)

test: lint typecheck pytest

# The quick loop while you work: everything but the Synapse, HTTP, crash, fuzz and PostgreSQL tests
# (pytest markers, see pyproject.toml), with the test databases in memory when the
# machine has /dev/shm (SQLite's fsyncs cost nothing there). `make test` runs it all.
FAST_MARKERS := not synapse and not http and not crash and not fuzz and not browser and not postgresql
FAST_TMP := $(if $(wildcard /dev/shm/.),/dev/shm,$(or $(TMPDIR),/tmp))

test-fast: lint typecheck
	@tmp=$$(mktemp -d $(FAST_TMP)/coworkbot-test-fast.XXXXXX) && \
	  { $(BIN)/pytest -m "$(FAST_MARKERS)" --basetemp=$$tmp/pytest $(ARGS); \
	    status=$$?; rm -rf $$tmp; exit $$status; }

# The message catalogs in locales/: move message dicts still in Python there, write the
# template, bring every language up to date with English, compile and count (tools/i18n.py).
i18n: $(VENV)/.test-installed
	$(BIN)/python tools/i18n.py $(ARGS)

bench: $(VENV)/.test-installed
	$(BIN)/python -m bench.run $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
