"""The coverage function on its boundaries (plain domain, no database)."""
from datetime import date, datetime, timezone

from services.devices.domain import (CONTRACT, MANUFACTURER_WARRANTY, NONE, REPAIR_WARRANTY,
                                     Period, coverage_from_event, coverage_on, derived_ends,
                                     local_today)

WARRANTY = Period(MANUFACTURER_WARRANTY, date(2024, 3, 1), date(2026, 2, 28))
CONTRACT_2026 = Period(CONTRACT, date(2026, 1, 1), date(2026, 12, 31), 7, "BS-2026-0007")
REPAIR = Period(REPAIR_WARRANTY, date(2025, 6, 10), date(2025, 9, 10), 42, "SF-2025-000042")


def test_the_last_day_of_a_warranty_is_covered_and_the_next_is_not():
    last = coverage_on([WARRANTY], date(2026, 2, 28))
    assert (last["kind"], last["end"]) == (MANUFACTURER_WARRANTY, date(2026, 2, 28))
    assert last["reason"] == {"tr": "Üretici garantisi 28.02.2026 tarihine kadar geçerli.",
                              "en": "Manufacturer warranty valid until 2026-02-28."}
    after = coverage_on([WARRANTY], date(2026, 3, 1))
    assert after["kind"] == NONE and after["end"] is None
    assert "28.02.2026" in after["reason"]["tr"] and "bitti" in after["reason"]["tr"]
    assert after["reason"]["en"] == "Not covered: manufacturer warranty ended on 2026-02-28."


def test_the_first_day_of_a_warranty_is_covered():
    assert coverage_on([WARRANTY], date(2024, 3, 1))["kind"] == MANUFACTURER_WARRANTY
    assert coverage_on([WARRANTY], date(2024, 2, 29))["kind"] == NONE


def test_a_contract_starting_tomorrow_does_not_cover_today_and_says_so():
    today = date(2025, 12, 31)
    answer = coverage_on([CONTRACT_2026], today)
    assert answer["kind"] == NONE
    assert answer["reason"]["en"] == ("Not covered: maintenance contract (contract BS-2026-0007)"
                                      " starts on 2026-01-01.")
    assert "01.01.2026 tarihinde başlıyor" in answer["reason"]["tr"]
    assert coverage_on([CONTRACT_2026], date(2026, 1, 1))["kind"] == CONTRACT


def test_overlapping_warranty_and_contract_the_warranty_wins_and_the_contract_is_listed():
    answer = coverage_on([CONTRACT_2026, WARRANTY], date(2026, 2, 1))
    assert answer["kind"] == MANUFACTURER_WARRANTY and answer["end"] == date(2026, 2, 28)
    assert answer["also"] == [{"kind": CONTRACT, "end": date(2026, 12, 31), "source_id": 7}]
    assert "precedence: manufacturer warranty" in answer["reason"]["en"]
    assert "bakım sözleşmesi de geçerli" in answer["reason"]["tr"]
    # a day later than the warranty: the contract answers
    later = coverage_on([CONTRACT_2026, WARRANTY], date(2026, 3, 1))
    assert (later["kind"], later["source_id"], later["also"]) == (CONTRACT, 7, [])


def test_a_repair_warranty_from_an_earlier_form_covers_and_beats_a_contract():
    contract = Period(CONTRACT, date(2025, 1, 1), date(2025, 12, 31), 3, "BS-3")
    answer = coverage_on([contract, REPAIR], date(2025, 9, 10))
    assert (answer["kind"], answer["source_id"]) == (REPAIR_WARRANTY, 42)
    assert "SF-2025-000042" in answer["reason"]["tr"]
    assert coverage_on([contract, REPAIR], date(2025, 9, 11))["kind"] == CONTRACT


def test_two_periods_of_one_kind_the_later_end_answers():
    renewal = Period(CONTRACT, date(2026, 6, 1), date(2027, 5, 31), 8, "BS-8")
    answer = coverage_on([CONTRACT_2026, renewal], date(2026, 7, 1))
    assert (answer["source_id"], answer["end"]) == (8, date(2027, 5, 31))


def test_no_period_at_all():
    answer = coverage_on([], date(2026, 1, 1))
    assert answer["kind"] == NONE and "kaydı yok" in answer["reason"]["tr"]


def test_derived_ends_are_the_latest_of_each_kind():
    renewal = Period(CONTRACT, date(2027, 1, 1), date(2027, 12, 31), 9)
    assert derived_ends([WARRANTY, CONTRACT_2026, renewal, REPAIR]) == {
        "warranty_end": date(2026, 2, 28), "contract_end": date(2027, 12, 31),
        "repair_warranty_end": date(2025, 9, 10)}


def test_today_is_the_turkish_calendar_day():
    assert local_today(datetime(2026, 12, 31, 21, 30, tzinfo=timezone.utc)) == date(2027, 1, 1)


def test_events_become_periods():
    contract = {"id": 5, "number": "BS-5", "customer_id": 1, "start": date(2026, 1, 1),
                "end": date(2026, 12, 31)}
    assert coverage_from_event({"event_type": "contract_activated", "contract": contract,
                                "devices": [1, 2]}) == [
        (1, CONTRACT, 5, "BS-5", date(2026, 1, 1), date(2026, 12, 31)),
        (2, CONTRACT, 5, "BS-5", date(2026, 1, 1), date(2026, 12, 31))]
    completed = {"event_type": "form_completed", "form": {"id": 9, "number": "SF-2026-000009"},
                 "device_id": 3, "repair_warranty": {"start": date(2026, 5, 1),
                                                     "end": date(2026, 11, 1)}}
    assert coverage_from_event(completed) == [
        (3, REPAIR_WARRANTY, 9, "SF-2026-000009", date(2026, 5, 1), date(2026, 11, 1))]
    assert coverage_from_event({**completed, "repair_warranty": None}) == []
