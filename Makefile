# 健康中心通 (chc): `make run` serves the app with demo data; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# Debian packages: WeasyPrint's Pango and HarfBuzz subsetting (fast CJK PDFs), gettext for the
# Chinese catalogue, Chromium and poppler for the browser and PDF tests.
VENV_DEB := $(shell $(PYTHON) -c "import ensurepip" 2>/dev/null || echo python3-venv)
RUN_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext $(VENV_DEB)
TEST_DEBS := $(RUN_DEBS) chromium poppler-utils
# The production stack on one machine: nginx in front (TLS), envsubst for its config.
PROD_DEBS := $(RUN_DEBS) nginx-light gettext-base openssl
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test prod drills bench-http bench-save api-check bench-api sysdeps-run sysdeps-test lint messages smoke clean

run: sysdeps-run $(VENV)/.installed-run
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages -l zh_Hans --ignore=$(VENV) -v0; fi
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: sysdeps-test $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports
	@! ls */migrations/*_auto_*.py 2>/dev/null | grep . || (echo "Name your migrations (makemigrations --name ...)"; exit 1)
	$(PY) -m pytest --ignore=bench $(PYTEST_ARGS)

# Production settings on this machine: PostgreSQL, Redis, collectstatic, gunicorn, a Celery
# worker, beat and nginx with TLS on https://127.0.0.1:8443/ (README, "Production").
prod: $(VENV)/.installed-run
	@bash scripts/sysdeps.sh $(PROD_DEBS)
	bash scripts/prod.sh start

# The production drills (bench/drills): the stack end to end, 50 users for 60 s, faults, and
# backup + restore. Each starts its own stack on this machine's PostgreSQL and Redis (~6 min).
drills: $(VENV)/.installed-dev
	@bash scripts/sysdeps.sh $(PROD_DEBS)
	$(PY) -m pytest -p no:django -p no:cacheprovider --confcutdir=bench/drills -s bench/drills $(DRILL_ARGS)

# bench/pages_http.py: each page against a bare Django page of the same size, wrk -t2 -c16, interleaved
# pairs, production settings on a throwaway database of this machine's PostgreSQL (~12 min).
bench-http: $(VENV)/.installed-dev
	@bash scripts/sysdeps.sh $(PROD_DEBS) wrk
	$(PY) -m bench.pages_http $(BENCH_ARGS)

# bench/cell_save.py: the tally cell save on an open month at 1 and 4 concurrent writers, with the
# Celery worker refreshing rollups, against a bare POST + UPDATE, interleaved (~3 min).
bench-save: $(VENV)/.installed-dev
	@bash scripts/sysdeps.sh $(PROD_DEBS)
	$(PY) -m bench.cell_save $(BENCH_ARGS)

# scripts/api_check.py: schemathesis against the served OpenAPI schema on the production stack
# (throwaway PostgreSQL database, demo data, a token per demo user): no 5xx, no response that
# breaks the schema (~5 min). API_CHECK_ARGS="--examples 50" for a longer run.
api-check: $(VENV)/.installed-dev
	@bash scripts/sysdeps.sh $(PROD_DEBS)
	$(PY) -m scripts.api_check $(API_CHECK_ARGS)

# bench/api_push.py: the API push of one month for 1,000 centres over HTTP against a bare bulk
# insert, interleaved, and the figures query at city scale against plain SQL (~10 min).
bench-api: $(VENV)/.installed-dev
	@bash scripts/sysdeps.sh $(PROD_DEBS)
	$(PY) -m bench.api_push $(BENCH_ARGS)

# Refresh the Chinese catalogue after adding strings: fill every empty msgstr, then `make test`.
messages: $(VENV)/.installed-dev
	$(PY) manage.py makemessages -l zh_Hans --no-location --ignore=$(VENV) --ignore=staticfiles
	$(PY) manage.py compilemessages -l zh_Hans --ignore=$(VENV)

# The app runs without these today (the committed catalogue is compiled), so only warn.
sysdeps-run:
	@bash scripts/sysdeps.sh $(RUN_DEBS) || echo "Continuing; PDF output needs the packages above."

sysdeps-test:
	@bash scripts/sysdeps.sh $(TEST_DEBS)

$(VENV)/bin/python:
	@$(PYTHON) -m venv $(VENV) || { echo "Cannot create a virtualenv. As root run: apt-get install -y python3-venv"; exit 1; }
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@ $(VENV)/.installed-run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
