# assetgraph: the two commands are `make demo` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export ASSETGRAPH_DATA_DIR ?= $(CURDIR)/.data
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= 2

.PHONY: demo serve install dev test lint format typecheck importlint migrations-check pytest pytest-engine pytest-django coverage e2e bench vendor clean schemathesis

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# python-ldap (the ldap extra) compiles against libldap2-dev and libsasl2-dev: without them
	# the directory tests skip locally (CI installs the headers and requires them).
	$(BIN)/python -m pip install --quiet -e '.[ldap]' || echo "note: python-ldap did not build (apt-get install libldap2-dev libsasl2-dev); the directory tests will skip"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

## make demo: install, migrate, load the demo company, serve at http://$(HOST):$(PORT)
demo: install
	$(BIN)/assetgraph demo
	$(BIN)/assetgraph serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/assetgraph serve --host $(HOST) --port $(PORT)

## make test: lint, format check, types, import contracts, migrations check, then the suite.
## `make test TEST_SCOPE=database` runs only what depends on the database (the migrations check
## and the Django suite): CI's second pass, on PostgreSQL, after a whole `make test` on SQLite.
ifeq ($(TEST_SCOPE),database)
test: dev migrations-check pytest-django
else
test: dev lint typecheck importlint migrations-check pytest
endif

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: dev
	$(BIN)/mypy

importlint: dev
	$(BIN)/lint-imports

migrations-check: dev
	ASSETGRAPH_DATA_DIR=$(CURDIR)/.data/check $(BIN)/assetgraph manage makemigrations --check --dry-run

pytest: pytest-engine pytest-django

# The pure graph engine's tests run without Django (ARCHITECTURE rule 5), so without a database.
pytest-engine: dev
	$(BIN)/pytest tests/graph -p no:django -q -n $(PYTEST_WORKERS) -W ignore::pytest.PytestConfigWarning

pytest-django: dev
	ASSETGRAPH_DATA_DIR=$(CURDIR)/.data/test $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -q --ignore=tests/graph

## make coverage: the Django suite with line coverage (report in the terminal and htmlcov/)
coverage: dev
	ASSETGRAPH_DATA_DIR=$(CURDIR)/.data/test $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -q --ignore=tests/graph \
		--cov --cov-report=term:skip-covered --cov-report=html

e2e: dev
	ASSETGRAPH_DATA_DIR=$(CURDIR)/.data/test $(BIN)/pytest -q tests/e2e

## make schemathesis: every check, every phase (stateful included) against a real server, ~4 min
schemathesis: dev
	$(BIN)/python scripts/schemathesis_run.py

## make bench: side-by-side benchmarks (never part of make test)
bench: dev
	$(BIN)/python benchmarks/run.py

vendor:
	$(PYTHON) scripts/vendor_assets.py

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
