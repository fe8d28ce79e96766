from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.schemas import (DeviceSpec, PageQuery, Trimmed, check_one_device,
                                     email_field, id_field, language_field, money_field,
                                     version_field)
from services.common.exceptions import field_message
from services.devices.domain import KINDS, NONE, REPORT_FREQUENCIES, province

def _text(length, **kw):
    return Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=length), **kw)


CURRENCY, CURRENCY_ERROR = r"^[A-Z]{3}$", "3 capital letters (ISO 4217), e.g. TRY, EUR, USD."


def _only_given(schema, data, loaded):
    """A partial load keeps only what was sent (no defaults for the rest)."""
    return {k: v for k, v in loaded.items() if isinstance(data, dict) and k in data}


def _tax_no():
    return Trimmed(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^[0-9]{10,11}$", error="Tax number is 10 digits (VKN) or 11 (TCKN)."))


class SiteIn(Schema):
    name = Trimmed(required=True, validate=validate.Length(max=100))
    address = _text(1000)
    city = _text(100)


class ContactIn(Schema):
    name = Trimmed(required=True, validate=validate.Length(max=200))
    title = _text(100)
    phone = _text(40)
    email = email_field(load_default=None, allow_none=True)


class Province(Trimmed):
    """An il (one of the 81 provinces), by name in any case or spelling, or plate number;
    kept as domain.PROVINCES writes it."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if value is None:
            return None
        name = province(value)
        if name is None:
            raise ValidationError(field_message(
                "Not a province of Türkiye: '{text}' (write the il, e.g. İstanbul, or its "
                "plate number).", {"text": value}))
        return name


class CustomerIn(Schema):
    name = Trimmed(required=True, validate=validate.Length(max=200))
    tax_no = _tax_no()
    address = _text(1000)
    city = Province(load_default=None, allow_none=True)
    district = _text(100)
    phone = _text(40)
    email = email_field(load_default=None, allow_none=True)
    language = language_field()
    rep_user_id = id_field(load_default=None, allow_none=True)
    rep_name = _text(200)
    rep_email = email_field(load_default=None, allow_none=True)
    rep_language = language_field()
    report_frequency = fields.String(load_default="none", validate=validate.OneOf(
        REPORT_FREQUENCIES))  # the periodic service report forms e-mails
    sites = fields.List(fields.Nested(SiteIn), load_default=list,
                        validate=validate.Length(max=100))
    contacts = fields.List(fields.Nested(ContactIn), load_default=list,
                           validate=validate.Length(max=100))


class CustomerPatch(CustomerIn):
    """A change to a customer: only the fields given change; `sites` and `contacts`, when
    given, replace the lists (a site that devices stand at cannot be removed). `version` is
    the version read: missing is a 428, a customer changed since a 409."""
    version = version_field(load_default=None, allow_none=True)

    def __init__(self, **kwargs):
        super().__init__(partial=True, **kwargs)

    def load(self, data, **kwargs):  # no defaults for what was not sent
        return _only_given(self, data, super().load(data, **kwargs))


class SiteOut(Schema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String(allow_none=True)
    city = fields.String(allow_none=True)


class ContactOut(Schema):
    id = fields.Integer()
    name = fields.String()
    title = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class CustomerOut(Schema):
    id = fields.Integer()
    name = fields.String()
    tax_no = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    language = fields.String()
    rep_user_id = fields.Integer(allow_none=True)
    rep_name = fields.String(allow_none=True)
    rep_email = fields.String(allow_none=True)
    rep_language = fields.String()
    report_frequency = fields.String()
    sites = fields.List(fields.Nested(SiteOut))
    contacts = fields.List(fields.Nested(ContactOut))
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CustomerQuery(PageQuery):
    q = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=200))


class CardFields(Schema):
    """What a device card holds beyond (brand, serial)."""
    model = _text(100)
    device_type = _text(100)
    site_id = id_field(load_default=None, allow_none=True)
    price = money_field(load_default=None, allow_none=True)
    currency = Trimmed(load_default="TRY", validate=validate.Regexp(CURRENCY, error=CURRENCY_ERROR))
    purchase_date = fields.Date(load_default=None, allow_none=True)
    vendor = _text(100)
    insured = fields.Boolean(load_default=False)
    insurer = _text(100)
    policy_no = _text(100)
    notes = _text(2000)


class NewCard(CardFields):
    """A card as registered: its key and the manufacturer warranty that comes with it."""
    brand = Trimmed(required=True, validate=validate.Length(max=100))
    serial = Trimmed(required=True, validate=validate.Length(max=100))
    warranty_start = fields.Date(load_default=None, allow_none=True)
    warranty_end = fields.Date(load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=False)
    def _warranty(self, data, **kwargs):
        check_warranty(data)


class DeviceIn(NewCard):
    customer_id = id_field(required=True)


def check_warranty(data):
    """A manufacturer warranty given on the card: its end, and a start (or the purchase
    date) not after it."""
    start = data.get("warranty_start") or data.get("purchase_date")
    end = data.get("warranty_end")
    if data.get("warranty_start") and not end:
        raise ValidationError("A warranty start needs its end.", "warranty_end")
    if end and not start:
        raise ValidationError("Give warranty_start (or purchase_date) with warranty_end.",
                              "warranty_start")
    if end and start and end < start:
        raise ValidationError("The warranty ends before it starts.", "warranty_end")


class DevicePatch(CardFields):
    """A change to a card: only the fields given change (a blank brand, serial or currency is
    refused, not stored). `version` is the version read: a card changed since is a 409."""
    brand = Trimmed(required=True, validate=validate.Length(max=100))
    serial = Trimmed(required=True, validate=validate.Length(max=100))
    currency = Trimmed(required=True, validate=validate.Regexp(CURRENCY, error=CURRENCY_ERROR))
    version = version_field(load_default=None, allow_none=True)

    def __init__(self, **kwargs):
        super().__init__(partial=True, **kwargs)

    def load(self, data, **kwargs):
        return _only_given(self, data, super().load(data, **kwargs))


class MoveIn(Schema):
    customer_id = id_field(required=True)
    site_id = id_field(load_default=None, allow_none=True)
    note = _text(1000)
    version = version_field(load_default=None, allow_none=True)  # the card's, as read


class CoverageIn(Schema):
    version = version_field(load_default=None, allow_none=True)  # the card's, as read
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    source_id = id_field(load_default=None, allow_none=True)
    source_ref = _text(40)

    @validates_schema(skip_on_field_errors=True)
    def _order(self, data, **kwargs):
        if data["end"] < data["start"]:
            raise ValidationError("The period ends before it starts.", "end")


class CoverageQuery(Schema):
    on = fields.Date(load_default=None, allow_none=True)


class DeviceTypeIn(Schema):
    code = Trimmed(required=True, validate=validate.Regexp(
        r"^[a-z0-9_-]{2,40}$", error="2-40 lowercase ASCII letters, digits, _ or -."))
    name_tr = Trimmed(required=True, validate=validate.Length(max=100))
    name_en = Trimmed(required=True, validate=validate.Length(max=100))
    active = fields.Boolean(load_default=True)


class DeviceTypePatch(Schema):
    name_tr = Trimmed(required=True, validate=validate.Length(max=100))
    name_en = Trimmed(required=True, validate=validate.Length(max=100))
    active = fields.Boolean(required=True)

    def __init__(self, **kwargs):
        super().__init__(partial=True, **kwargs)


class DeviceOut(Schema):
    id = fields.Integer()
    customer_id = fields.Integer()
    site_id = fields.Integer(allow_none=True)
    brand = fields.String()
    serial = fields.String()
    model = fields.String(allow_none=True)
    device_type = fields.String(allow_none=True)
    price = fields.Decimal(as_string=True, allow_none=True)
    currency = fields.String()
    purchase_date = fields.Date(allow_none=True)
    vendor = fields.String(allow_none=True)
    insured = fields.Boolean()
    insurer = fields.String(allow_none=True)
    policy_no = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    warranty_end = fields.Date(allow_none=True)
    contract_end = fields.Date(allow_none=True)
    repair_warranty_end = fields.Date(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


SORTS = ("id", "serial", "warranty_end", "contract_end", "repair_warranty_end")


class DeviceQuery(PageQuery):
    serial = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))
    serial_prefix = Trimmed(load_default=None, allow_none=True,
                            validate=validate.Length(max=100))
    customer_id = id_field(load_default=None, allow_none=True, strict=False)
    brand = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))
    model = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))
    device_type = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=40))
    insured = fields.Boolean(load_default=None, allow_none=True)
    sort = fields.String(load_default="id", validate=validate.OneOf(
        SORTS + tuple(f"-{s}" for s in SORTS)))
    warranty_end_from = fields.Date(load_default=None, allow_none=True)
    warranty_end_to = fields.Date(load_default=None, allow_none=True)
    contract_end_from = fields.Date(load_default=None, allow_none=True)
    contract_end_to = fields.Date(load_default=None, allow_none=True)
    repair_warranty_end_from = fields.Date(load_default=None, allow_none=True)
    repair_warranty_end_to = fields.Date(load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=True)
    def _windows(self, data, **kwargs):
        for name in ("warranty_end", "contract_end", "repair_warranty_end"):
            low, high = data.get(f"{name}_from"), data.get(f"{name}_to")
            if low and high and high < low:
                raise ValidationError("The window ends before it starts.", f"{name}_to")


class ByCustomerQuery(PageQuery):
    customer_id = id_field(load_default=None, allow_none=True, strict=False)


class ByModelQuery(PageQuery):
    brand = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))
    model = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))


class ByCoverageQuery(PageQuery):
    status = fields.String(required=True, validate=validate.OneOf(KINDS + (NONE,)))
    on = fields.Date(load_default=None, allow_none=True)
    customer_id = id_field(load_default=None, allow_none=True, strict=False)


class HistoryQuery(PageQuery):
    pass


class IntakeIn(Schema):
    customer_id = id_field(required=True)
    device_id = id_field(load_default=None, allow_none=True)
    device = fields.Nested(DeviceSpec, load_default=None, allow_none=True)
    on = fields.Date(load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=False)
    def _one_device(self, data, **kwargs):
        check_one_device(data)
