from marshmallow import Schema, fields, validate

from services.common.schemas import PageQuery, Trimmed, id_field

STATUSES = ("pending", "sent", "failed")


class DeliveryOut(Schema):
    id = fields.Integer()
    message_id = fields.String()
    event_id = fields.String()
    event_type = fields.String()
    form_id = fields.Integer(allow_none=True)
    contract_id = fields.Integer(allow_none=True)
    recipient = fields.String()
    language = fields.String()
    subject = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class DeliveryQuery(PageQuery):
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STATUSES))
    form_id = id_field(load_default=None, allow_none=True, strict=False)
    contract_id = id_field(load_default=None, allow_none=True, strict=False)
    recipient = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=254))


class Recipient(Schema):
    name = fields.String(required=True, validate=validate.Length(max=200))
    email = fields.Email(required=True)
    language = fields.String(load_default="tr", validate=validate.OneOf(("tr", "en")))


class PasswordResetIn(Schema):
    """The gateway's ask for a reset-by-e-mail message."""
    recipient = fields.Nested(Recipient, required=True)
    link = fields.Url(required=True, require_tld=False, validate=validate.Length(max=500))
    valid_minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=10080))
    # reset: "set a new password"; invitation: a portal account's first password (issue 16)
    kind = fields.String(load_default="reset", validate=validate.OneOf(("reset", "invitation")))
