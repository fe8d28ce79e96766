"""The console's other screens (issue 15) with a fake RPC: what a browser test cannot pin
down in time — the import's progress part polls while the job runs and stops when it is done,
the bar moving with the job — and the access table on the new screens."""
import re

import pytest

JOB = {"id": 7, "status": "running", "kind": "devices", "filename": "a.csv", "total": 400,
       "processed": 100, "created": 90, "updated": 0, "unchanged": 0, "failed": 10,
       "ignored_columns": [], "by": {"id": 1, "name": "M"}, "created_at":
       "2026-11-27T07:05:00+00:00", "finished_at": None,
       "errors": [{"row": 3, "errors": {"customer_city": ["Not a province of Türkiye: "
                                                         "'Atlantis' (write the il, e.g. "
                                                         "İstanbul, or its plate number)."]}}],
       "errors_next_cursor": None}


def csrf_of(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def browser(gw):
    def sign_in(role):
        client = gw.app.test_client()
        page = client.get("/")
        r = client.post("/signin", data={"username": f"user-{role}",
                                         "password": "password-" + role,
                                         "csrf_token": csrf_of(page.text)})
        assert r.status_code == 303
        return client
    return sign_in


def test_the_import_progress_polls_while_the_job_runs_and_stops_when_done(gw, browser):
    state = {"job": dict(JOB)}
    gw.rpc.answer = lambda service, method, args: state["job"]
    client = browser("manager")
    running = client.get("/import/7")
    assert running.status_code == 200
    assert 'hx-trigger="every 1s"' in running.text and 'value="100" max="400"' in running.text
    state["job"] = {**JOB, "processed": 300}
    part = client.get("/import/7/progress", headers={"HX-Request": "true"})
    assert 'value="300" max="400"' in part.text and "hx-trigger" in part.text
    state["job"] = {**JOB, "processed": 400, "status": "done",
                    "finished_at": "2026-11-27T07:06:00+00:00"}
    done = client.get("/import/7/progress", headers={"HX-Request": "true"})
    assert "hx-trigger" not in done.text and "İçe aktarım bitti" in done.text
    assert "Türkiye&#39;nin bir ili değil: &#39;Atlantis&#39;" in done.text  # translated


@pytest.mark.parametrize("path", ["/import", "/import/7"])
def test_the_import_is_for_the_archive_keepers(gw, browser, path):
    gw.rpc.answer = lambda service, method, args: dict(JOB)
    assert browser("desk").get(path).status_code == 403
    assert browser("contracts").get(path).status_code == 200


def test_the_lists_and_records_answer_every_staff_role(gw, browser):
    gw.rpc.answer = lambda service, method, args: {"items": [], "next_cursor": None}
    client = browser("technician")
    for path in ("/forms?state=closed&sort=customer&opened_from=01.11.2026", "/customers",
                 "/devices/ends?month=2027-03"):
        assert client.get(path).status_code == 200, path
    assert client.get("/customers/new").status_code == 403  # technicians do not write them
    sent = [c.args[0] for c in gw.rpc.calls if c.method == "list_forms"]
    assert {"opened_from": "2026-11-01", "sort": "customer"}.items() <= sent[0].items()


HIT = {"id": 1, "code": "KLM-ELK-0001", "title": "IŞIK YANIP SÖNÜYOR", "status": "published",
       "highlights": {"title": {"snippet": "<mark>IŞIK</mark> YANIP &lt;b&gt;", "matches": []}}}


def test_the_knowledge_search_shows_the_services_snippets_as_you_type(gw, browser):
    gw.rpc.answer = lambda service, method, args: {"hits": [HIT], "engine": "tantivy"}
    client = browser("technician")
    part = client.get("/knowledge?q=%C4%B1%C5%9F%C4%B1k&status=published",
                      headers={"HX-Request": "true", "HX-Target": "kb-results"})
    assert part.status_code == 200 and "<html" not in part.text
    assert "<mark>IŞIK</mark> YANIP &lt;b&gt;" in part.text  # the service escaped the rest


DELIVERY = {"id": 5, "message_id": "<m@x>", "event_id": "e", "event_type": "form_created",
            "form_id": 1, "contract_id": None, "recipient": "a@b.c", "language": "tr",
            "subject": "Yeni servis formu", "status": "failed", "attempts": 1,
            "last_error": "550 5.1.1 Mailbox unavailable", "next_attempt_at": None,
            "sent_at": None, "created_at": "2026-11-27T07:05:00+00:00"}


def test_the_delivery_log_offers_a_failed_email_to_resend(gw, browser):
    gw.rpc.answer = lambda service, method, args: (
        {"items": [DELIVERY], "next_cursor": None} if method == "list_deliveries"
        else {**DELIVERY, "status": "pending"})
    client = browser("admin")
    log = client.get("/admin/emails?status=failed")
    assert log.status_code == 200, log.text
    assert "550 5.1.1" in log.text and "Yeniden gönder" in log.text
    r = client.post("/emails/5/resend", data={"back": "emails", "csrf_token": csrf_of(
        log.text)})
    assert r.status_code == 303 and "/admin/emails" in r.headers["Location"]
    assert [c.args for c in gw.rpc.calls if c.method == "resend"] == [(5,)]
    assert browser("manager").get("/admin/emails").status_code == 200  # managers read it
    assert "/emails/5/resend" not in browser("manager").get("/admin/emails").text


def test_a_document_template_page_and_its_preview(gw, browser):
    template = {"kind": "intake_slip", "name": {"tr": "Servis Kabul Fişi", "en": "Intake slip"},
                "version": "builtin-1", "source": "<p>{{ form.number }}</p>",
                "overridden": False, "versions": []}
    pdf = {"content_b64": "JVBERi0=", "filename": "p.pdf", "content_type": "application/pdf"}
    gw.rpc.answer = lambda service, method, args: (
        pdf if method == "preview_template" else template)
    client = browser("admin")
    page = client.get("/admin/templates/intake_slip")
    assert page.status_code == 200, page.text
    assert "&lt;p&gt;{{ form.number }}&lt;/p&gt;" in page.text
    preview = client.get("/admin/templates/intake_slip/preview?language=en")
    assert preview.status_code == 200 and preview.data.startswith(b"%PDF")
    assert [c.args for c in gw.rpc.calls if c.method == "preview_template"][0][1][
        "language"] == "en"


CUSTOMER = {"id": 1, "name": "Çınar Ofis", "version": 2, "language": "tr", "tax_no": None,
            "address": None, "city": None, "district": None, "phone": None, "email": None,
            "rep_name": None, "rep_email": None, "report_frequency": "none",
            "updated_at": "2026-11-27T07:05:00+00:00", "sites": [],
            "contacts": [{"id": 5, "name": "Şule Güneş", "title": "Müdür", "phone": None,
                          "email": "sule@cinar.example.com"},
                         {"id": 6, "name": "Can Kaya", "title": None, "phone": "0532",
                          "email": None}]}


def test_a_contact_is_invited_to_the_portal_from_the_customers_page(gw, browser):
    """Issue 19: staff invite a customer's contact from the console — the contact with an
    e-mail has the button, the invitation goes out through the API's route (an account of the
    customer's, the link e-mailed in the customer's language), the page says to whom; the
    same contact again is the API's refusal on the page, nothing written."""
    def answer(service, method, args):
        if method == "get_customer":
            return dict(CUSTOMER)
        if method == "send_password_reset":
            return {"queued": True}
        return {"items": [], "next_cursor": None}
    gw.rpc.answer = answer
    client = browser("desk")
    page = client.get("/customers/1")
    assert page.text.count("Portala davet et") == 1  # Can Kaya has no e-mail
    token = csrf_of(page.text)
    r = client.post("/customers/1/contacts/5/invite", data={"csrf_token": token})
    assert r.status_code == 303 and "invited=sule@cinar.example.com" in r.location
    assert "Müşteri portalına davet edildi: sule@cinar.example.com" in client.get(
        r.location).text
    (mail,) = [c.args[0] for c in gw.rpc.calls if c.method == "send_password_reset"]
    assert mail["recipient"] == {"name": "Şule Güneş", "email": "sule@cinar.example.com",
                                 "language": "tr"} and mail["kind"] == "invitation"
    user = gw.app.extensions["servis"].users.by_username("sule@cinar.example.com")
    assert (user.role, user.customer_id) == ("customer", 1)
    again = client.post("/customers/1/contacts/5/invite", data={"csrf_token": token})
    assert again.status_code == 409 and "zaten var" in again.text
    assert client.post("/customers/1/contacts/6/invite",
                       data={"csrf_token": token}).status_code == 404  # no e-mail
    assert browser("technician").get("/customers/1").text.count("Portala davet et") == 0
