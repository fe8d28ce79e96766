"""portal's marshmallow schemas: what comes in (a request, a review) and what goes out — every
output a customer reads is a `CustomerSafe` schema (services/common/scope.py): no note, no
staff name or e-mail, no storage key."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.schemas import PageQuery, Trimmed, id_field, version_field
from services.common.scope import CustomerSafe
from services.portal import domain

MAX_PHOTO_B64 = domain.MAX_PHOTO_BYTES * 4 // 3 + 8


class Actor(Schema):
    """The acting user as the gateway passes it; a customer's carries their customer id."""
    id = fields.Integer(required=True, allow_none=True)
    name = fields.String(load_default=None, allow_none=True)
    email = fields.String(load_default=None, allow_none=True)
    language = fields.String(load_default="tr")
    role = fields.String(load_default=None, allow_none=True)
    customer_id = fields.Integer(load_default=None, allow_none=True)


def _text(n, **kw):
    return Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=n), **kw)


class NewDevice(Schema):
    """A device the customer describes (not a card of theirs yet): accepted as typed."""
    brand = Trimmed(required=True, validate=validate.Length(max=100))
    model = _text(100)
    serial = Trimmed(required=True, validate=validate.Length(max=100))
    device_type = _text(100)
    site = _text(200)


class PhotoIn(Schema):
    filename = _text(200)
    content_b64 = fields.String(required=True, validate=validate.Length(min=1,
                                                                        max=MAX_PHOTO_B64))


class RequestIn(Schema):
    """A service request: `device_id` (one of the customer's cards) or `device` (a new one),
    the `complaint`, up to 5 `photos` ({filename, content_b64}: JPEG or PNG, 5 MB each)."""
    customer_id = id_field(load_default=None, allow_none=True)  # staff only; a customer: theirs
    device_id = id_field(load_default=None, allow_none=True)
    device = fields.Nested(NewDevice, load_default=None, allow_none=True)
    complaint = Trimmed(required=True, validate=validate.Length(min=1, max=5000))
    photos = fields.List(fields.Nested(PhotoIn), load_default=list,
                         validate=validate.Length(max=domain.MAX_PHOTOS,
                                                  error=domain.TOO_MANY_PHOTOS))

    @validates_schema(skip_on_field_errors=True)
    def _one_device(self, data, **kwargs):
        if (data.get("device_id") is None) == (data.get("device") is None):
            raise ValidationError("Give device_id (one of your devices) or device "
                                  "{brand, serial, model, device_type, site}.", "device")


class AcceptIn(Schema):
    version = version_field(load_default=None, allow_none=True)


class DeclineIn(Schema):
    version = version_field(load_default=None, allow_none=True)
    reason = Trimmed(required=True, validate=validate.Length(min=1, max=2000))


class RequestQuery(PageQuery):
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(domain.REQUEST_STATUSES))
    customer_id = id_field(load_default=None, allow_none=True)


class FormsQuery(PageQuery):
    pass


# -- out: what a customer reads ------------------------------------------------------------------
class PhotoOut(CustomerSafe):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()


class RequestOut(CustomerSafe):
    id = fields.Integer()
    customer_id = fields.Integer()
    status = fields.String()
    status_name = fields.String(dump_default=None)
    version = fields.Integer()
    device_id = fields.Integer(allow_none=True)
    brand = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    serial = fields.String(allow_none=True)
    device_type = fields.String(allow_none=True)
    site = fields.String(allow_none=True)
    complaint = fields.String()
    decline_reason = fields.String(allow_none=True)
    form_id = fields.Integer(allow_none=True)
    form_number = fields.String(allow_none=True)
    created_at = fields.DateTime()
    reviewed_at = fields.DateTime(allow_none=True)
    photos = fields.List(fields.Nested(PhotoOut))


class FormOut(CustomerSafe):
    form_id = fields.Integer(data_key="id")
    number = fields.String()
    status = fields.String()
    status_name = fields.String()
    language = fields.String()
    device_id = fields.Integer(allow_none=True)
    brand = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    serial = fields.String(allow_none=True)
    complaint = fields.String(allow_none=True)
    opened_at = fields.DateTime()
    updated_at = fields.DateTime()
    approval_total = fields.Decimal(as_string=True, allow_none=True)
    approval_currency = fields.String(allow_none=True)
    approval_state = fields.String(allow_none=True)
    warranty_end = fields.Date(allow_none=True)


class EntryOut(CustomerSafe):
    kind = fields.String()
    title = fields.String()
    status = fields.String(allow_none=True)
    status_name = fields.String(allow_none=True)
    at = fields.DateTime()
    total = fields.Decimal(as_string=True, allow_none=True)
    currency = fields.String(allow_none=True)
