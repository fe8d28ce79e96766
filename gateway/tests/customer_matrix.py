"""The customer isolation matrix (issue 16): every route of the gateway's URL map — the API and
the pages — has its place here by what a customer account reaches through it, and one of
another customer's records is never among it.

- RECORDS: a route naming a customer's record (in its URL or, for a new request, its body).
  Each case says, per variable, whose record it names: THEIRS (customer B's) or MINE (the
  caller's, customer A's). A is answered 404 for every case naming one of B's records — the
  answer for an id that does not exist, so ids are not confirmed — and the same URL with A's
  own records is answered (the URL is a real one).
- TOKENS: a route whose key is a link's token (no sign-in: the link is the key, as for the
  price approval). Forged, altered, over-long, revoked (a new one was made: the old one used
  again), expired, and the other link's kind of token are refused naming no form; a working
  link shows its own form and no other.
- OWN_LISTS: reached by a customer, naming no record: lists of the caller's own records only.
- NO_RECORD: reached by a customer, holding no customer's record (each with why).
- Every other route is staff's: a customer is refused (403; 401 where the route wants a kind
  of credential a customer has not). For the API that is the access table's say
  (test_routes.py ACCESS, checked against the code by test_access_matrix.py); for the pages,
  test_access_matrix.py sends a customer's session to each and expects the refusal.

`misplaced(app)` names every route of an app's URL map the matrix does not place, and every
place the matrix gives a route that the access table contradicts: a route a customer reaches,
added without a place here, fails gateway/tests/test_access_matrix.py at once, and the
end-to-end run (tests/e2e/test_e2e_portal.py `test_the_isolation_matrix`) tries every case on
the running system."""
import re

from gateway.tests.test_routes import ACCESS, allowed
from services.common.roles import CUSTOMER

MINE, THEIRS = "mine", "theirs"
API = "/api/v1"

RECORDS = {
    # the API (A's bearer token)
    "GET /api/v1/portal/requests/<id:request_id>": [{"request_id": THEIRS}],
    "GET /api/v1/portal/requests/<id:request_id>/photos/<id:photo_id>": [
        {"request_id": THEIRS, "photo_id": THEIRS}, {"request_id": MINE, "photo_id": THEIRS}],
    "POST /api/v1/portal/requests": [{"device_id": THEIRS}],
    "GET /api/v1/portal/forms/<id:form_id>": [{"form_id": THEIRS}],
    "POST /api/v1/portal/forms/<id:form_id>/price-decision": [{"form_id": THEIRS}],
    "POST /api/v1/portal/forms/<id:form_id>/survey": [{"form_id": THEIRS}],
    "GET /api/v1/portal/forms/<id:form_id>/documents": [{"form_id": THEIRS}],
    "GET /api/v1/portal/forms/<id:form_id>/documents/<id:document_id>": [
        {"form_id": THEIRS, "document_id": THEIRS}, {"form_id": MINE, "document_id": THEIRS}],
    # the portal's pages (A's session)
    "GET /portal/requests/<id:request_id>": [{"request_id": THEIRS}],
    "GET /portal/requests/<id:request_id>/photos/<id:photo_id>": [
        {"request_id": THEIRS, "photo_id": THEIRS}, {"request_id": MINE, "photo_id": THEIRS}],
    "POST /portal/requests/new": [{"device_id": THEIRS}],
    "GET /portal/forms/<id:form_id>": [{"form_id": THEIRS}],
    "POST /portal/forms/<id:form_id>/price-decision": [{"form_id": THEIRS}],
    "POST /portal/forms/<id:form_id>/survey": [{"form_id": THEIRS}],
    "GET /portal/forms/<id:form_id>/documents/<id:document_id>": [
        {"form_id": THEIRS, "document_id": THEIRS}, {"form_id": MINE, "document_id": THEIRS}],
}

TOKENS = {  # route -> the kind of link its token is
    "GET /api/v1/tracking/<token>": "tracking",
    "GET /track/<token>": "tracking",
    "GET /api/v1/price-approvals/<token>": "approval",
    "POST /api/v1/price-approvals/<token>/decision": "approval",
    "GET /approve/<token>": "approval",
    "POST /approve/<token>": "approval",
}

OWN_LISTS = {
    "GET /api/v1/portal/requests", "GET /api/v1/portal/forms", "GET /api/v1/portal/devices",
    "GET /portal/", "GET /portal/devices", "GET /portal/requests/new",
}

NO_RECORD = {
    "POST /api/v1/auth/token": "signing in",
    "POST /api/v1/auth/password-reset": "asks for a reset e-mail; answers the same for any",
    "POST /api/v1/auth/password-reset/confirm": "a reset token sets its own account's password",
    "GET /api/v1/me": "the caller's own account",
    "PATCH /api/v1/me": "the caller's own account",
    "POST /api/v1/me/password": "the caller's own account",
    "GET /api/v1/health": "the processes' state",
    "GET /api/v1/health/live": "the gateway's liveness",
    "GET /api/v1/openapi.json": "the API's description",
    "GET /api/v1/portal/survey-questions": "the survey's questions, the same for everyone",
    "GET /": "a customer's session is sent on to /portal/",
    "POST /signin": "the console's sign-in (a portal account is refused there)",
    "POST /signout": "ends the caller's own session",
    "POST /language": "the caller's language",
    "POST /portal/signin": "signing in",
    "GET /portal/profile": "the caller's own account",
    "POST /portal/profile": "the caller's own account",
    "GET /reset-password": "the set-password page (its token stays in the fragment)",
    "POST /reset-password": "a reset token sets its own account's password",
    "GET /static/<path:filename>": "the shell's files",
    "GET /api/docs": "the API's documentation",
    "GET /api/docs/swagger-ui/<name>": "the API's documentation's files",
}

PLACED = set(RECORDS) | set(TOKENS) | OWN_LISTS | set(NO_RECORD)


def routes(app):
    """'METHOD rule' for every rule of the app's URL map (HEAD and OPTIONS aside)."""
    return sorted(f"{method} {rule.rule}" for rule in app.url_map.iter_rules()
                  for method in rule.methods - {"HEAD", "OPTIONS"})


def is_api(key):
    return key.split(" ", 1)[1].startswith(API + "/")


def customer_reaches(key):
    """The access table's say for an API route: may a customer's token call it?"""
    return key in ACCESS and CUSTOMER in allowed(key)


def misplaced(app):
    """What is wrong between the URL map, the access table and the matrix (empty: nothing)."""
    keys = routes(app)
    wrong = [f"{k}: not in the URL map" for k in sorted(PLACED - set(keys))]
    for key in keys:
        placed = key in PLACED
        if is_api(key) and key not in ACCESS and key not in NO_RECORD:
            wrong.append(f"{key}: neither in the access table (test_routes.py ACCESS) nor "
                         "placed in the customer matrix")
        elif is_api(key) and customer_reaches(key) and not placed:
            wrong.append(f"{key}: a customer's token reaches it; give it its place in the "
                         "customer matrix (gateway/tests/customer_matrix.py)")
        elif is_api(key) and placed and key in ACCESS and not customer_reaches(key):
            wrong.append(f"{key}: placed in the customer matrix, but the access table keeps "
                         "customers out")
    return wrong


def staff_pages(app):
    """The pages (not the API) the matrix leaves to staff: a customer's session is refused."""
    return [k for k in routes(app) if not is_api(k) and k not in PLACED]


def staff_api(app):
    """The API routes the access table keeps customers out of."""
    return [k for k in routes(app) if is_api(k) and k not in PLACED]


def fill(key, values):
    """The path of `key` with its variables from `values` ({name: value}); a `<token>` or
    another converter's variable by its name too."""
    path = key.split(" ", 1)[1]
    return re.sub(r"<(?:[^<>]*:)?(\w+)>", lambda m: str(values[m.group(1)]), path)


def gateway_app(data_dir):
    """A gateway app for its URL map only (no service is asked; never started)."""
    from gateway.app import create_app
    from gateway.settings import Settings

    class NoRpc:
        def call(self, service, method, *args, **kwargs):
            raise AssertionError(f"no RPC here ({service}.{method})")
    return create_app(Settings.from_env({"DATA_DIR": str(data_dir)}), rpc_client=NoRpc())
