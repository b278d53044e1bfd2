# EPA — two commands do everything on a fresh machine:
#   make run    set up, start a local PostgreSQL, load a demo organisation, train, serve the API
#   make test   set up and run the whole test suite against real PostgreSQL (and friends)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_DATA := .data/postgres
PG_PORT ?= 5433
API_PORT ?= 8000
DEMO_EMPLOYEES ?= 1000
DATABASE_URL ?= postgresql://epa@127.0.0.1:$(PG_PORT)/epa
export DATABASE_URL

.PHONY: run test setup db db-stop migrate demo demo-token lint format manifests bench-load clean

setup: $(VENV)/.installed

# Reinstall whenever the pinned dependencies change.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

db:
	./scripts/local-postgres.sh start $(PG_DATA) $(PG_PORT)
	./scripts/local-postgres.sh createdb $(PG_PORT) epa

db-stop:
	./scripts/local-postgres.sh stop $(PG_DATA)

migrate: setup db
	$(BIN)/python -m worker migrate

demo: migrate
	$(BIN)/python -m worker seed-demo --employees $(DEMO_EMPLOYEES) --seed 7
	$(BIN)/python -m worker run

# An admin token for the demo, readable by you alone; the previous demo token is revoked.
demo-token: migrate
	@if [ -f .data/demo-token ]; then \
		$(BIN)/python -m worker tokens revoke "$$(cut -d_ -f2 .data/demo-token)" >/dev/null || true; \
	fi
	@umask 077 && $(BIN)/python -m worker tokens create --role admin --name demo > .data/demo-token.new
	@mv .data/demo-token.new .data/demo-token

run: demo demo-token
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

# k8s/: the Helm chart rendered with its default values (a test fails when it is stale).
manifests: setup
	$(BIN)/python scripts/render_manifests.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: setup
	./scripts/ensure-tools.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Bounded load test of the read API on loopback, with its own PostgreSQL and gunicorn; about
# 3 minutes. Not part of `make test`. Results: docs/performance.md, BENCH_ARGS=--help for options.
bench-load: $(VENV)/.bench-installed
	$(BIN)/python bench/load.py $(BENCH_ARGS)

$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

clean: db-stop
	rm -rf $(VENV) .data .pytest_cache .ruff_cache
