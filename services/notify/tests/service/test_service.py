"""notify against a real SMTP server (aiosmtpd), a real broker and a real database."""
import os
import time
from datetime import datetime, timezone

import pytest
from nameko.standalone.events import event_dispatcher

from services.common.events import make_event
from services.common.exceptions import Conflict, NotFound
from services.common.testing import SmtpSink
from services.notify.service import NotifyService


def form_created(rep_language="tr", rep_email="ayse@servis.local"):
    return make_event("form_created", "forms", {"form": {
        "id": 11, "number": "SF-2026-000011", "kind": "repair",
        "customer": {"id": 3, "name": "IŞIK Soğutma", "email": None, "language": "tr"},
        "rep": {"name": "Ayşe Yılmaz", "email": rep_email, "language": rep_language},
        "device": {"id": 5, "brand": "Bosch", "model": "X1", "device_type": "Klima",
                   "serial": "SN-1"},
        "coverage": None, "complaint": "Kompresör çalışmıyor",
        "opened_at": datetime(2026, 11, 26, 22, 0, tzinfo=timezone.utc)}})


@pytest.fixture
def smtp(tmp_path):
    sink = SmtpSink(tmp_path / "smtp")
    yield sink
    sink.close()


@pytest.fixture
def dispatch(amqp_uri):
    return event_dispatcher({"AMQP_URI": amqp_uri})


def test_form_created_reaches_the_rep_once_even_when_delivered_twice(
        run_services, smtp, dispatch, rpc):
    run_services(NotifyService, SMTP_URL=smtp.url)
    event = form_created()
    dispatch("forms", "form_created", event)
    dispatch("forms", "form_created", event)
    (msg,) = smtp.wait_for(1)
    assert msg["To"] == "Ayşe Yılmaz <ayse@servis.local>"
    assert msg["Subject"] == "Yeni servis formu SF-2026-000011 — IŞIK Soğutma"
    text = msg.get_body(("plain",)).get_content()
    assert "Kompresör çalışmıyor" in text and "Bosch X1" in text and "SN-1" in text
    assert "27.11.2026 01:00" in text  # shown in Europe/Istanbul
    assert msg.get_body(("html",)) is not None
    # the second delivery has been handled too: a third, new event arrives after it, alone
    dispatch("forms", "form_created", form_created(rep_email="other@servis.local"))
    assert [m["To"] for m in smtp.wait_for(2)][1].endswith("<other@servis.local>")
    assert len(smtp.messages()) == 2
    log = wait_status(rpc, 11, "sent")[0]
    assert (log["recipient"], log["attempts"]) == ("ayse@servis.local", 1)


def test_a_replayed_price_approval_decided_changes_nothing(run_services, smtp, dispatch, rpc):
    """The manager who sent the estimate is told of the decision once, however often the
    event arrives (a relay that published it twice, a redelivery)."""
    run_services(NotifyService, SMTP_URL=smtp.url)
    source, payload, _, _ = payloads()["price_approval_decided"]
    event = make_event("price_approval_decided", source, payload)
    for _ in range(3):
        dispatch(source, "price_approval_decided", event)
    (msg,) = smtp.wait_for(1)
    assert msg["Subject"] == "Price rejected — service form SF-2026-000011"
    assert "by the customer (IŞIK Soğutma A.Ş.)" in msg.get_body(("plain",)).get_content()
    dispatch("forms", "form_created", form_created())  # after the replays, alone
    smtp.wait_for(2)
    assert len(smtp.messages()) == 2
    assert [r["recipient"] for r in wait_status(rpc, 11, "sent")] == [
        "john@servis.local", "ayse@servis.local"]


def test_english_for_an_english_speaking_rep(run_services, smtp, dispatch):
    run_services(NotifyService, SMTP_URL=smtp.url)
    dispatch("forms", "form_created", form_created(rep_language="en"))
    (msg,) = smtp.wait_for(1)
    assert msg["Subject"] == "New service form SF-2026-000011 — IŞIK Soğutma"
    assert "A new service form was opened" in msg.get_body(("plain",)).get_content()


def test_without_smtp_url_the_message_is_an_eml_file(run_services, dispatch, tmp_path, rpc):
    run_services(NotifyService, SMTP_URL=None)
    dispatch("forms", "form_created", form_created())
    mail_dir = tmp_path / "mail"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (mail_dir.exists() and os.listdir(mail_dir)):
        time.sleep(0.05)
    (name,) = os.listdir(mail_dir)
    import email
    from email import policy
    msg = email.message_from_bytes((mail_dir / name).read_bytes(), policy=policy.default)
    assert msg["Message-ID"].strip().startswith("<") and "ayse@servis.local" in msg["To"]
    wait_status(rpc, 11, "sent")


# -- every event, retries, resend --------------------------------------------------------------
from nameko.rpc import rpc as nameko_rpc  # noqa: E402

from services.notify.tests.samples import payloads  # noqa: E402

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
       b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


class DocumentsStandIn:
    """Stands in for the forms service's get_document (the contract notify relies on:
    {filename, content_type, content_b64}); forms' own answer is checked end to end
    (tests/e2e/test_e2e_documents.py)."""
    name = "forms"

    @nameko_rpc
    def get_document(self, document_id):
        import base64
        return {"filename": f"belge-{document_id}.pdf", "content_type": "application/pdf",
                "content_b64": base64.b64encode(PDF).decode()}


class ContractsDocumentsStandIn(DocumentsStandIn):
    """The same for contracts' documents (the proposal, the insurance notification)."""
    name = "contracts"


def in_language(value, language):
    """The payload with every person's language set to `language`."""
    if isinstance(value, dict):
        return {k: (language if k == "language" else in_language(v, language))
                for k, v in value.items()}
    if isinstance(value, list):
        return [in_language(v, language) for v in value]
    return value


def test_every_template_arrives_in_turkish_and_in_english(run_services, smtp, dispatch):
    run_services(NotifyService, DocumentsStandIn, ContractsDocumentsStandIn, SMTP_URL=smtp.url)
    expected = {}
    for event_type, (source, payload, recipients, must) in payloads().items():
        for language in ("tr", "en"):
            event = make_event(event_type, source, in_language(payload, language))
            dispatch(source, event_type, event)
            for recipient, _ in recipients:
                expected[(event["event_id"], recipient)] = (event_type, language, must)
    messages = smtp.wait_for(len(expected))
    assert len(messages) == len(expected) == 38
    seen = set()
    for msg in messages:
        event_id = msg["Message-ID"].strip()[1:37]
        recipient = msg["To"].addresses[0].addr_spec
        event_type, language, must = expected.pop((event_id, recipient))
        seen.add((event_type, language))
        text = msg.get_body(("plain",)).get_content()
        assert text.startswith({"tr": "Sayın", "en": "Dear"}[language]), (event_type, text)
        for fragment in must:
            if language == "tr" or not any(c in fragment for c in ",."):
                assert fragment in text, (event_type, fragment, text)
        documents = {"price_approval_requested": 9, "damage_report_issued": 12,
                     "periodic_report_issued": 13, "proposal_sent": 14,
                     "insurance_notice_issued": 15}
        if event_type in documents:
            (pdf,) = [p for p in msg.iter_attachments()]
            assert pdf.get_content_type() == "application/pdf"
            assert pdf.get_filename() == f"belge-{documents[event_type]}.pdf"
            assert pdf.get_content() == PDF
    assert expected == {}
    assert seen == {(t, lang) for t in payloads() for lang in ("tr", "en")}


def wait_status(rpc, form_id, status, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = rpc.notify.deliveries_for_form(form_id)
        if rows and all(r["status"] == status for r in rows):
            return rows
        time.sleep(0.05)
    raise AssertionError(f"not {status} within {timeout} s: {rows}")


RETRIES = {"MAIL_RETRY_ATTEMPTS": 3, "MAIL_RETRY_FIRST_DELAY": 0.2,
           "MAIL_RETRY_MAX_DELAY": 0.4, "MAIL_POLL_SECONDS": 0.1}


@pytest.mark.parametrize("refusal", ["451 4.3.0 Try again later", "554 5.7.1 Rejected"])
def test_refused_mail_is_retried_then_failed_then_resent(run_services, smtp, dispatch, rpc,
                                                         tap, refusal):
    failures = tap("notify", "email_failed")
    run_services(NotifyService, SMTP_URL=smtp.url, **RETRIES)
    smtp.refuse(refusal)
    dispatch("forms", "form_created", form_created())
    (row,) = wait_status(rpc, 11, "failed")
    assert row["attempts"] == 3 and refusal.split()[0] in row["last_error"]
    (event,) = failures.wait(1)
    assert event["message"]["id"] == row["id"] and refusal.split()[0] in event["error"]
    assert smtp.messages() == []
    listed = rpc.notify.list_deliveries({"status": "failed"})["items"]
    assert [d["id"] for d in listed] == [row["id"]]

    smtp.allow()
    assert rpc.notify.resend(row["id"])["status"] == "pending"
    (msg,) = smtp.wait_for(1)
    assert msg["Message-ID"].strip() == row["message_id"]
    (row,) = wait_status(rpc, 11, "sent")
    with pytest.raises(Conflict):
        rpc.notify.resend(row["id"])  # only a failed one
    with pytest.raises(NotFound):
        rpc.notify.resend(424242)


def test_smtp_server_down_is_retried_then_failed(run_services, dispatch, rpc):
    from services.common.testing import free_port
    run_services(NotifyService, SMTP_URL=f"smtp://127.0.0.1:{free_port()}", **RETRIES)
    dispatch("forms", "form_created", form_created())
    (row,) = wait_status(rpc, 11, "failed")
    assert row["attempts"] == 3 and "Connection" in row["last_error"]


def test_a_message_logged_already_is_not_sent_again_the_others_are(
        run_services, smtp, dispatch, rpc):
    """The handler's fallback path: one recipient's message of this event is in the log
    already (as after a crash between two deliveries), so only the other one goes out."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from services.notify.domain import message_id
    from services.notify.models import Delivery
    from services.notify.tests.samples import payloads
    (container,) = run_services(NotifyService, SMTP_URL=smtp.url)
    source, payload, _, _ = payloads()["form_assigned"]
    event = make_event("form_assigned", source, payload)
    engine = create_engine(container.config["DATABASE_URL"])
    with Session(engine) as s:
        s.add(Delivery(message_id=message_id(event["event_id"], "ayse@servis.local"),
                       event_id=event["event_id"], event_type="form_assigned", form_id=11,
                       recipient="ayse@servis.local", subject="earlier", mime=b"x",
                       status="sent", attempts=1))
        s.commit()
    engine.dispose()
    dispatch(source, "form_assigned", event)
    (msg,) = smtp.wait_for(1)
    assert msg["To"].addresses[0].addr_spec == "john@servis.local"
    rows = wait_status(rpc, 11, "sent")
    assert sorted(r["recipient"] for r in rows) == ["ayse@servis.local", "john@servis.local"]
    time.sleep(0.5)
    assert len(smtp.messages()) == 1
