# `make check` runs exactly what CI runs (after .ci/services.sh).
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export TGHUB_DATABASE_URL ?= postgresql://app:app@127.0.0.1:5432/app
# `make run PORT=8080 HOST=0.0.0.0`; empty here so a PORT in the environment is not taken.
PORT :=
HOST :=

.PHONY: install run test check fuzz fmt fmt-check lint types imports schema schema-diff codegen codegen-check alembic-check services bench up down

install:
	python3 -m venv --clear $(VENV)
	$(PY) -m pip install -q --upgrade pip==25.3
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .

run:
	env -u TGHUB_DATABASE_URL $(BIN)/tghub serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

services:
	bash .ci/services.sh

test:
	$(BIN)/pytest -n 2 -q

fmt:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

fmt-check:
	$(BIN)/ruff format --check .

lint:
	$(BIN)/ruff check .

types:
	$(BIN)/mypy .

imports:
	$(BIN)/lint-imports

schema:
	$(BIN)/tghub export-schema --output schema/schema.graphql

schema-diff:
	$(BIN)/tghub export-schema --output - | diff -u schema/schema.graphql - \
	  || (echo "schema/schema.graphql is stale: run 'make schema'" && exit 1)

# TypeScript types for codegen/operations/ (docs/codegen.md). node_modules comes from the lock
# file, again whenever package.json or the lock file is newer than the last install; the
# generation itself reads local files only. codegen-check generates into a temporary folder
# and compares, so it never touches the checked-in output.
CODEGEN_INSTALLED := codegen/node_modules/.package-lock.json

$(CODEGEN_INSTALLED): codegen/package.json codegen/package-lock.json
	@node -e 'if (+process.versions.node.split(".")[0] < 20) { console.error("make codegen needs Node.js 20 or newer, this is " + process.version); process.exit(1) }'
	cd codegen && npm ci --no-audit --no-fund
	touch $@

codegen: $(CODEGEN_INSTALLED)
	cd codegen && node_modules/.bin/graphql-codegen --config codegen.yml
	cd codegen && node_modules/.bin/tsc --project tsconfig.json

codegen-check: $(CODEGEN_INSTALLED)
	@fresh=$$(mktemp -d) && trap 'rm -rf "$$fresh"' EXIT && \
	  (cd codegen && TGHUB_CODEGEN_OUT="$$fresh/generated" node_modules/.bin/graphql-codegen --config codegen.yml >"$$fresh/log" 2>&1 \
	    || (cat "$$fresh/log" && exit 1)) && \
	  if ! diff -ru codegen/generated "$$fresh/generated" >"$$fresh/diff"; then \
	    head -n 60 "$$fresh/diff" | cut -c 1-300; \
	    echo "codegen/generated is stale: run 'make codegen'"; exit 1; \
	  fi
	cd codegen && node_modules/.bin/tsc --project tsconfig.json

alembic-check:
	$(BIN)/alembic upgrade head
	$(BIN)/alembic check

check: fmt-check lint types imports schema-diff codegen-check alembic-check test

# schemathesis against a real API process: /graphql (tests/fuzz/graphql.py), then the legacy
# REST document /openapi.json (tests/fuzz/rest.py).
fuzz:
	$(PY) -m tests.fuzz.graphql
	$(PY) -m tests.fuzz.rest

bench:
	$(PY) -m tests.bench.graphql_overhead

up:
	docker compose -f docker/compose.yaml up -d --build

down:
	docker compose -f docker/compose.yaml down
