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
