"""Rules of service forms: the lifecycle table, fee arithmetic, repair warranty, the
satisfaction score, numbering. Plain Python: no framework imports."""
import calendar
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from services.common.exceptions import Conflict, Forbidden
from services.common.roles import DESK, MANAGE, SYSTEM, WORK  # noqa: F401 (re-exported)

LOCAL_TZ = ZoneInfo("Europe/Istanbul")
KINDS = ("repair", "maintenance")
SOURCES = ("desk", "portal", "maintenance")  # who asked for the form (form_created.source)
CENT = Decimal("0.01")

# -- statuses and the lifecycle table ----------------------------------------------------------
STATUS_NAMES = {
    "NEW": {"tr": "Kayıt açıldı", "en": "Opened"},
    "ASSIGNED": {"tr": "Görevli atandı", "en": "Assigned"},
    "DIAGNOSIS": {"tr": "Arıza tespiti", "en": "Diagnosis"},
    "AWAITING_APPROVAL": {"tr": "Fiyat onayı bekleniyor", "en": "Awaiting price approval"},
    "AWAITING_PARTS": {"tr": "Parça bekleniyor", "en": "Awaiting parts"},
    "IN_REPAIR": {"tr": "Tamirde", "en": "In repair"},
    "REPAIRED": {"tr": "Tamir edildi", "en": "Repaired"},
    "DELIVERED": {"tr": "Teslim edildi", "en": "Delivered"},
    "FINAL_CHECK": {"tr": "Son kontrol", "en": "Final check"},
    "CLOSED": {"tr": "Kapandı", "en": "Closed"},
    "CANCELLED": {"tr": "İptal", "en": "Cancelled"},
    "REOPENED": {"tr": "Yeniden açıldı", "en": "Reopened"},
}
STATUSES = tuple(STATUS_NAMES)
OPEN_STATUSES = tuple(s for s in STATUSES if s not in ("CLOSED", "CANCELLED"))
BEFORE_DELIVERY = ("NEW", "ASSIGNED", "DIAGNOSIS", "AWAITING_APPROVAL", "AWAITING_PARTS",
                   "IN_REPAIR", "REPAIRED")
# Work, parts and fees change only before delivery (or after a reopen, which leads to a new
# delivery and a new `form_completed`): what was completed stays what devices and notify got.
MONEY_EDITABLE = BEFORE_DELIVERY + ("REOPENED",)
# States in which the work, parts and fees may still change (a closed or cancelled form is
# read-only; one under final check is being reviewed: the officer sends it back to change it).
EDITABLE = tuple(s for s in STATUSES if s not in ("CLOSED", "CANCELLED", "FINAL_CHECK"))

# the role sets (services/common/roles.py); SYSTEM: the service itself (a low satisfaction
# score reopens a form)

# (from, to, roles allowed). One table: the transitions endpoint, the 409 listing the allowed
# moves, and the tests all read it.
TRANSITIONS = (
    ("NEW", "ASSIGNED", MANAGE),
    ("ASSIGNED", "DIAGNOSIS", WORK),
    ("DIAGNOSIS", "AWAITING_APPROVAL", MANAGE),  # by sending the estimate (price approval)
    ("DIAGNOSIS", "AWAITING_PARTS", WORK),
    ("DIAGNOSIS", "IN_REPAIR", WORK),
    ("AWAITING_APPROVAL", "AWAITING_PARTS", MANAGE),
    ("AWAITING_APPROVAL", "IN_REPAIR", MANAGE + (SYSTEM,)),  # approved (SYSTEM: by the customer)
    ("AWAITING_APPROVAL", "DIAGNOSIS", MANAGE),  # price to be revised
    # rejected: returned unrepaired (sub-status `unrepaired`), only the diagnosis fee billed
    ("AWAITING_APPROVAL", "REPAIRED", MANAGE + (SYSTEM,)),
    ("AWAITING_PARTS", "IN_REPAIR", WORK),
    ("IN_REPAIR", "AWAITING_PARTS", WORK),
    ("IN_REPAIR", "AWAITING_APPROVAL", MANAGE),  # more found during the repair
    ("IN_REPAIR", "REPAIRED", WORK),
    ("REPAIRED", "IN_REPAIR", WORK),  # the test after the repair failed
    ("REPAIRED", "DELIVERED", DESK),
    ("DELIVERED", "FINAL_CHECK", DESK + ("rep", "final_checker")),
    ("FINAL_CHECK", "CLOSED", ("final_checker",)),
    ("FINAL_CHECK", "DELIVERED", ("final_checker",)),  # sent back with a note
    ("REOPENED", "ASSIGNED", MANAGE),
    *((s, "CANCELLED", MANAGE + (("desk",) if s == "NEW" else ())) for s in BEFORE_DELIVERY),
    *((s, "REOPENED", MANAGE + (SYSTEM,)) for s in ("DELIVERED", "FINAL_CHECK", "CLOSED")),
)
ALLOWED = {(a, b): roles for a, b, roles in TRANSITIONS}
# Moves that carry a sub-status of their own (a built-in code, seeded into the catalogue):
# a rejected estimate returns the device unrepaired.
UNREPAIRED = "unrepaired"
SUB_STATUS_OF_MOVE = {("AWAITING_APPROVAL", "REPAIRED"): UNREPAIRED}
BUILTIN_SUB_STATUSES = ((UNREPAIRED, "REPAIRED", "Onarılmadan iade", "Returned unrepaired"),)
NEEDS_NOTE = {("FINAL_CHECK", "DELIVERED"), *((s, "REOPENED") for s in STATUSES),
              *((s, "CANCELLED") for s in STATUSES)}
# Steps the customer sees on the portal timeline.
CUSTOMER_VISIBLE = {"NEW", "AWAITING_APPROVAL", "IN_REPAIR", "REPAIRED", "DELIVERED", "CLOSED",
                    "CANCELLED", "REOPENED"}


def moves_from(status):
    """[(to, roles)] allowed from `status`."""
    return [(b, roles) for a, b, roles in TRANSITIONS if a == status]


def check_transition(current, target, role):
    """Nothing, if `role` may move a form from `current` to `target`; else a Conflict (409: no
    such move from here, naming the allowed ones) or a Forbidden (403: not for this role)."""
    roles = ALLOWED.get((current, target))
    if roles is None:
        allowed = [b for b, _ in moves_from(current)]
        details = {"status": current, "to": target, "allowed": allowed}
        if not allowed:
            raise Conflict("A form in {status} cannot go to {to}; allowed: none.", details)
        raise Conflict("A form in {status} cannot go to {to}; allowed: {moves}.",
                       {**details, "moves": ", ".join(allowed)})
    if role not in roles:
        raise Forbidden("The role '{role}' may not move a form from {status} to {to}.",
                        {"allowed_roles": list(roles), "role": role, "status": current,
                         "to": target})


# -- money -------------------------------------------------------------------------------------
def money(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Fees:
    """What a form's totals are computed from."""
    work_minutes: list = field(default_factory=list)  # [(minutes, hourly rate)] per work log
    parts: list = field(default_factory=list)  # [(quantity, unit price)]
    service_fee: Decimal = Decimal("0")
    discount_amount: Decimal | None = None
    discount_percent: Decimal | None = None
    vat_rate: Decimal = Decimal("20")
    coverage_pays: dict = field(default_factory=dict)  # {"labour": bool, "parts": bool, "fee": bool}


def line_amount(quantity, unit_price):
    return money(Decimal(quantity) * Decimal(unit_price))


def labour_amount(minutes, rate):
    return money(Decimal(minutes) * Decimal(rate) / 60)


def totals(fees):
    """DESIGN.md's arithmetic. Each line rounds half-up to kuruş; coverage takes off what it
    pays (labour, parts, the service fee) from what the customer pays; the discount (an amount,
    or a percent of the customer's subtotal) comes next, VAT after the discount."""
    labour = sum((labour_amount(m, r) for m, r in fees.work_minutes), Decimal("0.00"))
    parts = sum((line_amount(q, p) for q, p in fees.parts), Decimal("0.00"))
    fee = money(fees.service_fee or 0)
    gross = labour + parts + fee
    pays = fees.coverage_pays
    covered = ((labour if pays.get("labour") else 0) + (parts if pays.get("parts") else 0)
               + (fee if pays.get("fee") else 0))
    covered = money(covered)
    subtotal = gross - covered
    if fees.discount_percent is not None:
        discount = money(subtotal * Decimal(fees.discount_percent) / 100)
    else:
        discount = money(fees.discount_amount or 0)
    discount = min(discount, subtotal)
    vat = money((subtotal - discount) * Decimal(fees.vat_rate) / 100)
    return {"labour": labour, "parts": parts, "service_fee": fee, "gross": gross,
            "covered": covered, "subtotal": subtotal, "discount": discount, "vat": vat,
            "total": subtotal - discount + vat}


def unrepaired_fees(fees, diagnosis_fee):
    """What a device returned unrepaired (its estimate rejected) is billed: the diagnosis fee
    alone — no labour, parts or service fee, nothing for a coverage to pay — with the form's
    discount and VAT as ever. Fed to `totals`, the one fee formula."""
    return Fees(service_fee=Decimal(diagnosis_fee or 0), discount_amount=fees.discount_amount,
                discount_percent=fees.discount_percent, vat_rate=fees.vat_rate)


ESTIMATE_LINE_KINDS = ("labour", "part", "fee")


def estimate_fees(lines, discount_amount=None, discount_percent=None, vat_rate=Decimal("20"),
                  coverage_pays=None):
    """The Fees of estimate lines typed for a price approval: labour lines are hours × an
    hourly rate (a work log of hours × 60 minutes: the same half-up rounding), part lines
    quantity × unit price, fee lines add up to the service fee. `totals` does the rest."""
    labour = [(Decimal(line["quantity"]) * 60, Decimal(line["unit_price"]))
              for line in lines if line["kind"] == "labour"]
    parts = [(Decimal(line["quantity"]), Decimal(line["unit_price"]))
             for line in lines if line["kind"] == "part"]
    fee = sum((line_amount(line["quantity"], line["unit_price"])
               for line in lines if line["kind"] == "fee"), Decimal("0.00"))
    return Fees(work_minutes=labour, parts=parts, service_fee=fee,
                discount_amount=discount_amount, discount_percent=discount_percent,
                vat_rate=vat_rate, coverage_pays=coverage_pays or {})


DEFAULT_COVERAGE_PAYS = {
    "manufacturer_warranty": {"labour": True, "parts": True, "fee": True},
    "contract": {"labour": True, "parts": False, "fee": True},
    "repair_warranty": {"labour": True, "parts": True, "fee": True},
}


def coverage_pays(kind, table=None, terms=None):
    """What a coverage kind pays on a form: a contract's own terms when the form has them
    (issue 17), else the table (COVERAGE_PAYS, the default for warranties)."""
    if kind == "contract" and terms and terms.get("pays"):
        return {k: bool(terms["pays"].get(k)) for k in ("labour", "parts", "fee")}
    return (table or DEFAULT_COVERAGE_PAYS).get(kind or "none", {})


# -- service levels: working hours ---------------------------------------------------------------
WORKDAY = (9, 18)  # 09:00–18:00 Europe/Istanbul, Monday to Friday, public holidays off


def working_hours_after(start, hours, workday=WORKDAY):
    """The moment `hours` working hours after `start` (UTC-aware): hours count only within
    the working day in Türkiye, Monday to Friday, not on public holidays. UTC back."""
    import holidays
    local = start.astimezone(LOCAL_TZ)
    off = holidays.country_holidays("TR", years=[local.year, local.year + 1,
                                                 local.year + 2])
    left = timedelta(hours=hours)
    while True:
        day = local.date()
        open_at = datetime(day.year, day.month, day.day, workday[0], tzinfo=LOCAL_TZ)
        close_at = datetime(day.year, day.month, day.day, workday[1], tzinfo=LOCAL_TZ)
        if day.weekday() < 5 and day not in off and local < close_at:
            begin = max(local, open_at)
            if begin + left <= close_at:
                return (begin + left).astimezone(timezone.utc)
            left -= close_at - begin
        nxt = day + timedelta(days=1)
        local = datetime(nxt.year, nxt.month, nxt.day, 0, tzinfo=LOCAL_TZ)


def service_level_dues(terms, received_at):
    """(response due, repair due) from a contract's service levels, counted in working hours
    from the form's intake; None where no level is agreed."""
    levels = (terms or {}).get("service_levels") or {}
    return tuple(working_hours_after(received_at, levels[k]) if levels.get(k) else None
                 for k in ("response_hours", "repair_hours"))


def service_level_state(due, done_at, now):
    """met / breached / pending for one due time: done by then (met), done later or still
    open past it (breached), open before it (pending)."""
    if due is None:
        return None
    if done_at is not None:
        return "met" if done_at <= due else "breached"
    return "breached" if now > due else "pending"


COVERAGE_NAMES = {
    "manufacturer_warranty": {"tr": "Üretici garantisi", "en": "Manufacturer warranty"},
    "contract": {"tr": "Bakım sözleşmesi", "en": "Maintenance contract"},
    "repair_warranty": {"tr": "Tamir garantisi", "en": "Repair warranty"},
    "none": {"tr": "Kapsam dışı", "en": "Not covered"},
}
KIND_NAMES = {"repair": {"tr": "Onarım", "en": "Repair"},
              "maintenance": {"tr": "Bakım", "en": "Maintenance"}}


def coverage_explanation(kind, pays):
    names = {"labour": ("işçilik", "labour"), "parts": ("parçalar", "parts"),
             "fee": ("hizmet bedeli", "service fee")}
    paid = [k for k in ("labour", "parts", "fee") if pays.get(k)]
    if not paid:
        return {"tr": "Kapsam yok: tüm tutarı müşteri öder.",
                "en": "Not covered: the customer pays everything."}
    name = COVERAGE_NAMES.get(kind, {"tr": kind, "en": kind})
    return {"tr": f"{name['tr']} öder: " + ", ".join(names[k][0] for k in paid) + ".",
            "en": f"{name['en']} pays: " + ", ".join(names[k][1] for k in paid) + "."}


# -- time, numbering, warranty -----------------------------------------------------------------
def local_date(moment=None):
    return (moment or datetime.now(timezone.utc)).astimezone(LOCAL_TZ).date()


def numbering_year(now=None):
    """Record numbers run per calendar year in Europe/Istanbul (a form opened at 23:30 UTC on
    31 December is already next year's in Türkiye)."""
    now = now or datetime.now(timezone.utc)
    return now.astimezone(LOCAL_TZ).year


def format_number(year, seq):
    return f"SF-{year}-{seq:06d}"


def add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def repair_warranty(delivered_on, months):
    """A repair warranty of `months` from the delivery day: its last day is the day before the
    same date `months` later (3 months from 15 January: 15 January – 14 April). None for 0."""
    if not months:
        return None
    return {"start": delivered_on, "end": add_months(delivered_on, months) - timedelta(days=1)}


# -- satisfaction ------------------------------------------------------------------------------
def satisfaction_score(questions, answers):
    """0–100 from weighted answers: each answer's place on its scale (min → 0, max → 1) times
    its weight, over the weights of the questions answered. `questions` {id: (weight, min, max)},
    `answers` {id: value}. Rounded half-up to a whole number."""
    total_weight = Decimal(0)
    points = Decimal(0)
    for qid, value in answers.items():
        weight, low, high = questions[qid]
        total_weight += Decimal(weight)
        points += Decimal(weight) * (Decimal(value) - low) / (high - low)
    if not total_weight:
        return None
    return int((points / total_weight * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def survey_expired(completed_at, days, now=None):
    now = now or datetime.now(timezone.utc)
    return completed_at is not None and now > completed_at + timedelta(days=days)


# -- intake ------------------------------------------------------------------------------------
def coverage_columns(answer):
    """What the form keeps of devices' coverage answer at intake."""
    return {"coverage_kind": answer["kind"],
            "coverage_end": date.fromisoformat(answer["end"]) if answer["end"] else None,
            "coverage_source_id": answer["source_id"],
            "coverage_reason": json.dumps(answer["reason"], ensure_ascii=False),
            "coverage_terms": json.dumps(answer["terms"], sort_keys=True)
            if answer.get("terms") and answer["kind"] == "contract" else None}


# -- papers: the intake slip's promised date, document kinds, report periods --------------------
REPAIR_DAYS = 20  # business days for a warranty repair (Satış Sonrası Hizmetler Yönetmeliği)
WARRANTY_KINDS = ("manufacturer_warranty", "repair_warranty")


def business_days_after(start, days):
    """The day `days` business days after `start`: Saturdays, Sundays and Türkiye's public
    holidays (the `holidays` package, religious holidays included) do not count."""
    import holidays
    years = range(start.year, start.year + 2 + days // 200)
    off = holidays.country_holidays("TR", years=list(years))
    day, left = start, days
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            left -= 1
    return day


def promised_delivery(received_on, coverage_kind, given=None):
    """The delivery date the intake slip promises: the one given, else for a warranty repair
    20 business days after intake, else none."""
    if given is not None:
        return given
    if coverage_kind in WARRANTY_KINDS:
        return business_days_after(received_on, REPAIR_DAYS)
    return None


DOCUMENT_KINDS = {
    "intake_slip": {"tr": "Servis Kabul Fişi", "en": "Service Intake Slip"},
    "delivery_receipt": {"tr": "Teslim Fişi", "en": "Delivery Receipt"},
    "damage_report": {"tr": "Hasar Bildirim Formu", "en": "Damage Report"},
    "price_approval": {"tr": "Fiyat Onay Formu", "en": "Price Approval Form"},
    "periodic_report": {"tr": "Periyodik Servis Raporu", "en": "Periodic Service Report"},
}
DOCUMENT_PREFIX = {"intake_slip": "KF", "delivery_receipt": "TF", "damage_report": "HB",
                   "price_approval": "FO"}
REPORT_FREQUENCIES = ("none", "monthly", "quarterly")


def document_number(form_number, kind, n):
    """A form's n-th document of a kind: SF-2027-000012-KF1 (kabul fişi), -TF2 (the second
    delivery's teslim fişi), -HB1 (hasar bildirimi), -FO3 (the third estimate's fiyat onay
    formu)."""
    return f"{form_number}-{DOCUMENT_PREFIX[kind]}{n}"


def report_number(customer_id, start, end):
    return f"PSR-{customer_id}-{start:%Y%m%d}-{end:%Y%m%d}"


def last_period(frequency, today):
    """The whole month or quarter before `today`'s: (start, end), both days included."""
    if frequency == "monthly":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = quarter_start - timedelta(days=1)
    return date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end


def next_report_day(frequency, today):
    """The first day of the next month or quarter after `today` (when the period that holds
    `today` is over), or None for no reports."""
    if frequency == "monthly":
        return add_months(today.replace(day=1), 1)
    if frequency == "quarterly":
        return add_months(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), 3)
    return None


def period_key(frequency, start):
    return f"{start:%Y-%m}" if frequency == "monthly" else f"{start.year}-Q{(start.month + 2) // 3}"


# -- price approval (fiyat onay formu) ----------------------------------------------------------
APPROVAL_STATES = ("pending", "approved", "rejected", "voided", "expired")
APPROVAL_STATE_NAMES = {
    "none": {"tr": "Gönderilmedi", "en": "Not sent"},
    "pending": {"tr": "Müşteri kararı bekleniyor", "en": "Awaiting the customer's decision"},
    "approved": {"tr": "Onaylandı", "en": "Approved"},
    "rejected": {"tr": "Reddedildi", "en": "Rejected"},
    "voided": {"tr": "Geçersiz kılındı", "en": "Withdrawn"},
    "expired": {"tr": "Süresi doldu", "en": "Expired"},
}


def approval_state(status, expires_at, now):
    """What an estimate's link is now: a pending one past its expiry is `expired` (computed
    when read: no timer)."""
    if status == "pending" and now >= expires_at:
        return "expired"
    return status


def approval_expiry(sent_at, days):
    return sent_at + timedelta(days=days)
