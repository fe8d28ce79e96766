"""Small pieces every service's schemas use: trimmed text and opaque list cursors."""
import base64
import json

from marshmallow import Schema, ValidationError, fields, validate

from services.common.exceptions import ValidationFailed, validation_failed

LANGUAGES = ("tr", "en")


class Trimmed(fields.String):
    """A string with surrounding whitespace removed; blank counts as missing when required."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        if not value and self.required:
            raise ValidationError("Must not be blank.")
        return value or None


def language_field(**kw):
    return fields.String(validate=validate.OneOf(LANGUAGES), load_default="tr", **kw)


def encode_cursor(values):
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor):
    """Read a cursor made by encode_cursor; a mangled one is a 422 on the `cursor` field."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list):
            raise ValueError
        return values
    except (ValueError, TypeError, UnicodeDecodeError):
        raise ValidationFailed("The input is not valid.", {"cursor": ["Invalid cursor."]})


class PageQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = fields.String(load_default=None, allow_none=True)


def load(schema, data, **kwargs):
    """schema.load, with a marshmallow ValidationError turned into our 422 ValidationFailed."""
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
    """A form names its device either by `device_id` or by a `device` spec, not both."""
    if (data.get("device_id") is None) == (data.get("device") is None):
        raise ValidationError("Give either device_id or device, not both.", "device")
