import functools
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.schemas import (DeviceSpec, PageQuery, Trimmed, check_one_device,
                                     email_field, id_field, language_field, money_field,
                                     load, two_decimals, version_field)
from services.forms.domain import KINDS, SOURCES, STATUS_NAMES, STATUSES

def _text(length, **kw):
    return Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=length), **kw)


def _money(**kw):
    return money_field(**kw)


def _date(**kw):
    """A calendar date this system can hold a day after (years 1900–2999)."""
    return fields.Date(validate=validate.Range(min=date(1900, 1, 1), max=date(2999, 12, 31)),
                       **kw)


def _moment(**kw):
    """A moment with its zone, from 2000 to a day from now (work is not logged ahead)."""
    return fields.AwareDateTime(validate=_not_ahead, **kw)


def _not_ahead(value):
    now = datetime.now(timezone.utc)
    if not datetime(2000, 1, 1, tzinfo=timezone.utc) <= value <= now + timedelta(minutes=5):
        raise ValidationError("Must lie between 2000 and now.")

def _code(**kw):
    return Trimmed(validate=validate.Regexp(r"^[a-z0-9_-]{2,40}$",
                                            error="2-40 lowercase ASCII letters, digits, _ or -."),
                   **kw)


class Actor(Schema):
    """The acting user, as the gateway passes it (DESIGN.md: snapshots)."""
    id = fields.Integer(required=True)
    name = fields.String(load_default=None, allow_none=True)
    email = fields.String(load_default=None, allow_none=True)
    language = fields.String(load_default="tr")
    role = fields.String(load_default=None, allow_none=True)
    customer_id = fields.Integer(load_default=None, allow_none=True)  # a portal customer's


@functools.lru_cache(maxsize=512)
def _actor(items):
    return load(Actor, {k: v for k, _, v in items})


def actor_of(actor):
    """`load(Actor, actor)`, remembered for the last 512 actors (a user's every call passes
    the same one: its marshmallow load was ~5% of a form read's CPU); a copy each time. What
    is not a flat dict of plain values is loaded as it is (and refused as before)."""
    if isinstance(actor, dict):
        try:
            # the type in the key: True == 1, and a cached id 1 must not admit id True
            return dict(_actor(tuple(sorted((k, type(v).__name__, v)
                                            for k, v in actor.items()))))
        except TypeError:  # a value that cannot be a key (a list, a dict …)
            pass
    return load(Actor, actor)


class Versioned(Schema):
    """Every write states the version it read (body `version` or the If-Match header):
    missing is a 428, stale a 409."""
    version = version_field(load_default=None, allow_none=True)


class FormIn(Schema):
    customer_id = id_field(required=True)
    device_id = id_field(load_default=None, allow_none=True)
    device = fields.Nested(DeviceSpec, load_default=None, allow_none=True)
    complaint = Trimmed(required=True, validate=validate.Length(max=5000))
    kind = fields.String(load_default="repair", validate=validate.OneOf(KINDS))
    # who asked for it: the desk, the portal (an accepted service request), maintenance
    source = fields.String(load_default="desk", validate=validate.OneOf(SOURCES))
    # what the intake slip records besides the complaint
    accessories = _text(1000)  # received with the device (cable, remote …)
    condition = _text(1000)  # its physical condition (scratches, a cracked cover …)
    # default: 20 business days after intake for a warranty repair
    promised_delivery_date = _date(load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=False)
    def _one_device(self, data, **kwargs):
        check_one_device(data)


class TransitionIn(Versioned):
    to = fields.String(required=True, validate=validate.OneOf(STATUSES))
    sub_status = _code(load_default=None, allow_none=True)
    note = _text(2000)


class Assignee(Schema):
    user_id = id_field(required=True)
    name = Trimmed(required=True, validate=validate.Length(max=200))
    email = email_field(load_default=None, allow_none=True)
    language = language_field()
    role = fields.String(load_default=None, allow_none=True)


class AssignIn(Versioned):
    assignees = fields.List(fields.Nested(Assignee), required=True,
                            validate=validate.Length(min=1, max=20))
    replace = fields.Boolean(load_default=False)  # True: these instead of the current ones


class AssignHttp(Versioned):
    """The gateway's body: user ids; it adds each one's snapshot."""
    user_ids = fields.List(id_field(), required=True, validate=validate.Length(min=1, max=20))
    replace = fields.Boolean(load_default=False)


class WorkIn(Versioned):
    """The technician's record and the fees: only the fields sent change."""
    diagnosis = _text(5000)
    fault_type = _code(load_default=None, allow_none=True)
    work_done = _text(5000)
    repair_warranty_months = fields.Integer(allow_none=True, strict=True,
                                            validate=validate.Range(0, 120))
    service_fee = _money()
    discount_amount = _money(allow_none=True)
    discount_percent = fields.Decimal(allow_none=True, allow_nan=False, validate=[
        validate.Range(min=Decimal(0), max=Decimal(100)), two_decimals])

    def __init__(self, **kwargs):
        super().__init__(partial=True, **kwargs)

    def load(self, data, **kwargs):
        loaded = super().load(data, **kwargs)
        return {k: v for k, v in loaded.items() if k in data}

    @validates_schema(skip_on_field_errors=True)
    def _one_discount(self, data, **kwargs):
        if data.get("discount_amount") is not None and data.get("discount_percent") is not None:
            raise ValidationError("Give the discount as an amount or a percent, not both.",
                                  "discount_percent")


class WorkLogIn(Versioned):
    user_id = id_field(load_default=None, allow_none=True)  # default: the actor
    started_at = _moment(load_default=None, allow_none=True)
    ended_at = _moment(load_default=None, allow_none=True)
    minutes = fields.Integer(load_default=None, allow_none=True,
                             validate=validate.Range(min=1, max=7 * 24 * 60))
    note = _text(2000)

    @validates_schema(skip_on_field_errors=True)
    def _span(self, data, **kwargs):
        start, end, minutes = data["started_at"], data["ended_at"], data["minutes"]
        if minutes is None and (start is None or end is None):
            raise ValidationError("Give started_at and ended_at, or minutes.", "minutes")
        if minutes is not None and (start is not None or end is not None):
            raise ValidationError("Give started_at and ended_at, or minutes; not both.",
                                  "minutes")
        if start and end and not timedelta_ok(start, end):
            raise ValidationError("Must be after started_at and within 7 days.", "ended_at")


def timedelta_ok(start, end):
    seconds = (end - start).total_seconds()
    return 0 < seconds <= 7 * 24 * 3600


class TimerIn(Versioned):
    note = _text(2000)
    user_id = id_field(load_default=None, allow_none=True)  # a manager stops someone's timer


class PartIn(Versioned):
    code = _text(60)
    name = Trimmed(required=True, validate=validate.Length(max=200))
    quantity = fields.Decimal(required=True, places=3, allow_nan=False,
                              validate=validate.Range(min=0.001, max=100000))
    unit_price = _money(required=True)


class SurveyAnswerIn(Schema):
    question_id = id_field(required=True)
    value = fields.Integer(required=True, strict=True)


class CustomerSurveyIn(Schema):
    """The customer's own answers on the portal: the same questions and scoring."""
    answers = fields.List(fields.Nested(SurveyAnswerIn), required=True,
                          validate=validate.Length(min=1, max=50))
    note = _text(2000)

    @validates_schema(skip_on_field_errors=True)
    def _once(self, data, **kwargs):
        ids = [a["question_id"] for a in data["answers"]]
        if len(ids) != len(set(ids)):
            raise ValidationError("A question is answered once.", "answers")


class SurveyIn(Versioned):
    outcome = fields.String(required=True,
                            validate=validate.OneOf(("done", "unreachable", "declined")))
    answers = fields.List(fields.Nested(SurveyAnswerIn), load_default=list,
                          validate=validate.Length(max=50))
    note = _text(2000)

    @validates_schema(skip_on_field_errors=True)
    def _answers(self, data, **kwargs):
        if data["outcome"] == "done" and not data["answers"]:
            raise ValidationError("A done survey has its answers.", "answers")
        if data["outcome"] != "done" and data["answers"]:
            raise ValidationError("Only a done survey has answers.", "answers")
        ids = [a["question_id"] for a in data["answers"]]
        if len(ids) != len(set(ids)):
            raise ValidationError("A question is answered once.", "answers")


class FinalCheckIn(Versioned):
    decision = fields.String(required=True, validate=validate.OneOf(("close", "send_back")))
    note = _text(2000)

    @validates_schema(skip_on_field_errors=True)
    def _note(self, data, **kwargs):
        if data["decision"] == "send_back" and not data["note"]:
            raise ValidationError("Say what is to be fixed.", "note")


class CatalogueIn(Schema):
    code = _code(required=True)
    name_tr = Trimmed(required=True, validate=validate.Length(max=100))
    name_en = Trimmed(required=True, validate=validate.Length(max=100))
    active = fields.Boolean(load_default=True)


class SubStatusIn(CatalogueIn):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))


class CataloguePatch(Schema):
    """Only what is sent changes; a blank name is refused."""
    name_tr = Trimmed(required=True, validate=validate.Length(max=100))
    name_en = Trimmed(required=True, validate=validate.Length(max=100))
    active = fields.Boolean(required=True)

    def __init__(self, **kwargs):
        super().__init__(partial=True, **kwargs)


class QuestionIn(Schema):
    text_tr = Trimmed(required=True, validate=validate.Length(max=500))
    text_en = Trimmed(required=True, validate=validate.Length(max=500))
    weight = fields.Decimal(load_default=1, places=2, allow_nan=False,
                            validate=validate.Range(min=0.01, max=100))
    scale_min = fields.Integer(load_default=1, validate=validate.Range(0, 100))
    scale_max = fields.Integer(load_default=5, validate=validate.Range(1, 100))
    position = fields.Integer(load_default=0, validate=validate.Range(0, 1000))
    active = fields.Boolean(load_default=True)

    @validates_schema(skip_on_field_errors=True)
    def _scale(self, data, **kwargs):
        if data.get("scale_max", 5) <= data.get("scale_min", 1):
            raise ValidationError("The scale's top must be above its bottom.", "scale_max")


class QuestionPatch(QuestionIn):
    """Only what is sent changes; the scale is checked against the stored values after."""
    def __init__(self, **kwargs):
        super().__init__(partial=True, **kwargs)

    def _scale(self, data, **kwargs):  # the service checks the merged scale
        pass

    def load(self, data, **kwargs):
        loaded = super().load(data, **kwargs)
        return {k: v for k, v in loaded.items() if k in data}


SORTS = ("number", "customer", "status", "device_type", "fault_type", "opened", "delivered",
         "closed")


class FormQuery(PageQuery):
    state = fields.String(load_default="all", validate=validate.OneOf(("open", "closed", "all")))
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STATUSES))
    customer_id = id_field(load_default=None, allow_none=True, strict=False)
    device_type = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=100))
    fault_type = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=40))
    technician = id_field(load_default=None, allow_none=True, strict=False)
    rep_user_id = id_field(load_default=None, allow_none=True, strict=False)
    # set by the gateway for a technician (never taken from the query string): the forms
    # assigned to this user and the unassigned pool (services/common/access.py)
    visible_to = id_field(load_default=None, allow_none=True, strict=False,
                          metadata={"description": "set by the gateway for technicians"})
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(KINDS))
    coverage = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(
        ("manufacturer_warranty", "contract", "repair_warranty", "none")))
    opened_from = _date(load_default=None, allow_none=True)
    opened_to = _date(load_default=None, allow_none=True)
    q = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=200))
    sort = fields.String(load_default="-number", validate=validate.OneOf(
        SORTS + tuple(f"-{s}" for s in SORTS)))


class RevenueQuery(Schema):
    group_by = fields.String(required=True, validate=validate.OneOf(
        ("day", "month", "customer", "device_type", "technician")))
    date_from = _date(required=True, data_key="from")
    date_to = _date(required=True, data_key="to")
    # group_by=customer: this many customers with the most revenue; the rest in `others`
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=100000))

    @validates_schema(skip_on_field_errors=True)
    def _window(self, data, **kwargs):
        if data["date_to"] < data["date_from"]:
            raise ValidationError("The window ends before it starts.", "to")
        if (data["date_to"] - data["date_from"]).days > 3660:
            raise ValidationError("At most ten years.", "to")


class SatisfactionQuery(Schema):
    group_by = fields.String(required=True, validate=validate.OneOf(
        ("technician", "customer", "month")))
    date_from = _date(load_default=None, allow_none=True, data_key="from")
    date_to = _date(load_default=None, allow_none=True, data_key="to")


class CallsQuery(PageQuery):
    rep_user_id = id_field(load_default=None, allow_none=True, strict=False)


class FormOut(Schema):
    id = fields.Integer()
    number = fields.String()
    kind = fields.String()
    status = fields.String()
    status_name = fields.Method("_status_name")
    sub_status = fields.String(allow_none=True)
    version = fields.Integer()
    customer_id = fields.Integer()
    customer_name = fields.String()
    customer_language = fields.String()  # the customer's (portal's timeline rebuild)
    rep_user_id = fields.Integer(allow_none=True)
    rep_name = fields.String(allow_none=True)
    rep_email = fields.String(allow_none=True)
    device_id = fields.Integer()
    device = fields.Method("_device")
    coverage = fields.Method("_coverage")
    maintenance = fields.Method("_maintenance")  # a maintenance visit's form: (visit, attempt)
    complaint = fields.String()
    accessories = fields.String(allow_none=True)
    condition = fields.String(allow_none=True)
    promised_delivery_date = fields.Date(allow_none=True)
    fault_type = fields.String(allow_none=True)
    diagnosis = fields.String(allow_none=True)
    work_done = fields.String(allow_none=True)
    fees = fields.Method("_fees")
    totals = fields.Method("_totals")
    work_minutes = fields.Integer()
    repair_warranty = fields.Method("_repair_warranty")
    unrepaired = fields.Method("_unrepaired")  # returned unrepaired: diagnosis fee only
    survey = fields.Method("_survey")
    opened_by = fields.Method("_opened_by")
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)

    def get_attribute(self, obj, attr, default):
        # a Form or a plain row of the forms table (queries.form_row): attributes both; the
        # default getter tries row[name] first, an exception per field for a row
        return getattr(obj, attr, default)

    def _status_name(self, form):
        return STATUS_NAMES.get(form.status, {"tr": form.status, "en": form.status})

    def _device(self, form):
        return {"id": form.device_id, "brand": form.device_brand, "model": form.device_model,
                "device_type": form.device_type, "serial": form.device_serial,
                "device_type_name": json.loads(form.device_type_names)
                if form.device_type_names else None,
                "insured": form.device_insured, "insurer": form.device_insurer,
                "policy_no": form.device_policy_no}

    def _coverage(self, form):
        if not form.coverage_kind:
            return None
        return {"kind": form.coverage_kind,
                "end": form.coverage_end.isoformat() if form.coverage_end else None,
                "source_id": form.coverage_source_id,
                "reason": json.loads(form.coverage_reason) if form.coverage_reason else None,
                "terms": json.loads(form.coverage_terms) if form.coverage_terms else None}

    def _maintenance(self, form):
        if form.maintenance_visit_id is None:
            return None
        return {"visit_id": form.maintenance_visit_id, "attempt": form.maintenance_attempt}

    def _fees(self, form):
        return {"service_fee": _s(form.service_fee), "discount_amount": _s(form.discount_amount),
                "discount_percent": _s(form.discount_percent), "currency": form.currency}

    def _totals(self, form):
        return {"labour": _s(form.labour_total), "parts": _s(form.parts_total),
                "service_fee": _s(form.fee_total), "gross": _s(form.gross_total),
                "covered": _s(form.covered_total), "subtotal": _s(form.subtotal),
                "discount": _s(form.discount_total), "vat": _s(form.vat_total),
                "total": _s(form.total), "currency": form.currency}

    def _repair_warranty(self, form):
        if form.repair_warranty_end is None:
            return {"months": form.repair_warranty_months, "start": None, "end": None}
        return {"months": form.repair_warranty_months,
                "start": form.repair_warranty_start.isoformat(),
                "end": form.repair_warranty_end.isoformat()}

    def _unrepaired(self, form):
        return bool(form.unrepaired)

    def _survey(self, form):
        return {"status": form.survey_status, "score": form.survey_score,
                "at": form.survey_at.isoformat() if form.survey_at else None,
                "by": form.survey_by_name}

    def _opened_by(self, form):
        return {"user_id": form.opened_by_id, "name": form.opened_by_name}


def _s(value):
    return None if value is None else f"{value:.2f}"


class HistoryQuery(PageQuery):
    pass


class DamageReportIn(Schema):
    """The insurance damage report (hasar bildirim formu): insurer and policy default to the
    device card's at intake; `estimate` to the form's gross total."""
    insurer = _text(100)
    policy_no = _text(100)
    insurer_email = email_field(required=True)
    language = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf(("tr", "en")))
    incident_date = _date(required=True)
    incident_description = Trimmed(required=True, validate=validate.Length(min=1, max=5000))
    estimate = _money(load_default=None, allow_none=True)


class PeriodicReportIn(Schema):
    """A periodic service report on demand: the forms of [from, to]; `send` e-mails it."""
    date_from = _date(required=True, data_key="from")
    date_to = _date(required=True, data_key="to")
    send = fields.Boolean(load_default=False)

    @validates_schema(skip_on_field_errors=True)
    def _window(self, data, **kwargs):
        if data["date_to"] < data["date_from"]:
            raise ValidationError("The window ends before it starts.", "to")
        if (data["date_to"] - data["date_from"]).days > 3660:
            raise ValidationError("At most ten years.", "to")


class TemplateIn(Schema):
    """A new version of a document template; `source` null goes back to the built-in file."""
    source = fields.String(required=True, allow_none=True)
    note = _text(500)


class PreviewIn(Schema):
    """A template rendered before use: `source` (default: the one in use), in `language`,
    with a form's data (`form_id`) or the sample; `html` answers the HTML instead of a PDF."""
    source = fields.String(load_default=None, allow_none=True)
    language = fields.String(load_default="tr", validate=validate.OneOf(("tr", "en")))
    form_id = id_field(load_default=None, allow_none=True)
    # the periodic report: a customer's real period instead of the sample
    customer_id = id_field(load_default=None, allow_none=True)
    date_from = _date(load_default=None, allow_none=True, data_key="from")
    date_to = _date(load_default=None, allow_none=True, data_key="to")
    html = fields.Boolean(load_default=False)


# -- price approval (fiyat onay formu) ----------------------------------------------------------
class EstimateLineIn(Schema):
    """A line of an estimate typed for its price approval: labour (hours × hourly rate), a
    part (quantity × unit price) or a fee."""
    kind = fields.String(required=True, validate=validate.OneOf(
        ("labour", "part", "fee")))
    name = Trimmed(required=True, validate=validate.Length(max=200))
    code = _text(60)
    quantity = fields.Decimal(load_default=Decimal("1"), places=3, allow_nan=False,
                              validate=validate.Range(min=Decimal("0.001"), max=100000))
    unit_price = _money(required=True)


class EstimateIn(Versioned):
    """Send the estimate: from the form's work, parts and fees (no `lines`), or from `lines`
    typed for it (with their own discount); `note` to the customer; `valid_days` for this
    link (default PRICE_APPROVAL_DAYS)."""
    lines = fields.List(fields.Nested(EstimateLineIn), load_default=None, allow_none=True,
                        validate=validate.Length(min=1, max=100))
    discount_amount = _money(load_default=None, allow_none=True)
    discount_percent = fields.Decimal(load_default=None, allow_none=True, allow_nan=False,
                                      validate=[validate.Range(min=Decimal(0), max=Decimal(100)),
                                                two_decimals])
    note = _text(2000)
    valid_days = fields.Integer(load_default=None, allow_none=True, strict=True,
                                validate=validate.Range(1, 60))

    @validates_schema(skip_on_field_errors=True)
    def _discount(self, data, **kwargs):
        if data["discount_amount"] is not None and data["discount_percent"] is not None:
            raise ValidationError("Give the discount as an amount or a percent, not both.",
                                  "discount_percent")
        if data["lines"] is None and (data["discount_amount"] is not None
                                      or data["discount_percent"] is not None):
            raise ValidationError("A discount of its own goes with estimate lines; the form's "
                                  "estimate uses the form's discount.", "discount_amount")


class DecisionIn(Schema):
    """The customer's decision on the approval link's page (or a client of the public API)."""
    decision = fields.String(required=True, validate=validate.OneOf(("approved", "rejected")))
    note = _text(2000)


class Client(Schema):
    """Where a decision by link came from, as the gateway saw it."""
    ip = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    user_agent = fields.String(load_default=None, allow_none=True)


class PhoneDecisionIn(Versioned):
    """A decision the customer gave by phone, recorded by staff: who took the call (default:
    the one recording it), when (default now), the customer's name."""
    decision = fields.String(required=True, validate=validate.OneOf(("approved", "rejected")))
    customer_name = Trimmed(required=True, validate=validate.Length(min=1, max=200))
    taken_by = _text(200)
    decided_at = _moment(load_default=None, allow_none=True)
    note = _text(2000)
