"""Numbers, money and times on the pages, with Babel in the page's locale (tr_TR: 1.272,00 ₺,
27.11.2026 14:05; en). Times are stored in UTC and shown in Europe/Istanbul (DESIGN.md)."""
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from gateway.web.i18n import LOCALES, language

LOCAL_TZ = ZoneInfo("Europe/Istanbul")


_PARSED = {}  # Babel's Locale per language: parsing the name again on every value cost half


def _locale():
    lang = language()
    if lang not in _PARSED:
        _PARSED[lang] = Locale.parse(LOCALES[lang])
    return _PARSED[lang]


def _decimal(value):
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def money(value, currency="TRY"):
    amount = _decimal(value) if value is not None else None
    if amount is None:
        return "—"
    return format_currency(amount, currency or "TRY", locale=_locale())


def number(value):
    amount = _decimal(value) if value is not None else None
    return "—" if amount is None else format_decimal(amount, locale=_locale())


def price(value):
    """A price per page (up to 4 decimals, 0,0125 ₺): two decimals at least, four at most.
    Babel's default pattern keeps three and rounds half-even (0,0125 read 0,012)."""
    amount = _decimal(value) if value is not None else None
    return "—" if amount is None else format_decimal(amount, format="#,##0.00##",
                                                     locale=_locale())


def decimal_input(value):
    """A decimal as an input's value: its exact value, no grouping, the page's decimal
    separator (0,0125 in Turkish, 0.0125 in English), so saving the form unchanged writes the
    same value back (`number` rounded it to 3 decimals and grouped thousands)."""
    amount = _decimal(value) if value not in (None, "") else None
    if amount is None:
        return ""
    text = format(amount.normalize(), "f")  # 0.0500 as 0,05: the same value, as typed
    return text.replace(".", ",") if language() == "tr" else text


def moment(value):
    """An ISO time (UTC) as Türkiye's date and time."""
    if not value:
        return "—"
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return format_datetime(when, "dd.MM.yyyy HH:mm" if language() == "tr" else "d MMM yyyy HH:mm",
                           tzinfo=LOCAL_TZ, locale=_locale())


def day(value):
    if not value:
        return "—"
    when = value if isinstance(value, date) else date.fromisoformat(value)
    return format_date(when, "dd.MM.yyyy" if language() == "tr" else "d MMM yyyy",
                       locale=_locale())


def month(value):
    """A month by its name: Mart 2027 / March 2027."""
    if not value:
        return "—"
    when = value if isinstance(value, date) else date.fromisoformat(value)
    return format_date(when, "LLLL yyyy", locale=_locale())


def minutes(value):
    """Work time: 1 sa 15 dk / 1 h 15 min."""
    value = int(value or 0)
    h, m = divmod(value, 60)
    if language() == "tr":
        return f"{h} sa {m} dk" if h else f"{m} dk"
    return f"{h} h {m} min" if h else f"{m} min"


METER_NAMES = {"total": "Total"}  # a meter's code (contracts: ^[a-z_]{1,20}$) as a page shows it


def meter(code):
    """A meter's name in the page's language: the default meter `total` is "Toplam" on a
    Turkish page; a code an officer made up is shown as typed."""
    from gateway.web.i18n import gettext
    return gettext(METER_NAMES[code]) if code in METER_NAMES else code


FILTERS = {"money": money, "number": number, "moment": moment, "day": day, "minutes": minutes,
           "monthname": month, "price": price, "decimal_input": decimal_input, "meter": meter}
