# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := market

.PHONY: run test install test-sqlite test-postgres lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Run the app on the embedded default (SQLite, built-in search, offline payments) with demo data.
run: $(STAMP)
	DEMO_MODE=1 SESSION_COOKIE_SECURE=0 $(BIN)/flask db upgrade
	DEMO_MODE=1 $(BIN)/flask search check --repair
	DEMO_MODE=1 $(BIN)/flask demo seed --if-empty
	DEMO_MODE=1 SESSION_COOKIE_SECURE=0 $(BIN)/flask run --host 127.0.0.1 --port 5000

## The whole suite: SQLite, then PostgreSQL on a throwaway local server.
test: $(STAMP)
	$(BIN)/python tests/services/run_suite.py

## Lint: pyflakes, import order and syntax (ruff, configured in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .

test-sqlite: $(STAMP)
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) instance .pytest_cache
