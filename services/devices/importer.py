"""Importing a customer's device archive from CSV (Excel's "CSV (virgülle ayrılmış)" / "CSV UTF-8").

The file
--------
* One header row, then one device card per row. Row numbers in messages are the ones Excel
  shows: the header is row 1, the first data row is row 2 (blank rows count, but are skipped).
* Encoding: UTF-8 with or without BOM (Excel's "CSV UTF-8"), UTF-16 with BOM (Excel's
  "Unicode Text"), else Windows-1254 (Turkish Windows' default "CSV").
* Delimiter: ``;`` (what Turkish Excel writes), ``,`` or a tab, detected from the header line.
  Values holding the delimiter, quotes or line breaks are quoted the usual CSV way
  (``"Çatı ünitesi; yılda iki bakım"``).
* Headers may be Turkish or English, in any order and any case; spaces, ``_``, ``.``, ``-``
  and a ``*`` marker are ignored when matching, and a few aliases are known ("Seri numarası",
  "Serial number", "VKN", "TCKN", ...). Unknown columns are ignored and reported; a column
  given twice, or a required one missing, rejects the whole file (HTTP 422).
* A row with more cells than the header has columns (usually a delimiter inside a value that
  is not quoted) is rejected on its own, under the ``_row`` key, so the good rows still go in.
  A row with fewer cells is read as if the missing cells were empty.

The columns (``COLUMNS``; ``template_csv("tr")`` / ``template_csv("en")`` give a sample)
-------------------------------------------------------------------------------------------
=================  ===================  ================  ==================================
key                Türkçe               English           value
=================  ===================  ================  ==================================
customer_name *    Müşteri adı          Customer name     text, at most 200
customer_tax_no    Vergi no             Tax no            10 digits (VKN) or 11 (TCKN); spaces
                                                          are ignored
customer_phone     Telefon              Phone             text, at most 40
customer_email     E-posta              Email             an e-mail address
customer_address   Adres                Address           text, at most 1000
customer_language  Dil                  Language          tr / en (Türkçe, İngilizce, Turkish,
                                                          English); empty = tr
site               Bulunduğu yer        Site              the customer's site where the device
                                                          stands, at most 100
brand *            Marka                Brand             text, at most 100
model              Model                Model             text, at most 100
device_type        Cihaz türü           Device type       catalogue code or name, at most 100
serial *           Seri no              Serial no         text, at most 100
price              Fiyat                Price             1234.56, 1234,56, 1.234,56 or
                                                          1,234.56; >= 0, rounded half-up to
                                                          2 decimals; "1.234" alone is refused
                                                          as ambiguous
currency           Para birimi          Currency          3 letters (TRY, USD, EUR); TL, ₺ =
                                                          TRY, $ = USD, € = EUR; empty = TRY
purchase_date      Alış tarihi          Purchase date     YYYY-MM-DD, DD.MM.YYYY, DD/MM/YYYY
vendor             Alındığı firma       Vendor            text, at most 100
insured            Sigortalı            Insured           evet/hayır, yes/no, true/false, 1/0,
                                                          x; empty = no
insurer            Sigorta şirketi      Insurer           text, at most 100
policy_no          Poliçe no            Policy no         text, at most 100
warranty_start     Garanti başlangıç    Warranty start    a date; empty = the purchase date
warranty_end       Garanti bitiş        Warranty end      a date, not before the start; needs a
                                                          start or a purchase date
notes              Notlar               Notes             text, at most 2000
=================  ===================  ================  ==================================

``*`` = required. Dates also accept ``D.M.YYYY`` and a time part Excel may add
(``2024-03-15 00:00:00``, ignored); impossible dates (``29.02.2023``) are refused.

The API
-------
* ``read_csv(data) -> ImportFile``: decode, find the delimiter, map the header, cut the rows
  (raises ``ValidationFailed`` for a file that cannot be imported at all).
* ``parse_row(values) -> (row, None) | (None, errors)``: one row's raw strings (``key -> str``)
  to a JSON-ready ``{"customer": {...}, "device": {...}}``, or marshmallow-style
  ``{key: [message]}`` errors keyed by column key. Every message is a constant English
  template formatted with its values (``field_message``); the gateway shows it in the user's
  language (the templates are in gateway/locale/tr/LC_MESSAGES/messages.po).
* ``template_csv(language) -> bytes``: a header and two example rows to start from.

Pure Python: no framework or database here (``ValidationFailed`` comes from
``services.common.exceptions``).
"""
import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from marshmallow import ValidationError, validate

from services.common.exceptions import ValidationFailed, field_message
from services.common.schemas import check_text
from services.common.text import fold

MISSING = "Missing data for required field."
LONGER = "Longer than maximum length {max}."  # marshmallow's, so the same entry translates it
NOT_AN_IMPORT_FILE = "The file is not a valid import file."
EXTRA_KEY = "_extra"  # in a raw row: how many non-empty cells lie beyond the header's columns
ROW_KEY = "_row"  # in errors: a problem of the whole row, not of one column


@dataclass(frozen=True)
class Column:
    key: str
    tr: str  # header in Turkish
    en: str  # header in English
    required: bool
    help_tr: str
    help_en: str
    aliases: tuple = ()


COLUMNS = [
    Column("customer_name", "Müşteri adı", "Customer name", True,
           "Müşterinin adı veya unvanı (en çok 200 karakter).",
           "The customer's name or trade name (at most 200 characters).",
           ("müşteri", "müşteri unvanı", "unvan", "customer", "customer name")),
    Column("customer_tax_no", "Vergi no", "Tax no", False,
           "10 haneli VKN veya 11 haneli TCKN; boşluklar yok sayılır.",
           "10-digit tax number (VKN) or 11-digit national id (TCKN); spaces are ignored.",
           ("vkn", "tckn", "vkn/tckn", "tckn/vkn", "vergi numarası", "vergi kimlik no",
            "tax number", "tax id")),
    Column("customer_phone", "Telefon", "Phone", False,
           "Müşterinin telefonu (en çok 40 karakter).",
           "The customer's phone (at most 40 characters).",
           ("tel", "telefon no", "gsm", "phone number", "telephone")),
    Column("customer_email", "E-posta", "Email", False,
           "Müşterinin e-posta adresi.", "The customer's e-mail address.",
           ("eposta", "e-posta adresi", "mail", "email address")),
    Column("customer_address", "Adres", "Address", False,
           "Müşterinin adresi (en çok 1000 karakter).",
           "The customer's address (at most 1000 characters).",
           ("müşteri adresi", "customer address")),
    Column("customer_language", "Dil", "Language", False,
           "tr veya en (Türkçe, İngilizce); boşsa tr.",
           "tr or en (Turkish, English); empty means tr.",
           ("müşteri dili", "customer language")),
    Column("site", "Bulunduğu yer", "Site", False,
           "Cihazın bulunduğu müşteri yeri/şubesi (en çok 100 karakter).",
           "The customer's site where the device stands (at most 100 characters).",
           ("yer", "lokasyon", "konum", "şube", "location", "branch")),
    Column("brand", "Marka", "Brand", True,
           "Cihazın markası (en çok 100 karakter).", "The device's brand (at most 100).",
           ("make", "manufacturer", "üretici")),
    Column("model", "Model", "Model", False,
           "Cihazın modeli (en çok 100 karakter).", "The device's model (at most 100).",
           ()),
    Column("device_type", "Cihaz türü", "Device type", False,
           "Katalogdaki cihaz türü kodu veya adı.",
           "A device type code or name from the catalogue.",
           ("cihaz tipi", "tür", "tip", "type", "cihaz")),
    Column("serial", "Seri no", "Serial no", True,
           "Cihazın seri numarası (en çok 100 karakter).",
           "The device's serial number (at most 100 characters).",
           ("seri numarası", "seri", "serial", "serial number", "s/n", "sn")),
    Column("price", "Fiyat", "Price", False,
           "Alış fiyatı: 1234,56 veya 1.234,56 (ya da 1234.56); 0 veya daha büyük.",
           "Purchase price: 1234.56 or 1,234.56 (or 1.234,56); 0 or more.",
           ("tutar", "bedel", "alış fiyatı", "purchase price")),
    Column("currency", "Para birimi", "Currency", False,
           "3 harfli kod (TRY, USD, EUR); TL ve ₺ = TRY; boşsa TRY.",
           "3-letter code (TRY, USD, EUR); TL and ₺ mean TRY; empty means TRY.",
           ("döviz", "döviz cinsi", "pb")),
    Column("purchase_date", "Alış tarihi", "Purchase date", False,
           "GG.AA.YYYY veya YYYY-AA-GG.", "YYYY-MM-DD or DD.MM.YYYY.",
           ("satın alma tarihi", "alım tarihi", "fatura tarihi", "date of purchase")),
    Column("vendor", "Alındığı firma", "Vendor", False,
           "Cihazın satın alındığı firma (en çok 100 karakter).",
           "Where the device was bought (at most 100 characters).",
           ("satıcı", "satıcı firma", "tedarikçi", "supplier", "seller")),
    Column("insured", "Sigortalı", "Insured", False,
           "Evet/Hayır (ya da 1/0, x); boşsa hayır.",
           "Yes/No (or true/false, 1/0, x); empty means no.",
           ("sigorta", "sigortalı mı", "is insured")),
    Column("insurer", "Sigorta şirketi", "Insurer", False,
           "Sigorta şirketinin adı.", "The insurance company.",
           ("sigortacı", "sigorta firması", "insurance company")),
    Column("policy_no", "Poliçe no", "Policy no", False,
           "Sigorta poliçesinin numarası.", "The insurance policy's number.",
           ("poliçe", "poliçe numarası", "policy", "policy number")),
    Column("warranty_start", "Garanti başlangıç", "Warranty start", False,
           "Garantinin başladığı tarih; boşsa alış tarihi.",
           "When the warranty starts; empty means the purchase date.",
           ("garanti başlangıç tarihi", "garanti başlangıcı", "warranty start date")),
    Column("warranty_end", "Garanti bitiş", "Warranty end", False,
           "Garantinin bittiği tarih; başlangıçtan önce olamaz.",
           "When the warranty ends; not before its start.",
           ("garanti bitiş tarihi", "garanti sonu", "warranty end date", "warranty expiry")),
    Column("notes", "Notlar", "Notes", False,
           "Serbest not (en çok 2000 karakter).", "Free notes (at most 2000 characters).",
           ("not", "açıklama", "note", "remarks", "description")),
]
KEYS = [c.key for c in COLUMNS]
_BY_KEY = {c.key: c for c in COLUMNS}
REQUIRED = [c.key for c in COLUMNS if c.required]

_MAX_LENGTH = {
    "customer_name": 200, "customer_address": 1000, "customer_phone": 40,
    "customer_email": 254, "notes": 2000,
    **dict.fromkeys(("brand", "model", "serial", "device_type", "vendor", "insurer",
                     "policy_no", "site"), 100),
}
DELIMITERS = (";", ",", "\t")  # on a tie, the first wins (Turkish Excel writes ";")


def normalize_header(name: str) -> str:
    """A header as compared: folded the Turkish way, without spaces, ``_ . - *`` and BOM."""
    return re.sub(r"[\s_.\-*\ufeff]+", "", fold(name))


def _header_map():
    mapping = {}
    for column in COLUMNS:
        for name in (column.key, column.tr, column.en, *column.aliases):
            norm = normalize_header(name)
            if mapping.setdefault(norm, column.key) != column.key:
                raise AssertionError(f"header {name!r} means two columns")  # a typo in COLUMNS
    return mapping


HEADERS = _header_map()  # normalized header -> column key


def column_for_header(name: str):
    """The column key a header names, or None."""
    return HEADERS.get(normalize_header(name))


def _label(key):
    """The values naming a column in a message: `{column} ({tr} / {en})`."""
    column = _BY_KEY[key]
    return {"column": column.key, "tr": column.tr, "en": column.en}


# --------------------------------------------------------------------------- the file

@dataclass
class ImportFile:
    keys: list  # the column key of each position in a row; None for an ignored column
    ignored: list  # the header names that were not recognised, as written
    rows: list = field(default_factory=list)  # (row number as Excel shows it, {key: raw str})
    delimiter: str = ","
    encoding: str = "utf-8"


def decode(data: bytes):
    """(text, encoding): UTF-16 with a BOM, else UTF-8 (BOM or not), else Windows-1254."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1254"), "cp1254"
    except UnicodeDecodeError:
        raise ValidationFailed(NOT_AN_IMPORT_FILE, {"file": [
            "The file is neither UTF-8 nor Windows-1254 (Turkish) text; save it from Excel as "
            "\"CSV UTF-8\"."]})


def detect_delimiter(line: str) -> str:
    """The delimiter of a header line: the most frequent of ``; , tab`` outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif not quoted and c in counts:
            counts[c] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first of equals
    return best if counts[best] else ","


def _is_blank(cells):
    return all(not c.strip() for c in cells)


EMPTY = "The file is empty."


def read_csv(data: bytes) -> ImportFile:
    """Decode an uploaded CSV, map its header to COLUMNS and cut its data rows (not parsed:
    each row's values stay raw strings for ``parse_row``). A file that cannot be imported at
    all raises ``ValidationFailed`` (422) with ``{"file": [reasons]}``."""
    if not data or not data.strip():
        raise ValidationFailed(NOT_AN_IMPORT_FILE, {"file": [EMPTY]})
    text, encoding = decode(data)
    first_line = next((line for line in text.splitlines() if line.strip(" \t\r\n;,\ufeff")),
                      None)
    if first_line is None:
        raise ValidationFailed(NOT_AN_IMPORT_FILE, {"file": [EMPTY]})
    delimiter = detect_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    keys, ignored, rows, number = None, [], [], 0
    try:
        for number, cells in enumerate(reader, start=1):
            if _is_blank(cells):
                continue
            if keys is None:
                keys, ignored = map_header(cells)
                wanted = [(i, key) for i, key in enumerate(keys) if key]
                continue
            values = {key: (cells[i] if i < len(cells) else "") for i, key in wanted}
            extra = sum(1 for cell in cells[len(keys):] if cell.strip())
            if extra:
                values[EXTRA_KEY] = extra
            rows.append((number, values))
    except csv.Error as err:
        raise ValidationFailed(NOT_AN_IMPORT_FILE, {"file": [field_message(
            "Row {row}: {error}.", {"row": number + 1, "error": str(err)})]})
    if not rows:
        raise ValidationFailed(NOT_AN_IMPORT_FILE, {"file": [
            "The file has a header but no data rows."]})
    return ImportFile(keys=keys, ignored=ignored, rows=rows, delimiter=delimiter,
                      encoding=encoding)


def map_header(header):
    """(keys, ignored) for a header row; raises ValidationFailed for duplicated columns and
    missing required ones (every problem at once)."""
    keys, ignored, seen, problems = [], [], {}, []
    for name in header:
        name = name.strip().lstrip("\ufeff").strip()
        key = column_for_header(name) if name else None
        if name and key is None:
            ignored.append(name)
        elif key in seen:
            problems.append(field_message(
                "Columns '{first}' and '{second}' are the same column: {column} ({tr} / {en}). "
                "Keep one of them.", {"first": seen[key], "second": name, **_label(key)}))
            key = None
        elif key:
            seen[key] = name
        keys.append(key)
    for key in REQUIRED:
        if key not in seen:
            problems.append(field_message("Required column missing: {column} ({tr} / {en}).",
                                          _label(key)))
    if problems:
        raise ValidationFailed(NOT_AN_IMPORT_FILE, {"file": problems})
    return keys, ignored


# --------------------------------------------------------------------------- the values
# Each parser takes a stripped, non-empty string and returns the value, or raises a marshmallow
# ValidationError with the message the user sees (a template formatted with the cell's text).

MAX_PRICE = Decimal("9999999999.99")  # the column is NUMERIC(12, 2)
_CENT = Decimal("0.01")
_PRICE_PLAIN = re.compile(r"\d+(?:[.,]\d+)?")  # 1234 / 1234.56 / 1234,56
_PRICE_TR = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")  # 1.234 / 1.234.567 / 1.234,56
_PRICE_EN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")  # 1,234 / 1,234,567 / 1,234.56


NOT_A_PRICE = "Not a price: '{text}' (use 1234.56, 1234,56, 1.234,56 or 1,234.56)."


def parse_price(text: str) -> Decimal:
    """A non-negative price rounded half-up to cents, from Turkish or English notation.
    One separator followed by exactly three digits ("1.234", "12,500") could be thousands
    or decimals and is refused as ambiguous, unless the integer part is 0 ("0,500")."""
    s = re.sub(r"[\s\u00a0\u202f']", "", text)  # 1 234,56 (spaces, NBSP) and 1'234.56
    negative = s.startswith("-")
    digits = s[1:] if negative or s.startswith("+") else s
    single = re.fullmatch(r"(\d+)[.,](\d{3})", digits)
    if single and single.group(1).lstrip("0") and len(single.group(1)) <= 3:
        raise ValidationError(field_message(
            "Ambiguous price: '{text}' (thousands or decimals?); write it as 1234, 1.234,00 or "
            "1,234.00 - or 1,23 for decimals.", {"text": text}))
    if _PRICE_PLAIN.fullmatch(digits):
        number = digits.replace(",", ".")
    elif _PRICE_TR.fullmatch(digits) and not single:
        number = digits.replace(".", "").replace(",", ".")
    elif _PRICE_EN.fullmatch(digits) and not single:
        number = digits.replace(",", "")
    else:
        raise ValidationError(field_message(NOT_A_PRICE, {"text": text}))
    try:
        value = Decimal(number).quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValidationError(field_message(NOT_A_PRICE, {"text": text}))
    if negative and value:
        raise ValidationError(field_message("The price must not be negative: '{text}'.",
                                            {"text": text}))
    if value > MAX_PRICE:
        raise ValidationError(field_message("The price is too large: '{text}' (at most {max}).",
                                            {"text": text, "max": str(MAX_PRICE)}))
    return abs(value)  # -0,00 is 0.00


_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DATE_TR = re.compile(r"(\d{1,2})([./])(\d{1,2})\2(\d{4})")
# Excel's " 00:00:00" after a date; DOTALL: a cell with a line break is still matched (and then
# refused as not a date) instead of failing the match.
_TIME = re.compile(r"(.*?)(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", re.DOTALL)


def parse_date(text: str) -> date:
    """YYYY-MM-DD, DD.MM.YYYY, DD/MM/YYYY or D.M.YYYY; a time part is dropped."""
    s = _TIME.fullmatch(text.strip()).group(1)
    iso, tr = _DATE_ISO.fullmatch(s), _DATE_TR.fullmatch(s)
    try:
        if iso:
            value = date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        elif tr:
            value = date(int(tr.group(4)), int(tr.group(3)), int(tr.group(1)))
        else:
            raise ValueError
    except ValueError:
        raise ValidationError(field_message(
            "Not a date: '{text}' (use YYYY-MM-DD or DD.MM.YYYY).", {"text": text}))
    if value.year < 1900:
        raise ValidationError(field_message(
            "Not a plausible date: '{text}' (the year is before 1900).", {"text": text}))
    return value


_TRUE = {"evet", "e", "var", "yes", "y", "true", "dogru", "1", "x", "✓", "✔"}
_FALSE = {"hayir", "h", "yok", "no", "n", "false", "yanlis", "0", "-"}


def parse_bool(text: str) -> bool:
    """evet/hayır, yes/no, true/false, 1/0, x (ticked) in any case, Turkish or not."""
    s = fold(text.strip())
    if s in _TRUE:
        return True
    if s in _FALSE or not s:
        return False
    raise ValidationError(field_message(
        "Not a yes/no value: '{text}' (use evet/hayır or yes/no).", {"text": text}))


_CURRENCY_ALIASES = {"tl": "TRY", "ytl": "TRY", "₺": "TRY", "$": "USD", "€": "EUR", "£": "GBP"}


def parse_currency(text: str) -> str:
    """A 3-letter code, upper-cased; TL/₺ mean TRY."""
    s = text.strip()
    alias = _CURRENCY_ALIASES.get(fold(s))
    if alias:
        return alias
    if not re.fullmatch(r"[A-Za-z]{3}", s):
        raise ValidationError(field_message(
            "Not a currency code: '{text}' (use 3 letters such as TRY, USD, EUR).",
            {"text": text}))
    return s.upper()


_LANGUAGES = {"tr": "tr", "turkce": "tr", "turkish": "tr", "tur": "tr",
              "en": "en", "ingilizce": "en", "english": "en", "eng": "en"}


def parse_language(text: str) -> str:
    """tr or en; Türkçe/İngilizce/Turkish/English in any case too."""
    language = _LANGUAGES.get(fold(text.strip()))
    if language is None:
        raise ValidationError(field_message("Not a language: '{text}' (use tr or en).",
                                            {"text": text}))
    return language


def parse_tax_no(text: str) -> str:
    """10 digits (VKN) or 11 (TCKN), spaces ignored."""
    s = re.sub(r"\s+", "", text)
    if not re.fullmatch(r"[0-9]{10,11}", s):
        raise ValidationError("Tax number is 10 digits (VKN) or 11 (TCKN).")
    return s


_check_email = validate.Email()


def parse_email(text: str) -> str:
    if len(text) > 254:
        raise ValidationError(field_message(LONGER, {"max": 254}))
    return _check_email(text)  # marshmallow's ValidationError: "Not a valid email address."


# --------------------------------------------------------------------------- a row

_PARSERS = {
    "customer_tax_no": parse_tax_no, "customer_email": parse_email,
    "customer_language": parse_language, "price": lambda s: str(parse_price(s)),
    "currency": parse_currency, "insured": parse_bool,
    "purchase_date": parse_date, "warranty_start": parse_date, "warranty_end": parse_date,
}
_DEFAULTS = {"customer_language": "tr", "currency": "TRY", "insured": False}
_CUSTOMER = {"customer_name": "name", "customer_tax_no": "tax_no", "customer_phone": "phone",
             "customer_email": "email", "customer_address": "address",
             "customer_language": "language"}
_DEVICE = ("brand", "serial", "model", "device_type", "site", "price", "currency",
           "purchase_date", "vendor", "insured", "insurer", "policy_no", "notes",
           "warranty_start", "warranty_end")


def parse_row(values: dict):
    """One row's raw strings (``{column key: str}``, as ``read_csv`` cuts them) to
    ``(row, None)`` or ``(None, errors)``. ``row`` is JSON-ready:
    ``{"customer": {name, tax_no, phone, email, address, language},
    "device": {brand, serial, model, device_type, site, price, currency, purchase_date, vendor,
    insured, insurer, policy_no, notes, warranty_start, warranty_end}}`` with dates as ISO
    strings, the price as a string with two decimals, None for an empty optional value.
    ``errors`` is ``{column key: [message]}``; ``_row`` for a problem of the whole row."""
    extra = values.get(EXTRA_KEY)
    if extra == 1:
        return None, {ROW_KEY: [field_message(
            "This row has 1 more cell than the header has columns: is there a delimiter "
            "inside a value without quotes around it?")]}
    if extra:
        return None, {ROW_KEY: [field_message(
            "This row has {extra} more cells than the header has columns: is there a "
            "delimiter inside a value without quotes around it?", {"extra": extra})]}
    errors, parsed = {}, {}
    for key in KEYS:
        raw = values.get(key)
        raw = "" if raw is None else raw if isinstance(raw, str) else str(raw)
        try:
            check_text(raw)
        except ValidationError as err:
            errors[key] = list(err.messages)
            continue
        text = raw.strip()
        if not text:
            if key in REQUIRED:
                errors[key] = [MISSING]
            parsed[key] = _DEFAULTS.get(key)
            continue
        limit = _MAX_LENGTH.get(key)
        if limit and len(text) > limit:
            errors[key] = [field_message(LONGER, {"max": limit})]
            continue
        parser = _PARSERS.get(key)
        try:
            parsed[key] = parser(text) if parser else text
        except ValidationError as err:
            errors[key] = list(err.messages)
    _check_warranty(parsed, errors)
    if errors:
        return None, errors
    for key in ("purchase_date", "warranty_start", "warranty_end"):
        if parsed[key] is not None:
            parsed[key] = parsed[key].isoformat()
    customer = {name: parsed[key] for key, name in _CUSTOMER.items()}
    device = {key: parsed[key] for key in _DEVICE}
    return {"customer": customer, "device": device}, None


def _check_warranty(parsed, errors):
    """warranty_start defaults to purchase_date; an end needs a start and is not before it."""
    if any(key in errors for key in ("purchase_date", "warranty_start", "warranty_end")):
        return
    start, end = parsed.get("warranty_start"), parsed.get("warranty_end")
    if end is None:
        return  # no warranty given: a purchase date alone is just a purchase date
    if start is None:
        start = parsed["warranty_start"] = parsed.get("purchase_date")
    if start is None:
        errors["warranty_end"] = [field_message(
            "A warranty end needs a warranty start or a purchase date (the start is unknown).")]
    elif end < start:
        errors["warranty_end"] = [field_message(
            "The warranty ends ({end}) before it starts ({start}).",
            {"end": end.isoformat(), "start": start.isoformat()})]


# --------------------------------------------------------------------------- the template

_EXAMPLES = {
    "tr": [
        {"customer_name": "Çağlar Soğutma Ltd. Şti.", "customer_tax_no": "1234567890",
         "customer_phone": "0212 555 01 23", "customer_email": "servis@caglarsogutma.com.tr",
         "customer_address": "Atatürk Cad. No: 12, Kadıköy, İstanbul",
         "customer_language": "Türkçe", "site": "Kadıköy şubesi", "brand": "Arçelik",
         "model": "Inverter 12000", "device_type": "Klima", "serial": "ARÇ-2024-00017",
         "price": "12.500,00", "currency": "TL", "purchase_date": "15.03.2024",
         "vendor": "Işık Elektronik A.Ş.", "insured": "Evet", "insurer": "Anadolu Sigorta",
         "policy_no": "POL-884512", "warranty_start": "15.03.2024",
         "warranty_end": "15.03.2026", "notes": "Çatı ünitesi; yılda iki bakım."},
        {"customer_name": "Blue Harbor Hotels Ltd.", "customer_tax_no": "",
         "customer_phone": "+44 20 7946 0000", "customer_email": "facilities@blueharbor.example",
         "customer_address": "1 Harbour Street, London", "customer_language": "İngilizce",
         "site": "Ana mutfak", "brand": "Bosch", "model": "KGN39", "device_type": "Buzdolabı",
         "serial": "BSH-99812", "price": "1234,50", "currency": "EUR",
         "purchase_date": "2.11.2023", "vendor": "", "insured": "Hayır", "insurer": "",
         "policy_no": "", "warranty_start": "", "warranty_end": "02.11.2025", "notes": ""},
    ],
    "en": [
        {"customer_name": "Çağlar Soğutma Ltd. Şti.", "customer_tax_no": "1234567890",
         "customer_phone": "+90 212 555 01 23", "customer_email": "servis@caglarsogutma.com.tr",
         "customer_address": "Atatürk Cad. No: 12, Kadıköy, İstanbul",
         "customer_language": "Turkish", "site": "Kadıköy branch", "brand": "Arçelik",
         "model": "Inverter 12000", "device_type": "Air conditioner", "serial": "ARÇ-2024-00017",
         "price": "12,500.00", "currency": "TRY", "purchase_date": "2024-03-15",
         "vendor": "Işık Elektronik A.Ş.", "insured": "yes", "insurer": "Anadolu Sigorta",
         "policy_no": "POL-884512", "warranty_start": "2024-03-15",
         "warranty_end": "2026-03-15", "notes": "Roof unit, serviced twice a year."},
        {"customer_name": "Blue Harbor Hotels Ltd.", "customer_tax_no": "",
         "customer_phone": "+44 20 7946 0000", "customer_email": "facilities@blueharbor.example",
         "customer_address": "1 Harbour Street, London", "customer_language": "English",
         "site": "Main kitchen", "brand": "Bosch", "model": "KGN39", "device_type": "Refrigerator",
         "serial": "BSH-99812", "price": "1234.50", "currency": "EUR",
         "purchase_date": "2023-11-02", "vendor": "", "insured": "no", "insurer": "",
         "policy_no": "", "warranty_start": "", "warranty_end": "2025-11-02", "notes": ""},
    ],
}


def template_csv(language: str = "tr") -> bytes:
    """A CSV to start from: the header in `language` (tr: ``;``, en: ``,``) and two example
    rows, UTF-8 with a BOM so that Excel shows the Turkish letters."""
    if language not in _EXAMPLES:
        raise ValueError(f"No template in {language!r} (tr or en).")
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";" if language == "tr" else ",", lineterminator="\r\n")
    writer.writerow([getattr(column, language) for column in COLUMNS])
    for example in _EXAMPLES[language]:
        writer.writerow([example[key] for key in KEYS])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
