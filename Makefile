# nuncio: every target does its own set-up on a fresh machine (npm packages, Debian packages, build).
SHELL := /bin/bash
NODE ?= node
# make test runs the bench smoke test (every peer must run), so it installs the bench's tools too.
APT_TEST_PACKAGES := curl prometheus nginx-light wrk nghttp2-client haproxy
APT_BENCH_PACKAGES := wrk nghttp2-client nginx-light haproxy curl
# Test files run by `make test` (override: make test TESTS="dist/test/core/router/*.test.js").
TESTS ?=
TEST_CONCURRENCY ?= 2
# nuncio on Bun (npm package `bun`): after the Node.js run, `make test` runs the runtime-neutral suites
# (test/core) under `bun test`, and these integration suites again with nuncio started on Bun
# (NUNCIO_TEST_RUNTIME=bun). The others test what only the Node.js engines have (README "Bun").
# BUN_TESTS=0 skips the Bun runs.
BUN := node_modules/.bin/bun
BUN_TESTS ?= 1
BUN_INTEGRATION ?= proxy stats lifecycle retries health membership access-log timeouts streaming port-in-use
SERVICE ?= service1
N ?= 3

.PHONY: all install build test test-bun run scale bench bench-quick apt-test apt-bench clean lint

all: build

node_modules/.installed: package.json
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	@touch $@

install: node_modules/.installed

build: install
	npx tsc -p tsconfig.json
	npx tsc -p tsconfig.bun.json

# Debian packages the tests use (promtool checks /stats/prometheus). Installs only what is missing.
apt-test:
	@./.ci/apt-install $(APT_TEST_PACKAGES)

apt-bench:
	@./.ci/apt-install $(APT_BENCH_PACKAGES)

test: build apt-test
	@files="$(TESTS)"; if [ -z "$$files" ]; then files=$$(find dist/test -name '*.test.js' | sort); fi; \
	status=0; $(NODE) --test --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=180000 $$files || status=1; \
	if [ -z "$(TESTS)" ] && [ "$(BUN_TESTS)" != 0 ]; then $(MAKE) --no-print-directory test-bun || status=1; fi; \
	exit $$status

# The Bun runs alone (after make build).
test-bun:
	@status=0; echo "# bun test: test/core under Bun $$($(BUN) --version)"; \
	$(BUN) test --timeout 180000 dist/test/core || status=1; \
	echo "# integration suites with nuncio on Bun: $(BUN_INTEGRATION)"; \
	NUNCIO_TEST_RUNTIME=bun $(NODE) --test --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=180000 \
	  $(patsubst %,dist/test/integration/%.test.js,$(BUN_INTEGRATION)) || status=1; \
	exit $$status

# The seed topology on this machine: front proxy on 127.0.0.1:8080/8443/8001, service1 and service2
# each behind a sidecar nuncio, DNS on 127.0.0.1:8053. Ctrl-C stops it.
run: build
	$(NODE) dist/workers/topology/main.js up --service1 $${SERVICE1:-1} --service2 $${SERVICE2:-1}

# While `make run` runs: make scale SERVICE=service1 N=3
scale:
	$(NODE) dist/workers/topology/main.js scale $(SERVICE) $(N)

bench: build apt-bench
	$(NODE) dist/bench/run.js $(if $(SCENARIO),--scenario $(SCENARIO),)

# Issue 6's soak: 3 minutes of mixed traffic with upstream restarts, DNS changes and two reloads.
soak: build apt-bench
	$(NODE) dist/bench/run.js --scenario soak

bench-quick: build apt-bench
	$(NODE) dist/bench/run.js --quick

clean:
	rm -rf dist .run
