"""The console's contracts screens against the fake RPC client: the lists and pages in Turkish
and English, a decision and a cancel carrying the version read, a stale one saying reload,
the nav showing them only to the roles the access table lets read them."""
import pytest

from gateway.tests.test_web import csrf_of
from gateway.tests.test_web import web as _web  # noqa: F401 (the fixture)
from services.common.exceptions import Conflict

TERMS = {"customer": {"id": 1, "name": "Öztürk Tekstil", "email": "o@example.com",
                      "language": "tr"},
         "start": "2027-02-01", "end": "2028-01-31", "months": 12, "currency": "TRY",
         "total": "2160.00", "stamp_duty": "17.06",
         "service_levels": {"response_hours": 4, "repair_hours": 16},
         "devices": [{"device_id": 2, "brand": "Daikin", "model": "FTX", "serial": "SN-1",
                      "device_type": "klima"}]}
PROPOSAL = {**TERMS, "id": 4, "number": "TK-2027-000004", "version": 1, "status": "open",
            "status_name": {"tr": "Açık", "en": "Open"}, "valid_until": "2027-01-31",
            "contract_id": None}
CONTRACT = {**TERMS, "id": 9, "number": "SZ-2027-000009", "version": 3, "status": "active",
            "status_name": {"tr": "Yürürlükte", "en": "Active"}, "coverage_end": "2028-01-31"}


def answer(service, method, args):
    if method == "get_proposal":
        return dict(PROPOSAL)
    if method == "decide_proposal":
        return {**PROPOSAL, "status": "accepted", "contract_id": 9}
    if method in ("get_contract", "cancel_contract"):
        return dict(CONTRACT)
    if method == "contract_invoices":
        return {"items": [{"id": 1, "seq": 1, "due_on": "2027-02-01", "amount": "540.00",
                           "currency": "TRY", "status": "scheduled", "invoice_no": None}],
                "next_cursor": None}
    if method == "list_proposals":
        return {"items": [dict(PROPOSAL)], "next_cursor": None}
    if method == "list_contracts":
        return {"items": [dict(CONTRACT)], "next_cursor": None}
    if method == "renewal_list":
        return {"items": [dict(CONTRACT)], "next_cursor": None}
    return {"items": [], "next_cursor": None}


@pytest.fixture
def web(gw, _web):  # noqa: F811
    gw.rpc.answer = answer
    return _web


def test_the_lists_and_pages_in_turkish_and_english(gw, web):
    browser = web()
    browser.sign_in("contracts")
    page = browser.client.get("/proposals")
    assert page.status_code == 200 and "TK-2027-000004" in page.text
    assert "Öztürk Tekstil" in page.text and "Teklifler" in page.text
    page = browser.client.get("/proposals/4")
    assert "Kabul et" in page.text and "₺2.160,00" in page.text
    assert 'name="version" value="1"' in page.text
    page = browser.client.get("/contracts?month=2028-01")
    assert "Yenileme listesi" in page.text and "SZ-2027-000009" in page.text
    assert gw.rpc.calls[-1].method == "renewal_list"
    page = browser.client.get("/contracts/9")
    assert "Sözleşmeyi iptal et" in page.text and "16 iş saati" in page.text
    browser.client.post("/language", data={"lang": "en", "csrf_token": csrf_of(page.text)})
    english = browser.client.get("/contracts/9")
    assert "Cancel the contract" in english.text and "16 working hours" in english.text


def test_accepting_carries_the_version_and_goes_to_the_contract(gw, web):
    browser = web()
    browser.sign_in("manager")
    token = browser.csrf("/proposals/4")
    gw.rpc.calls.clear()
    r = browser.client.post("/proposals/4/decision", data={
        "decision": "accepted", "version": "1", "note": "İmzalı", "csrf_token": token})
    assert r.status_code == 303 and r.headers["Location"].endswith("/contracts/9")
    (call,) = [c for c in gw.rpc.calls if c.method == "decide_proposal"]
    assert call.args[1] == {"decision": "accepted", "note": "İmzalı", "version": 1}


def test_a_stale_cancel_says_reload_and_a_refused_one_names_the_field(gw, web):
    browser = web()
    browser.sign_in("contracts")
    token = browser.csrf("/contracts/9")

    def stale(service, method, args):
        if method == "cancel_contract":
            raise Conflict("changed", {"version": 4})
        return answer(service, method, args)
    gw.rpc.answer = stale
    r = browser.client.post("/contracts/9/cancel", data={
        "reason": "Müşteri talebi", "end": "2027-05-31", "version": "3", "csrf_token": token})
    assert r.status_code == 409 and "yeniden yükleyin" in r.text.lower()
    gw.rpc.answer = answer
    r = browser.client.post("/contracts/9/cancel", data={
        "end": "2027-05-31", "version": "3", "csrf_token": token})
    assert r.status_code == 422 and "reason" in r.text


def test_the_desk_reads_but_sees_no_writes_and_a_technician_no_contracts(gw, web):
    desk = web()
    desk.sign_in("desk")
    page = desk.client.get("/contracts/9")
    assert page.status_code == 200 and "Sözleşmeyi iptal et" not in page.text
    assert 'href="/contracts"' in page.text
    tech = web()
    tech.sign_in("technician")
    assert tech.client.get("/contracts").status_code == 403
    assert 'href="/contracts"' not in tech.client.get("/forms").text


CUSTOMER = {"id": 1, "name": "Öztürk Tekstil", "tax_no": "1234567890", "language": "tr",
            "email": "o@example.com", "sites": [{"id": 3, "name": "Merkez"}], "contacts": []}
CARD = {"id": 2, "customer_id": 1, "brand": "Daikin", "model": "FTX", "serial": "SN-1",
        "device_type": "klima", "site_id": 3}
CHECK = {"id": 6, "version": 1, "status": "open", "customer": {"id": 1, "name": "Öztürk Tekstil"},
         "site": {"id": 3, "name": "Merkez"}, "language": "tr",
         "items": [{"id": 1, "device_id": 2, "brand": "Daikin", "model": "FTX", "serial": "SN-1",
                    "under_contract": "SZ-2027-000009", "result": None, "condition": None,
                    "note": None}],
         "differences": {"missing": [], "new": [], "unchecked": []}}


def writes(service, method, args):
    if method == "get_customer":
        return dict(CUSTOMER)
    if method == "find_customers":
        return {"items": [dict(CUSTOMER)], "next_cursor": None}
    if method == "find_devices":
        return {"items": [dict(CARD)], "next_cursor": None}
    if method == "create_proposal":
        return dict(PROPOSAL)
    if method in ("open_machine_park", "get_machine_park", "record_machine_park"):
        return dict(CHECK)
    if method in ("mark_invoiced", "mark_paid", "schedule_invoices"):
        return {}
    if method == "revenue":
        return {"from": "2027-01", "to": "2027-12", "currency": "TRY", "group_by": "month",
                "items": [{"key": "2027-02", "label": "2027-02", "installments": 1,
                           "scheduled": "540.00", "invoiced": "540.00", "paid": "0.00"}],
                "totals": {"scheduled": "540.00", "invoiced": "540.00", "paid": "0.00"}}
    return answer(service, method, args)


def test_a_new_proposal_from_the_customers_cards_as_typed(gw, web):
    gw.rpc.answer = writes
    browser = web()
    browser.sign_in("contracts")
    page = browser.client.get("/proposals/new?q=öztürk")
    assert "Öztürk Tekstil" in page.text and "/proposals/new?customer_id=1" in page.text
    page = browser.client.get("/proposals/new?customer_id=1")
    assert page.status_code == 200 and "SN-1" in page.text and "Teklifi hazırla" in page.text
    gw.rpc.calls.clear()
    r = browser.client.post("/proposals/new", data={
        "customer_id": "1", "device_id": "2", "new_brand": "Bosch", "new_serial": "YENİ-1",
        "start": "2027-02-01", "months": "12", "basis": "year", "unit_price": "1.234,50",
        "currency": "EUR", "rate": "35,5", "discount_percent": "10", "pays_labour": "on",
        "pays_parts": "on", "response_hours": "4", "repair_hours": "16", "language": "en",
        "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["Location"].endswith("/proposals/4")
    (call,) = [c for c in gw.rpc.calls if c.method == "create_proposal"]
    body = call.args[0]
    assert body["devices"] == [{"device_id": 2, "brand": None, "model": None,
                                "serial": None, "device_type": None},
                               {"device_id": None, "brand": "Bosch", "serial": "YENİ-1",
                                "model": None, "device_type": None}]
    assert (body["unit_price"], body["rate"], body["currency"]) == ("1234.50", "35.5", "EUR")
    assert body["pays"] == {"labour": True, "parts": True, "fee": False}
    assert body["service_levels"] == {"response_hours": 4, "repair_hours": 16}


def test_a_refused_proposal_names_the_field_keeps_what_was_typed_and_calls_nothing(gw, web):
    gw.rpc.answer = writes
    browser = web()
    browser.sign_in("manager")
    token = browser.csrf("/proposals/new?customer_id=1")
    gw.rpc.calls.clear()
    r = browser.client.post("/proposals/new", data={
        "customer_id": "1", "device_id": "2", "start": "2027-02-01", "months": "12",
        "unit_price": "100", "currency": "USD", "csrf_token": token})
    assert r.status_code == 422 and "rate" in r.text and 'value="100"' in r.text
    assert 'checked' in r.text  # the card chosen stays chosen
    assert not [c for c in gw.rpc.calls if c.method == "create_proposal"]


def test_invoices_marked_and_the_insurance_notice_through_the_api(gw, web):
    gw.rpc.answer = writes
    browser = web()
    browser.sign_in("contracts")
    page = browser.client.get("/contracts/9")
    assert "Faturalandı olarak işaretle" in page.text and "Sigorta bildirim formu" in page.text
    token = csrf_of(page.text)
    gw.rpc.calls.clear()
    r = browser.client.post("/contracts/9/invoices/1/invoiced", data={
        "invoice_no": "FTR-1", "invoiced_on": "2027-02-01", "version": "1",
        "csrf_token": token})
    assert r.status_code == 303
    r = browser.client.post("/contracts/9/invoices/1/paid", data={
        "paid_on": "2027-02-10", "version": "2", "csrf_token": token})
    assert r.status_code == 303
    r = browser.client.post("/contracts/9/insurance-notice", data={
        "insurer_email": "hasar@sigorta.example", "csrf_token": token})
    assert r.status_code == 303
    calls = {c.method: c.args for c in gw.rpc.calls}
    assert calls["mark_invoiced"][:3] == (9, 1, {"invoice_no": "FTR-1",
                                                 "invoiced_on": "2027-02-01", "rate": None,
                                                 "version": 1})
    assert calls["mark_paid"][2] == {"paid_on": "2027-02-10", "version": 2}
    assert calls["issue_insurance_notice"][1]["insurer_email"] == "hasar@sigorta.example"
    gw.rpc.calls.clear()
    r = browser.client.post("/contracts/9/insurance-notice", data={
        "insurer_email": "not-an-address", "csrf_token": token})
    assert r.status_code == 422 and "insurer_email" in r.text
    assert not [c for c in gw.rpc.calls if c.method == "issue_insurance_notice"]


def test_the_machine_park_check_and_its_results(gw, web):
    gw.rpc.answer = writes
    browser = web()
    browser.sign_in("contracts")
    assert "Makine parkı kontrolü" in browser.client.get("/customers/1").text
    page = browser.client.get("/machine-park-checks/new?customer_id=1")
    assert "Merkez" in page.text
    r = browser.client.post("/machine-park-checks/new", data={
        "customer_id": "1", "site_id": "3", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["Location"].endswith("/machine-park-checks/6")
    page = browser.client.get("/machine-park-checks/6")
    assert "SZ-2027-000009" in page.text and "/machine-park-checks/6/form.pdf" in page.text
    gw.rpc.calls.clear()
    r = browser.client.post("/machine-park-checks/6/results", data={
        "version": "1", "result-2": "missing", "condition-2": "", "note-2": "Yok",
        "new_brand": "Arçelik", "new_serial": "BULUNAN-1", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    (call,) = [c for c in gw.rpc.calls if c.method == "record_machine_park"]
    assert call.args[1] == {"items": [{"device_id": 2, "present": False, "condition": None,
                                       "note": "Yok"}],
                            "new_devices": [{"brand": "Arçelik", "serial": "BULUNAN-1",
                                             "model": None, "device_type": None,
                                             "note": None}],
                            "version": 1}


def test_the_reports_renewals_by_month_and_revenue(gw, web):
    gw.rpc.answer = writes
    browser = web()
    browser.sign_in("manager")
    page = browser.client.get("/contracts/reports?month=2028-01&from=2027-01&to=2027-12")
    assert page.status_code == 200 and "SZ-2027-000009" in page.text
    assert "Sözleşme gelirleri" in page.text and "<svg" in page.text and "₺540,00" in page.text
    csv = browser.client.get("/contracts/reports/revenue.csv?from=2027-01&to=2027-12")
    assert csv.status_code == 200 and "Planlanan" in csv.get_data(as_text=True)
    page = browser.client.get("/contracts/reports?from=2027-13&to=2027-12")
    assert page.status_code == 200 and "from" in page.text  # named on the page
    desk = web()
    desk.sign_in("desk")
    assert desk.client.get("/contracts/reports").status_code == 403


def test_an_open_proposal_changed_with_the_version_read(gw, web):
    full = {**PROPOSAL, "basis": "year", "visits_per_year": None, "unit_price": "1000.00",
            "rate": "1.0000", "discount_percent": None, "discount_amount": None,
            "vat_rate": "20.00", "stamp_duty_rate": "0.9480", "language": "tr", "note": None,
            "pays": {"labour": True, "parts": False, "fee": True}}

    def edits(service, method, args):
        if method in ("get_proposal", "revise_proposal"):
            return dict(full)
        return writes(service, method, args)
    gw.rpc.answer = edits
    browser = web()
    browser.sign_in("contracts")
    assert "/proposals/4/edit" in browser.client.get("/proposals/4").text
    page = browser.client.get("/proposals/4/edit")
    assert page.status_code == 200 and 'value="1000.00"' in page.text
    assert 'name="version" value="1"' in page.text and "Yeni sürümü kaydet" in page.text
    gw.rpc.calls.clear()
    r = browser.client.post("/proposals/4/edit", data={
        "customer_id": "1", "version": "1", "device_id": "2", "start": "2027-02-01",
        "months": "24", "unit_price": "900", "pays_labour": "on",
        "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["Location"].endswith("/proposals/4")
    (call,) = [c for c in gw.rpc.calls if c.method == "revise_proposal"]
    assert call.args[0] == 4 and call.args[1]["version"] == 1
    assert call.args[1]["months"] == 24 and call.args[1]["unit_price"] == "900"

    def stale(service, method, args):
        if method == "revise_proposal":
            raise Conflict("changed", {"version": 2, "given": 1})
        return edits(service, method, args)
    gw.rpc.answer = stale
    r = browser.client.post("/proposals/4/edit", data={
        "customer_id": "1", "version": "1", "device_id": "2", "start": "2027-02-01",
        "months": "24", "unit_price": "900", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 409 and "yeniden yükleyin" in r.text.lower()


def test_the_admin_edits_the_proposal_template(gw, web):
    doc = {"kind": "proposal", "name": {"tr": "Bakım Sözleşmesi Teklifi",
                                        "en": "Maintenance contract proposal"},
           "version": 2, "source": "{% extends '_base.html.j2' %}", "overridden": True,
           "versions": [{"version": 2, "reverted": False, "note": "yeni", "by": "Admin",
                         "at": "2027-01-04T09:00:00+00:00"}]}

    def templates(service, method, args):
        if method in ("proposal_template", "save_proposal_template"):
            return dict(doc)
        if method == "list_templates":
            return {"items": []}
        return answer(service, method, args)
    gw.rpc.answer = templates
    admin = web()
    admin.sign_in("admin")
    assert "/admin/proposal-template" in admin.client.get("/admin/templates").text
    page = admin.client.get("/admin/proposal-template")
    assert page.status_code == 200 and "Bakım Sözleşmesi Teklifi" in page.text
    assert "_base.html.j2" in page.text and "/admin/proposal-template" in page.text
    gw.rpc.calls.clear()
    r = admin.client.post("/admin/proposal-template", data={
        "source": "{% extends '_base.html.j2' %}\r\n", "note": "Damga", "csrf_token":
        csrf_of(page.text)})
    assert r.status_code == 303
    (call,) = [c for c in gw.rpc.calls if c.method == "save_proposal_template"]
    assert call.args[0] == {"source": "{% extends '_base.html.j2' %}\n", "note": "Damga"}
    officer = web()
    officer.sign_in("contracts")
    assert officer.client.get("/admin/proposal-template").status_code == 403
