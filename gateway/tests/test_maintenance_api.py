"""Periodic maintenance's routes beyond the route table's checks: a plan's team is checked
against the accounts (a user who is no active technician, or no user at all, is a 422 naming
`team` with nothing sent to contracts), bad plans are 422s naming the field in Turkish and
English, and the summary report comes as JSON and CSV."""
import pytest

PLAN = {"contract_id": 3, "device_id": 5, "rrule": "FREQ=MONTHLY;INTERVAL=3"}


def test_the_team_is_technicians_only(gw):
    tech, manager = gw.users["technician"].id, gw.users["manager"].id
    for team in ([manager], [tech, 99999], [gw.users["customer"].id]):
        r = gw.client.post("/api/v1/maintenance-plans", json={**PLAN, "team": team},
                           headers={**gw.headers["contracts"], "Accept-Language": "en"})
        assert r.status_code == 422, r.json
        assert list(r.json["error"]["details"]) == ["team"]
        assert "Only active technicians" in r.json["error"]["details"]["team"][0]
    assert gw.rpc.calls == []
    r = gw.client.post("/api/v1/maintenance-plans", json={**PLAN, "team": [tech]},
                       headers=gw.headers["contracts"])
    assert r.status_code == 201
    (call,) = gw.rpc.calls
    assert call.args[0]["team"] == [{"user_id": tech, "name": gw.users["technician"].name,
                                   "email": gw.users["technician"].email, "language": "en"}]


BAD = [
    ({"rrule": ""}, "rrule"),
    ({"window_days": 0}, "window_days"),
    ({"lead_days": "x"}, "lead_days"),
    ({"team": []}, "team"),
    ({"first_on": "2027-02-30"}, "first_on"),
    ({"contract_id": None}, "contract_id"),
]


@pytest.mark.parametrize("change,field", BAD, ids=[f for _, f in BAD])
def test_bad_plans_are_422_naming_the_field(gw, change, field):
    for lang in ("tr", "en"):
        r = gw.client.post("/api/v1/maintenance-plans",
                           json={**PLAN, "team": [gw.users["technician"].id], **change},
                           headers={**gw.headers["manager"], "Accept-Language": lang})
        assert r.status_code == 422 and field in r.json["error"]["details"], r.json
    assert gw.rpc.calls == []


def test_skip_needs_a_reason_and_a_version(gw):
    h = gw.headers["contracts"]
    r = gw.client.post("/api/v1/maintenance-visits/7/skip", json={"version": 1}, headers=h)
    assert r.status_code == 422 and "reason" in r.json["error"]["details"]
    r = gw.client.post("/api/v1/maintenance-visits/7/skip", json={"reason": "x"}, headers=h)
    assert r.status_code == 428
    assert gw.rpc.calls == []


SUMMARY = {"state": "overdue", "group_by": "technician", "today": "2027-03-01", "total": 3,
           "items": [{"key": 5, "label": "İsmail Usta", "visits": 2},
                     {"key": 4, "label": "Tülay Teknisyen", "visits": 1}]}


def test_the_summary_as_json_and_csv(gw):
    gw.rpc.answer = lambda service, method, args: dict(SUMMARY)
    h = gw.headers["technician"]
    r = gw.client.get("/api/v1/reports/maintenance/summary?state=overdue&group_by=technician",
                      headers=h)
    assert r.status_code == 200 and r.json["items"][0]["label"] == "İsmail Usta"
    call = gw.rpc.calls[-1]
    assert (call.service, call.method) == ("contracts", "maintenance_report")
    assert call.args[0] == {"state": "overdue", "group_by": "technician", "days": 30,
                            "from": None, "to": None}
    r = gw.client.get("/api/v1/reports/maintenance/summary?state=overdue&group_by=technician"
                      "&format=csv", headers=gw.headers["manager"])  # a Turkish user
    assert r.status_code == 200 and r.mimetype == "text/csv"
    text = r.get_data(as_text=True)
    assert text.splitlines()[:2] == ["\ufeffGrup;Ziyaret", "İsmail Usta;2"]
    r = gw.client.get("/api/v1/reports/maintenance/summary?state=later", headers=h)
    assert r.status_code == 422 and "state" in r.json["error"]["details"]
    assert gw.client.get("/api/v1/reports/maintenance/summary?state=due",
                         headers=gw.headers["customer"]).status_code == 403


def test_a_plan_change_checks_a_new_team_and_needs_the_version(gw):
    h, tech = gw.headers["contracts"], gw.users["technician"].id
    r = gw.client.patch("/api/v1/maintenance-plans/7", json={"lead_days": 3}, headers=h)
    assert r.status_code == 428
    r = gw.client.patch("/api/v1/maintenance-plans/7",
                        json={"version": 2, "team": [gw.users["desk"].id]}, headers=h)
    assert r.status_code == 422 and list(r.json["error"]["details"]) == ["team"]
    r = gw.client.patch("/api/v1/maintenance-plans/7",
                        json={"version": 2, "from": "2027-02-30"}, headers=h)
    assert r.status_code == 422 and "from" in r.json["error"]["details"]

    def changes():  # (the audit trail reads the plan before a write: get_maintenance_plan)
        return [c for c in gw.rpc.calls if c.method == "change_maintenance_plan"]
    assert changes() == []
    r = gw.client.patch("/api/v1/maintenance-plans/7", json={"version": 2, "lead_days": 3},
                        headers=h)
    (call,) = changes()  # no team sent: the team is left as it is
    assert (call.method, call.args[1]) == ("change_maintenance_plan",
                                           {"version": 2, "lead_days": 3, "from": None})
    gw.client.patch("/api/v1/maintenance-plans/7", json={"version": 2, "team": [tech]},
                    headers=h)
    assert changes()[-1].args[1]["team"][0]["user_id"] == tech
    r = gw.client.post("/api/v1/maintenance-plans/7/cancel", json={"version": 2}, headers=h)
    assert r.status_code == 422 and "reason" in r.json["error"]["details"]
    assert gw.client.post("/api/v1/maintenance-plans/7/cancel",
                          json={"version": 2, "reason": "x"},
                          headers=gw.headers["technician"]).status_code == 403


FORM = {"id": 12, "number": "SF-2027-000012", "version": 3, "device": {"id": 40},
        "maintenance": {"visit_id": 8, "attempt": 2}}


def test_a_reading_from_a_form_asks_forms_then_contracts(gw):
    def answer(service, method, args):
        if method == "get_form":
            return dict(FORM)
        return [{"id": 1, "device_id": 40, "meter": "total", "value": 5200, "pages": None}]
    gw.rpc.answer = answer
    r = gw.client.post("/api/v1/forms/12/readings", json={"value": 5200},
                       headers=gw.headers["technician"])
    assert r.status_code == 201 and r.json["items"][0]["value"] == 5200
    methods = [(c.service, c.method) for c in gw.rpc.calls]
    # the technician's record rule first (forms), then the form, then contracts
    assert methods == [("forms", "check_form_access"), ("forms", "get_form"),
                       ("contracts", "record_form_reading")]
    form, body, _ = gw.rpc.calls[-1].args
    assert form == {"id": 12, "number": "SF-2027-000012", "device_id": 40,
                    "maintenance": {"visit_id": 8, "attempt": 2}}
    assert body == {"value": 5200}
    gw.rpc.reset()
    gw.rpc.answer = answer
    r = gw.client.get("/api/v1/forms/12/readings", headers=gw.headers["desk"])
    assert r.status_code == 200
    assert gw.rpc.calls[-1].method == "device_meter_readings" and gw.rpc.calls[-1].args == (40,)


@pytest.mark.parametrize("body,field", [({"value": -1}, "value"), ({}, "value"),
                                        ({"value": 5, "meter": "Renkli"}, "meter"),
                                        ({"value": 5, "read_on": "2027-13-01"}, "read_on")])
def test_a_bad_reading_is_422_naming_the_field_before_any_call(gw, body, field):
    for lang in ("tr", "en"):
        r = gw.client.post("/api/v1/forms/12/readings", json=body,
                           headers={**gw.headers["manager"], "Accept-Language": lang})
        assert r.status_code == 422 and field in r.json["error"]["details"], r.json
    r = gw.client.post("/api/v1/maintenance-visits/8/readings", json=body,
                       headers=gw.headers["contracts"])
    assert r.status_code == 422 and field in r.json["error"]["details"]
    assert gw.rpc.calls == []


def test_a_lower_reading_is_named_in_turkish_and_english(gw):
    from services.common.exceptions import invalid
    gw.rpc.raises = invalid(value=[(
        "The reading {value} is lower than the previous one ({previous}); mark it as a meter "
        "replacement if the meter was changed.", {"value": 99, "previous": 120})])
    got = {}
    for lang in ("tr", "en"):
        r = gw.client.post("/api/v1/maintenance-visits/8/readings", json={"value": 99},
                           headers={**gw.headers["technician"], "Accept-Language": lang})
        assert r.status_code == 422
        got[lang] = r.json["error"]["details"]["value"][0]
    assert got["en"].startswith("The reading 99 is lower than the previous one (120)")
    assert got["tr"].startswith("99 okuması bir öncekinden (120) düşük")


@pytest.mark.parametrize("terms,where", [
    ([{"device_id": 5, "monthly_allowance": 1000, "page_price": "0.00001"}], "page_price"),
    ([{"device_id": 5, "monthly_allowance": -1, "page_price": "0.05"}], "monthly_allowance"),
    ([{"device_id": 5, "monthly_allowance": 10, "page_price": "NaN"}], "page_price"),
    ([{"monthly_allowance": 10, "page_price": "0.05"}], "device_id"),
])
def test_bad_page_terms_are_422_naming_the_field(gw, terms, where):
    for lang in ("tr", "en"):
        r = gw.client.put("/api/v1/contracts/3/page-terms", json={"terms": terms},
                          headers={**gw.headers["contracts"], "If-Match": '"2"',
                                   "Accept-Language": lang})
        assert r.status_code == 422, r.json
        assert where in r.json["error"]["details"]["terms"]["0"]
    assert gw.rpc.calls == []


@pytest.mark.parametrize("body", [{"from": "2027-13"}, {}, {"from": "2027-02", "to": "27-4"}])
def test_a_bad_page_bill_period_is_422(gw, body):
    r = gw.client.post("/api/v1/contracts/3/page-bills", json=body,
                       headers={**gw.headers["manager"], "If-Match": '"2"'})
    assert r.status_code == 422
    assert set(r.json["error"]["details"]) <= {"from", "to"}
    assert gw.rpc.calls == []


def test_a_group_plan_goes_to_contracts_with_its_site(gw):
    tech = gw.users["technician"].id
    r = gw.client.post("/api/v1/maintenance-plans", json={
        "contract_id": 3, "device_ids": [5, 6], "site_id": 2, "rrule": "FREQ=MONTHLY",
        "team": [tech]}, headers=gw.headers["contracts"])
    assert r.status_code == 201
    sent = gw.rpc.calls[-1].args[0]
    assert (sent["device_ids"], sent["site_id"], sent["device_id"]) == ([5, 6], 2, None)
    gw.rpc.reset()
    for body, field in (({"device_ids": [5, 6]}, "site_id"), ({}, "device_id"),
                        ({"device_ids": [5, 5], "site_id": 2}, "device_ids")):
        r = gw.client.post("/api/v1/maintenance-plans", json={
            "contract_id": 3, "rrule": "FREQ=MONTHLY", "team": [tech], **body},
            headers={**gw.headers["contracts"], "Accept-Language": "tr"})
        assert r.status_code == 422 and field in r.json["error"]["details"], r.json
    assert gw.rpc.calls == []


def test_the_summary_as_a_pdf_in_the_users_language(gw):
    import base64
    gw.rpc.answer = lambda service, method, args: {
        "filename": "bakim-raporu-overdue-2027-03-01.pdf", "content_type": "application/pdf",
        "pages": 1, "content_b64": base64.b64encode(b"%PDF-1.7 report").decode()}
    r = gw.client.get("/api/v1/reports/maintenance/summary?state=overdue&format=pdf"
                      "&from=2027-01", headers=gw.headers["manager"])  # a Turkish user
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.data == b"%PDF-1.7 report"
    assert "bakim-raporu-overdue-2027-03-01.pdf" in r.headers["Content-Disposition"]
    call = gw.rpc.calls[-1]
    assert (call.service, call.method) == ("contracts", "maintenance_report_pdf")
    assert call.args == ({"state": "overdue", "group_by": "month", "days": 30,
                          "from": "2027-01", "to": None}, "tr")
    assert call.timeout == 60
    r = gw.client.get("/api/v1/reports/maintenance/summary?state=overdue&format=pdf",
                      headers=gw.headers["technician"])  # an English user
    assert gw.rpc.calls[-1].args[1] == "en"
    assert gw.client.get("/api/v1/reports/maintenance/summary?state=due&format=pdf",
                         headers=gw.headers["customer"]).status_code == 403
    r = gw.client.get("/api/v1/reports/maintenance/summary?state=due&format=docx",
                      headers=gw.headers["manager"])
    assert r.status_code == 422 and "format" in r.json["error"]["details"]
