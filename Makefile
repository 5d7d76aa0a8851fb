# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
# pytest-xdist workers for `make test` (each has its own PostgreSQL database, see tests/conftest.py)
TEST_WORKERS ?= auto

.PHONY: run test install install-test translations lint check-migrations bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs the project and compiles the message catalogs (the .mo files are never committed).
install: $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/pybabel compile --use-fuzzy -d returnees/translations >/dev/null

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/pybabel compile --use-fuzzy -d returnees/translations >/dev/null

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --refresh
	@echo ""
	@echo "  returnees is running at http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	@echo "  database: instance/returnees.sqlite3; messages: the simulated gateway"
	@echo ""
	$(BIN)/flask serve --host $(HOST) --port $(PORT)

lint: install-test
	$(BIN)/ruff check returnees tests bench migrations wsgi.py config

# Builds a fresh SQLite schema from the migrations and fails if the models say otherwise.
check-migrations: install-test
	@rm -f $(VENV)/migration-check.sqlite3
	DATABASE_URL=sqlite:///$(CURDIR)/$(VENV)/migration-check.sqlite3 $(BIN)/flask db upgrade
	DATABASE_URL=sqlite:///$(CURDIR)/$(VENV)/migration-check.sqlite3 $(BIN)/flask db check
	@rm -f $(VENV)/migration-check.sqlite3

test: lint check-migrations
	$(BIN)/pytest -n $(TEST_WORKERS)

# Re-extract the strings and merge them into the Spanish catalog; then translate the new ones.
translations: install-test
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -o returnees/translations/messages.pot \
		--no-location --sort-output --omit-header --width 100 .
	$(BIN)/pybabel update -i returnees/translations/messages.pot -d returnees/translations \
		--no-fuzzy-matching --ignore-obsolete --width 100

bench: install-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
