# nuncio: every target does its own set-up on a fresh machine (npm packages, Debian packages, build).
SHELL := /bin/bash
NODE ?= node
APT_TEST_PACKAGES := curl prometheus
APT_BENCH_PACKAGES := wrk nghttp2-client nginx-light haproxy curl
# Test files run by `make test` (override: make test TESTS="dist/test/core/router/*.test.js").
TESTS ?=
TEST_CONCURRENCY ?= 2
SERVICE ?= service1
N ?= 3

.PHONY: all install build test run scale bench bench-quick apt-test apt-bench clean lint

all: build

node_modules/.installed: package.json
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	@touch $@

install: node_modules/.installed

build: install
	npx tsc -p tsconfig.json

# Debian packages the tests use (promtool checks /stats/prometheus). Installs only what is missing.
apt-test:
	@./.ci/apt-install $(APT_TEST_PACKAGES)

apt-bench:
	@./.ci/apt-install $(APT_BENCH_PACKAGES)

test: build apt-test
	@files="$(TESTS)"; if [ -z "$$files" ]; then files=$$(find dist/test -name '*.test.js' | sort); fi; \
	$(NODE) --test --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=180000 $$files

# The seed topology on this machine: front proxy on 127.0.0.1:8080/8443/8001, service1 and service2
# each behind a sidecar nuncio, DNS on 127.0.0.1:8053. Ctrl-C stops it.
run: build
	$(NODE) dist/workers/topology/main.js up --service1 $${SERVICE1:-1} --service2 $${SERVICE2:-1}

# While `make run` runs: make scale SERVICE=service1 N=3
scale:
	$(NODE) dist/workers/topology/main.js scale $(SERVICE) $(N)

bench: build apt-bench
	$(NODE) dist/bench/run.js $(if $(SCENARIO),--scenario $(SCENARIO),)

bench-quick: build apt-bench
	$(NODE) dist/bench/run.js --quick

clean:
	rm -rf dist .run
