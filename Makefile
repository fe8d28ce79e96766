# The two commands of the Quickstart: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test up down bench bench-smoke venv broker clean

run: venv broker  ## run every service and the gateway in the foreground (Ctrl-C stops)
	$(PY) deploy/run.py run

up: venv broker  ## the same, detached; returns once /api/v1/health is green
	$(PY) deploy/run.py up

down:  ## stop what `make up` started for this DATA_DIR
	@$(PYTHON) deploy/run.py down

test: venv broker  ## the whole suite against the real broker (SQLite, and PostgreSQL when one answers), then bench-smoke
	@rc=0; \
	$(PY) -m pytest -p no:cacheprovider services || rc=1; \
	$(PY) -m pytest -p no:cacheprovider --suppress-nameko-eventlet-notification gateway tests || rc=1; \
	$(PY) bench/smoke.py || rc=1; \
	exit $$rc

bench: venv broker  ## benchmarks (each runs even when one before it failed); figures go to docs/benchmarks.md by hand
	@rc=0; \
	$(PY) bench/gateway_bench.py || rc=1; \
	$(PY) bench/notify_bench.py || rc=1; \
	$(PY) bench/devices_bench.py || rc=1; \
	$(PY) bench/forms_bench.py || rc=1; \
	$(PY) bench/knowledge_bench.py || rc=1; \
	exit $$rc

bench-smoke: venv broker  ## every benchmark at a tiny size: each must still run to the end (< 2 min)
	$(PY) bench/smoke.py

venv: $(STAMP)

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (python3 is " + sys.version.split()[0] + "); set PYTHON=/path/to/python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "Cannot create a virtualenv: install python3-venv (Debian/Ubuntu: apt-get install python3-venv)"; exit 1; }
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	@touch $@

broker:
	@$(PYTHON) deploy/ensure_broker.py

clean:
	rm -rf $(VENV)
