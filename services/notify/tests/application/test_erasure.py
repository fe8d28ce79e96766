"""notify's KVKK erasure (`customer_erased`) and its e-mail retention setting on a real
database: every message about the customer's forms or contracts, or to their address, loses
its bytes and the person's strings; the row stays (when, what, its status); one still waiting
is not sent and cannot be resent;
nobody else's message changes."""
import json
from email.message import EmailMessage
from datetime import timedelta
from types import SimpleNamespace

import pytest

from services.common.erasure import MARKER
from services.common.events import make_event
from services.common.exceptions import Conflict
from services.common.models import utcnow
from services.common.testing import application, file_holds, strings_held
from services.notify.models import Base, Delivery
from services.notify.service import NotifyService
from services.notify.settings import NotifySettings
from services.notify.tests.application.test_password_reset import notify  # noqa: F401
from services.notify.tests.application.test_personal_data import _delivery

NEEDLES = ("ayse.yilmaz@example.com", "Ayşe Yılmazoğlu", "0532 111 22 33")


def test_the_messages_about_the_customer_lose_their_bytes(notify):  # noqa: F811
    mime = "Subject: Ayşe Yılmazoğlu\r\n\r\nSayın Ayşe Yılmazoğlu, 0532 111 22 33".encode()
    notify.db.add_all([
        _delivery(1, form_id=11, recipient="ayse.yilmaz@example.com", status="sent"),
        _delivery(2, form_id=11, status="pending"),  # to the representative, about the form
        _delivery(3, contract_id=5, status="failed"),
        _delivery(4, recipient="other@example.com", status="sent")])
    notify.db.flush()
    for d in notify.db.query(Delivery).filter(Delivery.id != 4):
        d.mime = mime
        d.subject = "Servis formu — Ayşe Yılmazoğlu"
    notify.db.commit()
    engine = notify.db.get_bind()
    assert strings_held(engine, NEEDLES)
    notify.handle_customer_erased(json.loads(json.dumps(make_event(
        "customer_erased", "devices", {"customer_id": 7, "marker": MARKER,
                                       "personal": list(NEEDLES), "form_ids": [11],
                                       "contract_ids": [5]}))))
    rows = {d.id: d for d in notify.db.query(Delivery).order_by(Delivery.id)}
    assert [rows[i].mime for i in (1, 2, 3)] == [b"", b"", b""]
    assert rows[4].mime.startswith(b"Subject: Konu 4")
    assert rows[1].recipient == MARKER and rows[1].status == "sent"
    assert rows[2].status == "failed" and "KVKK" in rows[2].last_error
    assert rows[1].subject == f"Servis formu — {MARKER}"
    notify.db.commit()  # the one SQLite connection back to the pool for the scan
    assert strings_held(engine, NEEDLES) == []
    assert file_holds(str(engine.url), NEEDLES) == []
    with pytest.raises(Conflict):
        notify.resend(3)


def test_the_retention_setting_drops_old_bodies_and_keeps_the_rows(database_url):
    service, engine = application(
        NotifyService, database_url("notify"),
        NotifySettings.from_config({"MAIL_BODY_RETENTION_DAYS": "30"}), Base.metadata,
        sender=SimpleNamespace(wake=lambda: None))
    try:
        now = utcnow()
        service.db.add_all([
            _delivery(1, status="sent", sent_at=now - timedelta(days=31)),
            _delivery(2, status="sent", sent_at=now - timedelta(days=29)),
            _delivery(3, status="failed", occurred_at=now - timedelta(days=90))])
        service.db.commit()
        assert service.drop_old_bodies() == 1
        rows = {d.id: d for d in service.db.query(Delivery)}
        assert rows[1].mime == b"" and rows[1].subject == "Konu 1" and rows[1].status == "sent"
        assert rows[2].mime and rows[3].mime  # younger, or never sent: kept
        service.db.commit()
        assert service.drop_old_bodies() == 0  # nothing more to drop
        assert NotifySettings.from_config({}).body_retention_days == 0  # kept for good
    finally:
        service.db.close()
        engine.dispose()


def test_a_contact_persons_erasure_empties_the_messages_to_them_only(notify):  # noqa: F811
    contact = ("Can Özdemir", "can.oz@example.com", "0533 444 55 66")
    notify.db.add_all([
        _delivery(1, form_id=11, recipient="can.oz@example.com", status="sent"),
        _delivery(2, form_id=11, recipient="ayse@example.com", status="sent"),
        _delivery(3, form_id=11, recipient="can.oz@example.com", status="pending"),
        _delivery(4, form_id=11, recipient="ayse@example.com", status="sent"),
        _delivery(5, form_id=11, recipient="ayse@example.com", status="sent")])
    notify.db.flush()
    rows = {d.id: d for d in notify.db.query(Delivery)}
    for i in (1, 2, 3):
        rows[i].mime = f"Subject: Form\r\n\r\nYetkili: Can Özdemir, 0533 444 55 66 ({i})".encode()
    encoded = EmailMessage()  # the contact's name only in a base64 body
    encoded["Subject"] = "Form"
    encoded.set_content("Yetkili: Can Özdemir arayacak", cte="base64")
    rows[5].mime = encoded.as_bytes()
    notify.db.commit()
    engine = notify.db.get_bind()
    assert strings_held(engine, contact) and b"Can" not in rows[5].mime
    notify.handle_contact_erased(json.loads(json.dumps(make_event(
        "contact_erased", "devices", {"customer_id": 7, "contact_id": 2, "marker": MARKER,
                                      "personal": list(contact)}))))
    rows = {d.id: d for d in notify.db.query(Delivery).order_by(Delivery.id)}
    assert [rows[i].mime for i in (1, 2, 3, 5)] == [b"", b"", b"", b""]
    assert rows[3].status == "failed" and "KVKK" in rows[3].last_error
    assert rows[1].recipient == MARKER
    # the customer's message naming them keeps its row; the one that does not, its bytes
    assert (rows[2].status, rows[2].recipient) == ("sent", "ayse@example.com")
    assert rows[4].mime.startswith(b"Subject: Konu 4")
    notify.db.commit()
    assert strings_held(engine, contact) == []
    assert file_holds(str(engine.url), contact) == []
