"""The e-mails a Turkish customer read with a wince (issue 13), each pinned: these failed
before the fix."""
import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from services.common.events import load_event, make_event
from services.common.settings import SettingError
from services.notify import domain
from services.notify.settings import NotifySettings
from services.notify.tests.samples import AYSE, CUSTOMER, FORM, payloads

TEMPLATES = domain.Templates()


def render(event_type, payload, language="tr", source="forms"):
    event = load_event(event_type, json.loads(json.dumps(make_event(event_type, source,
                                                                     payload))))
    planned = domain.plan(event)
    return TEMPLATES.render(event_type, language, {**planned[0].context, "company": "Acme",
                                                   "logo_url": None})


COMPLETED = {
    "form": {**FORM, "customer_id": 7, "customer": CUSTOMER,
             "work_summary": "Röle değişti; basınç 13 < 60 bar",
             "parts": [{"code": "R-1", "name": "Kompresör rölesi", "quantity": Decimal("1.000"),
                        "unit_price": Decimal("450.00"), "amount": Decimal("450.00")},
                       {"code": None, "name": "Gaz", "quantity": Decimal("1.500"),
                        "unit_price": Decimal("100.00"), "amount": Decimal("150.00")}],
             "work_minutes": 90,
             "coverage": {"kind": "manufacturer_warranty", "end": date(2027, 6, 30),
                          "reason": {"tr": "Üretici garantisi 30.06.2027 tarihine kadar.",
                                     "en": "Manufacturer warranty until 30 Jun 2027."}}},
    "device_id": 5, "repair_warranty": None,
    "totals": {"labour": Decimal("1125.00"), "parts": Decimal("600.00"),
               "service_fee": Decimal("250.00"), "gross": Decimal("1975.00"),
               "covered": Decimal("1975.00"), "subtotal": Decimal("0.00"),
               "discount": Decimal("0.00"), "vat": Decimal("0.00"), "total": Decimal("0.00"),
               "currency": "TRY"},
    "document": {"service": "forms", "id": 4}}


def test_one_part_reads_one_not_a_thousand():
    text = render("form_completed", COMPLETED)["text"]
    assert "Kompresör rölesi × 1:" in text and "1.000" not in text
    assert "Gaz × 1,5:" in text


def test_completion_shows_labour_fee_and_what_coverage_paid_and_why():
    text = render("form_completed", COMPLETED)["text"]
    assert "İşçilik:          1.125,00\u00a0₺" in text
    assert "Hizmet bedeli:    250,00\u00a0₺" in text
    assert "Kapsamın ödediği: −1.975,00\u00a0₺" in text
    assert "Toplam:           0,00\u00a0₺" in text
    assert "Üretici garantisi — Üretici garantisi 30.06.2027 tarihine kadar." in text
    html = render("form_completed", COMPLETED)["html"]
    assert "Kapsamın ödediği" in html and "İşçilik" in html
    english = render("form_completed", {**COMPLETED, "form": {
        **COMPLETED["form"], "customer": {**CUSTOMER, "language": "en"}}}, "en")["text"]
    assert "Labour:           TRY\u00a01,125.00" in english and "Paid by coverage" in english


def test_the_delivery_receipt_is_attached():
    event = load_event("form_completed", json.loads(json.dumps(make_event(
        "form_completed", "forms", COMPLETED))))
    assert domain.plan(event)[0].document == {"service": "forms", "id": 4}


def test_plain_text_has_no_html_entities_and_one_language():
    text = render("form_completed", COMPLETED)["text"]
    assert "13 < 60" in text and "&lt;" not in text
    assert "&lt;" in render("form_completed", COMPLETED)["html"]  # the HTML still escapes
    reopened = {"form": {**FORM, "customer": CUSTOMER, "rep": AYSE}, "by": None,
                "reason": "Memnuniyet puanı 40 < 60 (satisfaction score 40 below 60).",
                "low_score": {"score": 40, "threshold": 60}}
    tr = render("form_reopened", reopened)["text"]
    assert "Memnuniyet puanı 40, eşiğin (60) altında." in tr
    assert "satisfaction" not in tr and "&lt;" not in tr and "<" not in tr
    en = render("form_reopened", {**reopened, "form": {**reopened["form"], "rep": {
        **AYSE, "language": "en"}}}, "en")["text"]
    assert "Satisfaction score 40, below the threshold of 60." in en and "puanı" not in en


def test_the_form_opened_mail_names_the_device_type():
    _, payload, _, _ = payloads()["form_created"]
    form = {**payload["form"], "device": {**payload["form"]["device"], "device_type": "sogutucu",
                                          "device_type_name": {"tr": "Soğutucu",
                                                               "en": "Refrigerator"}}}
    tr = render("form_created", {"form": form})
    assert "Arçelik (Soğutucu)" in tr["text"] and "sogutucu" not in tr["text"] + tr["html"]
    en = render("form_created", {"form": {**form, "rep": {**AYSE, "language": "en"}}}, "en")
    assert "(Refrigerator)" in en["text"]


def test_management_emails_take_display_names():
    s = NotifySettings.from_config({"MANAGEMENT_EMAILS":
                                    'Genel Müdür <genel@example.com>, "Kaya, Ali" <ali@x.com>'})
    assert s.management_recipients == (
        {"name": "Genel Müdür", "email": "genel@example.com", "language": "tr"},
        {"name": "Kaya, Ali", "email": "ali@x.com", "language": "tr"})


@pytest.mark.parametrize("name, value", [
    ("MANAGEMENT_EMAILS", "Genel Müdür <genel@example"),
    ("MANAGEMENT_EMAILS", "genel"),
    ("MAIL_FROM", "Servis"),
    ("COMPANY_LOGO_URL", "logo.png"),
])
def test_a_bad_setting_stops_the_start_naming_it(name, value):
    with pytest.raises(SettingError, match=name):
        NotifySettings.from_config({name: value})


def test_formats_are_the_readers():
    assert domain.money("1234.5", "TRY", "tr") == "1.234,50\u00a0₺"
    assert domain.date_text(date(2027, 1, 5), "tr") == "05.01.2027"
    assert domain.local_time(datetime(2027, 1, 5, 11, 30, tzinfo=timezone.utc), "tr") == \
        "05.01.2027 14:30 (TRT)"
