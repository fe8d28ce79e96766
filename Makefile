# The two commands of the Quickstart: `make run` and `make test`; `make test-slow` for the
# fault tests (pytest marker `slow`).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-slow up down bench venv broker clean

run: venv broker  ## run every service and the gateway in the foreground (Ctrl-C stops)
	$(PY) deploy/run.py run

up: venv broker  ## the same, detached; returns once /api/v1/health is green
	$(PY) deploy/run.py up

down:  ## stop what `make up` started for this DATA_DIR
	@$(PYTHON) deploy/run.py down

test: venv broker  ## the whole suite against the real broker (SQLite, and PostgreSQL when one answers)
	@rc=0; \
	$(PY) -m pytest -p no:cacheprovider services || rc=1; \
	$(PY) -m pytest -p no:cacheprovider --suppress-nameko-eventlet-notification gateway tests || rc=1; \
	exit $$rc

test-slow: venv broker  ## fault tests: broker restarts and killed processes under load (marker `slow`)
	$(PY) -m pytest -p no:cacheprovider --suppress-nameko-eventlet-notification -m slow -s -v --durations=0 tests/slow

bench: venv broker  ## benchmarks; figures go to docs/benchmarks.md by hand
	$(PY) bench/gateway_bench.py
	$(PY) bench/notify_bench.py
	$(PY) bench/devices_bench.py
	$(PY) bench/forms_bench.py
	$(PY) bench/knowledge_bench.py

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
