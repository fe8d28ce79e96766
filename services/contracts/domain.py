"""Rules of proposals (teklif) and maintenance contracts (bakım sözleşmesi): the contract's
lifecycle table, the price arithmetic (per device per year or per visit, discount, VAT, stamp
duty, the TRY equivalent at the proposal's rate), numbering, the contract's period, overlap.
Plain Python: no framework imports."""
import calendar
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from services.common.exceptions import Conflict, Forbidden
from services.common.roles import ADMIN, CONTRACTS, MANAGER, SYSTEM

LOCAL_TZ = ZoneInfo("Europe/Istanbul")
CENT = Decimal("0.01")
CURRENCIES = ("TRY", "USD", "EUR")
BASES = ("year", "visit")  # the unit price: per device per year, or per device per visit
MAX_MONTHS = 120  # a period of at most 10 years
PAYS = ("labour", "parts", "fee")

WRITE = (CONTRACTS, MANAGER, ADMIN)  # proposals, decisions, renewals, cancels, invoices
READ = WRITE + ("desk",)

# -- the contract's lifecycle ------------------------------------------------------------------
DRAFT, ACTIVE, EXPIRED, RENEWED, CANCELLED = "draft", "active", "expired", "renewed", "cancelled"
STATUS_NAMES = {
    DRAFT: {"tr": "Taslak", "en": "Draft"},
    ACTIVE: {"tr": "Yürürlükte", "en": "Active"},
    EXPIRED: {"tr": "Süresi doldu", "en": "Expired"},
    RENEWED: {"tr": "Yenilendi", "en": "Renewed"},
    CANCELLED: {"tr": "İptal edildi", "en": "Cancelled"},
}
STATUSES = tuple(STATUS_NAMES)

# (from, to, roles). One table: the moves, the 409 naming the allowed ones, the tests.
# SYSTEM: the due-date scanner (activation on the start date, expiry after the end date) and
# the acceptance of a renewal proposal (the renewed contract).
TRANSITIONS = (
    (DRAFT, ACTIVE, (SYSTEM,)),
    (DRAFT, CANCELLED, WRITE),
    (ACTIVE, EXPIRED, (SYSTEM,)),
    (ACTIVE, RENEWED, (SYSTEM,)),
    (ACTIVE, CANCELLED, WRITE),
    (EXPIRED, RENEWED, (SYSTEM,)),
)
ALLOWED = {(a, b): roles for a, b, roles in TRANSITIONS}
# a contract that still covers (or will): overlaps are checked against these
LIVE = (DRAFT, ACTIVE, RENEWED)
RENEWABLE = (ACTIVE, EXPIRED)

PROPOSAL_STATUS_NAMES = {
    "open": {"tr": "Açık", "en": "Open"},
    "expired": {"tr": "Geçerliliği doldu", "en": "Expired"},
    "accepted": {"tr": "Kabul edildi", "en": "Accepted"},
    "rejected": {"tr": "Reddedildi", "en": "Rejected"},
}


def moves_from(status):
    return [(b, roles) for a, b, roles in TRANSITIONS if a == status]


def check_transition(current, target, role):
    """Nothing, if `role` may move a contract from `current` to `target`; else a Conflict
    (409 naming the allowed moves) or a Forbidden (403)."""
    roles = ALLOWED.get((current, target))
    if roles is None:
        allowed = [b for b, _ in moves_from(current)]
        raise Conflict("A contract in {status} cannot go to {to}; allowed: {moves}.",
                       {"status": current, "to": target, "allowed": allowed,
                        "moves": ", ".join(allowed) or "none"})
    if role not in roles:
        raise Forbidden("The role '{role}' may not move a contract from {status} to {to}.",
                        {"allowed_roles": list(roles), "role": role, "status": current,
                         "to": target})


def proposal_state(status, valid_until, today):
    """open, expired (open past its validity date), accepted or rejected."""
    if status == "open" and valid_until is not None and today > valid_until:
        return "expired"
    return status


# -- time and numbering ------------------------------------------------------------------------
def local_date(moment=None):
    return (moment or datetime.now(timezone.utc)).astimezone(LOCAL_TZ).date()


def numbering_year(now=None):
    return (now or datetime.now(timezone.utc)).astimezone(LOCAL_TZ).year


def format_number(kind, year, seq):
    """TK-YYYY-NNNNNN (proposals), SZ-YYYY-NNNNNN (contracts)."""
    return f"{kind}-{year}-{seq:06d}"


def add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(start, months):
    """The last day of a period of `months` from `start` (12 months from 1 January 2027:
    31 December 2027)."""
    return add_months(start, months) - timedelta(days=1)


def overlaps(a_start, a_end, b_start, b_end):
    return a_start <= b_end and b_start <= a_end


def renewal_due_on(end, days):
    return end - timedelta(days=days)


# -- money -------------------------------------------------------------------------------------
def money(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def price_totals(unit_price, devices, months, basis="year", visits_per_year=None,
                 discount_amount=None, discount_percent=None, vat_rate=Decimal("20"),
                 stamp_duty_rate=Decimal("0.948"), rate=Decimal("1")):
    """A proposal's figures in its currency, each rounded half-up to the cent:
    subtotal = unit price × devices × years (× visits a year, per visit); the discount (an
    amount, or a percent of the subtotal); net = subtotal − discount; VAT on the net; total =
    net + VAT; stamp duty (damga vergisi) at its rate (per cent) on the net, the amount the
    contract states before VAT; `total_try` the total at the proposal's rate."""
    unit_price, years = Decimal(unit_price), Decimal(months) / 12
    per_device = unit_price * years * (Decimal(visits_per_year or 0) if basis == "visit"
                                       else 1)
    subtotal = money(per_device * devices)
    if discount_percent is not None:
        discount = money(subtotal * Decimal(discount_percent) / 100)
    else:
        discount = money(discount_amount or 0)
    discount = min(discount, subtotal)
    net = subtotal - discount
    vat = money(net * Decimal(vat_rate) / 100)
    total = net + vat
    stamp = money(net * Decimal(stamp_duty_rate) / 100)
    return {"subtotal": subtotal, "discount": discount, "net": net, "vat": vat,
            "total": total, "stamp_duty": stamp, "total_try": money(total * Decimal(rate))}


def raised(price, percent):
    """A unit price raised by `percent` (a renewal's increase: the TÜFE rate entered)."""
    return money(Decimal(price) * (1 + Decimal(percent) / 100))


# -- the invoice schedule ----------------------------------------------------------------------
FREQUENCIES = {"monthly": 1, "quarterly": 3, "yearly": 12, "single": None}
INVOICE_STATES = ("scheduled", "invoiced", "paid")


def installments(total, start, months, frequency, first_due=None):
    """[(due date, amount)]: the total split over the period's invoices — one a month, a
    quarter, a year, or one alone —, each rounded to the cent, the last taking the remainder
    so they add up to the total exactly. The first is due on `first_due` (default the start),
    the others a step of months after each other."""
    step = FREQUENCIES[frequency]
    count = 1 if step is None else max(1, -(-months // step))
    first = first_due or start
    share = money(Decimal(total) / count)
    amounts = [share] * (count - 1) + [money(Decimal(total) - share * (count - 1))]
    return [(add_months(first, i * (step or 0)), a) for i, a in enumerate(amounts)]


# -- the signed scan of a decision ---------------------------------------------------------------
MAX_SCAN_BYTES = 10 * 1024 * 1024
SCAN_TYPES = ((b"%PDF-", "application/pdf", "pdf"), (b"\xff\xd8\xff", "image/jpeg", "jpg"),
              (b"\x89PNG\r\n\x1a\n", "image/png", "png"))


def scan_type(data):
    """(content type, extension) of a signed scan by its content — a PDF, JPEG or PNG whatever
    its name says —, or None."""
    for magic, content_type, ext in SCAN_TYPES:
        if data.startswith(magic):
            return content_type, ext
    return None
