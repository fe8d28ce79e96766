"""The marshmallow schemas of periodic maintenance: plans, a visit's reschedule, skip and cancel,
the lists and the maintenance report. Bad input is a 422 naming the field, before anything is
written."""
import re
from decimal import Decimal, InvalidOperation

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.schemas import (PageQuery, Trimmed, email_field, id_field, language_field)
from services.contracts import maintenance_domain as rules
from services.contracts.schemas import Versioned

MONTH_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}", re.ASCII)


def valid_month(text):
    """A month as YYYY-MM of ASCII digits in the years 1900-2999, so that a date can be built
    from it (a bare regex let 0000-01 and 9999-12 through, and the month arithmetic then
    raised a ValueError: a 500)."""
    if not (isinstance(text, str) and MONTH_SHAPE.fullmatch(text)
            and 1900 <= int(text[:4]) <= 2999 and 1 <= int(text[5:]) <= 12):
        raise ValidationError("A month as YYYY-MM, from 1900-01 to 2999-12.")
    return True


class TeamMember(Schema):
    """A technician as the gateway knows the account (the gateway checked the role)."""
    user_id = id_field(required=True)
    name = Trimmed(required=True, validate=validate.Length(min=1, max=200))
    email = email_field(load_default=None, allow_none=True)
    language = language_field()


class Devices(Schema):
    """One device (`device_id`), or a group of a customer site's devices (`site_id` and
    `device_ids`): one of the two."""
    device_id = id_field(load_default=None, allow_none=True)
    device_ids = fields.List(id_field(), load_default=None, allow_none=True,
                             validate=validate.Length(min=1, max=50), metadata={
                                 "description": "a group plan: several devices of one site"})
    site_id = id_field(load_default=None, allow_none=True, metadata={
        "description": "the customer's site every device of a group plan stands at"})

    @validates_schema
    def one_or_a_group(self, data, **kwargs):
        if data.get("device_ids"):
            if data.get("device_id") is not None:
                raise ValidationError("Either one device (device_id) or a site's group "
                                      "(device_ids with site_id), not both.", "device_ids")
            if data.get("site_id") is None:
                raise ValidationError("A group plan names the site of its devices.", "site_id")
            if len(set(data["device_ids"])) != len(data["device_ids"]):
                raise ValidationError("A device is twice in the group.", "device_ids")
        elif data.get("device_id") is None:
            raise ValidationError("A plan names one device (device_id), or a site's group "
                                  "(device_ids with site_id).", "device_id")


class PlanIn(Devices):
    """A plan of one device of a contract, or of a group of a site's devices."""
    contract_id = id_field(required=True)
    rrule = Trimmed(required=True, validate=validate.Length(min=1, max=500))
    first_on = fields.Date(load_default=None, allow_none=True)  # default: the contract's start
    window_days = fields.Integer(load_default=7, strict=True,
                                 validate=validate.Range(min=1, max=366))
    lead_days = fields.Integer(load_default=rules.DEFAULT_LEAD_DAYS, strict=True,
                               validate=validate.Range(min=0, max=365))
    avoid_holidays = fields.Boolean(load_default=True)
    team = fields.List(fields.Nested(TeamMember), required=True,
                       validate=validate.Length(min=1, max=20))
    note = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=4000))


class PlanHttp(Devices):
    """A plan as the API takes it: the team as user ids (the gateway makes the snapshots)."""
    contract_id = id_field(required=True)
    rrule = Trimmed(required=True, validate=validate.Length(min=1, max=500), metadata={
        "description": "RFC 5545 RRULE, e.g. FREQ=MONTHLY;INTERVAL=3 (at most daily)"})
    first_on = fields.Date(load_default=None, allow_none=True)
    window_days = fields.Integer(load_default=7, strict=True,
                                 validate=validate.Range(min=1, max=366))
    lead_days = fields.Integer(load_default=rules.DEFAULT_LEAD_DAYS, strict=True,
                               validate=validate.Range(min=0, max=365))
    avoid_holidays = fields.Boolean(load_default=True)
    team = fields.List(id_field(), required=True, validate=validate.Length(min=1, max=20))
    note = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=4000))


class PlanQuery(PageQuery):
    contract_id = id_field(load_default=None, allow_none=True, strict=False)
    customer_id = id_field(load_default=None, allow_none=True, strict=False)
    device_id = id_field(load_default=None, allow_none=True, strict=False)


class VisitQuery(PageQuery):
    """Visits by date: filters plan, contract, customer, device, technician (one, several, or
    a plan's whole team), state (a status, or overdue), dates from–to."""
    plan_id = id_field(load_default=None, allow_none=True, strict=False)
    contract_id = id_field(load_default=None, allow_none=True, strict=False)
    customer_id = id_field(load_default=None, allow_none=True, strict=False)
    device_id = id_field(load_default=None, allow_none=True, strict=False)
    technician_id = id_field(load_default=None, allow_none=True, strict=False)
    technician_ids = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^[1-9]\d{0,9}(,[1-9]\d{0,9}){0,19}$", error="Up to 20 user ids, comma-separated."),
        metadata={"description": "several technicians' calendar at once: 4,5,9"})
    team_of = id_field(load_default=None, allow_none=True, strict=False, metadata={
        "description": "a plan: the calendar of every technician of its team"})
    state = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(
        rules.VISIT_STATUSES + (rules.OVERDUE,)))
    date_from = fields.Date(load_default=None, allow_none=True, data_key="from")
    date_to = fields.Date(load_default=None, allow_none=True, data_key="to")


class RescheduleIn(Versioned):
    date = fields.Date(required=True)
    reason = Trimmed(required=True, validate=validate.Length(min=1, max=4000))


class ReasonIn(Versioned):
    """Skip or cancel a visit: the reason is required."""
    reason = Trimmed(required=True, validate=validate.Length(min=1, max=4000))


class MaintenanceReportQuery(Schema):
    """Maintenance lists: done, due, overdue or upcoming visits, grouped by customer,
    technician or month, in a range of months (from–to, YYYY-MM)."""
    state = fields.String(required=True, validate=validate.OneOf(
        ("done", "due", "overdue", "upcoming")))
    group_by = fields.String(load_default="month", validate=validate.OneOf(
        ("customer", "technician", "month")))
    month_from = fields.String(load_default=None, allow_none=True, data_key="from",
                               validate=valid_month)
    month_to = fields.String(load_default=None, allow_none=True, data_key="to",
                             validate=valid_month)
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=366))


class MaintenanceScanIn(Schema):
    """A scan at a given day (tests and operators; the scanner runs on its own)."""
    today = fields.Date(load_default=None, allow_none=True)


class ReadingIn(Schema):
    """A counter reading of the visit's device: `meter` (total, black, colour …), `value`,
    `replacement` (the meter was changed: the value may be lower), the day read."""
    meter = fields.String(load_default="total", validate=validate.Regexp(r"^[a-z_]{1,20}$"))
    value = fields.Integer(required=True, strict=True,
                           validate=validate.Range(min=0, max=10**12))
    replacement = fields.Boolean(load_default=False)
    read_on = fields.Date(load_default=None, allow_none=True)
    note = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class PlanChangeIn(Versioned):
    """A plan's change with the version read: only what is sent changes. `from` (default
    today) is the day the change takes effect and a new rule's first date: the plan's planned
    visits from that day are made again; done, due, skipped and cancelled ones stay."""
    team = fields.List(fields.Nested(TeamMember), validate=validate.Length(min=1, max=20))
    rrule = Trimmed(validate=validate.Length(min=1, max=500))
    window_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=366))
    lead_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=365))
    avoid_holidays = fields.Boolean()
    effective_from = fields.Date(load_default=None, allow_none=True, data_key="from")
    note = Trimmed(allow_none=True, validate=validate.Length(max=4000))


class PlanChangeHttp(Versioned):
    """A plan's change as the API takes it: the team as user ids."""
    team = fields.List(id_field(), validate=validate.Length(min=1, max=20))
    rrule = Trimmed(validate=validate.Length(min=1, max=500), metadata={
        "description": "RFC 5545 RRULE from `from` on, e.g. FREQ=MONTHLY;INTERVAL=2"})
    window_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=366))
    lead_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=365))
    avoid_holidays = fields.Boolean()
    effective_from = fields.Date(load_default=None, allow_none=True, data_key="from")
    note = Trimmed(allow_none=True, validate=validate.Length(max=4000))


MAX_PAGE_PRICE = Decimal("99999999.9999")  # Numeric(12, 4)


def four_decimals(value):
    """A price per page has at most four decimals (0.0125 TL a page); a fifth is refused, not
    rounded away."""
    try:
        if value != value.quantize(Decimal("0.0001")):
            raise ValidationError("At most four decimals.")
    except InvalidOperation:
        pass


class FormRef(Schema):
    """The service form a reading is recorded from, as forms has it."""
    id = id_field(required=True)
    number = fields.String(load_default=None, allow_none=True)
    device_id = id_field(required=True)
    maintenance = fields.Dict(load_default=None, allow_none=True)


class PageTermsLine(Schema):
    device_id = id_field(required=True)
    meter = fields.String(load_default="total", validate=validate.Regexp(r"^[a-z_]{1,20}$"))
    monthly_allowance = fields.Integer(required=True, strict=True,
                                       validate=validate.Range(min=0, max=10**9))
    page_price = fields.Decimal(required=True, allow_nan=False, metadata={
        "description": "per page over the allowance, in the contract's currency (≤ 4 "
                       "decimals)"}, validate=[validate.Range(min=Decimal(0),
                                                              max=MAX_PAGE_PRICE),
                                               four_decimals])


class PageTermsIn(Versioned):
    """A contract's page terms (the contract's version read): per device and meter a monthly
    allowance and a price per page over it; the list replaces the terms there were."""
    terms = fields.List(fields.Nested(PageTermsLine), required=True,
                        validate=validate.Length(max=500))


class PageBillIn(Versioned):
    """A period's page bill (the contract's version read): months `from`–`to` (YYYY-MM; `to`
    defaults to `from`)."""
    month_from = fields.String(required=True, data_key="from", validate=valid_month)
    month_to = fields.String(load_default=None, allow_none=True, data_key="to",
                             validate=valid_month)
