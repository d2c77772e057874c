# counselbot: `make run` sets up and runs the bot; `make test` sets up and runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint pytest browser setup catalogs dev-db bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

setup: $(BIN)/.installed

## Run the bot on SQLite with demo data: web chat at http://127.0.0.1:8080/, console at /console
run: $(BIN)/.installed
	$(BIN)/counselbot serve --demo

## Every test: lint, types, and pytest on SQLite, PostgreSQL and in Debian's chromium
test: $(BIN)/.installed browser
	$(BIN)/ruff check bot storage tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check bot storage tests bench
	$(BIN)/ruff format --check bot storage tests bench
	$(BIN)/mypy

pytest: $(BIN)/.installed
	$(BIN)/pytest -q

# Debian's chromium for the browser tests (Playwright's own browser download does not work here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; fi; }

## Re-extract source strings into every catalog (then translate the new entries)
catalogs: $(BIN)/.installed
	$(BIN)/python -m bot.catalogs update

bench: $(BIN)/.installed
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache counselbot.db*
