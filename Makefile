# Two commands on a fresh machine (Python 3.11 or 3.12 with pip and a C compiler):
#   make demo   - set up .venv and run the bundled example profiles (every profile in full,
#                 then a summary table of them all: the last screen)
#   make test   - set up .venv and run the whole test suite
# The first interpreter that really runs and is 3.11 or 3.12 (pyenv shims may exist but fail).
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
  $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))' 2>/dev/null \
  && { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test quick lint goldens readme screenshots clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "endodecide needs Python 3.11 or 3.12 (durable-rules does not run on 3.13)"; exit 1; }
	@$(PYTHON) -c 'import sys; assert (3, 11) <= sys.version_info[:2] < (3, 13), \
	  f"endodecide needs Python 3.11 or 3.12 (durable-rules does not run on 3.13); found {sys.version.split()[0]}"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/endodecide run profiles/

test: $(STAMP)
	$(BIN)/python -m pytest

# The fast part of the suite (under 30 s): everything not marked slow. CI runs 'make test'.
quick: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

goldens: $(STAMP)
	$(BIN)/python tests/goldens.py

# Rewrite README.md's copy of the demo's summary table from the real output.
readme: $(STAMP)
	$(BIN)/python -m tests.test_cli

# Retake the screenshots the README shows (docs/), from the browser tests.
screenshots: $(STAMP)
	ENDODECIDE_SCREENSHOTS=docs $(BIN)/python -m pytest tests/test_workshop_browser.py tests/test_report_browser.py -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
