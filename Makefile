# The one entry point. Every target bootstraps what it needs (a .venv, node_modules).
SHELL := /bin/bash
HOST ?= 127.0.0.1
PORT ?= 8000
ARGS ?=
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.8
PY_READY := $(VENV)/.synced
TS := clients/ts
NODE_READY := $(TS)/node_modules/.installed
VIEWER := $(TS)/dist/viewer/viewer.js

.PHONY: gen check-gen check-compat release-schema run cluster test test-fast check wheel bench clean

$(PY_READY): pyproject.toml uv.lock
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(VENV)/bin/uv sync --frozen --inexact --quiet
	@touch $@

$(NODE_READY): $(TS)/package.json $(TS)/package-lock.json
	cd $(TS) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

gen: $(PY_READY) $(NODE_READY)
	$(PY) -m spine_ws.codegen

check-gen: $(PY_READY) $(NODE_READY)
	$(PY) -m spine_ws.codegen --check

# The breaking-change gate: schema/ against released/ (docs/evolution.md, Changing a message).
check-compat: $(PY_READY)
	$(PY) -m spine_ws.codegen.compat

# Keep this protocol_version's contract for good: released/<version>/ gets the bundle and
# the TypeScript client as packed now. Once per version; never edit what it writes.
release-schema: $(PY_READY) $(VIEWER) check-gen
	$(PY) -m spine_ws.codegen.compat --release

# The browser test drives Debian's chromium (`npx playwright install` cannot download here).
# The one installer of it: .ci/run relies on this target too.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian chromium for the browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	else echo "the browser test needs $(CHROMIUM): sudo apt-get install chromium" >&2; exit 1; fi

# The proxy test puts Debian's nginx in front of the server, with a certificate it makes
# with the openssl binary (the venv has no `cryptography`). Debian's package may start its
# own nginx on port 80 where services can start (not in containers, whose policy-rc.d
# refuses); the test never uses that one, it runs its own on a free port.
NGINX := /usr/sbin/nginx
$(NGINX):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian nginx (and openssl) for the proxy test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends nginx openssl >/dev/null; \
	else echo "the proxy test needs $(NGINX) and openssl: sudo apt-get install nginx openssl" >&2; exit 1; fi

$(VIEWER): $(NODE_READY) $(wildcard $(TS)/src/*.ts $(TS)/src/gen/*.ts $(TS)/viewer/*)
	cd $(TS) && npm run --silent build

run: $(PY_READY) $(VIEWER)
	$(VENV)/bin/spine-ws serve --host $(HOST) --port $(PORT) $(ARGS)

# A cluster on this machine: NATS (JetStream in a temporary folder), a simulation host
# on PORT and two gateways on the next two ports; Ctrl-C stops them all.
cluster: $(PY_READY) $(VIEWER)
	$(PY) -m spine_ws.cluster.local --port $(PORT) $(ARGS)

# Everything, then the /ws end-to-end suite again on the ASGI fallback transport (a test
# that can only hold on the fast path would be marked fast_path and skipped there), then
# TypeScript. pytest-xdist runs a module's tests on one worker (--dist loadfile), so a
# module's server starts once. The wall time is printed, pass or fail.
XDIST := -n auto --dist loadfile
test: $(PY_READY) $(VIEWER) $(CHROMIUM) $(NGINX)
	@start=$$(date +%s); status=0; \
	$(PY) -m pytest $(XDIST) || status=$$?; \
	[ $$status = 0 ] && { $(PY) -m pytest tests/e2e --transport asgi -q $(XDIST) || status=$$?; }; \
	[ $$status = 0 ] && { (cd $(TS) && npm test --silent) || status=$$?; }; \
	echo "make test: $$(( $$(date +%s) - start )) s wall time ($$( [ $$status = 0 ] && echo passed || echo FAILED))"; \
	exit $$status

# The inner loop, after every edit: unit and contract tests that start no other program
# (--no-processes fails one that does; the full run has those, marked `tooling`).
test-fast: $(PY_READY)
	@start=$$(date +%s); status=0; \
	$(PY) -m pytest tests/unit tests/contract -q -rfE -m "not slow and not tooling" --no-processes || status=$$?; \
	echo "make test-fast: $$(( $$(date +%s) - start )) s wall time"; exit $$status

check: $(PY_READY) $(NODE_READY) check-gen check-compat
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy --strict server/ tests/
	cd $(TS) && npm run --silent typecheck
	$(MAKE) --no-print-directory -C examples/route-sim check

# The installable package (schemas and viewer inside) in dist/.
wheel: $(PY_READY) $(VIEWER)
	$(VENV)/bin/uv build --wheel --out-dir dist

bench: $(PY_READY) $(VIEWER) $(CHROMIUM)
	$(PY) -m bench $(ARGS)

clean:
	rm -rf $(VENV) dist $(TS)/node_modules $(TS)/dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
