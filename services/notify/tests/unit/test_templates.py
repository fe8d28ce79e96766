"""Every template renders in Turkish and English with a real payload (no broker needed)."""
import json

import pytest

from services.common.events import load_event, make_event
from services.notify import domain
from services.notify.tests.samples import payloads

TEMPLATES = domain.Templates()
GREETING = {"tr": "Sayın", "en": "Dear"}


def loaded(event_type, payload, source):
    return load_event(event_type, json.loads(json.dumps(make_event(event_type, source, payload))))


@pytest.mark.parametrize("event_type", sorted(payloads()))
@pytest.mark.parametrize("language", ["tr", "en"])
def test_template_renders_in_both_languages(event_type, language):
    source, payload, recipients, _ = payloads()[event_type]
    event = loaded(event_type, payload, source)
    planned = domain.plan(event)
    assert [(p.recipient, p.language) for p in planned] == recipients
    parts = TEMPLATES.render(event_type, language, {**planned[0].context, "company": "Acme Servis",
                                                    "logo_url": "https://x/logo.png"})
    assert parts["subject"] and "\n" not in parts["subject"]
    assert parts["text"].startswith(GREETING[language])
    assert "None" not in parts["text"] + parts["subject"]
    assert "Acme Servis" in parts["text"] and "Acme Servis" in parts["html"]
    assert '<img src="https://x/logo.png"' in parts["html"]
    if "form" in payload:
        assert payload["form"]["number"] in parts["subject"] + parts["text"]
    assert "&" not in parts["text"] + parts["subject"], "plain text with HTML entities"


def test_every_event_notify_handles_has_both_languages():
    # and the gateway's reset-by-e-mail link (an RPC, no event on the bus)
    assert TEMPLATES.events("tr") == TEMPLATES.events("en") == set(payloads()) | {
        "password_reset_requested", "portal_invitation_requested"}


def test_html_escapes_what_users_typed():
    source, payload, _, _ = payloads()["form_created"]
    payload = {"form": {**payload["form"], "complaint": "<script>alert(1)</script>"}}
    planned = domain.plan(loaded("form_created", payload, source))
    parts = TEMPLATES.render("form_created", "tr", {**planned[0].context, "company": "S",
                                                    "logo_url": None})
    assert "<script>" not in parts["html"] and "&lt;script&gt;" in parts["html"]


def test_money_and_backoff():
    assert domain.money("1234.5", "TRY", "tr") == "1.234,50\u00a0₺"
    assert domain.money("1234.505", "TRY", "en") == "TRY\u00a01,234.51"
    assert [domain.backoff(n, 2, 10) for n in (1, 2, 3, 4)] == [2, 4, 8, 10]


def test_satisfaction_low_falls_back_to_configured_management():
    source, payload, _, _ = payloads()["satisfaction_low"]
    event = loaded("satisfaction_low", {**payload, "management": []}, source)
    boss = {"name": "Müdür", "email": "mudur@servis.local", "language": "tr"}
    assert [p.recipient for p in domain.plan(event, management=[boss])] == ["mudur@servis.local"]


@pytest.mark.parametrize("language", ["tr", "en"])
def test_a_group_plans_reminder_lists_its_devices(language):
    """contracts sends one maintenance_due per (plan, date): a group's devices in the list."""
    source, payload, _, _ = payloads()["maintenance_due"]
    devices = [{"id": 10, "brand": "Bosch", "model": "K1", "serial": "SN-10"},
               {"id": 11, "brand": "Arçelik", "model": None, "serial": "SN-11"}]
    planned = domain.plan(loaded("maintenance_due", {**payload, "devices": devices}, source))
    parts = TEMPLATES.render("maintenance_due", language, {
        **planned[0].context, "company": "S", "logo_url": None})
    assert "- Bosch K1 (SN-10)\n- Arçelik (SN-11)" in parts["text"]
    assert "<li>Arçelik (SN-11)</li>" in parts["html"]
    assert "None" not in parts["text"]
