# Every target sets itself up: a fresh clone needs only Python 3.11 and make.
# The portal starts as production unless told otherwise: the tools here say "development",
# `make run` says "embedded" (the demo) and the tests say "test" (portal/settings_test.py).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV := PORTAL_ENV=development

.PHONY: run demo-code test topology bench bench-http bench-data lint architecture typecheck check-migrations schema messages clean

# The JavaScript the browser tests inject into pages (axe-core), and the OpenID Connect
# provider the tests of staff sign-in through it start (oidc-provider on Node), each pinned in
# its package-lock.json.
BROWSER_JS := tests/browser/node_modules
OIDC_JS := tests/oidc/node_modules

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

$(BROWSER_JS): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund
	touch $(BROWSER_JS)

$(OIDC_JS): tests/oidc/package.json tests/oidc/package-lock.json
	npm ci --prefix tests/oidc --no-audit --no-fund
	touch $(OIDC_JS)

messages: $(STAMP)
	$(DEV) $(PY) manage.py compilemessages --ignore=$(VENV) --ignore=tests -v 0

## Run the portal: embedded SQLite and Redis, a Celery worker and beat, demo data.
run: messages
	PORTAL_ENV=embedded $(PY) -m portal.embedded

## The second-factor code the demo staff accounts sign in with right now (the demo key).
demo-code: $(STAMP)
	@$(DEV) $(PY) manage.py demo_code

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## The dependency rule of docs/architecture.md (import-linter contracts in pyproject.toml).
architecture: $(STAMP)
	$(VENV)/bin/lint-imports

## Type hints of services/ and portal/ (mypy with the Django and DRF plugins).
typecheck: $(STAMP)
	$(VENV)/bin/mypy

check-migrations: $(STAMP)
	$(DEV) $(PY) manage.py makemigrations --check --dry-run

schema: $(STAMP)
	$(DEV) $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

## The whole test suite: lint, the import contracts, types, migrations, the OpenAPI schema, the browser
## tests' axe-core and the local OpenID Connect provider (npm ci), then pytest with branch coverage (a
## table of what no test ran). Chromium and nginx come from Debian when missing.
test: messages lint architecture typecheck check-migrations schema $(BROWSER_JS) $(OIDC_JS)
	.ci/ensure-chromium
	.ci/ensure-nginx
	$(PY) -m pytest --cov --cov-report=term-missing:skip-covered

## The deployment of docs/deploy.md simulated on this machine (nginx with deploy/'s files, two web nodes,
## two worker pools, two beats), alone; part of `make test`. Needs PostgreSQL: DATABASE_URL.
topology: messages
	.ci/ensure-nginx
	$(PY) -m pytest tests/deploy -p no:cacheprovider

## Speed targets, on PostgreSQL with a million cases (generated once, then kept): the queue, the statistics.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal_bench
bench-data: messages
	-psql "$(dir $(BENCH_DATABASE_URL))postgres" -qc "CREATE DATABASE $(notdir $(BENCH_DATABASE_URL))" 2>/dev/null
	$(DEV) DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --no-input -v 0

bench: bench-data
	$(DEV) DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_queue $(BENCH_ARGS)
	$(DEV) DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_statistics $(BENCH_ARGS)

## Throughput over HTTP: the portal under gunicorn as production runs it, against a bare Django view under
## the same server, driven by wrk; each scenario as a share of the bare view, with p50/p95 and errors.
bench-http: bench-data
	.ci/ensure-wrk
	$(DEV) DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_http $(BENCH_HTTP_ARGS)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache .mypy_cache .import_linter_cache .coverage $(BROWSER_JS) $(OIDC_JS)
