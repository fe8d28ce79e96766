"""The access matrix (issue 20): every operation of the OpenAPI document × every role (and no
token), the expected status from the one expected table (test_routes.py ACCESS, written out
apart from the code) — an operation missing from the table fails. Where a record rule applies
(test_routes.py OWNED) a technician is tried on their own record and on another's, forms
answering as its rule would (the rule itself: services/forms/tests/application/test_access.py).

Gateway layer: the fake RPC client answers every call, so an admitted role gets through the role
check (its status is then the route's: 2xx, or 4xx from an example body — never 401/403/5xx)."""
import re

import pytest

from gateway.tests.conftest import ANSWER
from gateway.tests.test_routes import ACCESS, EXAMPLES, OWNED, allowed
from services.common.exceptions import Forbidden
from services.common.roles import CUSTOMER, ROLES, TECHNICIAN

METHODS = ("get", "post", "put", "patch", "delete")


def openapi_key(key):
    """"GET /api/v1/forms/<id:form_id>" -> "GET /api/v1/forms/{form_id}"."""
    return re.sub(r"<(?:[^<>]*:)?(\w+)>", r"{\1}", key)


TABLE = {openapi_key(k): k for k in ACCESS}
# bodies for hand-written routes (the declared ones: test_routes.py EXAMPLES)
BODIES = {"POST /api/v1/forms/{form_id}/solutions": {"article_id": 3}}


@pytest.fixture(scope="module")
def operations(gateway):
    doc = gateway.client.get("/api/v1/openapi.json").json
    return [f"{m.upper()} {p}" for p, ops in doc["paths"].items() for m in ops if m in METHODS]


def test_every_operation_is_in_the_table(operations):
    missing = sorted(set(operations) - set(TABLE))
    assert not missing, f"add these to test_routes.py ACCESS: {missing}"
    assert not sorted(set(TABLE) - set(operations)), "the table names routes that do not exist"


def _url(op):
    path = op.split(" ", 1)[1]
    ids = iter([7, 8])
    path = re.sub(r"\{(\w+_id|id)\}", lambda m: str(next(ids)), path)
    path = path.replace("{code}", "kombi").replace("{kind}", "kombi")
    return path.replace("{token}", "t" * 43)


def _send(gw, op, role, body=None):
    method = op.split(" ", 1)[0]
    example = EXAMPLES.get(TABLE[op], {})
    headers = {"If-Match": '"4"', **(gw.headers[role] if role else {})}
    return gw.client.open(_url(op), method=method, headers=headers,
                          json=example.get("body", BODIES.get(op, {})) if body is None else body,
                          query_string=example.get("query"))


def _answer_form_rule(own):
    def answer(service, method, args):
        if method == "check_form_access" and not own:
            raise Forbidden("This form is neither assigned to you nor unassigned.",
                            {"form_id": args[0]})
        return {**ANSWER, "complaint": "x", "device": {}}
    return answer


def test_the_matrix(gw, operations):
    owned = {openapi_key(k): record for record, keys in OWNED.items() for k in keys}
    wrong = []
    for op in operations:
        key = TABLE[op]
        public = ACCESS[key] == "public"
        gw.rpc.reset()
        r = _send(gw, op, None)
        if (r.status_code == 401) == public:
            wrong.append((op, None, r.status_code))
        for role in ROLES:
            records = ("own", "other") if role == TECHNICIAN and op in owned else ("any",)
            for record in records:
                gw.rpc.reset()
                gw.rpc.answer = _answer_form_rule(record != "other")
                r = _send(gw, op, role)
                may = role in allowed(key) and record != "other"
                if r.status_code >= 500:
                    wrong.append((op, role, record, r.status_code, "5xx"))
                elif may and r.status_code in (401, 403):
                    wrong.append((op, role, record, r.status_code, "refused"))
                elif not may and not public and r.status_code != 403:
                    wrong.append((op, role, record, r.status_code, "not refused"))
                elif not may and role not in allowed(key) and any(
                        c.method != "check_form_access" for c in gw.rpc.calls):
                    wrong.append((op, role, record, "a service was asked"))
    gw.rpc.reset()
    assert not wrong, wrong


def test_a_customer_is_refused_every_staff_route(gw, operations):
    """A customer reaches the portal's routes (their own records: portal's customer scope)
    and the routes every account has; nothing else."""
    for op in operations:
        if ACCESS[TABLE[op]] in ("public", "any"):
            continue
        if op.split(" ", 1)[1].startswith("/api/v1/portal/") and \
                not op.startswith("POST /api/v1/portal/invitations"):
            continue
        assert CUSTOMER not in allowed(TABLE[op]), op


# -- the customer isolation matrix (issue 16): gateway/tests/customer_matrix.py ----------------
def test_every_route_has_its_place_in_the_customer_matrix(gateway):
    """A route a customer reaches, added without a place in the matrix (or an API route
    neither in the access table nor the matrix), fails here; the cases themselves run on the
    real services in tests/e2e/test_e2e_portal.py."""
    from gateway.tests import customer_matrix
    assert not customer_matrix.misplaced(gateway.app)


def _sample_path(key):
    path = key.split(" ", 1)[1]
    ids = iter(range(7, 20))
    path = re.sub(r"<id:\w+>", lambda m: str(next(ids)), path)
    path = re.sub(r"<any\(([^)]*)\):\w+>",
                  lambda m: m.group(1).split(",")[0].strip(" '\""), path)
    return re.sub(r"<[^<>]+>", "x", path)


def test_a_customers_session_is_refused_every_page_the_matrix_leaves_to_staff(gw):
    """The console's screens (and any page the matrix does not place) refuse a portal
    account's session — 403 (401 where another credential is wanted) — before any service is
    asked, whatever API route the screen stands on (the review queue stands on the portal's
    request routes, which admit customers for their own requests)."""
    from gateway.tests import customer_matrix
    from gateway.tests.test_web import csrf_of
    client = gw.app.test_client()
    r = client.post("/portal/signin", data={
        "username": "user-customer", "password": "password-customer",
        "csrf_token": csrf_of(client.get("/portal/").text)})
    assert r.status_code == 303, r.text
    csrf = csrf_of(client.get("/portal/profile").text)
    pages = customer_matrix.staff_pages(gw.app)
    assert "GET /review" in pages and "GET /forms/<id:form_id>" in pages
    wrong = []
    for key in pages:
        gw.rpc.reset()
        method = key.split(" ", 1)[0]
        r = client.open(_sample_path(key), method=method,
                        data={"csrf_token": csrf} if method != "GET" else None)
        if r.status_code not in (401, 403) or gw.rpc.calls:
            wrong.append((key, r.status_code, [c.method for c in gw.rpc.calls]))
    assert not wrong, wrong
    assert client.get("/portal/profile").status_code == 200  # the session still works


def test_a_customers_token_is_refused_every_api_route_the_matrix_leaves_to_staff(gw):
    from gateway.tests import customer_matrix
    wrong = []
    for key in customer_matrix.staff_api(gw.app):
        gw.rpc.reset()
        method = key.split(" ", 1)[0]
        r = gw.client.open(_sample_path(key), method=method, json={},
                           headers=gw.headers[CUSTOMER])
        if r.status_code != 403 or gw.rpc.calls:
            wrong.append((key, r.status_code))
    assert not wrong, wrong
