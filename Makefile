# nuncio: every target does its own set-up on a fresh machine.
SHELL := /bin/bash
NODE ?= node
TESTS ?= $(shell find dist/test -name '*.test.js' 2>/dev/null | sort)

.PHONY: all install build test test-unit run bench bench-quick clean

all: build

node_modules/.installed: package.json
	npm install --no-audit --no-fund
	@touch $@

install: node_modules/.installed

build: install
	npx tsc -p tsconfig.json

test: build
	$(NODE) --test --test-concurrency=2 $$(find dist/test -name '*.test.js' | sort)

clean:
	rm -rf dist
