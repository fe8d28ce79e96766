"""schemathesis over the whole OpenAPI document (issue 20), with a fixed seed: every
operation, cases generated from its schemas, sent as an admin to the gateway with the fake RPC
client — no 5xx, and no response that breaks the schema the document gives for it.
SCHEMATHESIS_CASES spreads that many cases over the operations (300 in `make test`, 2,000 in
`make test-slow`)."""
import math
import os

import schemathesis
from hypothesis import HealthCheck, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

CASES = int(os.environ.get("SCHEMATHESIS_CASES", "300"))
OPERATIONS = 153  # about the document's operations (checked below): cases per operation
PER_OPERATION = max(1, math.ceil(CASES / OPERATIONS))


def _gateway():
    """A gateway of this module's own (schemathesis reads the schema at collection)."""
    import tempfile
    import warnings

    from gateway.app import create_app
    from gateway.auth import issue_token
    from gateway.settings import Settings
    from gateway.tests.conftest import SECRET, FakeRpc
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    fake = FakeRpc()
    app = create_app(Settings.from_env({"DATA_DIR": tempfile.mkdtemp(prefix="servis-st-"),
                                        "LOGIN_FAILURES_PER_USERNAME": "100000",
                                        "LOGIN_FAILURES_PER_ADDRESS": "100000",
                                        "LOGIN_FAILURES_OVERALL": "100000"}),
                     rpc_client=fake)
    app.config["JWT_SECRET"] = SECRET
    admin = app.extensions["servis"].users.create(
        username="st-admin", password="Schemathesis-9", role="admin", name="Admin",
        email="admin@example.com")
    return app, fake, {"Authorization": "Bearer " + issue_token(admin, SECRET, 36000)}


APP, RPC, ADMIN = _gateway()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)
# The coverage phase (boundary and type-violating cases derived from each schema, run on top
# of the generated ones) costs ~8 s at collection alone: `make test` and `make test-slow` run
# it; `make test-unit` (SCHEMATHESIS_COVERAGE=0) keeps to the generated cases, for speed.
schema.config.phases.coverage.enabled = os.environ.get("SCHEMATHESIS_COVERAGE", "1") != "0"


def test_the_cases_are_spread_over_every_operation():
    doc = APP.test_client().get("/api/v1/openapi.json").json
    count = sum(1 for ops in doc["paths"].values() for m in ops
                if m in ("get", "post", "put", "patch", "delete"))
    assert abs(count - OPERATIONS) <= 15, f"OPERATIONS is {OPERATIONS}, the document has {count}"


@schema.parametrize()
@seed(20)
@settings(max_examples=PER_OPERATION, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_whole_api(case):
    RPC.reset()
    case.call_and_validate(headers={**ADMIN, **(case.headers or {})},
                           checks=[not_a_server_error, response_schema_conformance])
