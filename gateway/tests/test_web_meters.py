"""The console's meter readings, page pricing and maintenance report against the fake RPC
client: the contract's page terms edited as rows (the contract's version read) and a period
billed, each refused write shown on the page with its message; the desk reads the terms and
the bills without the forms; a visit's readings with where each was recorded, a reading with
its day; the maintenance report downloaded as a PDF."""
import base64

from gateway.tests.test_web import web as _web  # noqa: F401 (the fixture)
from gateway.tests.test_web_contracts import answer as contract_answer
from services.common.exceptions import invalid
import pytest

TERMS = {"contract_id": 9, "version": 3, "currency": "TRY",
         "items": [{"device_id": 2, "meter": "total", "monthly_allowance": 1000,
                    "page_price": "0.0500"}]}
BILL = {"id": 5, "contract_id": 9, "from": "2027-02-01", "to": "2027-04-30", "months": 3,
        "currency": "TRY", "total": "75.00",
        "installment": {"id": 7, "seq": 5, "due_on": "2027-05-03", "status": "scheduled"},
        "lines": [{"device_id": 2, "meter": "total", "opening": {"reading_id": 1,
                                                                 "value": 99000},
                   "closing": {"reading_id": 3, "value": 103500}, "unread": False,
                   "pages": 4500, "allowance": 3000, "extra_pages": 1500,
                   "page_price": "0.0500", "amount": "75.00"}]}
VISIT = {"id": 8, "plan_id": 2, "contract_id": 9, "customer_id": 1, "device_id": 2, "seq": 1,
         "version": 2, "status": "due", "state": "due",
         "state_name": {"tr": "Zamanı geldi", "en": "Due"}, "overdue": False,
         "planned_on": "2027-02-01", "scheduled_on": "2027-02-01", "rescheduled": False,
         "rescheduled_reason": None, "window_end": "2027-02-10", "remind_on": "2027-01-25",
         "reminded": True, "attempt": 1, "form": None, "done_on": None, "reason": None,
         "contract_number": "SZ-2027-000009", "customer": {"id": 1, "name": "Öztürk Tekstil"},
         "device": {"id": 2, "brand": "Canon", "model": "iR", "serial": "CN-1"},
         "team": [], "history": [], "site": {"id": 3, "name": "Merkez"},
         "same_day": [{"id": 9, "device_id": 4, "status": "due",
                       "device": {"brand": "Canon", "model": "iR", "serial": "CN-2"}}]}
READINGS = [{"id": 1, "device_id": 2, "contract_id": 9, "visit_id": None, "meter": "total",
             "value": 99000, "replacement": False, "read_on": "2027-01-29", "pages": None,
             "form": {"id": 31, "number": "SF-2027-000031"}, "note": None,
             "by": {"id": 4, "name": "Tülay"}, "at": None},
            {"id": 2, "device_id": 2, "contract_id": 9, "visit_id": 8, "meter": "total",
             "value": 103500, "replacement": False, "read_on": "2027-02-01", "pages": 4500,
             "form": None, "note": None, "by": {"id": 4, "name": "Tülay"}, "at": None}]


def answer(service, method, args):
    if method in ("page_terms", "set_page_terms"):
        return dict(TERMS)
    if method == "page_bills":
        return {"items": [dict(BILL)], "next_cursor": None}
    if method == "bill_pages":
        return {**BILL, "version": 4}
    if method == "get_maintenance_visit":
        return dict(VISIT)
    if method in ("meter_readings", "record_meter_reading"):
        return list(READINGS)
    if method == "maintenance_report_pdf":
        return {"filename": "bakim-raporu-due-2027-03-01.pdf", "pages": 1,
                "content_type": "application/pdf",
                "content_b64": base64.b64encode(b"%PDF-1.7 x").decode()}
    return contract_answer(service, method, args)


@pytest.fixture
def web(gw, _web):  # noqa: F811
    gw.rpc.answer = answer
    return _web


def test_page_terms_edited_as_rows_and_a_period_billed(gw, web):
    browser = web()
    browser.sign_in("contracts")
    page = browser.client.get("/contracts/9")
    assert "Sayfa aşımı" in page.text and "Sayfa koşullarını kaydet" in page.text
    assert 'name="allowance-0" inputmode="numeric" value="1000"' in page.text
    assert "Sayfa dönemi 01.02.2027 – 30.04.2027" in page.text and "₺75,00" in page.text
    token = browser.csrf("/contracts/9")
    gw.rpc.calls.clear()
    r = browser.client.post("/contracts/9/page-terms", data={
        "version": "3", "rows": "3", "csrf_token": token,
        "device-0": "2", "meter-0": "total", "allowance-0": "1200", "price-0": "0,0450",
        "device-1": "2", "meter-1": "color", "allowance-1": "200", "price-1": "0.25",
        "device-2": "2", "meter-2": "", "allowance-2": "", "price-2": ""})
    assert r.status_code == 303 and r.headers["Location"].endswith("/contracts/9#pages")
    (call,) = [c for c in gw.rpc.calls if c.method == "set_page_terms"]
    assert call.args[:2] == (9, {"version": 3, "terms": [
        {"device_id": 2, "meter": "total", "monthly_allowance": 1200, "page_price": "0.0450"},
        {"device_id": 2, "meter": "color", "monthly_allowance": 200, "page_price": "0.25"}]})
    r = browser.client.post("/contracts/9/page-bills", data={
        "version": "3", "from": "2027-02", "to": "2027-04", "csrf_token": token})
    assert r.status_code == 303
    (call,) = [c for c in gw.rpc.calls if c.method == "bill_pages"]
    assert call.args[:2] == (9, {"version": 3, "from": "2027-02", "to": "2027-04"})


def test_a_refused_bill_shows_its_message_in_turkish(gw, web):
    browser = web()
    browser.sign_in("manager")
    token = browser.csrf("/contracts/9")

    def refuse(service, method, args):
        if method == "bill_pages":
            raise invalid(to=[("A period is billed once it is over: it ends on {end} (today "
                               "is {today}).", {"end": "2027-05-31", "today": "2027-05-03"})])
        return answer(service, method, args)
    gw.rpc.answer = refuse
    r = browser.client.post("/contracts/9/page-bills", data={
        "version": "3", "from": "2027-05", "csrf_token": token})
    assert r.status_code == 422
    assert "Bir dönem bittikten sonra faturalanır: 31.05.2027" in r.text  # not ISO


def test_the_desk_reads_the_terms_without_the_forms(gw, web):
    desk = web()
    desk.sign_in("desk")
    page = desk.client.get("/contracts/9")
    assert "Sayfa koşulları" in page.text
    assert "Sayfa koşullarını kaydet" not in page.text and "Sayfaları faturala" not in page.text
    assert "Daikin SN-1" in page.text  # the priced device by name, read-only
    assert desk.client.post("/contracts/9/page-terms", data={}).status_code in (400, 403)


def test_a_visits_readings_say_where_each_was_recorded(gw, web):
    tech = web()
    tech.sign_in("technician")
    page = tech.client.get("/maintenance/visits/8")
    assert page.status_code == 200
    # an English-speaking technician
    assert "SF-2027-000031" in page.text and "this visit" in page.text
    assert "The same day at the site" in page.text and "CN-2" in page.text
    assert "Merkez" in page.text
    token = tech.csrf("/maintenance/visits/8")
    gw.rpc.calls.clear()
    r = tech.client.post("/maintenance/visits/8/readings", data={
        "meter": "total", "value": "104000", "read_on": "2027-02-02", "csrf_token": token})
    assert r.status_code == 303
    (call,) = [c for c in gw.rpc.calls if c.method == "record_meter_reading"]
    assert call.args[1] == {"meter": "total", "value": 104000, "replacement": False,
                            "read_on": "2027-02-02", "note": None}


def test_the_maintenance_report_downloads_as_a_pdf(gw, web):
    browser = web()
    browser.sign_in("manager")
    page = browser.client.get("/maintenance?state=due")
    assert "Bakım raporu" in page.text and "PDF olarak indir" in page.text
    r = browser.client.get("/maintenance/report.pdf?state=due&group_by=customer")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    call = gw.rpc.calls[-1]
    assert call.method == "maintenance_report_pdf" and call.args[1] == "tr"
    assert call.args[0]["state"] == "due" and call.args[0]["group_by"] == "customer"
    r = browser.client.get("/maintenance/report.pdf?state=someday")
    assert r.status_code == 422 and "Bakım raporu" in r.text


def test_a_group_plan_from_the_plans_page(gw, web):
    browser = web()
    browser.sign_in("contracts")
    page = browser.client.get("/maintenance/plans")
    assert "Lokasyon no" in page.text and "Grubun cihazları" in page.text
    token = browser.csrf("/maintenance/plans")
    tech = gw.users["technician"].id
    gw.rpc.calls.clear()
    gw.rpc.answer = lambda service, method, args: {"id": 3, "version": 1}
    r = browser.client.post("/maintenance/plans", data={
        "contract_id": "9", "site_id": "3", "device_ids": "2, 4", "rrule": "FREQ=MONTHLY",
        "window_days": "5", "team": str(tech), "csrf_token": token})
    assert r.status_code == 303
    (call,) = [c for c in gw.rpc.calls if c.method == "create_maintenance_plan"]
    assert (call.args[0]["device_ids"], call.args[0]["site_id"], call.args[0]["device_id"]) \
        == ([2, 4], 3, None)
    gw.rpc.answer = answer
    r = browser.client.post("/maintenance/plans", data={
        "contract_id": "9", "device_ids": "2,4", "rrule": "FREQ=MONTHLY", "team": str(tech),
        "csrf_token": token})
    assert r.status_code == 422 and "site_id" in r.text


@pytest.mark.parametrize("language,shown,read_only", [("tr", "0,0125", "0,0125"),
                                                      ("en", "0.0125", "0.0125")])
def test_a_four_decimal_price_is_saved_back_unchanged(gw, web, language, shown, read_only):
    """The inputs were filled through `number` (Babel's #,##0.###, half-even): 0.0125 became
    0,012 and saving the form wrote 0.012 back; the read-only table showed it so too."""
    terms = {**TERMS, "items": [{**TERMS["items"][0], "page_price": "0.0125",
                                 "monthly_allowance": 12000}]}
    gw.rpc.answer = lambda s, m, a: dict(terms) if m in ("page_terms", "set_page_terms") \
        else answer(s, m, a)
    browser = web()
    browser.sign_in("contracts")
    if language == "en":
        browser.client.post("/language", data={"lang": "en",
                                                "csrf_token": browser.csrf("/contracts/9")})
    page = browser.client.get("/contracts/9")
    assert f'name="price-0" inputmode="decimal" value="{shown}"' in page.text
    gw.rpc.calls.clear()
    r = browser.client.post("/contracts/9/page-terms", data={
        "version": "3", "rows": "2", "csrf_token": browser.csrf("/contracts/9"),
        "device-0": "2", "meter-0": "total", "allowance-0": "12000", "price-0": shown,
        "device-1": "2", "meter-1": "color", "allowance-1": "10",
        "price-1": "1,234.5" if language == "en" else "1.234,5"})
    assert r.status_code == 303
    (call,) = [c for c in gw.rpc.calls if c.method == "set_page_terms"]
    assert [t["page_price"] for t in call.args[1]["terms"]] == ["0.0125", "1234.5"]
    desk = web()
    desk.sign_in("desk")
    if language == "en":
        desk.client.post("/language", data={"lang": "en", "csrf_token": desk.csrf("/contracts/9")})
    page = desk.client.get("/contracts/9")
    assert f'<td class="num">{read_only}</td>' in page.text


def test_a_refused_reading_comes_back_with_what_was_typed(gw, web):
    """A lower reading refused: the visit's page again with the message and the reading, day,
    note and replacement mark as typed (the new user had to type them all again)."""
    tech = web()
    tech.sign_in("technician")
    token = tech.csrf("/maintenance/visits/8")

    def refuse(service, method, args):
        if method == "record_meter_reading":
            raise invalid(value=["Lower than the previous reading."])
        return answer(service, method, args)
    gw.rpc.answer = refuse
    r = tech.client.post("/maintenance/visits/8/readings", data={
        "meter": "renkli", "value": "1.200", "read_on": "2027-02-02",
        "note": "Sayaç değişti mi?", "csrf_token": token})
    assert r.status_code == 422
    for typed in ('name="meter" value="renkli"', 'name="value" inputmode="numeric" '
                  'value="1.200"', 'name="read_on" value="2027-02-02"',
                  'name="note" value="Sayaç değişti mi?"'):
        assert typed in r.text, typed
    assert 'name="replacement" checked' not in r.text


def test_refused_page_terms_come_back_as_typed(gw, web):
    """A save the service refuses (a price it cannot take): the contract's page again with the
    message and every row as typed, the Turkish comma included (the rows were read back from
    the saved terms, and what was typed was lost)."""
    from services.common.exceptions import ValidationFailed

    def refusing(service, method, args):
        if method == "set_page_terms":
            raise ValidationFailed("Invalid input.", {"terms": {"1": {"page_price": [
                "Not a valid number."]}}})
        return answer(service, method, args)
    gw.rpc.answer = refusing
    browser = web()
    browser.sign_in("contracts")
    r = browser.client.post("/contracts/9/page-terms", data={
        "version": "3", "rows": "2", "csrf_token": browser.csrf("/contracts/9"),
        "device-0": "2", "meter-0": "total", "allowance-0": "12000", "price-0": "0,0125",
        "device-1": "2", "meter-1": "renkli", "allowance-1": "500", "price-1": "9,99999"})
    assert r.status_code == 422
    for typed in ('name="allowance-0" inputmode="numeric" value="12000"',
                  'name="price-0" inputmode="decimal" value="0,0125"',
                  'name="meter-1" value="renkli"',
                  'name="allowance-1" inputmode="numeric" value="500"',
                  'name="price-1" inputmode="decimal" value="9,99999"',
                  'name="rows" value="3"'):
        assert typed in r.text, typed
