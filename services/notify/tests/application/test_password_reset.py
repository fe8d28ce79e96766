"""The gateway's reset-by-e-mail link (issue 20) goes out through notify like every e-mail: one
message in the delivery log, in the account's language, holding the link."""
from email import message_from_bytes, policy
from types import SimpleNamespace

import pytest

from services.common.exceptions import ValidationFailed
from services.common.testing import application
from services.notify.models import Base, Delivery
from services.notify.service import NotifyService
from services.notify.settings import NotifySettings


@pytest.fixture
def notify(database_url):
    woken = []
    service, engine = application(NotifyService, database_url("notify"),
                                  NotifySettings.from_config({}), Base.metadata,
                                  sender=SimpleNamespace(wake=lambda: woken.append(1)))
    service.woken = woken
    yield service
    service.db.close()
    engine.dispose()


@pytest.mark.parametrize("language,words,valid", [("tr", "şifrenizi", "(1 saat geçerli"),
                                                  ("en", "password", "(valid for 1 hour,")])
def test_a_reset_link_is_one_message_in_the_log(notify, language, words, valid):
    link = "http://127.0.0.1:8000/reset-password#abc-123"
    assert notify.send_password_reset({
        "recipient": {"name": "Ayşe Işık", "email": "ayse@example.com", "language": language},
        "link": link, "valid_minutes": 60}) == {"queued": True}
    rows = notify.db.query(Delivery).all()
    assert len(rows) == 1 and rows[0].recipient == "ayse@example.com"
    assert rows[0].status == "pending" and notify.woken
    text = message_from_bytes(rows[0].mime, policy=policy.default).get_body(
        ("plain",)).get_content()
    assert link in text and words in text.lower() + rows[0].subject.lower()
    assert valid in text  # in the largest whole unit, not "60 dakika"


def test_a_links_validity_in_the_largest_whole_unit():
    from services.notify.domain import validity
    assert [validity(m, "tr") for m in (10080, 1440, 120, 90, 1)] == [
        "7 gün", "1 gün", "2 saat", "90 dakika", "1 dakika"]
    assert [validity(m, "en") for m in (10080, 1440, 60, 1, 30)] == [
        "7 days", "1 day", "1 hour", "1 minute", "30 minutes"]


def test_a_bad_ask_is_refused_and_logs_nothing(notify):
    with pytest.raises(ValidationFailed):
        notify.send_password_reset({"recipient": {"name": "x", "email": "not-an-address"},
                                    "link": "http://x/reset", "valid_minutes": 60})
    assert notify.db.query(Delivery).count() == 0
