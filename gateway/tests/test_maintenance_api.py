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
