"""notify against a real SMTP server (aiosmtpd), a real broker and a real database."""
import os
from datetime import datetime, timezone

import pytest
from nameko.standalone.events import event_dispatcher

from services.common.events import make_event
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
    (log,) = rpc.notify.deliveries_for_form(11)[:1]
    assert (log["status"], log["recipient"], log["attempts"]) == ("sent", "ayse@servis.local", 1)


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
    import time
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (mail_dir.exists() and os.listdir(mail_dir)):
        time.sleep(0.05)
    (name,) = os.listdir(mail_dir)
    import email
    from email import policy
    msg = email.message_from_bytes((mail_dir / name).read_bytes(), policy=policy.default)
    assert msg["Message-ID"].strip().startswith("<") and "ayse@servis.local" in msg["To"]
    assert rpc.notify.deliveries_for_form(11)[0]["status"] == "sent"
