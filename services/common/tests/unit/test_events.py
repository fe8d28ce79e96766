import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from services.common.events import (
    ENVELOPE_FIELDS, EVENT_SCHEMAS, EVENT_TYPES, dump_event, load_event, make_event,
    make_events)

UTC = dt.timezone.utc
CUSTOMER = {"id": 7, "name": "Işık Soğutma A.Ş.", "email": "info@isik.example.com",
            "language": "tr"}
REP = {"user_id": 3, "name": "Ayşe Yılmaz", "email": "ayse@servis.example.com", "language": "tr"}
FORM = {"id": 42, "number": "SF-2026-000042"}
FORM_OF_CUSTOMER = {**FORM, "customer_id": 7,
                    "maintenance": {"visit_id": 9, "attempt": 1}}
BY = {"user_id": 2, "name": "Mehmet Öztürk"}
RECIPIENT = {"name": "Can Demir", "email": "can@servis.example.com", "language": "en"}
CONTRACT = {"contract": {"id": 5, "number": "BS-2026-0005", "customer_id": 7,
                         "start": dt.date(2026, 1, 1), "end": dt.date(2026, 12, 31),
                         "pays": {"labour": True, "parts": False, "fee": True},
                         "service_levels": {"response_hours": 4, "repair_hours": None}},
            "devices": [11, 12]}
DUE = {"contract_id": 5, "plan_id": None, "due_date": dt.date(2026, 12, 1),
       "recipients": [RECIPIENT]}
MESSAGE = {"id": 100, "event_id": "0b8e4a36-6f0e-4a55-9d3e-1f1c2b3a4d5e",
           "recipient": "ayse@servis.example.com", "subject": "Yeni servis formu"}

REQUEST = {"id": 8, "customer_id": 7, "complaint": "Soğutmuyor",
           "device": {"id": None, "brand": "Daikin", "model": None, "device_type": None,
                      "serial": "DK-0001"},
           "photos": [{"service": "portal", "id": 3}]}

SAMPLES = {
    "customer_erased": {"customer_id": 7, "marker": "[KVKK: silindi]",
                        "personal": ["Ayşe Yılmaz", "ayse@example.com", "0532 111 22 33"],
                        "form_ids": [42], "contract_ids": [5], "by": BY},
    "contact_erased": {"customer_id": 7, "contact_id": 3, "marker": "[KVKK: silindi]",
                       "personal": ["Can Özdemir", "can@example.com"], "by": BY},
    "customer_created": {"customer": {**CUSTOMER, "tax_no": "1234567890", "rep": REP,
                                      "version": 1, "report_frequency": "none"}},
    "customer_updated": {"customer": {**CUSTOMER, "tax_no": None, "rep": None, "version": 2,
                                      "report_frequency": "quarterly"}},
    "device_registered": {"device": {"id": 11, "customer_id": 7, "brand": "Daikin",
                                     "model": "FTXM35R", "device_type": "Klima",
                                     "device_type_name": None, "serial": "DK-0001"}},
    "device_coverage_changed": {"device_id": 11, "coverage": {
        "kind": "contract", "source_id": 5, "start": dt.date(2026, 1, 1),
        "end": dt.date(2026, 12, 31)}},
    "form_created": {"form": {
        **FORM, "kind": "repair", "source": "desk", "customer": CUSTOMER,
        "maintenance": None,
        "rep": {"user_id": None, "name": "Ayşe Yılmaz", "email": None, "language": "tr"},
        "device": {"id": 11, "brand": "Daikin", "model": None, "device_type": "klima",
                   "device_type_name": {"tr": "Klima", "en": "Air conditioner"},
                   "serial": "DK-0001"},
        "coverage": {"kind": "manufacturer_warranty", "end": dt.date(2027, 3, 1)},
        "complaint": "IŞIK ARIZASI, soğutmuyor",
        "opened_at": dt.datetime(2026, 11, 26, 9, 30, 0, 123456, tzinfo=UTC),
        "tracking_url": "http://127.0.0.1:8000/track/abc"},
        "document": {"service": "forms", "id": 3}},
    "form_assigned": {"form": FORM, "assignees": [
        {**REP, "user_id": 4}, {"user_id": 5, "name": "John Smith", "email": None,
                                "language": "en"}], "by": BY},
    "form_status_changed": {"form": FORM_OF_CUSTOMER, "from": "ASSIGNED", "to": "DIAGNOSIS",
                            "sub_status": None, "by": BY, "note": "Kompresör arızalı",
                            "customer_visible": True},
    "price_approval_requested": {
        "form": FORM, "customer": {"name": "Işık Soğutma A.Ş.", "email": "info@isik.example.com",
                                   "language": "en"},
        "total": Decimal("1234.50"), "currency": "TRY",
        "approval_url": "https://servis.example.com/onay/abc",
        "expires_at": dt.datetime(2026, 12, 3, 21, 0, tzinfo=UTC), "document": {"service": "forms", "id": 9},
        "estimate_version": 2},
    "price_approval_decided": {"form": FORM, "decision": "approved",
                               "by": {"user_id": None, "name": None, "customer_id": 7},
                               "at": dt.datetime(2026, 11, 27, 8, 15, tzinfo=UTC),
                               "estimate_version": 2, "via": "link", "note": "Uygun",
                               "recipients": [{"name": "Mehmet Müdür",
                                               "email": "mudur@example.com",
                                               "language": "tr"}]},
    "form_completed": {"form": {**FORM_OF_CUSTOMER, "customer": CUSTOMER,
                                "work_summary": "Kompresör değiştirildi, gaz dolumu yapıldı",
                                "parts": [{"code": "KMP-1", "name": "Kompresör",
                                           "quantity": Decimal("1"),
                                           "unit_price": Decimal("800.00"),
                                           "amount": Decimal("800.00")}],
                                "work_minutes": 90,
                                "coverage": {"kind": "none", "end": None, "reason": {
                                    "tr": "Kapsam dışı", "en": "Not covered"}}},
                       "device_id": 11,
                       "repair_warranty": {"start": dt.date(2026, 11, 26),
                                           "end": dt.date(2027, 2, 26)},
                       "totals": {"labour": Decimal("150.00"), "parts": Decimal("800.00"),
                                  "service_fee": Decimal("50.00"), "gross": Decimal("1000.00"),
                                  "covered": Decimal("0.00"),
                                  "subtotal": Decimal("1000.00"), "discount": Decimal("50.00"),
                                  "vat": Decimal("190.00"), "total": Decimal("1140.00"),
                                  "currency": "TRY"},
                       "document": {"service": "forms", "id": 4}},
    "satisfaction_recorded": {"form": FORM, "score": 85, "threshold": 60},
    "satisfaction_low": {"form": FORM, "customer": {"id": 7, "name": "Işık Soğutma A.Ş."},
                         "score": 40, "threshold": 60,
                         "answers": [{"question": "Zamanında gelindi mi?", "answer": 2},
                                     {"question": "Yorum", "answer": "Geç kalındı"}],
                         "management": [RECIPIENT]},
    "form_reopened": {"form": {**FORM, "customer": CUSTOMER, "rep": REP}, "by": None,
                      "reason": "Düşük memnuniyet", "low_score": {"score": 40,
                                                                 "threshold": 60}},
    "damage_report_issued": {"form": FORM, "customer": {"id": 7, "name": "Işık Soğutma A.Ş."},
                             "insurer": {"name": "Güven Sigorta", "email": "hasar@example.com",
                                         "language": "tr"},
                             "policy_no": "POL-1", "document": {"service": "forms", "id": 5}},
    "periodic_report_issued": {"customer": CUSTOMER, "period": {
        "start": dt.date(2026, 10, 1), "end": dt.date(2026, 12, 31)},
        "number": "PSR-7-20261001-20261231", "document": {"service": "forms", "id": 6}},
    "form_closed": {"form": {**FORM, "customer": CUSTOMER, "rep": REP}, "by": BY,
                    "summary": "Kompresör değiştirildi"},
    "proposal_sent": {"proposal": {"id": 4, "number": "TK-2027-000004"},
                      "customer": RECIPIENT, "document": {"service": "contracts", "id": 9}},
    "insurance_notice_issued": {"contract": {"id": 5, "number": "SZ-2027-000005"},
                                "insurer": RECIPIENT, "document": {"service": "contracts",
                                                                   "id": 10}},
    "contract_activated": CONTRACT,
    "contract_expired": CONTRACT,
    "contract_renewal_due": DUE,
    "contract_invoice_due": DUE,
    "maintenance_due": {**DUE, "contract_id": None, "plan_id": 3, "devices": [
        {"id": 10, "brand": "Bosch", "model": "K1", "device_type": None,
         "device_type_name": None, "serial": "SN-10"}]},
    "maintenance_visit_due": {
        "visit": {"id": 9, "attempt": 2, "plan_id": 3, "contract_id": 5, "device_id": 11,
                  "due": dt.date(2026, 12, 1), "window_end": dt.date(2026, 12, 8)},
        "team": [{**REP, "user_id": 4}], "customer": CUSTOMER, "rep": REP,
        "device": {"id": 11, "brand": "Daikin", "model": "FTXM35R", "device_type": "Klima",
                   "device_type_name": None, "serial": "DK-0001"},
        "contract": {k: v for k, v in CONTRACT["contract"].items() if k != "customer_id"},
        "complaint": "Periyodik bakım"},
    "service_request_submitted": {"request": REQUEST},
    "service_request_accepted": {"request": REQUEST,
                                 "form": {"id": 42, "number": "SF-2026-000042"}},
    "service_request_declined": {"request": REQUEST, "reason": "Garanti kapsamında değil"},
    "article_published": {"article": {"id": 2, "code": "KB-0002", "title": "Kompresör değişimi"}},
    "email_sent": {"message": MESSAGE},
    "email_failed": {"message": MESSAGE, "error": "550 mailbox unavailable"},
}

DESIGN_EVENTS = {
    "customer_created", "customer_updated", "device_registered", "device_coverage_changed",
    "form_created", "form_assigned", "form_status_changed", "price_approval_requested",
    "price_approval_decided", "form_completed", "satisfaction_recorded", "satisfaction_low",
    "form_reopened", "form_closed", "contract_activated", "contract_expired",
    "contract_renewal_due", "contract_invoice_due", "maintenance_due",
    "maintenance_visit_due", "service_request_submitted", "service_request_accepted",
    "service_request_declined", "article_published", "email_sent", "email_failed",
    "damage_report_issued", "periodic_report_issued", "proposal_sent",
    "insurance_notice_issued", "customer_erased", "contact_erased",
}


def _wire(event_type, payload=None, **kwargs):
    """A message as a consumer gets it: made, then through JSON."""
    message = make_event(event_type, "test", SAMPLES[event_type] if payload is None else payload,
                         **kwargs)
    return json.loads(json.dumps(message))


def test_every_design_event_has_a_schema():
    assert len(DESIGN_EVENTS) == 32
    assert EVENT_TYPES == DESIGN_EVENTS == set(EVENT_SCHEMAS) == set(SAMPLES)


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_round_trip_through_json(event_type):
    payload = SAMPLES[event_type]
    wire = _wire(event_type)
    loaded = load_event(event_type, wire)
    assert {k: v for k, v in loaded.items() if k not in ENVELOPE_FIELDS} == payload
    assert set(wire) == set(payload) | ENVELOPE_FIELDS
    assert dump_event(event_type, loaded) == wire


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_envelope(event_type):
    before = dt.datetime.now(UTC)
    wire = _wire(event_type)
    assert str(uuid.UUID(wire["event_id"])) == wire["event_id"]
    assert uuid.UUID(wire["event_id"]).version == 4
    assert (wire["event_type"], wire["version"], wire["producer"]) == (event_type, 1, "test")
    occurred = dt.datetime.fromisoformat(wire["occurred_at"])
    assert occurred.utcoffset() == dt.timedelta(0) and wire["occurred_at"].endswith("+00:00")
    assert before <= occurred <= dt.datetime.now(UTC)
    assert load_event(event_type, wire)["occurred_at"] == occurred


def test_each_event_gets_its_own_id_and_a_version():
    first, second = _wire("article_published"), _wire("article_published", version=2)
    assert first["event_id"] != second["event_id"]
    assert second["version"] == 2
    with pytest.raises(ValidationError):
        _wire("article_published", version=0)


def test_money_is_an_exact_decimal_string():
    wire = _wire("price_approval_requested")
    assert wire["total"] == "1234.50"
    total = load_event("price_approval_requested", wire)["total"]
    assert isinstance(total, Decimal) and str(total) == "1234.50"
    totals = _wire("form_completed")["totals"]
    assert (totals["total"], totals["discount"]) == ("1140.00", "50.00")
    with pytest.raises(ValidationError) as error:
        _wire("price_approval_requested", {**SAMPLES["price_approval_requested"], "total": 1234.5})
    assert "total" in error.value.messages


def test_dates_and_times_are_iso_strings():
    wire = _wire("form_created")
    assert wire["form"]["opened_at"] == "2026-11-26T09:30:00.123456+00:00"
    assert wire["form"]["coverage"]["end"] == "2027-03-01"
    naive = {**SAMPLES["price_approval_decided"], "at": dt.datetime(2026, 11, 27, 8, 15)}
    assert _wire("price_approval_decided", naive)["at"] == "2026-11-27T08:15:00+00:00"


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_make_event_names_a_missing_required_field(event_type):
    schema = EVENT_SCHEMAS[event_type]()
    required = [name for name, field in schema.fields.items()
                if field.required and name not in ENVELOPE_FIELDS]
    assert required
    for name in required:
        payload = {k: v for k, v in SAMPLES[event_type].items() if k != name}
        with pytest.raises(ValidationError) as error:
            make_event(event_type, "test", payload)
        assert error.value.messages == {name: ["Missing data for required field."]}


def test_missing_nested_field_is_named_with_its_path():
    form = {k: v for k, v in SAMPLES["form_created"]["form"].items() if k != "complaint"}
    with pytest.raises(ValidationError) as error:
        make_event("form_created", "forms", {"form": form})
    assert error.value.messages == {"form": {"complaint": ["Missing data for required field."]}}


def test_optional_snapshots_may_be_null_or_missing():
    form = {**SAMPLES["form_created"]["form"], "rep": None, "coverage": None}
    assert _wire("form_created", {"form": form})["form"]["rep"] is None
    del form["rep"], form["coverage"], form["customer"]["language"]
    loaded = load_event("form_created", _wire("form_created", {"form": form}))["form"]
    assert (loaded["rep"], loaded["coverage"], loaded["customer"]["language"]) == (None, None, "tr")


def test_make_event_rejects_unknown_fields_even_nested():
    with pytest.raises(ValidationError) as error:
        make_event("form_closed", "forms", {**SAMPLES["form_closed"], "extra": 1})
    assert error.value.messages == {"extra": ["Unknown field."]}
    form = {**SAMPLES["form_closed"]["form"], "customer": {**CUSTOMER, "phone": "555"}}
    with pytest.raises(ValidationError) as error:
        make_event("form_closed", "forms", {**SAMPLES["form_closed"], "form": form})
    assert error.value.messages == {"form": {"customer": {"phone": ["Unknown field."]}}}


def test_load_event_ignores_unknown_fields_at_every_level():
    wire = _wire("form_assigned")
    newer = {**wire, "priority": "high", "form": {**wire["form"], "site": "Ankara"},
             "assignees": [{**a, "phone": "555"} for a in wire["assignees"]]}
    assert load_event("form_assigned", newer) == load_event("form_assigned", wire)


@pytest.mark.parametrize("value", ["abc", "42", 4.2, True, 0, None])
def test_load_event_rejects_a_wrong_id(value):
    wire = _wire("form_closed")
    with pytest.raises(ValidationError) as error:
        load_event("form_closed", {**wire, "form": {**wire["form"], "id": value}})
    assert "id" in error.value.messages["form"]


@pytest.mark.parametrize("change", [
    {"event_id": "not-a-uuid"}, {"version": "1"}, {"occurred_at": "yesterday"},
    {"event_type": "form_reopened"}, {"producer": ""}, {"summary": 5}])
def test_load_event_rejects_a_bad_envelope_or_type(change):
    with pytest.raises(ValidationError) as error:
        load_event("form_closed", {**_wire("form_closed"), **change})
    assert set(error.value.messages) == set(change)


def test_choices_are_validated():
    with pytest.raises(ValidationError):
        _wire("form_created", {"form": {**SAMPLES["form_created"]["form"], "kind": "install"}})
    with pytest.raises(ValidationError):
        _wire("customer_created", {"customer": {**CUSTOMER, "language": "de"}})
    with pytest.raises(ValidationError):
        _wire("price_approval_decided", {**SAMPLES["price_approval_decided"], "decision": "maybe"})
    with pytest.raises(ValidationError):
        _wire("satisfaction_recorded", {**SAMPLES["satisfaction_recorded"], "score": 101})
    with pytest.raises(ValidationError):
        _wire("contract_renewal_due", {**DUE, "recipients": [{**RECIPIENT, "email": None}]})


def test_price_decision_is_by_a_user_or_the_customer():
    decided = SAMPLES["price_approval_decided"]
    by_user = {**decided, "by": {"user_id": 2, "name": "Mehmet Öztürk"}}
    assert load_event("price_approval_decided", _wire("price_approval_decided", by_user))["by"] \
        == {"user_id": 2, "name": "Mehmet Öztürk", "customer_id": None}
    with pytest.raises(ValidationError) as error:
        make_event("price_approval_decided", "forms", {**decided, "by": {}})
    assert "by" in error.value.messages


def test_unknown_event_type_is_a_value_error():
    for call in (lambda: make_event("form_exploded", "forms", {}),
                 lambda: load_event("form_exploded", {}),
                 lambda: dump_event("form_exploded", {})):
        with pytest.raises(ValueError, match="form_exploded"):
            call()


def test_payload_cannot_set_the_envelope():
    with pytest.raises(ValueError, match="event_id"):
        make_event("article_published", "knowledge",
                   {**SAMPLES["article_published"], "event_id": str(uuid.uuid4())})


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_make_events_makes_what_make_event_makes(event_type):
    one = make_event(event_type, "devices", SAMPLES[event_type])
    many = make_events(event_type, "devices", [SAMPLES[event_type]] * 3)
    assert len({e["event_id"] for e in many}) == 3
    for event in many:
        assert {k: v for k, v in event.items() if k not in ("event_id", "occurred_at")} == {
            k: v for k, v in one.items() if k not in ("event_id", "occurred_at")}
        assert load_event(event_type, json.loads(json.dumps(event)))


def test_make_events_is_as_strict():
    good = {"device": {"id": 1, "customer_id": 2, "brand": "B", "model": None,
                       "device_type": None, "serial": "S"}}
    with pytest.raises(ValidationError):
        make_events("device_registered", "devices", [good, {"device": {**good["device"],
                                                                       "extra": 1}}])
    with pytest.raises(ValidationError):
        make_events("device_registered", "devices", [{"device": {**good["device"], "id": 0}}])
    with pytest.raises(ValueError):
        make_events("device_registered", "devices", [{**good, "event_id": "x"}])


def test_a_secret_field_is_blanked_in_the_producers_copy_once_published():
    from services.common.events import REDACTED, SECRET_FIELDS, redacted
    wire = _wire("price_approval_requested")
    blanked = json.loads(redacted("price_approval_requested", json.dumps(wire)))
    assert blanked == {**wire, "approval_url": REDACTED}
    assert redacted("form_created", json.dumps(_wire("form_created"))) is None
    assert set(SECRET_FIELDS) <= set(SAMPLES)
