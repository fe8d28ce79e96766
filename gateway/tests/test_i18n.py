"""Errors in the user's language: the catalogue is complete (every error code, every message
the gateway raises, every field message of the schemas it validates with, in TR and EN), the
language is chosen as documented, and templates are formatted with their details."""
import ast
import inspect
import string
import sys
from pathlib import Path

import marshmallow.fields
import pytest
from marshmallow import Schema, fields, validate

from gateway import errors
from gateway.i18n import CODE_CONTEXT, GENERIC, catalogue, from_accept_language
from services.common.exceptions import ServisError, format_message

ROOT = Path(__file__).resolve().parents[2]
# Every module of every service raises constant English templates (its values in the details:
# `NotFound("Service form {form_id} not found.", {"form_id": 5})`): each template it raises
# must have its Turkish entry, and no raise site may build its message (an f-string, `+`,
# `.format`). The list is every module under services/ but tests, so a new module (a new
# service) is checked from its first line.
CONVERTED_SERVICE_MODULES = sorted(
    str(p.relative_to(ROOT)) for p in ROOT.glob("services/**/*.py")
    if "tests" not in p.relative_to(ROOT).parts and p.name not in ("conftest.py", "testing.py"))
EXCEPTIONS = {"ServisError", "NotFound", "Conflict", "ValidationFailed", "Forbidden",
              "PreconditionRequired", "ServiceUnavailable", "Unauthorized", "TooManyRequests",
              "ValidationError", "RowError", "Gone"}
# Exceptions whose details (ValidationFailed: the second argument; RowError: the first) are
# {field: [messages]}; marshmallow's ValidationError may carry such a dict first too.
FIELD_DETAILS = {"ValidationFailed": 1, "RowError": 0, "ValidationError": 0}


def all_codes():
    import gateway.app  # noqa: F401  (every ServisError subclass the gateway knows)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)
    return set(errors.HTTP_CODES.values()) | {c.code for c in (ServisError,
                                                               *subclasses(ServisError))}


def placeholders(text):
    try:
        return sorted(name for _, name, _, _ in string.Formatter().parse(text)
                      if name and name.isidentifier())
    except ValueError:
        return []


def test_every_error_code_has_its_message_in_turkish_and_english():
    texts = catalogue()
    for code in all_codes():
        assert GENERIC.get(code), f"no English message for error code {code}"
        assert texts.codes.get(code), f"no Turkish message for error code {code} " \
                                      f"(msgctxt {CODE_CONTEXT!r})"
    assert set(texts.codes) <= set(GENERIC)


def test_every_catalogued_message_has_both_languages_with_the_same_placeholders():
    for msgid, turkish in catalogue().messages.items():
        assert msgid.strip() and turkish.strip() and turkish != msgid, msgid
        assert placeholders(msgid) == placeholders(turkish), msgid


def raised_templates(path):
    """(line, text) of every message raised in a module: the first argument of an exception
    (ServisError subclasses, marshmallow's ValidationError), the field messages in a
    ValidationFailed's or RowError's details, those given to `invalid(...)` (constants or
    (template, values) pairs), every `field_message(template, ...)`, a validator's `error=`,
    and module constants those use. A message built at the raise site (an f-string, `+`,
    `.format`, `%`) is reported as None: a raise site must use a constant template."""
    tree = ast.parse(path.read_text(), str(path))
    constants = {t.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                 for t in node.targets if isinstance(t, ast.Name)
                 and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}

    def text(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and node.id in constants:
            return constants[node.id]
        if isinstance(node, ast.JoinedStr):
            return None
        if isinstance(node, ast.BinOp) and any(
                isinstance(side, ast.JoinedStr) or (isinstance(side, ast.Constant)
                                                    and isinstance(side.value, str))
                for side in (node.left, node.right)):
            return None  # "..." + x, "..." % x
        if isinstance(node, ast.IfExp):
            return [text(node.body), text(node.orelse)]
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "format":
            return None
        return ...  # not a message (a variable passed on, a field_message(...) call)

    def messages(node):
        """The messages of a {field: [messages]} structure written at the raise site."""
        if isinstance(node, ast.Dict):
            for value in node.values:
                yield from messages(value)
        elif isinstance(node, ast.Tuple) and node.elts:  # (template, values)
            yield text(node.elts[0])
        elif isinstance(node, (ast.List, ast.Set)):
            for item in node.elts:
                yield from messages(item)
        else:
            yield text(node)

    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        if name in EXCEPTIONS and node.args:
            first, where = node.args[0], FIELD_DETAILS.get(name)
            found.extend((node.lineno, t) for t in (
                messages(first) if where == 0 else [text(first)]))
            if where == 1 and len(node.args) > 1:
                found.extend((node.lineno, t) for t in messages(node.args[1]))
        if name == "invalid":
            for kw in node.keywords:
                found.extend((node.lineno, t) for t in messages(kw.value))
        if name == "field_message" and node.args:
            found.append((node.lineno, text(node.args[0])))
        for kw in node.keywords:
            if kw.arg == "error" and name in ("Regexp", "OneOf", "Length", "Range"):
                found.append((node.lineno, text(kw.value)))
    flat = []
    for line, t in found:
        flat.extend((line, one) for one in (t if isinstance(t, list) else [t]))
    return [(line, t) for line, t in flat if t is not ...]


def check_module(path):
    texts, problems = catalogue(), []
    for line, template in raised_templates(path):
        where = f"{path.relative_to(ROOT)}:{line}"
        if template is None:
            problems.append(f"{where}: a message built at the raise site (an f-string, +, "
                            ".format); raise a constant template with its values in details")
        elif template not in GENERIC.values() and texts.turkish(template) is None:
            problems.append(f"{where}: no Turkish entry for {template!r}")
        if template is not None and conversions(template):
            problems.append(f"{where}: {template!r} converts a value ({conversions(template)}): "
                            "write the quotes ('{name}'), so the gateway recovers the value")
    return problems


def conversions(text):
    """The placeholders of a template that convert their value (`{code!r}`)."""
    try:
        return [f"{name}!{conversion}" for _, name, _, conversion in string.Formatter().parse(text)
                if name and conversion]
    except ValueError:
        return []


def test_every_message_the_gateway_raises_has_a_turkish_entry():
    modules = sorted(p for p in (ROOT / "gateway").rglob("*.py") if "tests" not in p.parts)
    problems = [p for module in modules for p in check_module(module)]
    assert not problems, "\n".join(problems)
    assert len([t for m in modules for t in raised_templates(m)]) > 20  # the walk finds them


@pytest.mark.parametrize("module", CONVERTED_SERVICE_MODULES)
def test_every_template_a_service_raises_has_a_turkish_entry(module):
    problems = check_module(ROOT / module)
    assert not problems, "\n".join(problems)


def test_the_walk_finds_the_services_messages():
    assert len(CONVERTED_SERVICE_MODULES) > 40
    assert "services/forms/workflow.py" in CONVERTED_SERVICE_MODULES
    found = [t for m in CONVERTED_SERVICE_MODULES for _, t in raised_templates(ROOT / m)]
    assert len(found) > 140
    assert "Service form {form_id} not found." in found  # a raise
    assert "Invalid cursor." in found  # a constant given to invalid()
    assert "From {min} to {max}." in found  # a field_message()


@pytest.mark.parametrize("source,problem", [
    ('raise NotFound(f"Form {form_id} not found.", {"form_id": form_id})', "built at"),
    ('raise Conflict("The checklist is not complete: " + ", ".join(m) + ".", {})', "built at"),
    ('raise Conflict("Form {} is {}".format(a, b), {})', "built at"),
    ('raise ValidationFailed(INVALID, {"note": [f"Give the reason for {to}."]})', "built at"),
    ('raise invalid(code=[f"Unknown {code}."])', "built at"),
    ('raise RowError({"serial": [f"{brand} {serial}"]})', "built at"),
    ('errors = [field_message(f"From {a}.", {})]', "built at"),
    ('raise NotFound("Nothing by that name here, sorry.", {})', "no Turkish entry"),
    ('raise invalid(code=[("Unknown thing {code}.", {"code": 1})])', "no Turkish entry"),
    ('raise Conflict("Device type {code!r} exists.", {"code": "x"})', "converts"),
])
def test_the_walk_refuses_a_built_or_untranslated_message(tmp_path, monkeypatch, source,
                                                          problem):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    module = tmp_path / "probe.py"
    module.write_text(source + "\n")
    problems = check_module(module)
    assert problems and any(problem in p for p in problems), problems


def test_the_field_messages_of_the_schemas_the_gateway_validates_with_are_catalogued():
    """Field messages of services/*/schemas.py and the importer reach users through the
    gateway's early 422 and the services' own: each has a Turkish entry."""
    texts, missing = catalogue(), []
    for path in sorted(ROOT.glob("services/*/schemas.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            candidates = [node.args[0]] if name == "ValidationError" and node.args else []
            candidates += [kw.value for kw in node.keywords if kw.arg == "error"]
            for c in candidates:
                if isinstance(c, ast.Constant) and texts.turkish(c.value) is None:
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {c.value!r}")
    from services.devices import schemas
    for name in ("CURRENCY_ERROR",):
        if texts.turkish(getattr(schemas, name)) is None:
            missing.append(name)
    assert not missing, "\n".join(missing)


def test_marshmallows_own_messages_are_catalogued():
    texts, missing = catalogue(), []
    for cls in vars(marshmallow.fields).values():
        if inspect.isclass(cls) and issubclass(cls, fields.Field):
            for key, message in getattr(cls, "default_error_messages", {}).items():
                if "{input" in message or key in ("format",):  # dumping only
                    continue
                for text in _expanded(cls, message):
                    if texts.turkish(text) is None:
                        missing.append(f"{cls.__name__}.{key}: {text!r}")
    for validator in (validate.Length(min=1, max=3), validate.Length(min=1),
                      validate.Length(max=3), validate.Length(equal=2),
                      validate.OneOf(["a", "b"]), validate.Equal(3), validate.Regexp("x"),
                      validate.Email(), validate.URL(), validate.ContainsOnly(["a"]),
                      validate.NoneOf(["a"])):
        for value in ("", "abcd", "z", ["q"], "a"):
            try:
                validator(value)
            except Exception as exc:  # marshmallow's ValidationError or a TypeError
                for message in getattr(exc, "messages", []):
                    if texts.turkish(message) is None:
                        missing.append(f"{type(validator).__name__}: {message!r}")
    for low, high in ((True, True), (True, False), (False, True), (False, False)):
        for rng in (validate.Range(1, 3, min_inclusive=low, max_inclusive=high),
                    validate.Range(min=1, min_inclusive=low),
                    validate.Range(max=3, max_inclusive=high)):
            for value in (-5, 9):
                try:
                    rng(value)
                except Exception as exc:
                    if texts.turkish(exc.messages[0]) is None:
                        missing.append(repr(exc.messages[0]))
    assert not missing, "\n".join(sorted(set(missing)))


def _expanded(cls, message):
    try:
        field = cls() if cls not in (fields.Nested, fields.List, fields.Tuple, fields.Enum,
                                     fields.Pluck, fields.Constant, fields.Method,
                                     fields.Function) else None
    except TypeError:
        field = None
    values = {k: getattr(field, k) for k in ("obj_type", "awareness")
              if field is not None and hasattr(field, k)}
    if "{" in message and not values:
        return []
    return [message.format(**values)] if values else [message]


def test_parametrised_field_messages_are_translated_with_their_values():
    class Probe(Schema):
        name = fields.String(validate=validate.Length(min=2, max=5))
        kind = fields.String(validate=validate.OneOf(["repair", "maintenance"]))
        count = fields.Integer(validate=validate.Range(min=1, max=10))
        floor = fields.Integer(validate=validate.Range(min=1))
    messages = Probe().validate({"name": "x", "kind": "z", "count": 11, "floor": 0, "x": 1})
    tr = catalogue().translate_fields(messages, "tr")
    assert tr == {"name": ["Uzunluk 2 ile 5 arasında olmalı."],
                  "kind": ["Şunlardan biri olmalı: repair, maintenance."],
                  "count": ["1 ile 10 arasında (ikisi de dahil) olmalı."],
                  "floor": ["En az 1 olmalı."], "x": ["Bilinmeyen alan."]}
    assert catalogue().translate_fields(messages, "en") == messages


def test_a_template_is_formatted_with_its_details_in_either_language():
    texts = catalogue()
    template = "The {service} service did not answer within {timeout:g} s."
    details = {"service": "forms", "timeout": 5.0}
    assert texts.translate(template, details, "en") == \
        "The forms service did not answer within 5 s."
    assert texts.translate(template, details, "tr") == "forms servisi 5 sn içinde yanıt vermedi."
    # a message already formatted (a field message, an import row's error) is recovered by
    # its template's pattern; one no template makes passes through, in English
    assert texts.translate("Device type 'kombi' exists.", {}, "tr") == \
        "'kombi' cihaz tipi zaten var."
    assert texts.translate("Nothing we ever say.", {}, "tr") == "Nothing we ever say."


def test_servis_error_message_formats_its_template_safely():
    error = ServisError("Service form {form_id} not found.", {"form_id": 5})
    assert error.message == str(error) == "Service form 5 not found."
    assert error.template == "Service form {form_id} not found."
    assert format_message("{missing} and {0} and {a.b} and {x!r}", {"x": "s"}) == \
        "{missing} and {0} and {a.b} and 's'"
    assert format_message("a lone } brace {", {}) == "a lone } brace {"
    assert format_message("device {brand, serial}", {}) == "device {brand, serial}"


@pytest.mark.parametrize("header,expected", [
    ("tr", "tr"), ("en", "en"), ("en-US,en;q=0.9", "en"), ("tr-TR,tr;q=0.9,en;q=0.8", "tr"),
    ("de,en;q=0.5,tr;q=0.4", "en"), ("en;q=0.2,tr;q=0.8", "tr"), ("fr", None), ("*", None),
    ("", None), (None, None), ("en;q=0", None), ("en;q=x, tr", "tr")])
def test_accept_language(header, expected):
    assert from_accept_language(header) == expected


def test_the_language_is_accept_language_else_the_accounts_else_turkish(gw):
    technician = gw.headers["technician"]  # an English-speaking account
    desk = gw.headers["desk"]  # a Turkish one
    body = {"complaint": "x"}
    cases = [(desk, {}, "tr"), (technician, {}, "en"), (desk, {"Accept-Language": "en"}, "en"),
             (technician, {"Accept-Language": "tr-TR"}, "tr"), ({}, {}, "tr"),
             ({}, {"Accept-Language": "en"}, "en")]
    for auth, extra, language in cases:
        r = gw.client.post("/api/v1/forms", json=body, headers={**auth, **extra})
        assert r.headers["Content-Language"] == language, (auth, extra)
        assert "Accept-Language" in r.headers["Vary"]
    r = gw.client.post("/api/v1/forms", json=body, headers={**desk, "Accept-Language": "tr"})
    assert r.json["error"]["details"]["customer_id"] == ["Zorunlu alan eksik."]
    r = gw.client.post("/api/v1/forms", json=body, headers={**desk, "Accept-Language": "en"})
    assert r.json["error"]["details"]["customer_id"] == ["Missing data for required field."]


def test_http_errors_have_their_generic_messages(gw):
    r = gw.client.get("/api/v1/no-such-thing", headers={"Accept-Language": "en"})
    assert r.status_code == 404 and r.json["error"]["message"] == GENERIC["not_found"]
    r = gw.client.get("/api/v1/no-such-thing")
    assert r.json["error"]["message"] == "Bulunamadı."
    r = gw.client.delete("/api/v1/customers", headers=gw.headers["admin"])
    assert r.status_code == 405 and r.json["error"]["code"] == "method_not_allowed"
    assert "GET" in r.headers["Allow"]
    r = gw.client.post("/api/v1/customers", data="{", content_type="application/json",
                       headers={**gw.headers["admin"], "Accept-Language": "en"})
    assert r.status_code == 400 and r.json["error"]["message"] == errors.NOT_JSON


def test_a_formatted_message_with_its_own_entry_wins_over_the_template():
    """A customer's 404 names the record in Turkish ("No such {record}." with record=photo),
    not "Böyle bir kayıt yok (photo)."; a record without its own entry keeps the template."""
    c = catalogue()
    assert c.translate("No such {record}.", {"record": "photo"}, "tr") == \
        "Böyle bir fotoğraf yok."
    assert c.translate("No such {record}.", {"record": "form"}, "tr") == "Böyle bir form yok."
    assert c.translate("No such {record}.", {"record": "widget"}, "tr") == \
        "Böyle bir kayıt yok (widget)."
    assert c.translate("No such {record}.", {"record": "photo"}, "en") == "No such photo."


def test_a_draft_contracts_page_bill_refusal_names_the_status_in_turkish():
    assert catalogue().translate("A contract in {status} has no pages to bill.",
                                 {"status": "draft"}, "tr") == \
        "Taslak durumundaki bir sözleşmenin faturalanacak sayfası yok."


def test_the_default_meter_is_named_in_the_pages_language(gateway):
    from flask import g

    from gateway.web import formatting
    for lang, name in (("tr", "Toplam"), ("en", "Total")):
        with gateway.app.test_request_context("/"):
            g.lang = lang  # as the web shell sets it per request
            assert formatting.meter("total") == name
            assert formatting.meter("renkli_a3") == "renkli_a3"  # an officer's code, as typed


def test_whole_numbers_typed_with_the_languages_grouping(gateway):
    """A Turkish user types 1.500 for fifteen hundred pages (the new user's allowance was
    refused as "not a valid integer"); an English one 1,500; 1.500 on an English page is no
    whole number and goes to the API as typed, which says why."""
    from flask import g

    from gateway.web.pages import as_int
    with gateway.app.test_request_context("/"):
        g.lang = "tr"
        assert (as_int("1.500"), as_int("12.345.678"), as_int("1 500"), as_int("1500")) == (
            1500, 12345678, 1500, 1500)
        assert (as_int("1.50"), as_int("1,500"), as_int(""), as_int("0.500")) == (
            "1.50", "1,500", None, "0.500")
        g.lang = "en"
        assert (as_int("1,500"), as_int("1.500")) == (1500, "1.500")


def test_a_date_in_a_message_reads_the_turkish_way_and_the_details_stay_iso():
    """A bill that does not follow the last one names the expected start: a Turkish reader
    reads 01.03.2027 (it said 2027-03-01), an English one the ISO date; `details` keep ISO
    for programs; a moment reads as Türkiye's time."""
    cat = catalogue()
    template = ("The pages of contract {number} are billed up to {billed_to}: its next period "
                "starts on {expected}.")
    values = {"number": "BS-2027-0001", "billed_to": "2027-02-28", "expected": "2027-03-01",
              "from": "2027-03-01"}
    tr = cat.translate(template, values, "tr")
    assert "28.02.2027" in tr and "01.03.2027" in tr and "2027-03-01" not in tr, tr
    assert "2027-03-01" in cat.translate(template, values, "en")
    from gateway.i18n import turkish_values
    assert turkish_values({"at": "2027-02-15T06:30:00+00:00", "n": 5, "s": "2027-1-5",
                           "value": "2027-02-15"}) == {
        "at": "15.02.2027 09:30", "n": 5, "s": "2027-1-5", "value": "2027-02-15"}  # as typed
    # a message that arrives formatted (an import row's reason): its recovered dates too
    formatted = "The warranty ends (2027-02-15) before it starts (2027-03-01)."
    tr = cat.translate(formatted, {}, "tr")
    assert "15.02.2027" in tr and "01.03.2027" in tr and "2027-" not in tr, tr
