"""The CSV import's reading and row parsing: no broker, no database."""
from decimal import Decimal

import pytest

from services.common.exceptions import ValidationFailed
from services.devices import importer
from services.devices.importer import parse_row, read_csv, template_csv

TR_HEADER = "Müşteri adı;Marka;Seri no"
EN_HEADER = "Customer name,Brand,Serial no"


def csv_bytes(*lines, encoding="utf-8", newline="\r\n"):
    return newline.join(lines).encode(encoding)


def file_error(data):
    with pytest.raises(ValidationFailed) as caught:
        read_csv(data)
    assert caught.value.http_status == 422
    assert caught.value.message == "The file is not a valid import file."
    return " | ".join(caught.value.details["file"])


def row(**values):
    """A raw row with the required columns filled."""
    return {"customer_name": "Işık Ltd.", "brand": "Bosch", "serial": "SN-1", **values}


def ok(**values):
    parsed, errors = parse_row(row(**values))
    assert errors is None, errors
    return parsed


def error(key, **values):
    parsed, errors = parse_row(row(**values))
    assert parsed is None and key in errors, errors
    return errors[key][0]


# ----------------------------------------------------------------------- the file

def test_turkish_header_with_semicolons():
    f = read_csv(csv_bytes(TR_HEADER, "Çağlar Soğutma;Arçelik;A-1"))
    assert f.delimiter == ";"
    assert f.keys == ["customer_name", "brand", "serial"]
    assert f.rows == [(2, {"customer_name": "Çağlar Soğutma", "brand": "Arçelik",
                           "serial": "A-1"})]


def test_english_header_with_commas_any_case_and_spacing():
    f = read_csv(csv_bytes("CUSTOMER_NAME,brand,Serial-No.,  Warranty End ", "Acme,Bosch,S1,"))
    assert f.delimiter == ","
    assert f.keys == ["customer_name", "brand", "serial", "warranty_end"]
    assert f.rows[0][1]["warranty_end"] == ""


def test_tab_delimiter():
    f = read_csv(csv_bytes("Müşteri adı\tMarka\tSeri no\tFiyat", "A;B\tBosch\tS1\t1.234,56"))
    assert f.delimiter == "\t"
    assert f.rows[0][1] == {"customer_name": "A;B", "brand": "Bosch", "serial": "S1",
                            "price": "1.234,56"}


@pytest.mark.parametrize("header", [
    "MÜŞTERİ ADI;MARKA;SERİ NO", "musteri adi;marka;seri numarası", "müşteri;brand;S/N",
    "customer_name;BRAND;serial number", "Müşteri Adı*;Marka*;Seri No*"])
def test_header_variants_and_aliases(header):
    assert read_csv(csv_bytes(header, "a;b;c")).keys == ["customer_name", "brand", "serial"]


@pytest.mark.parametrize("alias,key", [
    ("VKN", "customer_tax_no"), ("TCKN", "customer_tax_no"), ("Vergi No", "customer_tax_no"),
    ("E-Posta", "customer_email"), ("Sigortalı", "insured"), ("Alındığı firma", "vendor"),
    ("SIGORTA ŞİRKETİ", "insurer"), ("Garanti Bitiş", "warranty_end")])
def test_aliases(alias, key):
    assert importer.column_for_header(alias) == key


def test_every_column_matches_its_key_and_both_headers():
    for column in importer.COLUMNS:
        for name in (column.key, column.tr, column.en):
            assert importer.column_for_header(name) == column.key


def test_utf8_bom_is_dropped():
    f = read_csv(b"\xef\xbb\xbf" + csv_bytes(TR_HEADER, "Şahin;Vestel;V1"))
    assert f.keys[0] == "customer_name" and f.encoding == "utf-8"
    assert f.rows[0][1]["customer_name"] == "Şahin"


def test_cp1254_turkish_windows():
    data = csv_bytes(TR_HEADER, "Güneş İklimlendirme;Arçelik;Ş-1", encoding="cp1254")
    f = read_csv(data)
    assert f.encoding == "cp1254"
    assert f.rows[0][1] == {"customer_name": "Güneş İklimlendirme", "brand": "Arçelik",
                            "serial": "Ş-1"}
    assert "Müşteri adı".encode("cp1254") in data


def test_utf16_from_excel_unicode_text():
    f = read_csv("\ufeffMüşteri adı\tMarka\tSeri no\r\nÖz\tBosch\t1\r\n".encode("utf-16-le"))
    assert f.rows[0][1]["customer_name"] == "Öz"


def test_quoted_fields_with_newlines_and_delimiters_count_as_one_excel_row():
    f = read_csv(csv_bytes("Müşteri adı;Marka;Seri no;Notlar",
                           'A;Bosch;S1;"satır bir\nsatır iki; ve ""tırnak"""',
                           "B;Bosch;S2;"))
    assert f.rows[0] == (2, {"customer_name": "A", "brand": "Bosch", "serial": "S1",
                             "notes": 'satır bir\nsatır iki; ve "tırnak"'})
    assert f.rows[1][0] == 3  # what Excel shows, although it is the file's 4th line


def test_blank_rows_are_skipped_but_counted():
    f = read_csv(csv_bytes(TR_HEADER, "A;B;1", "", ";;", "  ;  ; ", "C;D;2", ""))
    assert [number for number, _ in f.rows] == [2, 6]


def test_blank_lines_before_the_header_count_too():
    f = read_csv(csv_bytes("", TR_HEADER, "A;B;1"))
    assert f.rows[0][0] == 3


def test_missing_required_columns_are_named_with_both_headers():
    reason = file_error(csv_bytes("Müşteri adı;Model", "A;X"))
    assert "brand (Marka / Brand)" in reason
    assert "serial (Seri no / Serial no)" in reason
    assert "customer_name" not in reason


def test_missing_required_column_is_a_422():
    with pytest.raises(ValidationFailed) as caught:
        read_csv(csv_bytes("Marka;Seri no", "A;1"))
    assert caught.value.http_status == 422
    assert caught.value.details == {"file": [
        "Required column missing: customer_name (Müşteri adı / Customer name)."]}


def test_duplicated_column():
    reason = file_error(csv_bytes("Müşteri adı;Marka;Seri no;Serial number", "A;B;1;2"))
    assert "'Seri no' and 'Serial number'" in reason and "serial" in reason


def test_unknown_columns_are_ignored_and_reported():
    f = read_csv(csv_bytes("Sıra;Müşteri adı;Marka;Renk;Seri no;;", "1;A;B;kırmızı;S;;"))
    assert f.ignored == ["Sıra", "Renk"]
    assert f.keys == [None, "customer_name", "brand", None, "serial", None, None]
    assert f.rows[0][1] == {"customer_name": "A", "brand": "B", "serial": "S"}


@pytest.mark.parametrize("data", [b"", b"  \r\n", b"\xef\xbb\xbf", b";;;\r\n;;\r\n"])
def test_empty_file(data):
    assert "empty" in file_error(data)


@pytest.mark.parametrize("data", [b'"', b'"\n', b'\xef\xbb\xbf"', b'\n\n"'])
def test_a_first_line_that_is_no_record_is_an_empty_file_not_a_crash(data):
    """A lone quote reads as a line but no record (found by the gateway's fuzz pass: 500)."""
    with pytest.raises(ValidationFailed) as caught:
        importer.ImportStream(iter([data]))
    assert caught.value.details == {"file": [importer.EMPTY]}


def test_header_only():
    assert "no data rows" in file_error(csv_bytes(TR_HEADER, ";;", ""))


def test_undecodable_bytes():
    assert "UTF-8" in file_error(b"M\x81\x8d;Marka;Seri no\r\nA;B;1")


def test_too_many_cells_is_an_error_of_that_row_only():
    f = read_csv(csv_bytes(TR_HEADER, "A;B;1", "Ak, Ltd; Şti;Bosch;2", "C;D;3;;"))
    assert [n for n, _ in f.rows] == [2, 3, 4]
    assert parse_row(f.rows[0][1])[1] is None
    parsed, errors = parse_row(f.rows[1][1])
    assert parsed is None and "1 more cell than the header" in errors["_row"][0]
    assert parse_row(f.rows[2][1])[1] is None  # trailing empty cells are harmless


def test_short_rows_read_as_empty_cells():
    f = read_csv(csv_bytes("Müşteri adı;Marka;Seri no;Model", "A;B;1"))
    assert f.rows[0][1]["model"] == ""


# ----------------------------------------------------------------------- a row

def test_a_minimal_row_has_every_key_with_defaults():
    parsed = ok()
    assert parsed == {
        "customer": {"name": "Işık Ltd.", "tax_no": None, "phone": None, "email": None,
                     "address": None, "city": None, "district": None, "language": "tr"},
        "device": {"brand": "Bosch", "serial": "SN-1", "model": None, "device_type": None,
                   "site": None, "price": None, "currency": "TRY", "purchase_date": None,
                   "vendor": None, "insured": False, "insurer": None, "policy_no": None,
                   "notes": None, "warranty_start": None, "warranty_end": None}}


def test_values_are_trimmed():
    parsed = ok(customer_name="  Işık Ltd.  ", model=" X ", notes="\n not \n")
    assert parsed["customer"]["name"] == "Işık Ltd."
    assert parsed["device"]["model"] == "X" and parsed["device"]["notes"] == "not"


def test_required_values_missing_or_blank():
    parsed, errors = parse_row({"customer_name": "  ", "brand": ""})
    assert parsed is None
    assert errors == {key: ["Missing data for required field."]
                      for key in ("customer_name", "brand", "serial")}


@pytest.mark.parametrize("text,expected", [
    ("1234.56", "1234.56"), ("1.234,56", "1234.56"), ("1234,56", "1234.56"),
    ("1,234.56", "1234.56"), ("1.234.567", "1234567.00"), ("1,234,567.5", "1234567.50"),
    ("12", "12.00"), ("0", "0.00"), ("0,5", "0.50"), ("0,500", "0.50"), ("12.345,675", "12345.68"),
    ("1234.565", "1234.57"), ("1234,5649", "1234.56"), (" 1 234,56 ", "1234.56"),
    ("1.234,00", "1234.00"), ("9999999999.99", "9999999999.99"), ("-0", "0.00")])
def test_prices(text, expected):
    assert ok(price=text)["device"]["price"] == expected
    assert importer.parse_price(text) == Decimal(expected)


@pytest.mark.parametrize("text,words", [
    ("12,34,56", "Not a price"), ("abc", "Not a price"), ("1.234.56", "Not a price"),
    ("1,234,56.7", "Not a price"), ("1.2,3", "Not a price"), (",5", "Not a price"),
    ("1e5", "Not a price"), ("NaN", "Not a price"), ("12 TL", "Not a price"),
    ("-5", "negative"), ("-1.234,56", "negative"), ("1.234", "Ambiguous"), ("12,500", "Ambiguous"),
    ("10000000000", "too large")])
def test_bad_prices(text, words):
    assert words in error("price", price=text)


@pytest.mark.parametrize("text,expected", [
    ("2024-03-15", "2024-03-15"), ("15.03.2024", "2024-03-15"), ("15/03/2024", "2024-03-15"),
    ("5.3.2024", "2024-03-05"), ("29.02.2024", "2024-02-29"), ("2024-3-5", "2024-03-05"),
    ("2024-03-15 00:00:00", "2024-03-15"), ("15.03.2024 00:00", "2024-03-15")])
def test_dates(text, expected):
    assert ok(purchase_date=text)["device"]["purchase_date"] == expected


@pytest.mark.parametrize("text", ["29.02.2023", "31.02.2024", "2024-13-01", "32.01.2024",
                                  "15-03-2024", "15.03/2024", "15.03.24", "dün", "0001-01-01"])
def test_bad_dates(text):
    message = error("purchase_date", purchase_date=text)
    assert repr(text) in message


def test_bad_date_message():
    assert error("warranty_start", warranty_start="31.02.2024") == (
        "Not a date: '31.02.2024' (use YYYY-MM-DD or DD.MM.YYYY).")


@pytest.mark.parametrize("text,expected", [
    ("EVET", True), ("Evet", True), ("evet", True), ("Hayır", False), ("HAYIR", False),
    ("hayir", False), ("yes", True), ("No", False), ("TRUE", True), ("false", False),
    ("1", True), ("0", False), ("x", True), ("X", True), ("", False), ("  ", False)])
def test_insured(text, expected):
    assert ok(insured=text)["device"]["insured"] is expected


def test_bad_insured():
    assert "Not a yes/no value: 'belki'" in error("insured", insured="belki")


@pytest.mark.parametrize("text,expected", [
    ("TL", "TRY"), ("tl", "TRY"), ("₺", "TRY"), ("try", "TRY"), ("usd", "USD"), ("EUR", "EUR"),
    ("", "TRY")])
def test_currency(text, expected):
    assert ok(currency=text)["device"]["currency"] == expected


@pytest.mark.parametrize("text", ["EURO", "U$D", "12"])
def test_bad_currency(text):
    assert "Not a currency code" in error("currency", currency=text)


@pytest.mark.parametrize("text,expected", [
    ("tr", "tr"), ("EN", "en"), ("Türkçe", "tr"), ("TÜRKÇE", "tr"), ("İngilizce", "en"),
    ("INGILIZCE", "en"), ("Turkish", "tr"), ("english", "en"), ("", "tr")])
def test_language(text, expected):
    assert ok(customer_language=text)["customer"]["language"] == expected


def test_bad_language():
    assert "Not a language" in error("customer_language", customer_language="Almanca")


def test_tax_number_with_spaces():
    assert ok(customer_tax_no=" 123 456 7890 ")["customer"]["tax_no"] == "1234567890"
    assert ok(customer_tax_no="123 4567 8950")["customer"]["tax_no"] == "12345678950"


@pytest.mark.parametrize("text", ["123456789", "123456789012", "12345678A0", "1,23457E+10"])
def test_bad_tax_number(text):
    assert error("customer_tax_no", customer_tax_no=text) == (
        "Tax number is 10 digits (VKN) or 11 (TCKN).")


def test_email():
    assert ok(customer_email=" ayse@example.com ")["customer"]["email"] == "ayse@example.com"
    assert error("customer_email", customer_email="ayse@") == "Not a valid email address."
    assert "254" in error("customer_email", customer_email="a" * 250 + "@example.com")


@pytest.mark.parametrize("key,limit", [
    ("customer_name", 200), ("brand", 100), ("serial", 100), ("model", 100), ("site", 100),
    ("device_type", 100), ("vendor", 100), ("insurer", 100), ("policy_no", 100),
    ("customer_address", 1000), ("customer_district", 100), ("notes", 2000)])
def test_length_limits(key, limit):
    ok(**{key: "ş" * limit})
    assert error(key, **{key: "ş" * (limit + 1)}) == f"Longer than maximum length {limit}."


@pytest.mark.parametrize("text", ["A\x00B", "A\ud800B"])
def test_nul_and_lone_surrogates(text):
    assert error("model", model=text) == "Contains characters that are not allowed."


def test_nul_in_a_file_row():
    f = read_csv(csv_bytes(TR_HEADER, "A;Bosch;S\x001"))
    assert parse_row(f.rows[0][1])[1] == {"serial": ["Contains characters that are not allowed."]}


def test_several_errors_at_once():
    parsed, errors = parse_row(row(serial="", price="abc", purchase_date="29.02.2023"))
    assert parsed is None and set(errors) == {"serial", "price", "purchase_date"}


# ----------------------------------------------------------------------- warranty

def test_warranty_start_defaults_to_purchase_date():
    device = ok(purchase_date="01.02.2024", warranty_end="01.02.2026")["device"]
    assert device["warranty_start"] == "2024-02-01"
    assert device["warranty_end"] == "2026-02-01"


def test_warranty_start_given_wins():
    device = ok(purchase_date="01.02.2024", warranty_start="10.02.2024",
                warranty_end="10.02.2026")["device"]
    assert (device["purchase_date"], device["warranty_start"]) == ("2024-02-01", "2024-02-10")


def test_warranty_end_before_start():
    message = error("warranty_end", warranty_start="2024-05-01", warranty_end="2024-04-30")
    assert message == "The warranty ends (2024-04-30) before it starts (2024-05-01)."
    assert "before" in error("warranty_end", purchase_date="2024-05-01", warranty_end="1.1.2024")


def test_warranty_end_equal_to_start_is_fine():
    ok(warranty_start="2024-05-01", warranty_end="01.05.2024")


def test_warranty_end_without_any_start():
    assert "start is unknown" in error("warranty_end", warranty_end="2026-01-01")


def test_a_bad_start_reports_only_the_start():
    parsed, errors = parse_row(row(warranty_start="2024-02-30", warranty_end="2023-01-01"))
    assert set(errors) == {"warranty_start"}


def test_every_column_at_once_is_json_ready():
    import json
    parsed = ok(customer_tax_no="12345678950", customer_phone="0532 000 00 00",
                customer_email="a@b.com.tr", customer_address="Bağdat Cad.\nKadıköy",
                customer_language="İngilizce", site="Depo", model="M", device_type="KLIMA-01",
                price="1.000,5", currency="USD", purchase_date="1.1.2024", vendor="V",
                insured="Evet", insurer="I", policy_no="P", warranty_end="1.1.2025", notes="n")
    assert json.loads(json.dumps(parsed)) == parsed
    assert parsed == {
        "customer": {"name": "Işık Ltd.", "tax_no": "12345678950", "phone": "+90 532 000 00 00",
                     "email": "a@b.com.tr", "address": "Bağdat Cad.\nKadıköy", "city": None,
                     "district": None, "language": "en"},
        "device": {"brand": "Bosch", "serial": "SN-1", "model": "M", "device_type": "KLIMA-01",
                   "site": "Depo", "price": "1000.50", "currency": "USD",
                   "purchase_date": "2024-01-01", "vendor": "V", "insured": True, "insurer": "I",
                   "policy_no": "P", "notes": "n", "warranty_start": "2024-01-01",
                   "warranty_end": "2025-01-01"}}


def test_non_string_values_from_the_wire():
    parsed, errors = parse_row({"customer_name": "A", "brand": "B", "serial": 12,
                                "model": None, "unknown": "x"})
    assert errors is None and parsed["device"]["serial"] == "12"
    assert parsed["device"]["model"] is None


# ----------------------------------------------------------------------- the template

@pytest.mark.parametrize("language,delimiter", [("tr", ";"), ("en", ",")])
def test_template_round_trip(language, delimiter):
    data = template_csv(language)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    header = [getattr(c, language) for c in importer.COLUMNS]
    assert text.splitlines()[0] == delimiter.join(header)
    f = read_csv(data)
    assert f.delimiter == delimiter and f.ignored == [] and f.keys == importer.KEYS
    assert [n for n, _ in f.rows] == [2, 3]
    parsed = []
    for _, values in f.rows:
        result, errors = parse_row(values)
        assert errors is None, errors
        parsed.append(result)
    assert parsed[0]["customer"]["name"] == "Çağlar Soğutma Ltd. Şti."
    assert parsed[0]["customer"]["city"] == "İstanbul"
    assert parsed[0]["device"]["price"] == "12500.00"
    assert parsed[0]["device"]["insured"] is True
    assert parsed[1]["customer"]["language"] == "en"
    assert parsed[1]["device"]["warranty_start"] == parsed[1]["device"]["purchase_date"]


def test_template_in_another_language():
    with pytest.raises(ValueError):
        template_csv("de")


def test_columns_are_documented_in_both_languages():
    assert [c.key for c in importer.COLUMNS if c.required] == ["customer_name", "brand", "serial"]
    for column in importer.COLUMNS:
        assert column.tr and column.en and column.help_tr and column.help_en
        assert column.key in importer.__doc__


# ----------------------------------------------------------------------- Turkish identifiers

@pytest.mark.parametrize("text", ["1234567890", "9999999994", "0001000018", "10000000146",
                                  "12345678950"])
def test_valid_vkn_and_tckn(text):
    assert ok(customer_tax_no=text)["customer"]["tax_no"] == text


@pytest.mark.parametrize("text,words", [("1234567891", "(VKN)"), ("9999999999", "(VKN)"),
                                        ("12345678901", "(TCKN)"), ("02345678950", "(TCKN)")])
def test_check_digits(text, words):
    message = error("customer_tax_no", customer_tax_no=text)
    assert words in message and "check digit" in message and text in message


@pytest.mark.parametrize("text,expected", [
    ("0212 555 01 23", "+90 212 555 01 23"), ("(0532) 000-00-00", "+90 532 000 00 00"),
    ("+44 20 7946 0000", "+44 20 7946 0000"), ("212 555 0123", "+90 212 555 01 23")])
def test_phones_are_normalised(text, expected):
    assert ok(customer_phone=text)["customer"]["phone"] == expected


@pytest.mark.parametrize("text", ["yok", "12", "0212 555 01 23 45 67 89"])
def test_bad_phones(text):
    assert "Not a phone number" in error("customer_phone", customer_phone=text)


@pytest.mark.parametrize("text,expected", [("istanbul", "İstanbul"), ("İZMİR", "İzmir"),
                                           ("34", "İstanbul"), ("Diyarbakir", "Diyarbakır"),
                                           ("Urfa", "Şanlıurfa"), ("81", "Düzce")])
def test_provinces(text, expected):
    assert ok(customer_city=text)["customer"]["city"] == expected


def test_bad_province_and_free_district():
    assert "Not a province" in error("customer_city", customer_city="Gotham")
    assert ok(customer_district="Kadıköy")["customer"]["district"] == "Kadıköy"


def test_nfc():
    assert ok(customer_name="I\u0307şık")["customer"]["name"] == "İşık"


# ----------------------------------------------------------------------- kinds and streaming

def test_a_customers_file_ignores_device_columns():
    f = read_csv(csv_bytes("Müşteri adı;VKN;İl;Marka", "Ak Ltd;1234567890;35;Bosch"),
                 "customers")
    assert f.keys == ["customer_name", "customer_tax_no", "customer_city", None]
    assert f.ignored == ["Marka"]
    row, errors = importer.parse_values(f.rows[0][1], "customers")
    assert errors is None and row["device"] is None
    assert row["customer"]["city"] == "İzmir"


def test_a_contacts_file():
    f = read_csv(csv_bytes("Müşteri adı;Yetkili adı;Yetkili telefonu", "Ak Ltd;Ayşe;0532 000 00 00"),
                 "contacts")
    row, errors = importer.parse_values(f.rows[0][1], "contacts")
    assert errors is None
    assert row["contact"] == {"name": "Ayşe", "title": None, "phone": "+90 532 000 00 00",
                              "email": None}
    assert "contact_name" in file_error_kind(csv_bytes("Müşteri adı;Telefon", "A;1"), "contacts")


def file_error_kind(data, kind):
    with pytest.raises(ValidationFailed) as caught:
        read_csv(data, kind)
    return " | ".join(caught.value.details["file"])


def chunks(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 4096])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1254", "utf-16"])
def test_streamed_in_any_pieces(size, encoding):
    text = "Müşteri adı;Marka;Seri no;Notlar\r\nA Ltd;Bosch;1;\r\nÇağ;Şeker;2;\"a\r\nb\"\rİz;X;3;\n"
    stream = importer.ImportStream(chunks(text.encode(encoding), size))
    rows = list(stream.rows())
    assert [n for n, _ in rows] == [2, 3, 4]
    assert rows[1][1] == {"customer_name": "Çağ", "brand": "Şeker", "serial": "2",
                          "notes": "a\r\nb"}
    assert stream.encoding == {"utf-8-sig": "utf-8"}.get(encoding, encoding)


def test_windows_1254_after_ascii_rows():
    data = (b"Musteri adi;Marka;Seri no\r\n"
            + b"".join(f"A{i};B;{i}\r\n".encode() for i in range(5000))
            + "Şahin;Vestel;V1\r\n".encode("cp1254"))
    stream = importer.ImportStream(chunks(data, 1000))
    rows = list(stream.rows())
    assert rows[-1][1]["customer_name"] == "Şahin" and stream.encoding == "cp1254"


def test_utf8_that_turns_into_something_else_is_refused_with_its_row():
    data = "Müşteri adı;Marka;Seri no\r\nÇağ;B;1\r\n".encode() + b"\xfe;B;2\r\n"
    stream = importer.ImportStream(chunks(data, 8))
    with pytest.raises(ValidationFailed) as caught:
        list(stream.rows())
    assert "after row 1" in caught.value.details["file"][0]


def test_duplicates_are_marked_as_they_stream():
    dup = importer.Duplicates()
    assert "_duplicate_of" not in dup.mark(2, {"brand": "Bosch", "serial": "S1"})
    assert dup.mark(5, {"brand": " BOSCH", "serial": "s1 "})["_duplicate_of"] == 2
