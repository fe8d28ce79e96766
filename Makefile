# The two commands of the Quickstart: `make run` and `make test`; `make test-slow` for the
# fault tests (pytest marker `slow`).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-unit test-gateway test-slow up down migrate backup restore bench bench-smoke venv broker browser pdflibs clean

run: venv pdflibs broker  ## run every service and the gateway in the foreground (Ctrl-C stops)
	$(PY) deploy/run.py run

up: venv pdflibs broker  ## the same, detached; returns once /api/v1/health is green
	$(PY) deploy/run.py up

down:  ## stop what `make up` started for this DATA_DIR
	@$(PYTHON) deploy/run.py down

# The layers (conftest.py): unit, application, gateway need no broker; service and e2e do.
# The services and the gateway run in two pytest processes: the services' tests run under
# eventlet's monkey-patching, the gateway's (pika, waitress threads) do not.
PYTEST := $(PY) -m pytest -p no:cacheprovider
# Python may keep compiled modules and pytest its rewritten test modules (__pycache__,
# ignored by git): a machine that sets PYTHONDONTWRITEBYTECODE compiles every test module
# and rewrites its asserts on every run.
unexport PYTHONDONTWRITEBYTECODE
GATEWAY_PYTEST := $(PYTEST) --suppress-nameko-eventlet-notification

test: venv pdflibs broker browser  ## every layer on SQLite and PostgreSQL (when one answers), the short browser walk, fast fuzz, bench-smoke on SQLite
	@rc=0; \
	$(PYTEST) -m "not slow" services || rc=1; \
	$(GATEWAY_PYTEST) -m "not slow" gateway deploy tests || rc=1; \
	$(PY) bench/smoke.py --backends sqlite || rc=1; \
	exit $$rc

test-unit: venv pdflibs  ## unit, application and gateway layers but the heavy tests (conftest.py HEAVY): seconds, no broker (two processes at once)
	@TEST_BACKENDS=sqlite $(PYTEST) -q -m "(unit or application) and not heavy" services \
	  > .test-unit-services.log 2>&1 & services=$$!; \
	rc=0; \
	SCHEMATHESIS_CASES=90 SCHEMATHESIS_COVERAGE=0 $(GATEWAY_PYTEST) -q -m "(gateway or unit) and not heavy" gateway deploy || rc=1; \
	wait $$services || { rc=1; cat .test-unit-services.log; }; \
	tail -1 .test-unit-services.log; rm -f .test-unit-services.log; \
	exit $$rc

test-gateway: venv  ## the gateway against a fake RPC client: every route's roles, statuses, versions, messages (seconds, no broker)
	$(GATEWAY_PYTEST) -m gateway gateway

test-slow: venv pdflibs broker browser  ## faults and scale (broker restarts, killed processes under load), the long browser walk, long fuzz, bench-smoke on PostgreSQL
	@rc=0; \
	$(PY) bench/smoke.py --backends postgresql || rc=1; \
	$(GATEWAY_PYTEST) -m slow -s -v --durations=0 tests/slow || rc=1; \
	FUZZ_EXAMPLES=$(LONG_FUZZ) $(PYTEST) services/tests/application/test_fuzz.py || rc=1; \
	FUZZ_EXAMPLES=$(LONG_FUZZ) $(GATEWAY_PYTEST) gateway/tests/test_fuzz.py || rc=1; \
	SCHEMATHESIS_CASES=$(LONG_SCHEMATHESIS) $(GATEWAY_PYTEST) -q gateway/tests/test_schemathesis.py || rc=1; \
	exit $$rc

# examples per operation or entrypoint in test-slow (make test: 8)
LONG_FUZZ ?= 200
# schemathesis' cases over the whole OpenAPI document in test-slow (make test: 300; test-unit: 90)
LONG_SCHEMATHESIS ?= 2000

bench: venv pdflibs broker  ## benchmarks (each runs even when one before it failed); figures go to docs/benchmarks.md by hand
	@rc=0; \
	$(PY) bench/gateway_bench.py --replicas 1,2,3 || rc=1; \
	$(PY) bench/notify_bench.py || rc=1; \
	$(PY) bench/devices_bench.py || rc=1; \
	$(PY) bench/forms_bench.py || rc=1; \
	$(PY) bench/knowledge_bench.py || rc=1; \
	$(PY) bench/web_bench.py || rc=1; \
	$(PY) bench/documents_bench.py || rc=1; \
	$(PY) bench/contracts_bench.py || rc=1; \
	$(PY) bench/portal_bench.py || rc=1; \
	$(PY) bench/maintenance_bench.py || rc=1; \
	exit $$rc

bench-smoke: venv pdflibs broker  ## every benchmark at a tiny size: each must still run to the end (about 3 min: ten benchmarks, two backends each but knowledge)
	$(PY) bench/smoke.py

migrate: venv  ## every service's database up to its migrations (<SERVICE>_DATABASE_URL, else DATA_DIR's SQLite)
	$(PY) deploy/migrate.py upgrade

backup: venv  ## every database and the documents, consistent while the system runs: backups/<time>/ (or BACKUP=dir)
	$(PY) deploy/backup.py backup $(BACKUP)

restore: venv  ## BACKUP=dir into empty databases (a new DATA_DIR / new PostgreSQL databases); then make run
	@test -n "$(BACKUP)" || { echo "make restore BACKUP=backups/<time>"; exit 2; }
	$(PY) deploy/backup.py restore $(BACKUP)

venv: $(STAMP)

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (python3 is " + sys.version.split()[0] + "); set PYTHON=/path/to/python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "Cannot create a virtualenv: install python3-venv (Debian/Ubuntu: apt-get install python3-venv)"; exit 1; }
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	@touch $@

broker:
	@$(PYTHON) deploy/ensure_broker.py

# Debian's chromium for the browser tests (installed with apt-get when root; else it says what
# to install, and a browser test that finds none fails with that message)
browser:
	@$(PYTHON) deploy/ensure_os_packages.py || true

pdflibs:  ## the OS libraries WeasyPrint needs (Pango …): installed as root with apt-get, else named
	@$(PYTHON) deploy/ensure_pdf_libs.py

clean:
	rm -rf $(VENV)
