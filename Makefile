# swarmcast — `make run` starts the demo, `make test` runs the whole suite.
# Both install what they need: a virtualenv (.venv), npm packages (player-shim/node_modules),
# the browser bundle, and for tests Debian's chromium/redis/coturn/nginx (as root).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SHIM   := player-shim
HOST   ?= 127.0.0.1
PORT   ?= 8080
STREAM ?= demo
PYTEST_ARGS ?=

.PHONY: all deps venv node shim system-deps run test test-py test-js lint bench clean

all: deps

deps: venv shim

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

node: $(SHIM)/node_modules/.installed
$(SHIM)/node_modules/.installed: $(SHIM)/package.json $(SHIM)/package-lock.json
	cd $(SHIM) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

SHIM_SOURCES := $(shell find $(SHIM)/src -name '*.ts' 2>/dev/null) $(wildcard $(SHIM)/build.mjs)
shim: node $(SHIM)/dist/.built
$(SHIM)/dist/.built: $(SHIM)/node_modules/.installed $(SHIM_SOURCES)
	@if [ -f $(SHIM)/build.mjs ]; then cd $(SHIM) && npm run --silent build; fi
	mkdir -p $(SHIM)/dist && touch $@

system-deps:
	PYTHON=$(PYTHON) bash scripts/ensure-system-deps.sh

run: deps
	$(BIN)/swarmcast serve --host $(HOST) --port $(PORT) --stream $(STREAM)

test: deps system-deps test-js test-py

test-py: deps
	scripts/in-netns.sh $(BIN)/python -m pytest -ra $(PYTEST_ARGS)

test-js: node
	@if [ -d $(SHIM)/test ]; then cd $(SHIM) && npx tsc --noEmit && npx vitest run; fi

lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy -p swarmcast.protocol -p swarmcast.peer -p swarmcast.signaling -p swarmcast.segmenter \
		-p swarmcast.server -p swarmcast.bench -p swarmcast.e2e
	@if [ -f $(SHIM)/tsconfig.json ]; then cd $(SHIM) && npx tsc --noEmit; fi

bench: deps system-deps
	$(BIN)/swarmcast bench all

clean:
	rm -rf $(VENV) $(SHIM)/node_modules $(SHIM)/dist var
