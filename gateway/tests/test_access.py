"""Issue 20 at the gateway: the record rules reach the service that owns the record (findings
3 and 4: a technician's reads and writes of a form go through forms' check first), the
technician's list, and the actor passed where devices applies a rule (findings 1, 2, 5, 6).
The rules themselves are tested where they run: services/*/tests/application/test_access.py."""
import pytest

from services.common.exceptions import Forbidden

FORM_READS = ["/api/v1/forms/7/history", "/api/v1/forms/7/documents",
              "/api/v1/forms/7/documents/8", "/api/v1/forms/7/price-approval",
              "/api/v1/forms/7/emails", "/api/v1/forms/7/solutions",
              "/api/v1/forms/7/suggestions"]


def refusing_forms_check(service, method, args):
    if method == "check_form_access":
        raise Forbidden("This form is neither assigned to you nor unassigned.", {"form_id": 7})
    return {"id": 7, "number": "SF-2026-000007", "version": 4, "items": [],
            "next_cursor": None, "complaint": "x", "device": {}}


@pytest.mark.parametrize("path", FORM_READS)
def test_a_technician_reads_only_forms_forms_lets_them(gw, path):  # 3.
    gw.rpc.answer = refusing_forms_check
    r = gw.client.get(path, headers={**gw.headers["technician"], "Accept-Language": "en"})
    assert r.status_code == 403, r.json
    checks = [c for c in gw.rpc.calls if c.method == "check_form_access"]
    assert checks and checks[0].args[0] == 7 and checks[0].args[1]["id"] == \
        gw.users["technician"].id and checks[0].args[2] == "read"
    gw.rpc.reset()
    r = gw.client.get(path, headers=gw.headers["manager"])  # no extra question for others
    assert not [c for c in gw.rpc.calls if c.method == "check_form_access"]


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/api/v1/forms/7/solutions", {"article_id": 3}),
    ("DELETE", "/api/v1/forms/7/solutions/3", None)])
def test_a_technician_links_solutions_only_on_forms_forms_lets_them(gw, method, path, body):  # 4.
    gw.rpc.answer = refusing_forms_check
    r = gw.client.open(path, method=method, json=body, headers=gw.headers["technician"])
    assert r.status_code == 403
    checks = [c for c in gw.rpc.calls if c.method == "check_form_access"]
    assert checks[0].args[2] == "write"  # forms also refuses a closed form (409)
    assert not [c for c in gw.rpc.calls if c.service == "knowledge"]


def test_a_technicians_list_is_narrowed_by_forms(gw):  # 3.
    gw.client.get("/api/v1/forms?visible_to=99", headers=gw.headers["technician"])
    assert gw.rpc.calls[-1].args[0]["visible_to"] == gw.users["technician"].id
    gw.client.get("/api/v1/forms?visible_to=99", headers=gw.headers["manager"])
    assert "visible_to" not in gw.rpc.calls[-1].args[0]


@pytest.mark.parametrize("method,path,body,rpc_method", [
    ("PATCH", "/api/v1/customers/2", {"rep_user_id": None, "rep_email": "x@outside.example",
                                      "version": 1}, "update_customer"),  # 1. 2.
    ("POST", "/api/v1/devices/2/coverage", {"kind": "manufacturer_warranty",
                                            "start": "2027-01-01", "end": "2027-12-31",
                                            "version": 1}, "add_coverage"),  # 6.
    ("GET", "/api/v1/devices/import/2", None, "get_import")])  # 5.
def test_devices_gets_the_actor_to_apply_its_rules(gw, method, path, body, rpc_method):
    gw.rpc.raises = Forbidden("You may not touch this record.")
    r = gw.client.open(path, method=method, json=body, headers=gw.headers["contracts"])
    assert r.status_code == 403
    call = [c for c in gw.rpc.calls if c.method == rpc_method][0]
    assert call.args[-1]["id"] == gw.users["contracts"].id
    assert call.args[-1]["role"] == "contracts"
