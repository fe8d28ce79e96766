"""Small pieces every service's schemas use: trimmed text and opaque list cursors."""
import base64
import decimal
import json
import re
import unicodedata

from marshmallow import Schema, ValidationError, fields, validate

from services.common.exceptions import invalid, validation_failed

LANGUAGES = ("tr", "en")
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns on every engine
INVALID_CURSOR = "Invalid cursor."
OTHER_SORT = "This cursor belongs to another sort order."


def id_field(**kwargs):
    """A record id: a JSON integer from 1 to MAX_ID (a bigger one can name no record)."""
    kwargs.setdefault("strict", True)  # JSON bodies: 5, not "5" (query strings pass False)
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def version_field(**kwargs):
    """The version a write states it read (a record's `version`, its ETag): a JSON integer
    from 1 to MAX_ID."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def is_id(value):
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


_NOT_ALLOWED = re.compile("[\x00\ud800-\udfff]")


def check_text(value):
    """Refuse what no database column should hold: NUL and lone surrogates."""
    if _NOT_ALLOWED.search(value):
        raise ValidationError("Contains characters that are not allowed.")
    return value


class Trimmed(fields.String):
    """A string with surrounding whitespace removed; blank counts as missing when required."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = check_text(super()._deserialize(value, attr, data, **kwargs)).strip()
        # NFC: "İ" typed as I + U+0307 (macOS, pasted text) is the one character it means,
        # so folding, search and sorting see the same text whatever the keyboard sent
        value = unicodedata.normalize("NFC", value)
        if not value and self.required:
            raise ValidationError("Must not be blank.")
        return value or None

    def _validate(self, value):
        if value is not None:  # a blank optional value is None: nothing to validate
            super()._validate(value)


def email_field(**kwargs):
    """An e-mail address as the columns hold it (at most 254 characters)."""
    return fields.Email(validate=validate.Length(max=254), **kwargs)


MAX_MONEY = decimal.Decimal("9999999999.99")  # Numeric(12, 2)


def two_decimals(value):
    """At most two decimals (kuruş, or a percent's hundredths); a third one is refused, not
    rounded away. A number too long to quantize is left to the range check beside it."""
    try:
        if value != value.quantize(decimal.Decimal("0.01")):
            raise ValidationError("At most two decimals.")
    except decimal.InvalidOperation:  # too many digits to hold: the range check says so
        pass


def money_field(**kwargs):
    """An amount of money as a Decimal: 0 to 9,999,999,999.99 with at most two decimals (a
    third one is refused, not rounded away); strings or JSON numbers, never NaN."""
    return fields.Decimal(allow_nan=False, validate=[
        validate.Range(min=decimal.Decimal(0), max=MAX_MONEY), two_decimals], **kwargs)


def language_field(**kw):
    return fields.String(validate=validate.OneOf(LANGUAGES), load_default="tr", **kw)


def encode_cursor(values):
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor, *types):
    """Read a cursor made by encode_cursor holding values of `types` (str or int, in order);
    a mangled or tampered one is a 422 on the `cursor` field."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError
        for value, kind in zip(values, types):
            if kind is int and not is_id(value):
                raise ValueError
            if kind is str and not isinstance(value, str):
                raise ValueError
            if kind is str:
                check_text(value)
        return values
    except (ValueError, TypeError, UnicodeDecodeError, ValidationError):
        raise invalid(cursor=[INVALID_CURSOR])


def page_of(rows, limit, cursor_of):
    """(the first `limit` of `rows` — fetched with limit + 1 —, the cursor after them or None):
    `cursor_of(last row)` gives the values the cursor holds."""
    page = rows[:limit]
    return page, (encode_cursor(cursor_of(page[-1])) if len(rows) > limit else None)


class PageQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = fields.String(load_default=None, allow_none=True)


_SHARED = {}  # schema class -> one instance (a schema keeps no state between loads)


def load(schema, data, **kwargs):
    """schema.load, with a marshmallow ValidationError turned into our 422 ValidationFailed.
    `schema` is an instance, or a class whose one shared instance is used: building a schema
    deep-copies its fields (a tenth of a form read's CPU when done per call)."""
    if isinstance(schema, type):
        schema = _SHARED.get(schema) or _SHARED.setdefault(schema, schema())
    try:
        return schema.load(data if data is not None else {}, **kwargs)
    except ValidationError as err:
        raise validation_failed(err)


def like_pattern(text):
    """A LIKE '%text%' pattern with the wildcards in `text` escaped (use escape='\\')."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# The intake shape forms and devices share: a device named by id, or by a spec.
class DeviceSpec(Schema):
    brand = Trimmed(required=True, validate=validate.Length(max=100))
    serial = Trimmed(required=True, validate=validate.Length(max=100))
    model = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))
    device_type = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))


def check_one_device(data):
    """A form names its device either by `device_id` or by a `device` spec: one of them."""
    has_id, has_spec = data.get("device_id") is not None, data.get("device") is not None
    if has_id and has_spec:
        raise ValidationError("Give device_id or device, not both.", "device")
    if not has_id and not has_spec and "device" in data and "device_id" in data:
        raise ValidationError("Give device_id (a card in the archive) or device "
                              "{brand, serial, model, device_type}.", "device")


def plain_dumper(schema):
    """`schema.dump` of one object with marshmallow's per-field machinery taken out, for a
    schema read on every call (a form's detail: its 35 fields were ~15% of the read's CPU).
    Integer, String, Date and DateTime fields (default formats, no `as_string`, no
    `dump_default`) are read and formatted here as marshmallow formats them; Method fields call
    their method; any other field goes through its own `serialize`. A schema with dump hooks
    gets its own `dump`. services/common/tests/unit/test_schemas.py and the forms tests compare
    the two."""
    from marshmallow import missing
    from marshmallow.utils import ensure_text_type
    if any(hooks for tag, hooks in schema._hooks.items() if "dump" in str(tag)):
        return schema.dump
    plan, get = [], schema.get_attribute
    for name, field in schema.dump_fields.items():
        key, attr = field.data_key or name, field.attribute or name
        plain = field.dump_default is missing
        if type(field) is fields.Integer and plain and not field.as_string:
            plan.append((key, attr, int))
        elif type(field) is fields.String and plain:
            plan.append((key, attr, ensure_text_type))
        elif type(field) in (fields.Date, fields.DateTime) and plain and (
                field.format or field.DEFAULT_FORMAT) in field.SERIALIZATION_FUNCS:
            formats = field.SERIALIZATION_FUNCS
            plan.append((key, attr, formats[field.format or field.DEFAULT_FORMAT]))
        elif type(field) is fields.Method and field.serialize_method_name:
            plan.append((key, None, getattr(schema, field.serialize_method_name)))
        else:
            plan.append((key, False, lambda obj, f=field, n=name: f.serialize(n, obj, get)))

    def dump(obj):
        out = {}
        for key, attr, fn in plan:
            if not attr:  # a method, or a field of its own kind
                value = fn(obj)
            else:
                value = get(obj, attr, missing)
                if value is not missing and value is not None:
                    value = fn(value)
            if value is not missing:
                out[key] = value
        return out
    return dump
