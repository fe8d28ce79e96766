"""Importing a customer's device archive from CSV (Excel's "CSV (virgülle ayrılmış)" / "CSV UTF-8").

The file
--------
* One header row, then one device card per row. Row numbers in messages are the ones Excel
  shows: the header is row 1, the first data row is row 2 (blank rows count, but are skipped).
* Encoding: UTF-16 with BOM (Excel's "Unicode Text"), UTF-8 with or without BOM (Excel's
  "CSV UTF-8"), else Windows-1254 (Turkish Windows' default "CSV"), decided from the first
  bytes: a BOM, else the first bytes that are not ASCII (UTF-8 when they read as UTF-8). The
  file is read as it arrives (``ImportStream``): nothing holds it whole.
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
                                                          are ignored; the check digits must
                                                          match
customer_phone     Telefon              Phone             a phone number, Turkish unless it
                                                          has a country code; kept as
                                                          "+90 212 555 01 23"
customer_email     E-posta              Email             an e-mail address
customer_address   Adres                Address           text, at most 1000
customer_city      İl                   City              one of the 81 provinces (any case,
                                                          with or without Turkish letters) or
                                                          its plate number: kept as "İstanbul"
customer_district  İlçe                 District          text, at most 100
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

Other kinds of import (``kind``)
-------------------------------
* ``customers``: the ``customer_*`` columns alone (customer_name required): customers created
  or their blanks filled, matched as in a devices import.
* ``contacts``: ``customer_name`` * and ``customer_tax_no`` (to find the customer, which must
  be in the archive already), ``contact_name`` * (Yetkili adı / Contact name),
  ``contact_title`` (Yetkili görevi), ``contact_phone`` (Yetkili telefonu, normalised as
  above), ``contact_email`` (Yetkili e-postası). A contact is matched by name within its
  customer: added when new, its empty cells filled.

A column another kind reads is ignored (and reported) like an unknown one.

The API
-------
* ``ImportStream(chunks, kind)``: decode, find the delimiter and map the header as the bytes
  arrive (a file that cannot be imported at all raises ``ValidationFailed``), then ``rows()``
  yields (row number, ``{key: raw str}``) one by one. ``read_csv(data, kind) -> ImportFile``
  reads a whole file at once (small files, tests).
* ``Duplicates().mark(row_no, cells)``: a (brand, serial) met again is the later row's error.
* ``parse_values(values, kind) -> (row, None) | (None, errors)``: one row's raw strings to
  Python values (dates, Decimal) — the one check of a row, run by devices —, or
  marshmallow-style ``{key: [message]}`` errors keyed by column key. ``parse_row`` gives the
  same JSON-ready. Every message is a constant English template formatted with its values
  (``field_message``); the gateway shows it in the user's language (the templates are in
  gateway/locale/tr/LC_MESSAGES/messages.po).
* ``template_csv(language, kind) -> bytes``: a header and example rows to start from.

Pure Python: no framework or database here (``ValidationFailed`` comes from
``services.common.exceptions``).
"""
import codecs
import csv
import io
import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import phonenumbers
from marshmallow import ValidationError, validate

from services.common.exceptions import ValidationFailed, field_message
from services.common.schemas import check_text
from services.common.text import fold
from services.devices import domain

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
    Column("customer_city", "İl", "City", False,
           "Müşterinin ili (81 ilden biri, ör. İstanbul).",
           "The customer's province (one of Türkiye's 81, e.g. İstanbul).",
           ("şehir", "il adı", "province")),
    Column("customer_district", "İlçe", "District", False,
           "Müşterinin ilçesi (en çok 100 karakter).",
           "The customer's district (at most 100 characters).",
           ("ilçe adı", "semt")),
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
CONTACT_COLUMNS = [
    Column("contact_name", "Yetkili adı", "Contact name", True,
           "Müşterinin yetkili kişisinin adı (en çok 200 karakter).",
           "The name of the customer's contact person (at most 200 characters).",
           ("yetkili", "ilgili kişi", "contact", "contact person")),
    Column("contact_title", "Yetkili görevi", "Contact title", False,
           "Yetkilinin görevi (en çok 100 karakter).", "The contact's title (at most 100).",
           ("görevi", "title", "position")),
    Column("contact_phone", "Yetkili telefonu", "Contact phone", False,
           "Yetkilinin telefonu; +90 ile yazılır.", "The contact's phone; stored as +90 ...",
           ("yetkili tel", "contact tel")),
    Column("contact_email", "Yetkili e-postası", "Contact email", False,
           "Yetkilinin e-posta adresi.", "The contact's e-mail address.",
           ("yetkili e-posta", "contact e-mail")),
]
KEYS = [c.key for c in COLUMNS]
_BY_KEY = {c.key: c for c in COLUMNS + CONTACT_COLUMNS}
CUSTOMER_KEYS = [k for k in KEYS if k.startswith("customer_")]
# What each kind of import reads (`kind`): a device archive (customers and their cards),
# customers alone, or customers' contact persons. Its required columns are marked `required`.
KINDS = {
    "devices": KEYS,
    "customers": CUSTOMER_KEYS,
    "contacts": ["customer_name", "customer_tax_no"] + [c.key for c in CONTACT_COLUMNS],
}
REQUIRED_BY_KIND = {kind: [k for k in keys if _BY_KEY[k].required]
                    for kind, keys in KINDS.items()}
REQUIRED = REQUIRED_BY_KIND["devices"]

_MAX_LENGTH = {
    "customer_name": 200, "customer_address": 1000, "customer_phone": 40,
    "customer_email": 254, "notes": 2000, "customer_district": 100, "contact_name": 200,
    "contact_title": 100, "contact_email": 254,
    **dict.fromkeys(("brand", "model", "serial", "device_type", "vendor", "insurer",
                     "policy_no", "site"), 100),
}
DELIMITERS = (";", ",", "\t")  # on a tie, the first wins (Turkish Excel writes ";")


def normalize_header(name: str) -> str:
    """A header as compared: folded the Turkish way, without spaces, ``_ . - *`` and BOM."""
    return re.sub(r"[\s_.\-*\ufeff]+", "", fold(name))


def _header_map():
    mapping = {}
    for column in COLUMNS + CONTACT_COLUMNS:
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


NOT_TEXT = ("The file is neither UTF-8 nor Windows-1254 (Turkish) text; save it from Excel as "
            "\"CSV UTF-8\".")
MIXED = ("The file stops being UTF-8 text after row {row}, although it starts as UTF-8; save "
         "it from Excel as \"CSV UTF-8\" again.")


class _NotText(Exception):
    """Bytes the decoder chosen for this file cannot read."""


class _Decoder:
    """Bytes to text as they arrive, the encoding decided from the first bytes: a UTF-16 BOM
    (Excel's "Unicode Text"), a UTF-8 BOM, else the first bytes that are not ASCII: UTF-8
    when they read as UTF-8, else Windows-1254 (Turkish Windows' "CSV"). What came before
    them is ASCII, which both read alike, so nothing is decoded twice."""

    def __init__(self):
        self.encoding = None  # decided
        self.decoder = None
        self.head = b""  # bytes held until the BOM question is answered
        self.mixed = False  # UTF-8 was decided and a later byte is not UTF-8

    def _decide(self, data, final):
        """The data to decode once the encoding is known; None to wait for more bytes."""
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            self.encoding = "utf-16"
        elif data.startswith(codecs.BOM_UTF8):
            self.encoding, data = "utf-8", data[3:]
        elif len(data) < 3 and not final and codecs.BOM_UTF8.startswith(data):
            return None  # perhaps a BOM's first bytes
        elif data.isascii():
            return data  # still undecided: ASCII reads the same in either
        else:
            first = next(i for i, b in enumerate(data) if b >= 0x80)
            if len(data) - first < 4 and not final:
                return None  # a UTF-8 character may be cut here: wait for the rest
            try:
                codecs.getincrementaldecoder("utf-8")().decode(data[first:first + 64])
                self.encoding = "utf-8"
            except UnicodeDecodeError:
                self.encoding = "cp1254"
        self.decoder = codecs.getincrementaldecoder(self.encoding)()
        return data

    def feed(self, data, final=False):
        if self.decoder is None:
            data, self.head = self.head + data, b""
            decided = self._decide(data, final)
            if decided is None:
                self.head = data
                return ""
            if self.decoder is None:  # ASCII so far
                return decided.decode("ascii")
            data = decided
        try:
            return self.decoder.decode(data, final)
        except UnicodeDecodeError as err:
            self.mixed = self.encoding == "utf-8"
            raise _NotText() from err


_NEWLINE = re.compile(r"\r\n|\r|\n")


def _lines(texts):
    """Text pieces to lines ending with their newline (\\r\\n, \\r or \\n, as csv wants them);
    a \\r at the end of a piece waits for the next (it may be half of \\r\\n)."""
    pending = ""
    for text in texts:
        pending += text
        cut = 0
        for match in _NEWLINE.finditer(pending):
            if match.end() == len(pending) and match.group() == "\r":
                break
            yield pending[cut:match.end()]
            cut = match.end()
        pending = pending[cut:]
    if pending:
        yield pending


class ImportStream:
    """An upload read as it arrives: ``ImportStream(chunks, kind)`` reads up to the header
    (decoding, delimiter, column keys: a file that cannot be imported raises
    ``ValidationFailed`` here), then ``rows()`` yields (row number, {key: raw str}) one at a
    time, so nothing holds the file. A problem found further on (an unreadable byte, a broken
    quote) raises ``ValidationFailed`` from ``rows()``: the caller drops what it staged."""

    def __init__(self, chunks, kind="devices"):
        self.kind = kind
        self.decoder = _Decoder()
        self.number = 0  # the last record read
        self.count = 0  # data rows yielded
        texts = self._texts(chunks)
        lines = _lines(texts)
        held = []
        first_line = None
        for line in lines:
            held.append(line)
            if line.strip(" \t\r\n;,\ufeff"):
                first_line = line
                break
        if first_line is None:
            raise ValidationFailed(NOT_AN_IMPORT_FILE, {"file": [EMPTY]})
        self.delimiter = detect_delimiter(first_line)
        self.reader = csv.reader(itertools.chain(held, lines), delimiter=self.delimiter)
        self.keys = None
        for cells in self._records():
            self.keys, self.ignored = map_header(cells, kind)
            break
        if self.keys is None:  # a first line that holds no record (a lone quote: found by fuzz)
            raise ValidationFailed(NOT_AN_IMPORT_FILE, {"file": [EMPTY]})
        self.wanted = [(i, key) for i, key in enumerate(self.keys) if key]

    @property
    def encoding(self):
        return self.decoder.encoding or "utf-8"

    def _texts(self, chunks):
        try:
            for chunk in chunks:
                if chunk:
                    yield self.decoder.feed(chunk)
            yield self.decoder.feed(b"", final=True)
        except _NotText:
            if self.decoder.mixed:
                raise ValidationFailed(NOT_AN_IMPORT_FILE, {"file": [field_message(
                    MIXED, {"row": self.number})]})
            raise ValidationFailed(NOT_AN_IMPORT_FILE, {"file": [NOT_TEXT]})

    def _records(self):
        """The non-blank records, each with its number (Excel's row) in self.number."""
        try:
            for cells in self.reader:
                self.number += 1
                if not _is_blank(cells):
                    yield cells
        except csv.Error as err:
            raise ValidationFailed(NOT_AN_IMPORT_FILE, {"file": [field_message(
                "Row {row}: {error}.", {"row": self.number + 1, "error": str(err)})]})

    def rows(self):
        width = len(self.keys)
        for cells in self._records():
            values = {key: (cells[i] if i < len(cells) else "") for i, key in self.wanted}
            if len(cells) > width:
                extra = sum(1 for cell in cells[width:] if cell.strip())
                if extra:
                    values[EXTRA_KEY] = extra
            self.count += 1
            yield self.number, values
        if not self.count:
            raise ValidationFailed(NOT_AN_IMPORT_FILE, {"file": [
                "The file has a header but no data rows."]})


def decode(data: bytes):
    """(text, encoding) of a whole file, decided as the stream decides it (``_Decoder``)."""
    decoder = _Decoder()
    try:
        text = decoder.feed(data) + decoder.feed(b"", final=True)
    except _NotText:
        raise ValidationFailed(NOT_AN_IMPORT_FILE, {"file": [NOT_TEXT]})
    return text, decoder.encoding or "utf-8"


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
    return not "".join(cells).strip()


EMPTY = "The file is empty."


def read_csv(data: bytes, kind="devices") -> ImportFile:
    """A whole uploaded CSV (bytes) read at once (tests, small files): ``ImportStream``'s
    header and rows in an ``ImportFile``. A file that cannot be imported at all raises
    ``ValidationFailed`` (422) with ``{"file": [reasons]}``."""
    if not data or not data.strip():
        raise ValidationFailed(NOT_AN_IMPORT_FILE, {"file": [EMPTY]})
    stream = ImportStream([data], kind)
    rows = list(stream.rows())
    return ImportFile(keys=stream.keys, ignored=stream.ignored, rows=rows,
                      delimiter=stream.delimiter, encoding=stream.encoding)


def map_header(header, kind="devices"):
    """(keys, ignored) for a header row of an import of `kind`; raises ValidationFailed for
    duplicated columns and missing required ones (every problem at once). A column another
    kind reads (a device column in a customers file) is ignored like an unknown one."""
    known = set(KINDS[kind])
    keys, ignored, seen, problems = [], [], {}, []
    for name in header:
        name = name.strip().lstrip("\ufeff").strip()
        key = column_for_header(name) if name else None
        if key not in known:
            key = None
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
    for key in REQUIRED_BY_KIND[kind]:
        if key not in seen:
            problems.append(field_message("Required column missing: {column} ({tr} / {en}).",
                                          _label(key)))
    if problems:
        raise ValidationFailed(NOT_AN_IMPORT_FILE, {"file": problems})
    return keys, ignored


class Duplicates:
    """Marks a (brand, serial) met again further down a file as that later row's error (the
    import would otherwise apply both, and a re-import would flip the card between them):
    `mark(row_no, cells)` as the rows stream by; it keeps one folded key per card."""

    def __init__(self):
        self.first = {}

    def mark(self, row_no, cells):
        brand, serial = (cells.get("brand") or "").strip(), (cells.get("serial") or "").strip()
        if brand and serial:
            key = (fold(brand), fold(serial))
            first = self.first.setdefault(key, row_no)
            if first != row_no:
                cells["_duplicate_of"] = first
        return cells


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


NOT_VKN = "'{text}' is not a valid tax number (VKN): its check digit does not match."
NOT_TCKN = "'{text}' is not a valid national id (TCKN): its check digits do not match."


def parse_tax_no(text: str) -> str:
    """10 digits (VKN) or 11 (TCKN), spaces ignored, each checked by its check digits."""
    s = re.sub(r"\s+", "", text)
    if not re.fullmatch(r"[0-9]{10,11}", s):
        raise ValidationError("Tax number is 10 digits (VKN) or 11 (TCKN).")
    if len(s) == 10 and not domain.vkn_valid(s):
        raise ValidationError(field_message(NOT_VKN, {"text": text}))
    if len(s) == 11 and not domain.tckn_valid(s):
        raise ValidationError(field_message(NOT_TCKN, {"text": text}))
    return s


NOT_A_PHONE = "Not a phone number: '{text}' (e.g. 0212 555 01 23 or +90 532 000 00 00)."


@functools.lru_cache(maxsize=4096)  # a customer's phone repeats on each of its cards
def parse_phone(text: str) -> str:
    """A phone number normalised to the international form (``+90 212 555 01 23``); a number
    without a country code is Turkish."""
    try:
        number = phonenumbers.parse(text, "TR")
    except phonenumbers.NumberParseException:
        raise ValidationError(field_message(NOT_A_PHONE, {"text": text}))
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(field_message(NOT_A_PHONE, {"text": text}))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def parse_city(text: str) -> str:
    """One of the 81 provinces (il), written as the list writes it."""
    name = domain.province(text)
    if name is None:
        raise ValidationError(field_message(
            "Not a province of Türkiye: '{text}' (write the il, e.g. İstanbul, or its plate "
            "number).", {"text": text}))
    return name


_check_email = validate.Email()


def parse_email(text: str) -> str:
    if len(text) > 254:
        raise ValidationError(field_message(LONGER, {"max": 254}))
    return _check_email(text)  # marshmallow's ValidationError: "Not a valid email address."


# --------------------------------------------------------------------------- a row

_PARSERS = {
    "customer_tax_no": parse_tax_no, "customer_email": parse_email,
    "customer_phone": parse_phone, "customer_city": parse_city,
    "customer_language": parse_language, "price": parse_price,
    "currency": parse_currency, "insured": parse_bool,
    "purchase_date": parse_date, "warranty_start": parse_date, "warranty_end": parse_date,
    "contact_phone": parse_phone, "contact_email": parse_email,
}
_DEFAULTS = {"customer_language": "tr", "currency": "TRY", "insured": False}
_CUSTOMER = {"customer_name": "name", "customer_tax_no": "tax_no", "customer_phone": "phone",
             "customer_email": "email", "customer_address": "address",
             "customer_city": "city", "customer_district": "district",
             "customer_language": "language"}
_DEVICE = ("brand", "serial", "model", "device_type", "site", "price", "currency",
           "purchase_date", "vendor", "insured", "insurer", "policy_no", "notes",
           "warranty_start", "warranty_end")
_CONTACT = {"contact_name": "name", "contact_title": "title", "contact_phone": "phone",
            "contact_email": "email"}
# An empty cell changes nothing on an existing record: these values have defaults that would
# otherwise overwrite what the card or customer holds, so an empty cell leaves them out.
DEFAULTED = {"customer_language": ("customer", "language"), "insured": ("device", "insured"),
             "currency": ("device", "currency")}


def _extra_cells(values):
    extra = values.get(EXTRA_KEY)
    if extra == 1:
        return {ROW_KEY: [field_message(
            "This row has 1 more cell than the header has columns: is there a delimiter "
            "inside a value without quotes around it?")]}
    if extra:
        return {ROW_KEY: [field_message(
            "This row has {extra} more cells than the header has columns: is there a "
            "delimiter inside a value without quotes around it?", {"extra": extra})]}
    return None


def parse_values(values: dict, kind="devices"):
    """One row's raw strings (``{column key: str}``, as ``ImportStream`` cuts them) to
    ``(row, None)`` or ``(None, errors)``, with Python values: what the archive applies.
    ``row`` is ``{"customer": {name, tax_no, phone, email, address, city, district,
    language}, "device": {brand, serial, model, device_type, site, price (Decimal), currency,
    purchase_date (date), vendor, insured, insurer, policy_no, notes, warranty_start,
    warranty_end}}`` (a devices import), ``"device": None`` (customers), or ``"contact":
    {name, title, phone, email}`` instead (contacts). An empty optional cell is None; an empty
    language, insured or currency cell is left out (DEFAULTED: it keeps what a record holds).
    Text is trimmed and NFC-normalised. ``errors`` is ``{column key: [message]}``; ``_row``
    for a problem of the whole row."""
    extra = _extra_cells(values)
    if extra:
        return None, extra
    keys = KINDS[kind]
    # a customer's cells repeat on each of its rows: they are parsed once (_parse_customer)
    customer_keys = _CUSTOMER_KEYS_OF[kind]
    customer_cells = tuple(values.get(key) for key in customer_keys)
    if all(v is None or isinstance(v, str) for v in customer_cells):
        c_parsed, c_errors = _parse_customer(customer_keys, customer_cells)
        parsed, errors = dict(c_parsed), {k: list(v) for k, v in c_errors.items()}
        keys = [k for k in keys if k not in customer_keys]
    else:
        parsed, errors = {}, {}
    more_parsed, more_errors = _parse_plain(keys, tuple(values.get(key) for key in keys))
    parsed.update(more_parsed)
    errors.update(more_errors)
    if kind == "devices":
        _check_warranty(parsed, errors)
    if errors:
        return None, errors
    customer = {name: parsed[key] for key, name in _CUSTOMER.items() if key in parsed}
    if kind == "contacts":
        return {"customer": customer, "contact": {name: parsed[key]
                                                  for key, name in _CONTACT.items()}}, None
    device = ({key: parsed[key] for key in _DEVICE if key in parsed} if kind == "devices"
              else None)
    return {"customer": customer, "device": device}, None


_CUSTOMER_KEYS_OF = {kind: tuple(k for k in keys if k.startswith("customer_"))
                     for kind, keys in KINDS.items()}


@functools.lru_cache(maxsize=1024)
def _parse_customer(keys, cells):
    """(parsed, errors) of a customer's cells; callers copy what they change."""
    return _parse_plain(keys, cells)


def _parse_plain(keys, cells):
    errors, parsed = {}, {}
    for key, raw in zip(keys, cells):
        raw = "" if raw is None else raw if isinstance(raw, str) else str(raw)
        try:
            check_text(raw)
        except ValidationError as err:
            errors[key] = list(err.messages)
            continue
        text = raw.strip()
        if not text:
            if _BY_KEY[key].required:
                errors[key] = [MISSING]
            elif key not in DEFAULTED:
                parsed[key] = None
            continue
        if not text.isascii():  # "İ" typed as I + U+0307 is the one letter it means
            text = unicodedata.normalize("NFC", text)
        limit = _MAX_LENGTH.get(key)
        if limit and len(text) > limit:
            errors[key] = [field_message(LONGER, {"max": limit})]
            continue
        parser = _PARSERS.get(key)
        try:
            parsed[key] = parser(text) if parser else text
        except ValidationError as err:
            errors[key] = list(err.messages)
    return parsed, errors


def parse_row(values: dict, kind="devices"):
    """``parse_values`` JSON-ready (what a client may be shown): dates as ISO strings, the
    price as a string with two decimals, and the defaults of empty language, insured and
    currency cells filled in."""
    row, errors = parse_values(values, kind)
    if errors:
        return None, errors
    for key, (part, name) in DEFAULTED.items():
        if row.get(part) is not None and name not in row[part]:
            row[part][name] = _DEFAULTS[key]
    device = row.get("device")
    if device:
        for key in ("purchase_date", "warranty_start", "warranty_end"):
            if device[key] is not None:
                device[key] = device[key].isoformat()
        if device["price"] is not None:
            device["price"] = str(device["price"])
    return row, None


def _check_warranty(parsed, errors):
    """warranty_start defaults to purchase_date; an end needs a start and is not before it;
    a start needs its end."""
    if any(key in errors for key in ("purchase_date", "warranty_start", "warranty_end")):
        return
    start, end = parsed.get("warranty_start"), parsed.get("warranty_end")
    if end is None:
        if start is not None:
            errors["warranty_end"] = ["A warranty start needs its end."]
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
         "customer_address": "Atatürk Cad. No: 12", "customer_city": "İstanbul",
         "customer_district": "Kadıköy", "customer_language": "Türkçe", "site": "Kadıköy şubesi", "brand": "Arçelik",
         "model": "Inverter 12000", "device_type": "Klima", "serial": "ARÇ-2024-00017",
         "price": "12.500,00", "currency": "TL", "purchase_date": "15.03.2024",
         "vendor": "Işık Elektronik A.Ş.", "insured": "Evet", "insurer": "Anadolu Sigorta",
         "policy_no": "POL-884512", "warranty_start": "15.03.2024",
         "warranty_end": "15.03.2026", "notes": "Çatı ünitesi; yılda iki bakım."},
        {"customer_name": "Blue Harbor Hotels Ltd.", "customer_tax_no": "",
         "customer_phone": "+44 20 7946 0000", "customer_email": "facilities@blueharbor.example",
         "customer_address": "1 Harbour Street, London", "customer_city": "",
         "customer_district": "", "customer_language": "İngilizce",
         "site": "Ana mutfak", "brand": "Bosch", "model": "KGN39", "device_type": "Buzdolabı",
         "serial": "BSH-99812", "price": "1234,50", "currency": "EUR",
         "purchase_date": "2.11.2023", "vendor": "", "insured": "Hayır", "insurer": "",
         "policy_no": "", "warranty_start": "", "warranty_end": "02.11.2025", "notes": ""},
    ],
    "en": [
        {"customer_name": "Çağlar Soğutma Ltd. Şti.", "customer_tax_no": "1234567890",
         "customer_phone": "+90 212 555 01 23", "customer_email": "servis@caglarsogutma.com.tr",
         "customer_address": "Atatürk Cad. No: 12", "customer_city": "İstanbul",
         "customer_district": "Kadıköy", "customer_language": "Turkish", "site": "Kadıköy branch", "brand": "Arçelik",
         "model": "Inverter 12000", "device_type": "Air conditioner", "serial": "ARÇ-2024-00017",
         "price": "12,500.00", "currency": "TRY", "purchase_date": "2024-03-15",
         "vendor": "Işık Elektronik A.Ş.", "insured": "yes", "insurer": "Anadolu Sigorta",
         "policy_no": "POL-884512", "warranty_start": "2024-03-15",
         "warranty_end": "2026-03-15", "notes": "Roof unit, serviced twice a year."},
        {"customer_name": "Blue Harbor Hotels Ltd.", "customer_tax_no": "",
         "customer_phone": "+44 20 7946 0000", "customer_email": "facilities@blueharbor.example",
         "customer_address": "1 Harbour Street, London", "customer_city": "",
         "customer_district": "", "customer_language": "English",
         "site": "Main kitchen", "brand": "Bosch", "model": "KGN39", "device_type": "Refrigerator",
         "serial": "BSH-99812", "price": "1234.50", "currency": "EUR",
         "purchase_date": "2023-11-02", "vendor": "", "insured": "no", "insurer": "",
         "policy_no": "", "warranty_start": "", "warranty_end": "2025-11-02", "notes": ""},
    ],
}


_CONTACT_EXAMPLES = {
    "tr": [{"contact_name": "Ayşe Yılmaz", "contact_title": "Teknik müdür",
            "contact_phone": "0532 000 00 00", "contact_email": "ayse@caglarsogutma.com.tr"}],
    "en": [{"contact_name": "Ayşe Yılmaz", "contact_title": "Technical manager",
            "contact_phone": "+90 532 000 00 00", "contact_email": "ayse@caglarsogutma.com.tr"}],
}


def template_csv(language: str = "tr", kind: str = "devices") -> bytes:
    """A CSV to start from: the header of an import of `kind` in `language` (tr: ``;``, en:
    ``,``) and example rows, UTF-8 with a BOM so that Excel shows the Turkish letters."""
    if language not in _EXAMPLES:
        raise ValueError(f"No template in {language!r} (tr or en).")
    if kind not in KINDS:
        raise ValueError(f"No template for {kind!r} ({', '.join(KINDS)}).")
    keys = KINDS[kind]
    examples = _EXAMPLES[language]
    if kind == "contacts":
        examples = [{**examples[0], **c} for c in _CONTACT_EXAMPLES[language]]
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";" if language == "tr" else ",", lineterminator="\r\n")
    writer.writerow([getattr(_BY_KEY[key], language) for key in keys])
    for example in examples:
        writer.writerow([example[key] for key in keys])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
