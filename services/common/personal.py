"""KVKK (law 6698) personal-data export: each service answers `personal_data` with what it
holds about a customer as JSON-able rows, built by these two functions from its own tables
(docs/architecture.md, "Personal data (KVKK)")."""
import base64
from datetime import date, datetime
from decimal import Decimal

from marshmallow import Schema, fields, validate
from sqlalchemy import inspect, select

from services.common.exceptions import invalid
from services.common.schemas import id_field, is_id

NOT_AN_ID = "Not a record id."


def jsonable(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode()
    return value


def checked_id(customer_id):
    """The customer id an RPC was given, or a 422 naming `customer_id`."""
    if not is_id(customer_id):
        raise invalid(customer_id=[NOT_AN_ID])
    return customer_id


def rows(session, model, *where, exclude=()):
    """Every row of `model` matching `where`, oldest first, each as {column: value}
    (`exclude`: columns that are no data about the person — a link's hash, a claim)."""
    columns = [c.key for c in inspect(model).column_attrs if c.key not in exclude]
    primary = inspect(model).primary_key
    found = session.scalars(select(model).where(*where).order_by(*primary)).all()
    return [{c: jsonable(getattr(r, c)) for c in columns} for r in found]


class Subject(Schema):
    """Whose data a service that does not know customers is asked about (notify, knowledge):
    the customer and the keys the other services answered — their forms, contracts,
    proposals, and the e-mail addresses they hold for the customer."""
    customer_id = id_field(required=True)
    form_ids = fields.List(id_field(), load_default=list, validate=validate.Length(max=100000))
    contract_ids = fields.List(id_field(), load_default=list,
                               validate=validate.Length(max=100000))
    emails = fields.List(fields.String(validate=validate.Length(min=3, max=254)),
                         load_default=list, validate=validate.Length(max=1000))
