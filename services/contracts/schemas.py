"""contracts' marshmallow schemas: what comes in (proposals, decisions, renewals, cancels) and
what goes out. Bad input is a 422 naming the field, before anything is written."""
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.schemas import (PageQuery, Trimmed, email_field, id_field, language_field,
                                     money_field, two_decimals, version_field)
from services.contracts import domain

MAX_RATE = Decimal("1000000")


def _percent(**kw):
    return fields.Decimal(allow_nan=False, validate=[
        validate.Range(min=Decimal(0), max=Decimal(100)), two_decimals], **kw)


class Actor(Schema):
    """The acting user, as the gateway passes it."""
    id = fields.Integer(required=True, allow_none=True)
    name = fields.String(load_default=None, allow_none=True)
    email = fields.String(load_default=None, allow_none=True)
    language = fields.String(load_default="tr")
    role = fields.String(load_default=None, allow_none=True)


class Versioned(Schema):
    """Every write states the version it read: missing is a 428, stale a 409."""
    version = version_field(load_default=None, allow_none=True)


class Pays(Schema):
    """What the contract pays on a repair (parçalı: parts too; parçasız: labour and fee)."""
    labour = fields.Boolean(load_default=True)
    parts = fields.Boolean(load_default=False)
    fee = fields.Boolean(load_default=True)


class ServiceLevels(Schema):
    """Response and repair time, in working hours."""
    response_hours = fields.Integer(load_default=None, allow_none=True,
                                    validate=validate.Range(min=1, max=10000))
    repair_hours = fields.Integer(load_default=None, allow_none=True,
                                  validate=validate.Range(min=1, max=10000))


class ProposalDeviceIn(Schema):
    """An existing card (device_id) or a new device (brand, serial, model, device_type)."""
    device_id = id_field(load_default=None, allow_none=True)
    brand = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))
    serial = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))
    model = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))
    device_type = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))

    @validates_schema
    def _one(self, data, **kw):
        if data["device_id"] is None and not (data["brand"] and data["serial"]):
            raise ValidationError("Give device_id (a card in the archive) or brand and serial "
                                  "of a new device.", "device_id")


class ProposalIn(Schema):
    customer_id = id_field(required=True)
    devices = fields.List(fields.Nested(ProposalDeviceIn), required=True,
                          validate=validate.Length(min=1, max=1000))
    start = fields.Date(required=True)
    months = fields.Integer(required=True, strict=True,
                            validate=validate.Range(min=1, max=domain.MAX_MONTHS))
    end = fields.Date(load_default=None, allow_none=True)  # optional: checked against months
    basis = fields.String(load_default="year", validate=validate.OneOf(domain.BASES))
    visits_per_year = fields.Integer(load_default=None, allow_none=True,
                                     validate=validate.Range(min=1, max=365))
    unit_price = money_field(required=True)
    currency = fields.String(load_default="TRY", validate=validate.OneOf(domain.CURRENCIES))
    rate = fields.Decimal(load_default=None, allow_none=True, allow_nan=False, places=None,
                          validate=validate.Range(min=Decimal("0.0001"), max=MAX_RATE))
    discount_amount = money_field(load_default=None, allow_none=True)
    discount_percent = _percent(load_default=None, allow_none=True)
    vat_rate = _percent(load_default=None, allow_none=True)
    stamp_duty_rate = fields.Decimal(load_default=None, allow_none=True, allow_nan=False,
                                     validate=validate.Range(min=Decimal(0), max=Decimal(100)))
    pays = fields.Nested(Pays, load_default=lambda: Pays().load({}))
    service_levels = fields.Nested(ServiceLevels, load_default=lambda: ServiceLevels().load({}))
    valid_until = fields.Date(load_default=None, allow_none=True)
    language = language_field()
    note = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=4000))

    @validates_schema
    def _check(self, data, **kw):
        errors = {}
        if data.get("end") is not None and data.get("start") is not None:
            if data["end"] < data["start"]:
                errors["end"] = ["The end is before the start."]
            elif data.get("months") and data["end"] != domain.period_end(data["start"],
                                                                          data["months"]):
                errors["end"] = ["The end does not match the start and months."]
        if data.get("currency", "TRY") != "TRY" and data.get("rate") is None:
            errors["rate"] = ["A currency other than TRY needs its rate."]
        if data.get("basis") == "visit" and not data.get("visits_per_year"):
            errors["visits_per_year"] = ["A price per visit needs the visits a year."]
        if data.get("discount_amount") is not None and data.get("discount_percent") is not None:
            errors["discount_amount"] = ["Give a discount amount or a percent, not both."]
        seen, dup = set(), {}
        for i, d in enumerate(data.get("devices") or []):
            key = ("id", d["device_id"]) if d["device_id"] else (
                "spec", (d["brand"] or "").casefold(), (d["serial"] or "").casefold())
            if key in seen:
                dup[str(i)] = {"device_id": ["This device is already in the proposal."]}
            seen.add(key)
        if dup:
            errors["devices"] = dup
        if errors:
            raise ValidationError(errors)


class ProposalEdit(ProposalIn, Versioned):
    """An open proposal's new version: its whole terms and devices again, with the version
    read."""


class DecisionIn(Versioned):
    decision = fields.String(required=True, validate=validate.OneOf(("accepted", "rejected")))
    note = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=4000))


class CancelIn(Versioned):
    reason = Trimmed(required=True, validate=validate.Length(max=4000))
    end = fields.Date(required=True)


class RenewIn(Versioned):
    increase_percent = fields.Decimal(required=True, allow_nan=False, validate=[
        validate.Range(min=Decimal(-100), max=Decimal(1000)), two_decimals])
    months = fields.Integer(load_default=None, allow_none=True, strict=True,
                            validate=validate.Range(min=1, max=domain.MAX_MONTHS))
    rate = fields.Decimal(load_default=None, allow_none=True, allow_nan=False,
                          validate=validate.Range(min=Decimal("0.0001"), max=MAX_RATE))
    valid_until = fields.Date(load_default=None, allow_none=True)


class SendIn(Schema):
    """E-mail the proposal's PDF: to the customer's address, or the one given."""
    email = email_field(load_default=None, allow_none=True)


class ProposalTemplateIn(Schema):
    """A new version of the proposal's template (`source` null: back to the built-in)."""
    source = fields.String(required=True, allow_none=True)
    note = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ScheduleIn(Versioned):
    """The contract's invoice schedule: monthly, quarterly, yearly or single."""
    frequency = fields.String(required=True, validate=validate.OneOf(tuple(
        domain.FREQUENCIES)))
    first_due = fields.Date(load_default=None, allow_none=True)


class InvoicedIn(Versioned):
    """An installment invoiced: the accounting system's number, the day, and the rate of that
    day (TRY per unit) for a contract in another currency."""
    invoice_no = Trimmed(required=True, validate=validate.Length(max=60))
    invoiced_on = fields.Date(required=True)
    rate = fields.Decimal(load_default=None, allow_none=True, allow_nan=False,
                          validate=validate.Range(min=Decimal("0.0001"), max=MAX_RATE))


class PaidIn(Versioned):
    paid_on = fields.Date(required=True)


class InvoiceQuery(PageQuery):
    """Installments to invoice (`due`: not invoiced, due within `days`) or overdue (not paid,
    past their due date)."""
    state = fields.String(load_default="due", validate=validate.OneOf(("due", "overdue")))
    days = fields.Integer(load_default=30, validate=validate.Range(min=0, max=3660))


class RevenueQuery(Schema):
    """Contract revenue from month to month (YYYY-MM) by month, customer or contract."""
    date_from = fields.String(required=True, data_key="from",
                              validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"))
    date_to = fields.String(required=True, data_key="to",
                            validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"))
    group_by = fields.String(load_default="month", validate=validate.OneOf(
        ("month", "customer", "contract")))


class SignedScanIn(Versioned):
    """The signed scan of a proposal's decision: the file's bytes (base64) and its name."""
    content_b64 = fields.String(required=True)
    filename = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=200))


class InsuranceNoticeIn(Schema):
    """The insurance notification: to the insurer's address; `insurer_name` picks the cards
    insured with it (default: every insured card of the contract)."""
    insurer_email = email_field(required=True)
    insurer_name = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))
    language = language_field()


class MachineParkIn(Schema):
    customer_id = id_field(required=True)
    site_id = id_field(required=True)
    language = language_field()


class ParkResult(Schema):
    device_id = id_field(required=True)
    present = fields.Boolean(required=True)
    condition = fields.String(load_default=None, allow_none=True,
                              validate=validate.OneOf(("good", "worn", "faulty")))
    note = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class FoundDevice(Schema):
    """A device found at the site that the archive does not have: registered there."""
    brand = Trimmed(required=True, validate=validate.Length(max=100))
    serial = Trimmed(required=True, validate=validate.Length(max=100))
    model = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))
    device_type = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))
    note = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class ParkResultsIn(Versioned):
    items = fields.List(fields.Nested(ParkResult), load_default=list)
    new_devices = fields.List(fields.Nested(FoundDevice), load_default=list,
                              validate=validate.Length(max=500))


class ScanIn(Schema):
    """A scan at a given moment (tests and operators; the scanner runs on its own)."""
    today = fields.Date(load_default=None, allow_none=True)


class ProposalQuery(PageQuery):
    customer_id = id_field(load_default=None, allow_none=True, strict=False)
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(
        tuple(domain.PROPOSAL_STATUS_NAMES)))


class ContractQuery(PageQuery):
    customer_id = id_field(load_default=None, allow_none=True, strict=False)
    device_id = id_field(load_default=None, allow_none=True, strict=False)
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(domain.STATUSES))


class RenewalQuery(PageQuery):
    """Contracts ending in a window of months: from (YYYY-MM) to (YYYY-MM), inclusive."""
    end_from = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"))
    end_to = fields.String(load_default=None, allow_none=True,
                           validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"))
