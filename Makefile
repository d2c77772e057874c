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

# Debian's chromium for the browser tests (Playwright's own browser download does not work here),
# nginx for checking deploy/'s example site, and the fonts of the LINE rich menu images (Japanese,
# Chinese and Korean from Noto CJK, Thai from TLWG).
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! [ -x /usr/sbin/nginx ] || ! fc-list :lang=th | grep -q . \
	  || ! fc-list :lang=ko | grep -q .; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-thai-tlwg nginx-light; \
	fi

## Re-extract source strings into every catalog (then translate the new entries)
catalogs: $(BIN)/.installed
	$(BIN)/python -m bot.catalogs update

bench: $(BIN)/.installed
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache counselbot.db*
