from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from unittest import mock

import pytest

from services.common.exceptions import ValidationFailed
from services.forms import domain, events
from services.forms.service import FormsService


def test_numbering_year_is_istanbul_calendar_year():
    # 31 Dec 21:30 UTC is 1 Jan 00:30 in Istanbul (UTC+3): next year's numbers.
    assert domain.numbering_year(datetime(2026, 12, 31, 20, 59, tzinfo=timezone.utc)) == 2026
    assert domain.numbering_year(datetime(2026, 12, 31, 21, 0, tzinfo=timezone.utc)) == 2027


def test_format_number():
    assert domain.format_number(2026, 1) == "SF-2026-000001"
    assert domain.format_number(2026, 123456) == "SF-2026-123456"


def test_form_created_payload_carries_rep_and_no_coverage():
    form = SimpleNamespace(
        id=1, number="SF-2026-000001", kind="repair", customer_id=2, customer_name="Işık",
        customer_email=None, customer_language="tr", rep_name="Ayşe", rep_email="a@x.com",
        rep_language="en", device_id=3, device_brand="Bosch", device_model=None,
        device_type=None, device_type_names=None, device_serial="S1", coverage_kind=None,
        coverage_end=None, complaint="Arıza", maintenance_visit_id=None, maintenance_attempt=None,
        created_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    payload = events.form_created(form)["form"]
    assert payload["rep"] == {"name": "Ayşe", "email": "a@x.com", "language": "en"}
    assert payload["coverage"] is None and payload["maintenance"] is None
    form.kind, form.maintenance_visit_id, form.maintenance_attempt = "maintenance", 9, 2
    assert events.form_created(form)["form"]["maintenance"] == {"visit_id": 9, "attempt": 2}


def test_create_form_rejects_bad_input_before_asking_devices():
    """worker_factory-style: the service with its dependencies replaced."""
    service = FormsService()
    service.devices = mock.Mock()
    service.db = mock.Mock()
    with pytest.raises(ValidationFailed) as exc:
        service.create_form({"customer_id": "x", "complaint": ""}, {"id": 1})
    assert {"customer_id", "complaint"} <= set(exc.value.details)
    service.devices.call.assert_not_called()
    service.db.add.assert_not_called()


# -- a contract's terms (issue 17) ----------------------------------------------------------
def test_a_contract_pays_what_its_terms_say_and_warranties_the_default():
    terms = {"pays": {"labour": True, "parts": True, "fee": False}}
    assert domain.coverage_pays("contract", None, terms) == {
        "labour": True, "parts": True, "fee": False}
    assert domain.coverage_pays("contract") == {"labour": True, "parts": False, "fee": True}
    assert domain.coverage_pays("repair_warranty", None, terms)["parts"] is True


def test_working_hours_skip_nights_weekends_and_holidays():
    ist = domain.LOCAL_TZ
    friday_4pm = datetime(2027, 1, 8, 16, 0, tzinfo=ist)
    # 2 h on Friday (16–18), 2 h on Monday (9–11)
    assert domain.working_hours_after(friday_4pm, 4) == datetime(
        2027, 1, 11, 11, 0, tzinfo=ist).astimezone(timezone.utc)
    night = datetime(2027, 1, 5, 22, 0, tzinfo=ist)
    assert domain.working_hours_after(night, 1) == datetime(
        2027, 1, 6, 10, 0, tzinfo=ist).astimezone(timezone.utc)
    # 29 October (Republic Day, a Friday in 2027) does not count
    assert domain.working_hours_after(datetime(2027, 10, 28, 17, 0, tzinfo=ist), 2) == \
        datetime(2027, 11, 1, 10, 0, tzinfo=ist).astimezone(timezone.utc)
    due = datetime(2027, 1, 6, 10, 0, tzinfo=timezone.utc)
    assert domain.service_level_state(due, due, due) == "met"
    assert domain.service_level_state(due, None, due + timedelta(seconds=1)) == "breached"
    assert domain.service_level_state(due, None, due) == "pending"
    assert domain.service_level_state(None, None, due) is None


def test_an_actor_is_loaded_once_and_handed_out_as_a_copy():
    """actor_of remembers loaded actors (a user's every call passes the same one); each call
    gets its own dict, and a bad actor is still refused."""
    import pytest as _pytest

    from services.common.exceptions import ValidationFailed
    from services.common.schemas import load
    from services.forms.schemas import Actor, actor_of
    actor = {"id": 7, "name": "Ayşe", "email": None, "language": "tr", "role": "desk"}
    first = actor_of(actor)
    assert first == load(Actor, actor)
    first["role"] = "admin"  # a caller changing its copy
    assert actor_of(actor)["role"] == "desk"
    with _pytest.raises(ValidationFailed):  # an unhashable value: loaded as is, and refused
        actor_of({"id": 7, "tags": ["x"]})
    with _pytest.raises(ValidationFailed):
        actor_of({"name": "no id"})
