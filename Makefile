# EPA — two commands do everything on a fresh machine:
#   make run    set up, start a local PostgreSQL, load a demo organisation, train, serve the API
#   make test   set up and run the whole test suite against real PostgreSQL (and friends)
# `make help` lists every target. From another directory: make -f path/to/Makefile run.

# The recipes use paths of the checkout: called from elsewhere, run again from there.
ROOT := $(patsubst %/,%,$(dir $(realpath $(firstword $(MAKEFILE_LIST)))))
ifneq ($(realpath $(CURDIR)),$(ROOT))
.PHONY: from-root $(MAKECMDGOALS)
$(or $(firstword $(MAKECMDGOALS)),from-root):
	@$(MAKE) --no-print-directory -C $(ROOT) -f Makefile $(MAKECMDGOALS)
$(wordlist 2,$(words $(MAKECMDGOALS)),$(MAKECMDGOALS)):
	@:
else

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_DATA := .data/postgres
PG_PORT ?= 5433
API_PORT ?= 8000
DEMO_EMPLOYEES ?= 1000
# tasks, restaurant, sales or remote; each profile has a database of its own, so switching
# back and forth keeps every demo as it was.
DEMO_PROFILE ?= tasks
DEMO_DATABASE := $(if $(filter tasks,$(DEMO_PROFILE)),epa,epa_$(DEMO_PROFILE))
DATABASE_URL ?= postgresql://$(DEMO_DATABASE)@127.0.0.1:$(PG_PORT)/$(DEMO_DATABASE)
export DATABASE_URL

.PHONY: help run test test-fast setup db db-stop migrate demo demo-token lint format manifests \
	image bench bench-load clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(VENV)/.installed ## create .venv with the pinned dependencies

# Reinstall whenever the pinned dependencies change.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

db: ## start the local PostgreSQL (on PG_PORT, 5433) and create the demo's database
	./scripts/local-postgres.sh start $(PG_DATA) $(PG_PORT)
	./scripts/local-postgres.sh createdb $(PG_PORT) $(DEMO_DATABASE)

db-stop: ## stop the local PostgreSQL
	./scripts/local-postgres.sh stop $(PG_DATA)

migrate: setup db ## bring the local database's schema up to date
	$(BIN)/python -m worker migrate

demo: migrate ## load a demo organisation (DEMO_PROFILE=tasks|restaurant|sales|remote) and train on it
	$(BIN)/python -m worker seed-demo --employees $(DEMO_EMPLOYEES) --seed 7 --profile $(DEMO_PROFILE)
	$(BIN)/python -m worker run

# An admin token for the demo, readable by you alone; the previous demo token is revoked.
demo-token: migrate ## write an admin token for the demo to .data/demo-token
	@if [ -f .data/demo-token ]; then \
		$(BIN)/python -m worker tokens revoke "$$(cut -d_ -f2 .data/demo-token)" >/dev/null || true; \
	fi
	@umask 077 && $(BIN)/python -m worker tokens create --role admin --name demo > .data/demo-token.new
	@mv .data/demo-token.new .data/demo-token

run: demo demo-token ## set up, load the demo, train and serve the API
	@echo
	@echo "EPA API on http://127.0.0.1:$(API_PORT)  (Ctrl-C to stop; 'make db-stop' stops PostgreSQL)"
	@echo "An admin token is in .data/demo-token (mode 600). In another shell:"
	@echo "  export EPA_TOKEN=\$$(cat .data/demo-token)"
	@echo "  curl -s http://127.0.0.1:$(API_PORT)/readyz"
	@echo "  curl -s -H \"Authorization: Bearer \$$EPA_TOKEN\" http://127.0.0.1:$(API_PORT)/api/v1/models/current"
	@echo "  curl -s -H \"Authorization: Bearer \$$EPA_TOKEN\" 'http://127.0.0.1:$(API_PORT)/api/v1/employees?tier=High&limit=5'"
	@echo "  curl -s -H \"Authorization: Bearer \$$EPA_TOKEN\" http://127.0.0.1:$(API_PORT)/api/v1/employees/E00001"
	@echo "  curl -s -H \"Authorization: Bearer \$$EPA_TOKEN\" http://127.0.0.1:$(API_PORT)/api/v1/departments"
	@echo
	EPA_BIND=127.0.0.1:$(API_PORT) $(BIN)/gunicorn --config python:api.gunicorn_conf 'api:create_app()'

# The container image epa:<version of pyproject.toml>, with docker, podman or buildah
# (whichever is here; without Docker Hub, buildah gets a debootstrap base, made once).
image: ## build the container image epa:<version> (docker, podman or buildah)
	./scripts/build-image.sh

# k8s/: the Helm chart rendered with its default values (a test fails when it is stale).
manifests: setup ## render the Helm chart into k8s/
	$(BIN)/python scripts/render_manifests.py

# helm/epa/README.md's parameters table, from the `## @param` comments of values.yaml (a
# test fails when it is stale). Needs node and npm; the generator's version is pinned here.
README_GENERATOR := @bitnami/readme-generator-for-helm@2.7.2
.PHONY: chart-docs
chart-docs: ## regenerate the chart's values table
	npx --yes $(README_GENERATOR) --values helm/epa/values.yaml --readme helm/epa/README.md

# The README's example responses against the running demo (`make run` in another shell);
# tests/system/test_readme_examples.py fails when they drift.
.PHONY: readme-examples
readme-examples: setup ## check the README's example responses against the running demo (WRITE=1 rewrites the drifted ones)
	EPA_URL=http://127.0.0.1:$(API_PORT) EPA_TOKEN=$$(cat .data/demo-token) \
		$(BIN)/python scripts/readme_examples.py $(if $(WRITE),--write,--check)

lint: setup ## ruff (lint and format check) and import-linter (the layers in pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: setup ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint ## lint, then the whole suite against real PostgreSQL (and friends)
	./scripts/ensure-tools.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The tests that need no database (they carry no `postgres` marker): seconds, not minutes.
test-fast: setup ## the tests that need no database
	$(BIN)/python -m pytest -m "not postgres" $(PYTEST_ARGS)

# Batch and API work beside their bare limits, on a PostgreSQL of its own; not part of
# `make test`. 100k employees by default (about 5 minutes), BENCH_ARGS=--full for 1M.
bench: $(VENV)/.bench-installed ## every benchmark beside its bare limit (BENCH_ARGS=--full: 1M)
	$(BIN)/python -m bench.suite $(BENCH_ARGS)

# Bounded load test of the read API on loopback, with its own PostgreSQL and gunicorn; about
# 3 minutes. Not part of `make test`. Results: docs/performance.md, BENCH_ARGS=--help for options.
bench-load: $(VENV)/.bench-installed ## bounded load test of the read API (about 3 minutes)
	$(BIN)/python -m bench.load $(BENCH_ARGS)

$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

clean: db-stop ## stop PostgreSQL and remove .venv, .data and caches
	rm -rf "$$(./scripts/local-postgres.sh datadir $(PG_DATA))"
	rm -rf $(VENV) .data .pytest_cache .ruff_cache

endif
