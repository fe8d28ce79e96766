from marshmallow import Schema, fields, validate, validates_schema

from services.common.schemas import (DeviceSpec, PageQuery, Trimmed, check_one_device,
                                     email_field, id_field, language_field)


class CustomerIn(Schema):
    name = Trimmed(required=True, validate=validate.Length(max=200))
    tax_no = Trimmed(load_default=None, allow_none=True,
                     validate=validate.Regexp(r"^[0-9]{10,11}$",
                                              error="Tax number is 10 digits (VKN) or 11 (TCKN)."))
    address = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    phone = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=40))
    email = email_field(load_default=None, allow_none=True)
    language = language_field()
    rep_user_id = id_field(load_default=None, allow_none=True)
    rep_name = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=200))
    rep_email = email_field(load_default=None, allow_none=True)
    rep_language = language_field()


class CustomerOut(Schema):
    id = fields.Integer()
    name = fields.String()
    tax_no = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    language = fields.String()
    rep_user_id = fields.Integer(allow_none=True)
    rep_name = fields.String(allow_none=True)
    rep_email = fields.String(allow_none=True)
    rep_language = fields.String()
    created_at = fields.DateTime()


class CustomerQuery(PageQuery):
    q = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=200))


class DeviceIn(DeviceSpec):
    customer_id = id_field(required=True)


class DeviceOut(Schema):
    id = fields.Integer()
    customer_id = fields.Integer()
    brand = fields.String()
    serial = fields.String()
    model = fields.String(allow_none=True)
    device_type = fields.String(allow_none=True)
    created_at = fields.DateTime()


class DeviceQuery(PageQuery):
    serial = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))
    customer_id = id_field(load_default=None, allow_none=True, strict=False)



class IntakeIn(Schema):
    customer_id = id_field(required=True)
    device_id = id_field(load_default=None, allow_none=True)
    device = fields.Nested(DeviceSpec, load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=False)
    def _one_device(self, data, **kwargs):
        check_one_device(data)
