# zhili: two commands on a fresh Debian machine with Python 3.11 and Node.js:
#   make demo   set up everything, build the demo district into var/zhili.db, serve http://127.0.0.1:8000
#   make test   set up everything with the test extras and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR_STAMP := zhili/web/static/vendor/.stamp

.PHONY: setup assets demo serve test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

$(VENDOR_STAMP): node_modules/.package-lock.json scripts/vendor_assets.py
	$(BIN)/python scripts/vendor_assets.py

assets: $(BIN)/python $(VENDOR_STAMP)

setup: $(VENV)/.installed assets
	bash scripts/ensure_fonts.sh
	$(BIN)/zhili keys init --if-missing

demo: setup
	$(BIN)/zhili demo --serve

serve: setup
	$(BIN)/zhili serve

test: $(VENV)/.installed-test assets
	bash scripts/ensure_browser.sh
	bash scripts/ensure_fonts.sh
	$(BIN)/ruff check zhili tests benchmarks scripts
	$(BIN)/mypy zhili
	$(BIN)/pytest -n 2

lint: $(VENV)/.installed-test
	$(BIN)/ruff check zhili tests benchmarks scripts

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy zhili

bench: setup
	$(BIN)/python benchmarks/bench_point_lookup.py

clean:
	rm -rf $(VENV) node_modules zhili/web/static/vendor var
