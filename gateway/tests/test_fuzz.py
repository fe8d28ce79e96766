"""Fuzz every operation of the OpenAPI document against the gateway (fake RPC client): random
ids in the URL (in range, out of range, not numbers), random query strings, JSON bodies built
from the operation's schema with values of every JSON type, and non-JSON bodies, as a random
role (or none). Whatever a client sends, the gateway answers with a status it documents for
clients (never a 500), an error body of one shape, and no RPC call when it refused the input
itself.

`make test` runs a short pass (FUZZ_EXAMPLES, default 8 per operation); `make test-slow` a long
one (FUZZ_EXAMPLES=200, tests/slow)."""
import json
import os
import re
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings, strategies as st

from services.common.exceptions import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from services.common.roles import ROLES

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
REFUSED_BY_GATEWAY = {400, 401, 403, 404, 405, 413, 415, 422, 428}
WRITES = ("create", "update", "add", "remove", "delete", "transition", "assign", "start",
          "stop", "record", "decide", "move", "register", "resend", "set_", "link", "unlink",
          "reindex")
SERVICE_ERRORS = [None, None, NotFound("Nothing here.", {"id": 1}),
                  Conflict("Changed since.", {"version": 3}),
                  ValidationFailed("The input is not valid.", {"x": ["bad"]}),
                  ServiceUnavailable("The forms service is not answering.",
                                     {"service": "forms"})]

text = st.text(alphabet=st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ["", " ", "İĞÜŞÖÇığüşöç", "0", "-1", "2147483648", "1e309", "null", "%00", "../../x",
     "<script>", "' OR 1=1 --", "9" * 50, "2026-02-30", "2026-12-31", "true"])
scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | text |
           st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([1, 2, 7]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    text, inner, max_size=4), max_leaves=12)


def _operations(doc):
    return [(method.upper(), path, op) for path, methods in doc["paths"].items()
            for method, op in methods.items()
            if method in ("get", "post", "patch", "put", "delete")]


def _schema(doc, schema):
    while schema and "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema or {}


def _value_for(doc, prop):
    prop = _schema(doc, prop)
    kind = prop.get("type")
    typed = {"integer": st.integers(-5, 2**40), "number": st.floats(-1e12, 1e12),
             "boolean": st.booleans(), "string": text,
             "array": st.lists(json_values, max_size=3), "object": json_values}
    choices = [json_values]
    if prop.get("enum"):
        choices.append(st.sampled_from(prop["enum"]))
    if kind in typed:
        choices.append(typed[kind])
    return st.one_of(*choices)


def _body(doc, op):
    content = op.get("requestBody", {}).get("content", {})
    schema = _schema(doc, content.get("application/json", {}).get("schema"))
    props = schema.get("properties", {})
    if not props:
        return json_values
    fields = st.fixed_dictionaries({}, optional={name: _value_for(doc, p)
                                                 for name, p in props.items()})
    return st.one_of(fields, fields, json_values)


def _query(op):
    names = [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"]
    if not names:
        return st.just({})
    return st.fixed_dictionaries({}, optional={n: text for n in names})


def test_no_input_makes_a_500(gateway):
    doc = gateway.client.get("/api/v1/openapi.json").get_json()
    operations = _operations(doc)
    assert len(operations) > 50

    @settings(max_examples=EXAMPLES * len(operations), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def check(data):
        method, path, op = data.draw(st.sampled_from(operations), label="operation")
        ids = data.draw(st.lists(st.one_of(st.integers(-3, 2**33), text), min_size=4,
                                 max_size=4), label="ids")
        query = data.draw(_query(op), label="query")
        body = data.draw(_body(doc, op), label="body")
        raw = data.draw(st.booleans(), label="not JSON")
        role = data.draw(st.sampled_from(ROLES + (None,)), label="role")
        error = data.draw(st.sampled_from(SERVICE_ERRORS), label="service answers")
        if_match = data.draw(st.none() | text | st.sampled_from(['"3"', 'W/"3"', '"x"', "*"]),
                             label="If-Match")
        given_ids = iter(ids)
        url = re.sub(r"\{[^}]+\}", lambda m: quote(str(next(given_ids)), safe=""), path)
        headers = dict(gateway.headers[role]) if role else {}
        if if_match is not None:
            # what HTTP can carry in a header: latin-1, no line breaks
            headers["If-Match"] = re.sub(r"[\r\n\x00]", "", if_match.encode(
                "utf-8", "replace").decode("latin-1"))
        gateway.rpc.reset()
        gateway.rpc.raises = error
        kwargs = {"query_string": query, "headers": headers}
        if method in ("POST", "PATCH", "PUT"):
            if raw:
                kwargs["data"] = json.dumps(body)[:-1] or "{"  # not JSON
                kwargs["content_type"] = "application/json"
            else:
                kwargs["json"] = body
        response = gateway.client.open(url, method=method, **kwargs)
        assert response.status_code != 500, (url, query, body, response.get_data(as_text=True))
        assert response.status_code < 500 or response.status_code in (503, 504)
        if response.status_code >= 400 and path != "/api/v1/health":  # health: its own body
            error_body = response.get_json()["error"]
            assert {"code", "message", "details"} <= set(error_body)
        if error is None and response.status_code in REFUSED_BY_GATEWAY:
            # the gateway refused the input itself: no service was asked to change anything
            writes = [c.method for c in gateway.rpc.calls if c.method.startswith(WRITES)]
            assert not writes, (url, body, response.status_code, writes)
    try:
        check()
    finally:
        gateway.rpc.reset()
