"""The contracts' routes beyond the route table's checks: bad input is a 422 naming the field in
Turkish and English with nothing sent to the service; the service's refusals (an overlapping
contract, an expired proposal) reach the user in their language."""
import pytest

from services.common.exceptions import Conflict

PROPOSAL = {"customer_id": 3, "devices": [{"device_id": 5}], "start": "2027-02-01",
            "months": 12, "unit_price": "1000.00"}

BAD = [
    ({"end": "2027-01-01"}, "end", "Bitiş, başlangıçtan önce.", "The end is before the start."),
    ({"months": 121}, "months", None, None),
    ({"unit_price": "-1"}, "unit_price", None, None),
    ({"unit_price": "1.001"}, "unit_price", "En çok iki ondalık hane.", "At most two decimals."),
    ({"devices": [{"device_id": 5}, {"device_id": 5}]}, "devices", None, None),
    ({"currency": "USD"}, "rate", "TRY dışındaki bir para birimi için kur gerekir.",
     "A currency other than TRY needs its rate."),
]


@pytest.mark.parametrize("change,field,tr,en", BAD, ids=[b[1] + str(i) for i, b in
                                                        enumerate(BAD)])
def test_bad_proposals_are_422_naming_the_field_in_tr_and_en(gw, change, field, tr, en):
    got = {}
    for lang in ("tr", "en"):
        r = gw.client.post("/api/v1/proposals", json={**PROPOSAL, **change},
                           headers={**gw.headers["contracts"], "Accept-Language": lang})
        assert r.status_code == 422, r.json
        assert field in r.json["error"]["details"]
        got[lang] = r.json["error"]["details"][field]
    if tr:
        assert got["tr"] == [tr] and got["en"] == [en]
    assert gw.rpc.calls == []


def test_an_overlap_is_a_409_naming_the_other_contract_in_turkish(gw):
    gw.rpc.raises = Conflict("Device {device_id} is already under contract {number} "
                             "({start} – {end}).".format(device_id=5, number="SZ-2027-000001",
                                                          start="2027-01-01",
                                                          end="2027-12-31"),
                             {"device_id": 5, "number": "SZ-2027-000001",
                              "start": "2027-01-01", "end": "2027-12-31"})
    r = gw.client.post("/api/v1/proposals", json=PROPOSAL,
                       headers={**gw.headers["manager"], "Accept-Language": "tr"})
    assert r.status_code == 409
    assert r.json["error"]["message"] == ("5 numaralı cihaz zaten SZ-2027-000001 sözleşmesi "
                                          "kapsamında (01.01.2027 – 31.12.2027).")
    assert r.json["error"]["details"]["start"] == "2027-01-01"  # ISO for programs


def test_desk_reads_but_does_not_write(gw):
    assert gw.client.get("/api/v1/contracts", headers=gw.headers["desk"]).status_code == 200
    r = gw.client.post("/api/v1/contracts/7/cancel", json={"reason": "x", "end": "2027-01-01",
                                                          "version": 1},
                       headers=gw.headers["desk"])
    assert r.status_code == 403


REVENUE = {"from": "2027-01", "to": "2027-12", "currency": "TRY", "group_by": "month",
           "items": [{"key": "2027-02", "label": "2027-02", "installments": 1,
                      "scheduled": "19494.00", "invoiced": "19494.00", "paid": "0.00"}],
           "totals": {"scheduled": "19494.00", "invoiced": "19494.00", "paid": "0.00"}}


def test_contract_revenue_as_json_csv_and_svg(gw):
    gw.rpc.answer = lambda service, method, args: dict(REVENUE)
    base = "/api/v1/reports/contracts/revenue?from=2027-01&to=2027-12"
    r = gw.client.get(base, headers=gw.headers["contracts"])
    assert r.status_code == 200 and r.json["totals"]["scheduled"] == "19494.00"
    assert gw.rpc.calls[-1].args == ({"from": "2027-01", "to": "2027-12",
                                      "group_by": "month"},)
    r = gw.client.get(base + "&format=csv", headers={**gw.headers["manager"],
                                                      "Accept-Language": "tr"})
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "Planlanan" in text and "2027-02" in text
    r = gw.client.get(base + "&format=svg", headers=gw.headers["manager"])
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert "Sözleşme gelirleri" in r.get_data(as_text=True)
    assert gw.client.get(base, headers=gw.headers["desk"]).status_code == 403
    r = gw.client.get("/api/v1/reports/contracts/revenue?from=2027-13&to=2027-12",
                      headers=gw.headers["manager"])
    assert r.status_code == 422 and "from" in r.json["error"]["details"]


def test_a_signed_scan_is_checked_by_content_and_size(gw):
    url = "/api/v1/proposals/7/signed-scan"
    headers = {**gw.headers["contracts"], "If-Match": '"3"', "Accept-Language": "en"}
    r = gw.client.post(url, data=b"hello, not a pdf", headers=headers,
                       content_type="application/pdf")
    assert r.status_code == 422
    assert r.json["error"]["details"] == {"file": ["Not a PDF, JPEG or PNG file (by its "
                                                   "content)."]}
    r = gw.client.post(url, data=b"%PDF-1.7" + b"0" * (10 * 1024 * 1024), headers={
        **headers, "Accept-Language": "tr"}, content_type="application/pdf")
    assert r.status_code == 422 and r.json["error"]["details"] == {"file": ["En çok 10 MB."]}
    assert gw.rpc.calls == []
    r = gw.client.post(url, data=b"\x89PNG\r\n\x1a\n....", headers={
        k: v for k, v in headers.items() if k != "If-Match"}, content_type="image/png")
    assert r.status_code == 428
    r = gw.client.post(url, data=b"\x89PNG\r\n\x1a\n....", headers=headers,
                       content_type="image/png")
    assert r.status_code == 200 and r.headers["ETag"] == '"4"'
    (call,) = gw.rpc.calls
    assert call.method == "attach_signed_scan" and call.args[1]["version"] == 3
    r = gw.client.post(url, data=b"%PDF-1.7", headers=gw.headers["desk"])
    assert r.status_code == 403
