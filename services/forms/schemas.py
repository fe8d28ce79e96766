import json

from marshmallow import Schema, fields, validate, validates_schema

from services.common.schemas import DeviceSpec, PageQuery, Trimmed, check_one_device, id_field
from services.forms.domain import KINDS, STATUS_NAMES


class Actor(Schema):
    """The acting user, as the gateway passes it (DESIGN.md: snapshots)."""
    id = fields.Integer(required=True)
    name = fields.String(load_default=None, allow_none=True)
    email = fields.String(load_default=None, allow_none=True)
    language = fields.String(load_default="tr")
    role = fields.String(load_default=None, allow_none=True)


class FormIn(Schema):
    customer_id = id_field(required=True)
    device_id = id_field(load_default=None, allow_none=True)
    device = fields.Nested(DeviceSpec, load_default=None, allow_none=True)
    complaint = Trimmed(required=True, validate=validate.Length(max=5000))
    kind = fields.String(load_default="repair", validate=validate.OneOf(KINDS))

    @validates_schema(skip_on_field_errors=False)
    def _one_device(self, data, **kwargs):
        check_one_device(data)


class FormOut(Schema):
    id = fields.Integer()
    number = fields.String()
    kind = fields.String()
    status = fields.String()
    status_name = fields.Method("_status_name")
    version = fields.Integer()
    customer_id = fields.Integer()
    customer_name = fields.String()
    rep_name = fields.String(allow_none=True)
    rep_email = fields.String(allow_none=True)
    device_id = fields.Integer()
    device = fields.Method("_device")
    coverage = fields.Method("_coverage")
    complaint = fields.String()
    opened_by = fields.Method("_opened_by")
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def _status_name(self, form):
        return STATUS_NAMES.get(form.status, {"tr": form.status, "en": form.status})

    def _device(self, form):
        return {"id": form.device_id, "brand": form.device_brand, "model": form.device_model,
                "device_type": form.device_type, "serial": form.device_serial}

    def _coverage(self, form):
        if not form.coverage_kind:
            return None
        return {"kind": form.coverage_kind,
                "end": form.coverage_end.isoformat() if form.coverage_end else None,
                "source_id": form.coverage_source_id,
                "reason": json.loads(form.coverage_reason) if form.coverage_reason else None}

    def _opened_by(self, form):
        return {"user_id": form.opened_by_id, "name": form.opened_by_name}


class FormQuery(PageQuery):
    pass
