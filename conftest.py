"""The test layers (docs/testing.md): a test's layer is its folder, and its marker is set here
from that folder, so `-m unit`, `-m "not slow"` … select layers without a decorator per file.

  services/<name>/tests/unit/         unit         rules, no I/O
  services/<name>/tests/application/  application  the application layer on a real database
                                                   (SQLite, and PostgreSQL when one answers),
                                                   a recording outbox, no broker
  services/<name>/tests/service/      service      nameko containers on a real broker
  gateway/tests/                      gateway      the gateway with a fake RPC client
  gateway/tests/service/              service      the gateway's RPC client on a real broker
  tests/e2e/                          e2e          the running system (and the browser)
  tests/slow/                         slow         faults, scale, long walks: make test-slow
  deploy/tests/                       unit         the image, compose and Kubernetes files
"""
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent
LAYERS = ("unit", "application", "service", "gateway", "e2e", "slow")


def layer_of(path):
    parts = pathlib.Path(path).resolve().relative_to(ROOT).parts
    if parts[0] == "gateway":
        return "service" if "service" in parts else "gateway"
    if parts[0] == "tests":
        return parts[1] if len(parts) > 2 and parts[1] in ("e2e", "slow") else "e2e"
    if parts[0] == "deploy":
        return "unit"
    if parts[0] == "services":
        for part in parts:
            if part in ("unit", "application", "service"):
                return part
    return None


# The quick loop's exceptions: tests of a fast layer that take a second or more each on two
# cores, or half of one rendering PDFs (measured with --durations, 2026-11-28). `make test`
# runs them; `make test-unit` (-m "not heavy") leaves them out: it stays a loop of seconds.
HEAVY = (
    "services/tests/application/test_fuzz.py",  # every entrypoint of every service, fuzzed
    "gateway/tests/test_fuzz.py",  # every operation, fuzzed
    "services/devices/tests/application/test_bulk_import.py::"
    "test_bulk_and_row_paths_give_identical_archives",  # 2,000 rows, both paths
    "services/forms/tests/application/test_documents.py::"
    "test_every_document_in_the_customers_language_parses_back",  # every PDF, parsed back
    "services/forms/tests/application/test_documents.py::"
    "test_the_price_approval_form_and_an_unrepaired_delivery_receipt",  # two PDFs, read back
    "services/forms/tests/application/test_documents.py::"
    "test_an_erased_customers_papers_leave_the_storage",  # PDFs rendered, then erased
    "services/forms/tests/application/test_documents.py::"
    "test_a_broken_override_is_refused_and_the_one_in_use_stays",  # templates rendered
    "services/contracts/tests/application/test_maintenance_report_pdf.py",  # report PDFs
    "gateway/tests/test_login_limits.py::"
    "test_two_gateways_one_restarted_share_one_budget_in_redis",  # a gateway restarted
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        layer = layer_of(item.path)
        if layer is None:
            raise pytest.UsageError(f"{item.path}: not in a layer's folder (conftest.py)")
        item.add_marker(getattr(pytest.mark, layer))
        if item.nodeid.startswith(HEAVY):
            item.add_marker(pytest.mark.heavy)
