# Verbs only; all tool configuration lives in pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= config/gateway.toml

.DEFAULT_GOAL := all
.PHONY: all install run test lint format mypy pytest bench chaos clean

all: test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/ocpi-gateway serve --config $(CONFIG)

lint: $(STAMP)
	$(BIN)/ruff check ocpi_gateway tests bench
	$(BIN)/ruff format --check ocpi_gateway tests bench
	$(BIN)/hadolint Dockerfile

format: $(STAMP)
	$(BIN)/ruff format ocpi_gateway tests bench
	$(BIN)/ruff check --fix ocpi_gateway tests bench

mypy: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint mypy pytest

# Loopback benchmarks (bounded): BENCH_ARGS=--quick for a short run. Figures: docs/benchmarks.md
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# The chaos test of issue 17, longer (CHAOS_SECONDS, CHAOS_NODES); figures go to docs/benchmarks.md.
CHAOS_SECONDS ?= 120
CHAOS_NODES ?= 3
chaos: $(STAMP)
	CHAOS_SECONDS=$(CHAOS_SECONDS) CHAOS_NODES=$(CHAOS_NODES) CHAOS_REPORT=docs/benchmarks.md \
		$(BIN)/pytest tests/multinode/test_chaos.py -k lose -s -q --timeout=0

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis *.egg-info
