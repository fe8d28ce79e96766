"""Periodic maintenance's rules, no I/O: the RRULE inside the contract's period (never more
often than daily, never silent), the window against the interval, visits moved off Turkish
public holidays and weekends, and the visit's lifecycle written out here apart from its table
(maintenance_domain.VISIT_TRANSITIONS), as the contracts' own lifecycle test does."""
from datetime import date

import pytest

from services.common.exceptions import Conflict, Forbidden, ValidationFailed
from services.contracts import maintenance_domain as rules

START, END = date(2027, 1, 1), date(2027, 12, 31)


def test_every_three_months_from_the_start():
    assert rules.occurrences("FREQ=MONTHLY;INTERVAL=3", START, START, END) == [
        date(2027, 1, 1), date(2027, 4, 1), date(2027, 7, 1), date(2027, 10, 1)]


def test_the_first_monday_of_each_month_and_rrule_prefix():
    dates = rules.occurrences("RRULE:FREQ=MONTHLY;BYDAY=1MO", START, START, END)
    assert len(dates) == 12 and dates[0] == date(2027, 1, 4)
    assert all(d.weekday() == 0 and d.day <= 7 for d in dates)


def test_daily_and_yearly_and_count():
    assert len(rules.occurrences("FREQ=DAILY", START, START, END)) == 365
    assert rules.occurrences("FREQ=YEARLY", START, START, END) == [START]
    assert len(rules.occurrences("FREQ=WEEKLY;COUNT=3", START, START, END)) == 3


def test_only_dates_from_start_count():
    """A plan made mid-contract: the rule starts at the first date, visits from today."""
    assert rules.occurrences("FREQ=MONTHLY;INTERVAL=3", START, date(2027, 5, 10), END) == [
        date(2027, 7, 1), date(2027, 10, 1)]


BAD_RULES = [
    ("FREQ=HOURLY", "at most once a day"),
    ("FREQ=MINUTELY;INTERVAL=600", "at most once a day"),
    ("FREQ=DAILY;BYHOUR=9,15", "fires twice"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never fires"),
    ("FREQ=MONTHLY;UNTIL=20261231", "never fires"),
    ("FREQ=SOMETIMES", "does not read"),
    ("DTSTART:20270101\nRRULE:FREQ=DAILY", "no DTSTART"),
    ("", "RRULE such as"),
    ("RDATE:20270105", "no RDATE"),  # dateutil reads these as a set of rules, not one
    ("EXRULE:FREQ=DAILY", "no RDATE"),
    ("EXDATE:20270105", "no RDATE"),
]


@pytest.mark.parametrize("text,says", BAD_RULES, ids=[t or "empty" for t, _ in BAD_RULES])
def test_a_bad_rule_is_a_422_naming_rrule(text, says):
    with pytest.raises(ValidationFailed) as err:
        rules.occurrences(text, START, START, END)
    assert list(err.value.details) == ["rrule"]
    assert says in str(err.value.details["rrule"])


@pytest.mark.parametrize("rule", ["FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
                                  "FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31",
                                  "FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=31;BYDAY=MO"])
def test_an_impossible_rule_stops_at_the_period(rule):
    """Bounded by the contract's end: no iteration to the year 9999 (dateutil alone walked
    every day to it: 3-8 s of a worker's CPU for one request)."""
    import time
    began = time.process_time()
    with pytest.raises(ValidationFailed):
        rules.occurrences(rule, START, START, END)
    # it was 3-8 s before the bound: 1 s cannot flake on a loaded machine
    assert time.process_time() - began < 1.0


@pytest.mark.parametrize("rule", [
    "FREQ=DAILY", "FREQ=DAILY;INTERVAL=10", "FREQ=WEEKLY;BYDAY=MO,TH", "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=MONTHLY;BYDAY=1MO", "FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYMONTHDAY=31",
    "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=YEARLY;BYYEARDAY=100,200"])
def test_the_bounded_iteration_gives_dateutils_dates(rule):
    from datetime import datetime

    from dateutil.rrule import rrulestr
    end = date(2031, 12, 31)
    until = datetime.combine(end, datetime.max.time())
    expected = [d.date() for d in rrulestr(rule, dtstart=datetime(2027, 1, 1)).replace(
        until=until)]
    assert rules.occurrences(rule, START, START, end) == expected


def test_the_window_may_not_be_longer_than_the_interval():
    dates = rules.occurrences("FREQ=WEEKLY", START, START, END)
    rules.check_window(7, dates, END)
    with pytest.raises(ValidationFailed) as err:
        rules.check_window(8, dates, END)
    assert list(err.value.details) == ["window_days"]
    rules.check_window(300, [START], END)  # a single visit: no interval to exceed


def test_holidays_and_weekends_are_avoided():
    # 2027-01-01 is New Year's Day (a Friday): the next working day is Monday the 4th
    assert not rules.is_working_day(date(2027, 1, 1))
    assert not rules.is_working_day(date(2027, 1, 2))  # Saturday
    assert not rules.is_working_day(date(2027, 4, 23))  # Ulusal Egemenlik ve Çocuk Bayramı
    assert not rules.is_working_day(date(2027, 10, 29))  # Cumhuriyet Bayramı
    assert rules.is_working_day(date(2027, 1, 4))
    assert rules.visit_dates("FREQ=MONTHLY;INTERVAL=3", START, START, END, True) == [
        date(2027, 1, 4), date(2027, 4, 1), date(2027, 7, 1), date(2027, 10, 1)]
    assert rules.visit_dates("FREQ=MONTHLY;INTERVAL=3", START, START, END, False)[0] == START


def test_a_holiday_at_the_end_moves_back_inside_the_period():
    assert rules.working_day(date(2027, 12, 31), date(2027, 12, 31)) == date(2027, 12, 31)
    # Saturday 2028-01-01 (New Year) with the period ending that day: back to Friday
    assert rules.working_day(date(2028, 1, 1), date(2028, 1, 1)) == date(2027, 12, 31)


def test_daily_visits_moved_off_weekends_stay_once_a_day():
    dates = rules.visit_dates("FREQ=DAILY", START, START, date(2027, 1, 10), True)
    assert dates == [date(2027, 1, 4), date(2027, 1, 5), date(2027, 1, 6), date(2027, 1, 7),
                     date(2027, 1, 8)]


def test_window_and_overdue():
    assert rules.window_end(date(2027, 4, 1), 7) == date(2027, 4, 7)
    assert rules.window_end(date(2027, 4, 1), 1) == date(2027, 4, 1)
    assert rules.visit_state("due", date(2027, 4, 7), date(2027, 4, 7)) == "due"
    assert rules.visit_state("due", date(2027, 4, 7), date(2027, 4, 8)) == "overdue"
    assert rules.visit_state("planned", date(2027, 4, 7), date(2027, 4, 8)) == "overdue"
    assert rules.visit_state("done", date(2027, 4, 7), date(2027, 4, 8)) == "done"


def test_reschedule_inside_the_period_and_not_in_the_past():
    rules.check_reschedule(date(2027, 5, 1), START, END, date(2027, 4, 1))
    for day in (date(2028, 1, 1), date(2027, 3, 31)):
        with pytest.raises(ValidationFailed) as err:
            rules.check_reschedule(day, START, END, date(2027, 4, 1))
        assert list(err.value.details) == ["date"]


def test_completion_counts():
    counts = rules.completion({"done": 2, "planned": 1, "skipped": 1}, 1)
    assert counts == {"planned": 1, "due": 0, "done": 2, "skipped": 1, "cancelled": 0,
                      "overdue": 1, "total": 4, "percent_done": 67}
    assert rules.completion({})["percent_done"] == 0


# -- the visit's lifecycle, written out apart from VISIT_TRANSITIONS -----------------------------
STAFF = ("contracts", "manager", "admin")
EXPECTED = {
    ("planned", "due"): ("system",),
    ("due", "done"): ("system",),
    ("due", "due"): ("system",),  # the form cancelled: the attempt rises
    ("planned", "skipped"): STAFF,
    ("due", "skipped"): STAFF,
    ("planned", "cancelled"): STAFF + ("system",),
    ("due", "cancelled"): STAFF + ("system",),
}
ALL_ROLES = STAFF + ("system", "desk", "technician", "rep", "final_checker", "customer")


def test_the_table_is_the_written_one():
    assert {(a, b): tuple(sorted(r)) for a, b, r in rules.VISIT_TRANSITIONS} == {
        k: tuple(sorted(v)) for k, v in EXPECTED.items()}


@pytest.mark.parametrize("current", rules.VISIT_STATUSES)
@pytest.mark.parametrize("target", rules.VISIT_STATUSES)
def test_every_move_for_every_role(current, target):
    allowed = EXPECTED.get((current, target))
    for role in ALL_ROLES:
        if allowed is None:
            with pytest.raises(Conflict):
                rules.check_visit_move(current, target, role)
        elif role in allowed:
            rules.check_visit_move(current, target, role)
        else:
            with pytest.raises(Forbidden):
                rules.check_visit_move(current, target, role)


def test_done_skipped_and_cancelled_are_final():
    for final in ("done", "skipped", "cancelled"):
        assert not [b for a, b, _ in rules.VISIT_TRANSITIONS if a == final]


def test_a_reading_never_goes_back_but_a_new_meter_starts_at_zero():
    rules.check_reading(None, 0, False)
    rules.check_reading(100, 100, False)
    with pytest.raises(ValidationFailed) as err:
        rules.check_reading(100, 99, False)
    assert list(err.value.details) == ["value"]
    rules.check_reading(100, 3, True)
    assert rules.pages_between(None, 50, False) is None
    assert rules.pages_between(100, 150, False) == 50
    assert rules.pages_between(100, 3, True) == 3


# -- pages over the allowance ------------------------------------------------------------------
def test_pages_counted_from_the_opening_a_replaced_meter_from_zero():
    assert rules.pages_counted(1000, [(1500, False), (2100, False)]) == 1100
    assert rules.pages_counted(None, [(1500, False), (2100, False)]) == 600  # a baseline
    assert rules.pages_counted(2100, [(2200, False), (30, True), (90, False)]) == 100 + 30 + 60
    assert rules.pages_counted(500, []) == 0


def test_page_charge_allowance_times_months_and_half_up_to_the_cent():
    from decimal import Decimal
    assert rules.page_charge(4500, 1000, 3, Decimal("0.05")) == (3000, 1500, Decimal("75.00"))
    assert rules.page_charge(2999, 1000, 3, Decimal("0.05")) == (3000, 0, Decimal("0.00"))
    # 7 pages at 0.0125: 0.0875 → 0.09 (half-up, kuruş)
    assert rules.page_charge(107, 100, 1, Decimal("0.0125")) == (100, 7, Decimal("0.09"))


def test_month_span_and_a_backwards_period():
    assert rules.month_span("2027-02", "2027-04") == (date(2027, 2, 1), date(2027, 4, 30), 3)
    assert rules.month_span("2027-12", "2028-02") == (date(2027, 12, 1), date(2028, 2, 29), 3)
    with pytest.raises(ValidationFailed) as err:
        rules.month_span("2027-04", "2027-02")
    assert list(err.value.details) == ["to"]


def test_a_reading_is_not_dated_before_the_previous():
    rules.check_reading_date(None, date(2027, 1, 1))
    rules.check_reading_date(date(2027, 1, 1), date(2027, 1, 1))
    with pytest.raises(ValidationFailed) as err:
        rules.check_reading_date(date(2027, 1, 2), date(2027, 1, 1))
    assert list(err.value.details) == ["read_on"]
