"""Documents and formats at the edge, against the fake RPC client: a PDF answered as the
bytes the service keeps, the revenue chart's axis and the CSV dates in the reader's
language (issue 13)."""
import base64
import hashlib

PDF = b"%PDF-1.7\n% a document\n%%EOF\n"


def test_a_document_downloads_as_the_pdf_the_service_keeps(gw):
    sha = hashlib.sha256(PDF).hexdigest()
    gw.rpc.answer = lambda service, method, args: {
        "id": 8, "filename": "SF-2027-000007-KF1.pdf", "content_type": "application/pdf",
        "content_b64": base64.b64encode(PDF).decode(), "sha256": sha}
    r = gw.client.get("/api/v1/forms/7/documents/8", headers=gw.headers["desk"])
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.get_data() == PDF and r.headers["ETag"] == f'"{sha}"'
    assert 'filename="SF-2027-000007-KF1.pdf"' in r.headers["Content-Disposition"]
    call = gw.rpc.calls[-1]
    assert (call.service, call.method, call.args) == ("forms", "get_form_document", (7, 8))


def test_a_preview_as_html_stays_json(gw):
    gw.rpc.answer = lambda service, method, args: {"kind": "intake_slip", "html": "<p>x</p>"}
    r = gw.client.post("/api/v1/document-templates/intake_slip/preview",
                       json={"html": True}, headers=gw.headers["admin"])
    assert r.status_code == 200 and r.json == {"kind": "intake_slip", "html": "<p>x</p>"}


def test_the_revenue_chart_speaks_turkish(gw):
    gw.rpc.answer = lambda service, method, args: {
        "from": "2027-01-01", "to": "2027-01-31", "currency": "TRY", "others": None,
        "items": [{"day": "2027-01-05", "total": "1200.00", "forms": 1}]}
    r = gw.client.get("/api/v1/reports/revenue?group_by=day&from=2027-01-01&to=2027-01-31"
                      "&format=svg", headers=gw.headers["manager"])
    svg = r.get_data(as_text=True)
    assert r.status_code == 200 and "1,5\u00a0B" in svg and "1.5k" not in svg
    assert "1.200,00\u00a0₺" in svg


def test_csv_dates_read_as_the_emails_do(gw):
    def answer(service, method, args):
        if method == "list_catalogue":
            return []
        if method == "list_device_types":
            return []
        return {"items": [{
            "number": "SF-2027-000001", "kind": "repair", "status_name": {"tr": "Yeni",
                                                                          "en": "New"},
            "customer_name": "Öztürk", "device": {"brand": "B", "model": None,
                                                  "device_type": None, "serial": "S"},
            "fault_type": None, "coverage": None, "complaint": "x",
            "totals": {"total": "10.00"}, "created_at": "2027-01-05T11:30:00+00:00",
            "delivered_at": None, "closed_at": None}], "next_cursor": None}
    gw.rpc.answer = answer
    r = gw.client.get("/api/v1/forms?format=csv", headers=gw.headers["manager"])
    text = r.get_data(as_text=True)
    assert "05.01.2027 14:30" in text and "2027-01-05" not in text
