"""Numbers, money, quantities, dates and percentages for the reader's language, in one place
(Babel: tr_TR and en): e-mails, PDFs, CSV files, chart axes and pages all call these, so a
Turkish reader sees `1.234,50 ₺`, `05.01.2027` and `%20` everywhere and an English one
`TRY 1,234.50`, `5 Jan 2027` and `20%`.

A quantity shows only the decimals it has (`1`, `1,5`): a part line's quantity is stored with
three decimals, and `1.000` read as a thousand in Turkish. Money rounds half-up to the kuruş
(DESIGN.md). Times are stored in UTC and shown on Türkiye's clock."""
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import (format_compact_decimal, format_currency, format_decimal,
                           format_percent)

LANGUAGES = ("tr", "en")
LOCALES = {"tr": "tr_TR", "en": "en"}
LOCAL_TZ = ZoneInfo("Europe/Istanbul")
CENT = Decimal("0.01")
# CLDR's tr pattern puts the sign first (₺1.234,50); Turkish invoices and shop windows write
# it after the amount, and English readers of a Turkish company read the code best in front.
MONEY_PATTERNS = {"tr": "#,##0.00\u00a0¤", "en": "¤\u00a0#,##0.00"}
DATE_PATTERNS = {"tr": "dd.MM.yyyy", "en": "d MMM yyyy"}
TIME_PATTERN = "HH:mm"


def lang(language):
    """`language` if it is one of ours, else Turkish (the default)."""
    return language if language in LANGUAGES else "tr"


def _locale(language):
    return LOCALES[lang(language)]


def _decimal(value):
    return value if isinstance(value, Decimal) else Decimal(str(value))


def number(value, language="tr", decimals=None):
    """A number with the language's grouping and decimal mark; `decimals` fixes the
    decimals shown (else as many as it has)."""
    value = _decimal(value)
    if decimals is not None:
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=_locale(language),
                              decimal_quantization=True)
    return format_decimal(value, format="#,##0.######", locale=_locale(language))


def quantity(value, language="tr"):
    """A quantity without the zeros it does not need: 1.000 -> `1`, 1.500 -> `1,5`."""
    return number(_decimal(value).normalize(), language)


def money(amount, currency="TRY", language="tr"):
    """`1.234,50 ₺` in Turkish, `TRY 1,234.50` in English; half-up to the kuruş."""
    amount = _decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    return format_currency(amount, currency or "TRY", format=MONEY_PATTERNS[lang(language)],
                           locale=_locale(language), currency_digits=False)


def percent(value, language="tr"):
    """A percentage given in percent (20 -> `%20` / `20%`; 12.5 -> `%12,5`)."""
    return format_percent(_decimal(value) / 100, locale=_locale(language),
                          decimal_quantization=False)


def day(value, language="tr"):
    """A calendar day: `05.01.2027` / `5 Jan 2027`. An ISO string is read first."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = local(value).date()
    return format_date(value, DATE_PATTERNS[lang(language)], locale=_locale(language))


def local(moment):
    """A stored UTC time (aware, or an ISO string) on Türkiye's clock."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(LOCAL_TZ)


def moment(value, language="tr"):
    """A time of day on a day, Türkiye's clock: `05.01.2027 14:30` / `5 Jan 2027 14:30`."""
    if value is None:
        return ""
    pattern = DATE_PATTERNS[lang(language)] + " " + TIME_PATTERN
    return format_datetime(local(value), pattern, locale=_locale(language))


def axis(value, language="tr"):
    """A chart axis label, short: `1,2 B` / `1.2K`, `2,5 Mn` / `2.5M` (CLDR's compact
    forms; a Turkish reader does not read `k`)."""
    value = _decimal(value)
    if abs(value) < 1000:
        return number(value.quantize(Decimal(1), rounding=ROUND_HALF_UP), language)
    return format_compact_decimal(value, locale=_locale(language), fraction_digits=1)


def minutes(value, language="tr"):
    """Work time: `2 sa 05 dk` / `2 h 05 min`."""
    h, m = divmod(int(value or 0), 60)
    if lang(language) == "tr":
        return f"{h} sa {m:02d} dk" if h else f"{m} dk"
    return f"{h} h {m:02d} min" if h else f"{m} min"
