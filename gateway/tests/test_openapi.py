"""The OpenAPI document is built without apispec's complaints: two schemas of one name (forms'
and contracts' `TemplateIn`, found by a new user's first `make run`) made apispec rename one
with a warning at every start."""
import warnings

from gateway.tests.test_health import Pings, app_for


def test_the_document_is_built_without_warnings(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client = app_for(tmp_path, Pings()).test_client()
        spec = client.get("/api/v1/openapi.json").get_json()
    names = set(spec["components"]["schemas"])
    assert not [n for n in names if n[-1:].isdigit() and n[:-1] in names], names
