# CAD-ML Platform — the two commands: `make run` and `make test`.
# Everything CI does is `make test` (see .ci/run).

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

EDGE_VENV := .venv-edge
EDGE_STAMP := $(EDGE_VENV)/.installed

.PHONY: run test test-platform test-edge venv dev services lint format bench clean help

help:  ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12

$(BIN)/python:
	bash scripts/bootstrap-python.sh $(PYTHON) $(VENV)

$(STAMP)-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[all]"
	touch $@

$(STAMP)-dev: pyproject.toml clients/edge_sdk/pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	# the edge SDK too: the platform's tests check that what it sends is what we ingest
	$(BIN)/pip install --quiet -e "clients/edge_sdk[mqtt]"
	touch $@

venv: $(STAMP)-run  ## Create .venv with the platform installed

dev: $(STAMP)-dev  ## Create .venv with the platform and the test tools

run: $(STAMP)-run  ## Install and run the platform with embedded defaults (http://127.0.0.1:8000/docs)
	$(BIN)/cadml serve

services:  ## Install (apt) and start the real services the tests use
	bash scripts/services.sh

test: test-platform test-edge  ## Install, start services, lint, type-check and run every suite

test-platform: $(STAMP)-dev services  ## The platform: lint, types, pytest with real services
	$(BIN)/ruff check src tests bench clients
	$(BIN)/ruff format --check src tests bench clients
	$(BIN)/mypy
	CADML_TEST_REQUIRE_SERVICES=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

# The edge SDK is tested alone, in a clean venv that has never seen `cadml`.
$(EDGE_STAMP): clients/edge_sdk/pyproject.toml | $(BIN)/python
	rm -rf $(EDGE_VENV)
	$(PYTHON) -m venv $(EDGE_VENV)
	$(EDGE_VENV)/bin/pip install --quiet --upgrade pip
	$(EDGE_VENV)/bin/pip install --quiet -e "clients/edge_sdk[inference,mqtt,test]"
	touch $@

test-edge: $(EDGE_STAMP) services  ## The edge SDK alone in a clean venv, 100 % branch coverage
	$(EDGE_VENV)/bin/python -c "import importlib.util as u, sys; sys.exit(u.find_spec('cadml') is not None)"
	cd clients/edge_sdk && CADML_TEST_REQUIRE_SERVICES=1 ../../$(EDGE_VENV)/bin/python -m pytest \
		--cov=cad_ml_edge --cov-branch --cov-report=term-missing --cov-fail-under=100 $(PYTEST_ARGS)

lint: $(STAMP)-dev  ## ruff + mypy on the domain packages
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(STAMP)-dev  ## Format the code
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)-dev  ## Run the benchmarks (figures go to bench/RESULTS.md by hand)
	$(BIN)/python bench/params_flow.py

clean:  ## Remove the venv and local data
	rm -rf $(VENV) $(EDGE_VENV) var .pytest_cache
