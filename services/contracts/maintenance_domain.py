"""Rules of periodic maintenance (periyodik bakım): a plan's recurrence (an RFC 5545 RRULE read
by python-dateutil) inside the contract's period, its visit window, moving visit dates off
Turkish public holidays and weekends, and the visit's lifecycle table. Plain Python: no
framework imports."""
import datetime as _datetime_module
import types
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import islice

import holidays
from dateutil import rrule as _rrule_module
from dateutil.rrule import DAILY, rrule, rrulestr

from services.common.exceptions import Conflict, Forbidden, invalid
from services.common.roles import ADMIN, CONTRACTS, MANAGER, SYSTEM
from services.contracts.domain import money

WRITE = (CONTRACTS, MANAGER, ADMIN)  # plans, reschedule, skip, cancel
READ = WRITE + ("desk", "technician")
DEFAULT_LEAD_DAYS = 7
MAX_VISITS = 4000  # a daily rule over the longest contract (120 months) stays under this

# -- the visit's lifecycle ---------------------------------------------------------------------
PLANNED, DUE, DONE, SKIPPED, CANCELLED = "planned", "due", "done", "skipped", "cancelled"
OVERDUE = "overdue"  # not a status: a planned or due visit whose window has passed
VISIT_STATUS_NAMES = {
    PLANNED: {"tr": "Planlandı", "en": "Planned"},
    DUE: {"tr": "Zamanı geldi", "en": "Due"},
    DONE: {"tr": "Yapıldı", "en": "Done"},
    SKIPPED: {"tr": "Atlandı", "en": "Skipped"},
    CANCELLED: {"tr": "İptal edildi", "en": "Cancelled"},
    OVERDUE: {"tr": "Gecikmiş", "en": "Overdue"},
}
VISIT_STATUSES = (PLANNED, DUE, DONE, SKIPPED, CANCELLED)
# a visit's history: what happened, as people read it
HISTORY_NAMES = {
    "due": {"tr": "Zamanı geldi", "en": "Due"},
    "rescheduled": {"tr": "Tarihi değişti", "en": "Rescheduled"},
    "form_opened": {"tr": "Bakım formu açıldı", "en": "Maintenance form opened"},
    "form_cancelled": {"tr": "Bakım formu iptal edildi", "en": "Maintenance form cancelled"},
    "done": {"tr": "Yapıldı", "en": "Done"},
    "skipped": {"tr": "Atlandı", "en": "Skipped"},
    "cancelled": {"tr": "İptal edildi", "en": "Cancelled"},
}
# the maintenance report's lists and groupings, as the PDF names them
REPORT_STATE_NAMES = {
    "done": {"tr": "Yapılan bakımlar", "en": "Maintenance done"},
    "due": {"tr": "Zamanı gelen bakımlar", "en": "Maintenance due"},
    "overdue": {"tr": "Gecikmiş bakımlar", "en": "Overdue maintenance"},
    "upcoming": {"tr": "Yaklaşan bakımlar", "en": "Upcoming maintenance"},
}
# the state in a report's number and file name, in the report's language (ASCII: a file name)
REPORT_STATE_SLUGS = {"tr": {"done": "yapilan", "due": "zamani-gelen", "overdue": "gecikmis",
                             "upcoming": "yaklasan"},
                      "en": {s: s for s in REPORT_STATE_NAMES}}
REPORT_GROUP_NAMES = {"customer": {"tr": "Müşteri", "en": "Customer"},
                      "technician": {"tr": "Teknisyen", "en": "Technician"},
                      "month": {"tr": "Ay", "en": "Month"}}
REPORT_PDF_VISITS = 1000  # the PDF lists at most this many (the visit list's CSV: them all)
PLAN_CHANGED = "Plan değişti / plan changed"  # the reason on a superseded visit
CONTRACT_EXPIRED = "Sözleşmenin süresi doldu / contract expired"
OPEN = (PLANNED, DUE)  # still to be done: rescheduled, skipped, cancelled, overdue

# (from, to, roles). SYSTEM: the scanner (planned → due on the day), the form delivered
# (due → done), the form cancelled (due → due, the attempt raised: VISIT_RETRY).
VISIT_TRANSITIONS = (
    (PLANNED, DUE, (SYSTEM,)),
    (DUE, DONE, (SYSTEM,)),
    (DUE, DUE, (SYSTEM,)),
    (PLANNED, SKIPPED, WRITE),
    (DUE, SKIPPED, WRITE),
    (PLANNED, CANCELLED, WRITE + (SYSTEM,)),
    (DUE, CANCELLED, WRITE + (SYSTEM,)),
)
VISIT_ALLOWED = {(a, b): roles for a, b, roles in VISIT_TRANSITIONS}
NEEDS_REASON = (SKIPPED, CANCELLED)


def check_visit_move(current, target, role):
    """Nothing if `role` may move a visit from `current` to `target`; else a Conflict (409
    naming the allowed moves) or a Forbidden (403)."""
    roles = VISIT_ALLOWED.get((current, target))
    if roles is None:
        allowed = [b for a, b, _ in VISIT_TRANSITIONS if a == current and b != current]
        raise Conflict("A visit that is {status} cannot become {to}; allowed: {moves}.",
                       {"status": current, "to": target, "allowed": allowed,
                        "moves": ", ".join(allowed) or "none"})
    if role not in roles:
        raise Forbidden("The role '{role}' may not move a visit from {status} to {to}.",
                        {"allowed_roles": list(roles), "role": role, "status": current,
                         "to": target})


def visit_state(status, window_end, today):
    """What a reader sees: the status, or `overdue` for a planned or due visit whose window
    ended before `today` (Türkiye's date)."""
    if status in OPEN and window_end < today:
        return OVERDUE
    return status


def completion(counts, today_overdue=0):
    """A plan's counts {status: n} as the plan shows them: every status, total, and the share
    done of those not skipped or cancelled (per cent, whole)."""
    out = {s: int(counts.get(s, 0)) for s in VISIT_STATUSES}
    out["overdue"] = int(today_overdue)
    out["total"] = sum(out[s] for s in VISIT_STATUSES)
    countable = out["total"] - out[SKIPPED] - out[CANCELLED]
    out["percent_done"] = round(100 * out[DONE] / countable) if countable else 0
    return out


# -- working days ------------------------------------------------------------------------------
_HOLIDAYS = {}


def turkish_holidays(year):
    if year not in _HOLIDAYS:
        _HOLIDAYS[year] = holidays.country_holidays("TR", years=year)
    return _HOLIDAYS[year]


def is_working_day(day):
    """Monday to Friday and no Turkish public holiday (half days, the eves, count as
    holidays: no visit is planned on them)."""
    return day.weekday() < 5 and day not in turkish_holidays(day.year)


def working_day(day, last):
    """`day` if it is a working day; else the next one, or, when that lies after `last` (the
    contract's end), the working day before."""
    forward = day
    while not is_working_day(forward):
        forward += timedelta(days=1)
    if forward <= last:
        return forward
    back = day
    while not is_working_day(back):
        back -= timedelta(days=1)
    return back


# -- the recurrence ----------------------------------------------------------------------------
def _bounded_iter(last_year):
    """dateutil's own iterator, stopping after `last_year` instead of year 9999. dateutil checks
    UNTIL only against dates it produces, so a rule that never produces one (FREQ=DAILY;
    BYMONTH=2;BYMONTHDAY=30) walks every day to year 9999 — 3-8 s of a worker's CPU for one
    request. The same code object with `datetime.MAXYEAR` read as the period's last year."""
    bounded = types.SimpleNamespace(**{k: getattr(_datetime_module, k)
                                       for k in dir(_datetime_module) if not k.startswith("__")})
    bounded.MAXYEAR = last_year
    code = _rrule_module.rrule._iter
    return types.FunctionType(code.__code__, {**vars(_rrule_module), "datetime": bounded},
                              code.__name__, code.__defaults__, code.__closure__)


def _dates(rule, last_year):
    """Iterate `rule` (an rrule) without going past `last_year`."""
    return _bounded_iter(last_year)(rule)


def occurrences(rule_text, first, start, end):
    """The dates the RRULE fires on from `first` (its DTSTART) within `start`–`end` (the
    contract's period), each at most once: a 422 naming `rrule` for a rule that does not read,
    that fires more often than daily, or that never fires inside the period."""
    text = (rule_text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or "\n" in text or "DTSTART" in text.upper():
        raise invalid(rrule=["An RRULE such as FREQ=MONTHLY;INTERVAL=3 (no DTSTART: the "
                             "plan's first date is `first_on`)."])
    try:
        rule = rrulestr(text, dtstart=datetime.combine(first, datetime.min.time()))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise invalid(rrule=[("The RRULE does not read: {error}.", {"error": str(exc)})]) \
            from None
    if not isinstance(rule, rrule):  # RDATE/EXRULE/EXDATE: dateutil hands back an rruleset
        raise invalid(rrule=["One RRULE such as FREQ=MONTHLY;INTERVAL=3: no RDATE, EXRULE "
                             "or EXDATE."])
    if rule._freq > DAILY:  # HOURLY, MINUTELY, SECONDLY
        raise invalid(rrule=["A visit at most once a day: FREQ=DAILY or rarer."])
    count = rule._count
    until = datetime.combine(end, datetime.max.time())
    if rule._until is not None:
        until = min(until, rule._until)
    rule = rule.replace(count=None, until=until)  # bounded: never iterates past the period
    dates, seen = [], set()
    for moment in islice(_dates(rule, until.year), count if count is not None else MAX_VISITS + 1):
        day = moment.date()
        if day in seen:
            raise invalid(rrule=[("A visit at most once a day: the rule fires twice on "
                                  "{day}.", {"day": day.isoformat()})])
        seen.add(day)
        if day >= start:
            dates.append(day)
    if len(dates) > MAX_VISITS:
        raise invalid(rrule=[("At most {max} visits in a contract's period.",
                              {"max": MAX_VISITS})])
    if not dates:
        raise invalid(rrule=[("The rule never fires inside the contract's period "
                              "({start} – {end}).", {"start": start.isoformat(),
                                                     "end": end.isoformat()})])
    return dates


def shortest_interval(dates):
    """The fewest days between two consecutive visits (None for a single visit)."""
    gaps = [(b - a).days for a, b in zip(dates, dates[1:])]
    return min(gaps) if gaps else None


def check_window(window_days, dates, end):
    """A visit's window (days from its date within which it is done) may not be longer than
    the interval between visits — two windows would overlap — nor run past the period."""
    gap = shortest_interval(dates)
    if gap is not None and window_days > gap:
        raise invalid(window_days=[("The window ({window} days) is longer than the interval "
                                    "between visits ({gap} days).",
                                    {"window": window_days, "gap": gap})])


def visit_dates(rule_text, first, start, end, avoid_holidays):
    """[(planned date)] of a plan: the rule's dates, moved to a working day when the plan
    avoids holidays and weekends (a date moved onto another visit's is dropped: once a day)."""
    dates = occurrences(rule_text, first, start, end)
    if not avoid_holidays:
        return dates
    moved = []
    for day in dates:
        day = working_day(day, end)
        if start <= day <= end and (not moved or day > moved[-1]):
            moved.append(day)
    return moved


def window_end(day, window_days):
    """The last day of a visit's window (a window of 1 day: the day itself)."""
    return day + timedelta(days=max(window_days, 1) - 1)


def remind_on(day, lead_days):
    return day - timedelta(days=lead_days)


def check_reschedule(new_day, start, end, today):
    if not start <= new_day <= end:
        raise invalid(date=[("The new date must lie within the contract ({start} – {end}).",
                             {"start": start.isoformat(), "end": end.isoformat()})])
    if new_day < today:
        raise invalid(date=[("The new date may not be in the past (today is {today}).",
                             {"today": today.isoformat()})])


def month_of(day: date):
    return f"{day.year:04d}-{day.month:02d}"


# -- meter readings ----------------------------------------------------------------------------
READINGS_WRITE = WRITE + ("technician",)  # read on site by the technician too


def check_reading(previous, value, replacement):
    """A counter never goes back: a value lower than the meter's previous reading is a 422
    naming `value`, unless the meter was replaced (`replacement`)."""
    if previous is not None and value < previous and not replacement:
        raise invalid(value=[("The reading {value} is lower than the previous one "
                              "({previous}); mark it as a meter replacement if the meter was "
                              "changed.", {"value": value, "previous": previous})])


def pages_between(previous, value, replacement):
    """Pages counted since the previous reading (a new meter counts from zero)."""
    if replacement:
        return value
    return None if previous is None else value - previous


def check_reading_date(previous_on, read_on):
    """Readings of a meter follow each other in time: one dated before the meter's previous
    reading is a 422 naming `read_on` (so the record's order is the meters' order, which the
    page bills count along)."""
    if previous_on is not None and read_on < previous_on:
        raise invalid(read_on=[("A reading may not be dated before the meter's previous one "
                                "({previous}).", {"previous": previous_on.isoformat()})])


# -- pages over the allowance (sayfa aşımı) -----------------------------------------------------
def pages_counted(opening, readings):
    """Pages a meter counted from the `opening` value (None: from the first of `readings`, the
    baseline) through `readings` [(value, replacement)] in their order; a replaced meter counts
    from zero (the pages between the old meter's last reading and its replacement are not
    known: read the old meter before it is changed)."""
    pages, last = 0, opening
    for value, replacement in readings:
        if replacement:
            pages += value
        elif last is not None:
            pages += value - last
        last = value
    return pages


def page_charge(pages, monthly_allowance, months, price):
    """(allowance, pages over it, amount): the allowance is the monthly one times the period's
    months; the amount is the pages over it times the price per page, rounded half-up to the
    cent (kuruş) in the contract's currency."""
    allowance = monthly_allowance * months
    extra = max(0, pages - allowance)
    return allowance, extra, money(Decimal(extra) * Decimal(price))


def month_span(month_from, month_to):
    """(first day, last day, months) of the months `from`–`to` (YYYY-MM), or a 422 naming
    `to` when it comes before `from`."""
    y1, m1 = (int(x) for x in month_from.split("-"))
    y2, m2 = (int(x) for x in month_to.split("-"))
    months = (y2 - y1) * 12 + (m2 - m1) + 1
    if months < 1:
        raise invalid(to=[("The period's last month ({to}) comes before its first "
                           "({from_}).", {"to": month_to, "from_": month_from})])
    start = date(y1, m1, 1)
    nxt = date(y2 + (m2 == 12), m2 % 12 + 1, 1)
    return start, nxt - timedelta(days=1), months
