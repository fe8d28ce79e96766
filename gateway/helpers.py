"""What every view of the gateway uses: the RPC call, the acting user, the list page, the one
way a loaded request goes on the wire; `invalid` (services.common.exceptions) is the one way
to say "invalid input"."""
from datetime import date, datetime, time
from decimal import Decimal

from flask import current_app
from marshmallow import Schema, fields

from gateway.auth import current_user
from services.common.exceptions import invalid  # noqa: F401  (the one "invalid input", re-exported)


def rpc(service, method, *args, **kwargs):
    return current_app.extensions["servis"].rpc.call(service, method, *args, **kwargs)


def user_language():
    """The signed-in account's language: what content (CSV headers, chart titles) is
    written in. Error messages follow the request's language (gateway/i18n.py)."""
    return current_user().get("language") or "tr"


def actor():
    """The acting user as the services' `actor` argument (DESIGN.md: snapshots)."""
    user = current_user()
    return {k: user[k] for k in ("id", "name", "email", "language", "role")}


class Page(Schema):
    items = fields.List(fields.Dict())
    next_cursor = fields.String(allow_none=True)


# -- on the wire -------------------------------------------------------------------------------
def to_wire(schema, loaded):
    """What `schema` loaded, as JSON the service loads again with the same schema: each key
    back under its `data_key` (RevenueQuery's `from`), Decimals as strings (never floats),
    dates and times in ISO 8601, nested schemas likewise. The one place a loaded request is
    serialised for an RPC."""
    if isinstance(schema, type):
        schema = schema()
    return _wire_fields(schema, loaded)


def _wire_fields(schema, data):
    if not isinstance(data, dict):
        return _wire_value(None, data)
    by_attribute = {(f.attribute or name): f for name, f in schema.fields.items()}
    out = {}
    for key, value in data.items():
        field = by_attribute.get(key)
        out[(field.data_key or field.name) if field is not None else key] = \
            _wire_value(field, value)
    return out


def _wire_value(field, value):
    if isinstance(field, fields.Nested) and isinstance(value, (dict, list)):
        nested = field.schema
        if isinstance(value, list):
            return [_wire_fields(nested, v) for v in value]
        return _wire_fields(nested, value)
    if isinstance(field, fields.List) and isinstance(value, list):
        return [_wire_value(field.inner, v) for v in value]
    if isinstance(value, dict):
        return {k: _wire_value(None, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_wire_value(None, v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return value
