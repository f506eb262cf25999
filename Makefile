# Quick start on a fresh machine: `make demo`, then `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo bench lint lock clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

bench: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

# The action's hashed locks (action/requirements-*.txt): publishing only, and publishing plus
# authoring; universal, so one file serves CPython 3.11 to 3.13 on every runner.
UV_COMPILE = $(BIN)/uv pip compile -q pyproject.toml action/build.in --universal \
	--python-version 3.11 --generate-hashes --custom-compile-command "make lock"
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet "uv>=0.9"
	$(UV_COMPILE) -o action/requirements-publish.txt
	$(UV_COMPILE) --extra author -o action/requirements-author.txt

clean:
	rm -rf $(VENV) dist build .pytest_cache .demo
