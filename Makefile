# Two commands on a fresh machine: `make run` and `make test`. Both set up what they need,
# installing exactly the versions in uv.lock; `make lock` updates that file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
UV_VERSION := 0.13.9
UV := $(BIN)/uv
# uv works on this venv, with this venv's Python: never one it would download.
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test lint bench chromium postgresql java lock wheel-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# uv itself, at a pinned version, inside the venv (uv sync leaves it there).
$(VENV)/.uv-$(UV_VERSION): | $(BIN)/python
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	touch $@

# Reinstall only when the dependencies change. --locked refuses a uv.lock that no longer
# matches pyproject.toml (run `make lock`); the project itself is installed editable.
$(VENV)/.run-installed: pyproject.toml uv.lock | $(VENV)/.uv-$(UV_VERSION)
	$(UV) sync --locked --inexact --quiet
	touch $@

$(VENV)/.dev-installed: pyproject.toml uv.lock | $(VENV)/.uv-$(UV_VERSION)
	$(UV) sync --locked --extra dev --quiet
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	@echo "Opening the app on the bundled synthetic sample: http://localhost:$(PORT)"
	$(BIN)/streamlit run streamlit_app.py --server.port $(PORT)

chromium:
	@bash .ci/install-chromium

# The workspace tests start their own throwaway PostgreSQL cluster from Debian's binaries.
postgresql:
	@bash .ci/install-postgresql

# The Spark engine's tests run Spark in local mode: Debian's Java 17 runtime where it is missing.
java:
	@bash .ci/install-java

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(VENV)/.dev-installed chromium postgresql java lint
	$(BIN)/pytest -n 2 --dist loadfile  # two workers, a test file to each: module fixtures run once

# Builds the wheel and runs the command line from it in a fresh venv outside the repository.
wheel-check: $(VENV)/.uv-$(UV_VERSION)
	UV=$(UV) PYTHON=$(PYTHON) bash .ci/wheel-check

# `make lock` after editing the dependencies; `make lock UPGRADE=1` moves every pin to the
# newest release the floors allow.
lock: | $(VENV)/.uv-$(UV_VERSION)
	$(UV) lock $(if $(UPGRADE),--upgrade)

# `make bench BENCH_ARGS="--dir DIR"` keeps the generated files for another run.
bench: $(VENV)/.dev-installed
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
