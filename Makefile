# `make check` runs exactly what CI runs (after .ci/services.sh).
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export TGHUB_DATABASE_URL ?= postgresql://app:app@127.0.0.1:5432/app
# `make run PORT=8080 HOST=0.0.0.0`; empty here so a PORT in the environment is not taken.
PORT :=
HOST :=

.PHONY: install run test check fuzz fmt fmt-check lint types imports schema schema-diff alembic-check services bench up down

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

alembic-check:
	$(BIN)/alembic upgrade head
	$(BIN)/alembic check

check: fmt-check lint types imports schema-diff alembic-check test

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
