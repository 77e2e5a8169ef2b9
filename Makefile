# The two commands a newcomer needs: `make demo` and `make test`. Both bootstrap .venv themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test lint typecheck pytest demo demo-reset bench clean venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy bot connectors plays messages store sandbox

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

DEMO_ACCOUNTS ?= 300

demo: $(STAMP)
	$(BIN)/retainer demo --accounts $(DEMO_ACCOUNTS)

demo-reset: $(STAMP)
	$(BIN)/retainer demo --accounts $(DEMO_ACCOUNTS) --reset

bench: $(STAMP)
	$(BIN)/python -m benchmarks.portfolio_load --accounts 100000

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
