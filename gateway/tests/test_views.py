"""The gateway's hand-written views and its plumbing, against the fake RPC client: the
import template, assignments (snapshots + the version contract), what goes on the wire, the
one ServiceUnavailable, and what the gateway may import from the services."""
import ast
import datetime
import re
from decimal import Decimal
from pathlib import Path

from gateway.helpers import to_wire
from gateway.rpc import ServiceTimeout, unavailable
from services.common import exceptions
from services.common.exceptions import Conflict, NotFound
from services.forms.api import PartIn, RevenueQuery, WorkLogIn

ROOT = Path(__file__).resolve().parents[2]


def test_the_gateway_imports_only_the_services_public_modules():
    allowed = re.compile(r"^services\.(common(\.\w+)?|registry|\w+\.api)$")
    bad = []
    for path in (ROOT / "gateway").rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            bad += [f"{path.name}: {n}" for n in names
                    if n.startswith("services") and not allowed.match(n)]
    assert not bad, bad


def test_what_the_schema_loaded_goes_on_the_wire_as_the_service_loads_it():
    query = RevenueQuery().load({"group_by": "day", "from": "2026-01-01", "to": "2026-01-31"})
    wire = to_wire(RevenueQuery, query)
    assert wire == {"group_by": "day", "from": "2026-01-01", "to": "2026-01-31", "limit": 1000}
    assert RevenueQuery().load(wire) == query
    part = PartIn().load({"name": "Röle", "quantity": 1.5, "unit_price": "10.10"})
    wire = to_wire(PartIn, part)
    assert wire["quantity"] == "1.500" and wire["unit_price"] == "10.10"
    assert PartIn().load(wire) == part
    moment = datetime.datetime(2026, 1, 2, 10, 0, tzinfo=datetime.timezone.utc)
    log = WorkLogIn().load({"started_at": moment.isoformat(),
                            "ended_at": (moment + datetime.timedelta(hours=1)).isoformat()})
    assert WorkLogIn().load(to_wire(WorkLogIn, log)) == log
    assert to_wire(PartIn, {"x": [Decimal("1.5"), datetime.date(2026, 1, 1)]}) == {
        "x": ["1.5", "2026-01-01"]}


def test_one_service_unavailable_class(gw):
    exc = unavailable("forms", "no consumer")
    assert type(exc) is exceptions.ServiceUnavailable and exc.service == "forms"
    gw.rpc.raises = exc
    r = gw.client.get("/api/v1/forms/1", headers={**gw.headers["desk"], "Accept-Language": "en"})
    assert r.status_code == 503 and r.json["error"] == {
        "code": "service_unavailable", "details": {"service": "forms"},
        "message": "The forms service is not running; try again shortly."}
    gw.rpc.raises = ServiceTimeout("forms", 5.0)
    r = gw.client.get("/api/v1/forms/1", headers=gw.headers["desk"])
    assert r.status_code == 504 and r.json["error"]["code"] == "gateway_timeout"
    assert r.json["error"]["message"] == "forms servisi 5 sn içinde yanıt vermedi."


def test_a_service_error_reaches_the_client_in_the_requests_language(gw):
    """A service raises a constant English template with its values in the details; the
    client reads it in Turkish (Accept-Language: tr, or a Turkish account) or English, with
    the values filled in, and the details as the service gave them."""
    gw.rpc.raises = NotFound("Service form {form_id} not found.", {"form_id": 5})
    r = gw.client.get("/api/v1/forms/5", headers={**gw.headers["desk"], "Accept-Language": "tr"})
    assert r.status_code == 404 and r.headers["Content-Language"] == "tr"
    assert r.json["error"] == {"code": "not_found", "details": {"form_id": 5},
                               "message": "5 numaralı servis formu bulunamadı."}
    r = gw.client.get("/api/v1/forms/5", headers={**gw.headers["desk"], "Accept-Language": "en"})
    assert r.json["error"]["message"] == "Service form 5 not found."
    gw.rpc.raises = Conflict("A form in {status} cannot go to {to}; allowed: {moves}.", {
        "status": "NEW", "to": "DELIVERED", "allowed": ["ASSIGNED", "CANCELLED"],
        "moves": "ASSIGNED, CANCELLED"})
    r = gw.client.post("/api/v1/forms/5/transitions", json={"to": "DELIVERED", "version": 2},
                       headers=gw.headers["manager"])  # a Turkish account, no Accept-Language
    assert r.status_code == 409 and r.json["error"]["message"] == (
        "NEW statüsündeki bir servis formu DELIVERED statüsüne geçemez; izin verilenler: "
        "ASSIGNED, CANCELLED.")
    # a field message a service formatted from its template: the values are recovered
    gw.rpc.raises = exceptions.invalid(fault_type=[("Unknown fault type '{code}'.",
                                                    {"code": "uzay-gemisi"})])
    r = gw.client.patch("/api/v1/forms/5", json={"fault_type": "uzay-gemisi", "version": 2},
                        headers={**gw.headers["manager"], "Accept-Language": "tr"})
    assert r.status_code == 422 and r.json["error"] == {
        "code": "validation_error", "message": "Girilen bilgiler geçerli değil.",
        "details": {"fault_type": ["Bilinmeyen arıza tipi 'uzay-gemisi'."]}}
    r = gw.client.patch("/api/v1/forms/5", json={"fault_type": "uzay-gemisi", "version": 2},
                        headers={**gw.headers["manager"], "Accept-Language": "en"})
    assert r.json["error"]["details"] == {"fault_type": ["Unknown fault type 'uzay-gemisi'."]}


def test_a_stale_version_is_one_message_naming_the_current_version(gw):
    for template in ("The form was changed since version {given} (now {version}); read it "
                     "again.", "Customer {customer_id} was changed since version {given} "
                               "(now {version}); read it again."):
        gw.rpc.raises = Conflict(template, {"version": 5, "given": 3})
        r = gw.client.patch("/api/v1/customers/7", json={"phone": "0212"},
                            headers={**gw.headers["manager"], "If-Match": '"3"'})
        assert r.status_code == 409 and r.json["error"]["details"] == {"version": 5, "given": 3}
        assert r.json["error"]["message"] == \
            "Kayıt 3 sürümünden bu yana değişti (şimdi 5); yeniden okuyun."
        r = gw.client.patch("/api/v1/customers/7", json={"phone": "0212"},
                            headers={**gw.headers["manager"], "If-Match": '"3"',
                                     "Accept-Language": "en"})
        assert r.json["error"]["message"] == \
            "The record was changed since version 3 (now 5); read it again."


def test_an_imports_failed_rows_are_read_in_the_requests_language(gw):
    job = {"id": 7, "status": "done", "failed": 2, "errors": [
        {"row": 3, "errors": {"price": ["Not a price: 'abc' (use 1234.56, 1234,56, 1.234,56 "
                                        "or 1,234.56)."],
                              "brand": ["Missing data for required field."]}},
        {"row": 5, "errors": {"serial": ["Daikin S-1 is registered to customer Çağlar Soğutma "
                                         "(#4); move the device explicitly."],
                              "_row": ["Something no template says."]}}],
        "errors_next_cursor": None}
    gw.rpc.answer = lambda service, method, args: dict(job)
    r = gw.client.get("/api/v1/devices/import/7",
                      headers={**gw.headers["manager"], "Accept-Language": "tr"})
    assert r.status_code == 200
    assert r.json["errors"] == [
        {"row": 3, "errors": {
            "price": ["Geçerli bir fiyat değil: 'abc' (1234.56, 1234,56, 1.234,56 ya da "
                      "1,234.56 yazın)."],
            "brand": ["Zorunlu alan eksik."]}},
        {"row": 5, "errors": {
            "serial": ["Daikin S-1 cihazı Çağlar Soğutma (#4) müşterisine kayıtlı; cihazı "
                       "taşıma işlemiyle aktarın."],
            "_row": ["Something no template says."]}}]
    r = gw.client.get("/api/v1/devices/import/7",
                      headers={**gw.headers["manager"], "Accept-Language": "en"})
    assert r.json["errors"] == job["errors"]


def test_assignments_carry_the_assignees_snapshots_and_the_version(gw):
    tech = gw.users["technician"]
    r = gw.client.post("/api/v1/forms/7/assignments", json={"user_ids": [tech.id]},
                       headers={**gw.headers["manager"], "If-Match": '"4"'})
    assert r.status_code == 200 and r.headers["ETag"] == '"4"'
    call = gw.rpc.calls[-1]
    assert (call.method, call.args[0]) == ("assign", 7)
    assert call.args[1] == {"assignees": [{"user_id": tech.id, "name": tech.name,
                                           "email": tech.email, "language": "en",
                                           "role": "technician"}],
                            "replace": False, "version": 4}
    r = gw.client.post("/api/v1/forms/7/assignments", json={"user_ids": [tech.id]},
                       headers=gw.headers["manager"])
    assert r.status_code == 428
    r = gw.client.post("/api/v1/forms/7/assignments",
                       json={"user_ids": [gw.users["customer"].id, 99999], "version": 4},
                       headers=gw.headers["manager"])
    assert r.status_code == 422 and r.json["error"]["details"] == {"user_ids": [
        f"Böyle bir personel hesabı yok: {gw.users['customer'].id}, 99999."]}
    r = gw.client.post("/api/v1/forms/7/assignments", json={"user_ids": [tech.id]},
                       headers={**gw.headers["technician"], "If-Match": '"4"'})
    assert r.status_code == 403


def test_the_import_template(gw):
    r = gw.client.get("/api/v1/devices/import/template?lang=en", headers=gw.headers["desk"])
    assert r.status_code == 200 and r.mimetype == "text/csv"
    r = gw.client.get("/api/v1/devices/import/template?lang=de", headers=gw.headers["desk"])
    assert r.status_code == 422 and r.json["error"]["details"] == {"lang": ["tr ya da en."]}


def test_a_portal_account_needs_an_existing_customer(gw):
    gw.rpc.raises = NotFound("Customer {customer_id} not found.", {"customer_id": 5})
    r = gw.client.post("/api/v1/users", headers={**gw.headers["admin"], "Accept-Language": "en"},
                       json={"username": "portal1", "password": "password1", "role": "customer",
                             "name": "P", "customer_id": 5})
    assert r.status_code == 422 and r.json["error"]["details"] == {
        "customer_id": ["No such customer."]}


def test_the_import_templates_of_each_kind(gw):
    for kind, first in (("customers", "Müşteri adı;Vergi no"), ("contacts", "Müşteri adı;Vergi no;Yetkili adı")):
        r = gw.client.get(f"/api/v1/devices/import/template?lang=tr&kind={kind}",
                          headers=gw.headers["desk"])
        assert r.status_code == 200 and r.data.decode("utf-8-sig").startswith(first)
    r = gw.client.get("/api/v1/devices/import/template?kind=x", headers=gw.headers["desk"])
    assert r.status_code == 422


def _import_rpc(gw):
    calls = []

    def answer(service, method, args):
        calls.append((method, args))
        if method in ("create_import", "start_import"):
            return {"id": 7, "status": "receiving" if method == "create_import" else "queued"}
        return {"received": len(args[1])} if method == "add_import_rows" else {}
    gw.rpc.answer = answer
    return calls


def test_an_import_is_read_and_staged_as_it_arrives(gw):
    calls = _import_rpc(gw)
    body = ("Müşteri adı;Marka;Seri no\r\n" + "".join(
        f"Ak Ltd;Bosch;S-{i}\r\n" for i in range(1200)) + "Ak Ltd;BOSCH;s-3\r\n").encode("cp1254")
    r = gw.client.post("/api/v1/devices/import?kind=devices", data=body,
                       headers={**gw.headers["manager"], "Content-Type": "text/csv"})
    assert r.status_code == 202, r.json
    staged = [args for method, args in calls if method == "add_import_rows"]
    assert [len(rows) for _, rows in staged] == [250, 250, 250, 250, 201]
    assert staged[-1][1][-1] == [1202, {"customer_name": "Ak Ltd", "brand": "BOSCH",
                                        "serial": "s-3", "_duplicate_of": 5}]
    assert calls[0][1][0]["kind"] == "devices" and calls[-1][0] == "start_import"


def test_a_file_broken_part_way_is_a_422_and_its_job_is_dropped(gw):
    calls = _import_rpc(gw)
    body = ("Müşteri adı;Marka;Seri no\r\nÇağ;B;1\r\n" + "".join(
        f"A;B;{i}\r\n" for i in range(20000))).encode() + b"\xfe;B;x\r\n"
    r = gw.client.post("/api/v1/devices/import", data=body,
                       headers={**gw.headers["manager"], "Content-Type": "text/csv",
                                "Accept-Language": "en"})
    assert r.status_code == 422
    assert "stops being UTF-8 text after row" in r.json["error"]["details"]["file"][0]
    assert calls[0][0] == "create_import" and calls[-1][0] == "discard_import"
    assert "start_import" not in [m for m, _ in calls]
