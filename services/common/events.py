"""Every event's schema, once: the envelope plus the payload, flat at the top level of a message.

Envelope: ``event_id`` (uuid string), ``event_type``, ``version`` (int >= 1), ``occurred_at``
(UTC ISO-8601), ``producer``. Payloads follow the event table of the design brief. On the wire,
ids are integers, money is a Decimal string (``"1234.50"``), dates and times are ISO strings.

* ``make_event(type, producer, payload)`` — publisher side: validates strictly (unknown fields
  raise, also inside nested objects), adds the envelope, returns a JSON-ready dict.
* ``load_event(type, message)`` — consumer side: validates and ignores unknown fields (newer
  producers may add some), returns dates, datetimes and Decimals as Python objects.
* ``dump_event(type, loaded)`` — the inverse of ``load_event``.

Optional snapshot parts missing from a message load as ``None`` (lists as ``[]``) and
``language`` as ``'tr'``, so consumers can index them without ``KeyError``.
"""
import datetime as dt
import functools
import uuid

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validates_schema
from marshmallow.validate import Equal, Length, OneOf, Range

LANGUAGES = ("tr", "en")
FORM_KINDS = ("repair", "maintenance")
FORM_SOURCES = ("desk", "portal", "maintenance")  # who asked for a form
PRICE_DECISIONS = ("approved", "rejected")
# the customer's link, staff taking a call, or the customer signed in to the portal
PRICE_DECISION_CHANNELS = ("link", "phone", "portal")
ENVELOPE_FIELDS = frozenset({"event_id", "event_type", "version", "occurred_at", "producer"})


class _Nested(fields.Nested):
    """Nested that follows the root schema's ``unknown``: strict publishers, lenient consumers."""

    def _load(self, value, partial=None):
        self.schema.unknown = self.root.unknown
        return super()._load(value, partial)


class _Money(fields.Decimal):
    """A Decimal written as a string; floats are refused (money is never binary floating point)."""

    def __init__(self, **kwargs):
        super().__init__(as_string=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, float):
            raise self.make_error("invalid")
        return super()._validated(value)


def _uuid(value):
    try:
        uuid.UUID(value)
    except ValueError:
        raise ValidationError("Not a valid UUID.") from None


def _id():
    return fields.Int(required=True, strict=True, validate=Range(min=1))


def _opt_id():
    return fields.Int(strict=True, validate=Range(min=1), allow_none=True, load_default=None)


def _text():
    return fields.Str(required=True, validate=Length(min=1))


def _opt_text():
    return fields.Str(allow_none=True, load_default=None)


def _opt_email():
    return fields.Email(allow_none=True, load_default=None)


def _language():
    return fields.Str(validate=OneOf(LANGUAGES), load_default="tr")


def _nested(schema):
    return _Nested(schema, required=True)


def _opt_nested(schema):
    return _Nested(schema, allow_none=True, load_default=None)


def _list(field, **kwargs):
    return fields.List(field, **{"required": True, **kwargs})


def _score():
    return fields.Int(required=True, strict=True, validate=Range(0, 100))


def _currency():
    return fields.Str(validate=Length(equal=3), load_default="TRY")


def _time():
    """Required; a naive datetime (as SQLite gives back) is taken as UTC."""
    return fields.AwareDateTime(required=True, default_timezone=dt.timezone.utc)


# ---- snapshots -----------------------------------------------------------------------------

class Person(Schema):
    """Someone to write to, as far as known: ``{name, email, language}``."""
    name = _text()
    email = _opt_email()
    language = _language()


class Recipient(Person):
    """Someone to write to, with an address: ``{name, email, language}``."""
    email = fields.Email(required=True)


class ByUser(Schema):
    """The staff user who acted: ``{user_id, name}``."""
    user_id = _id()
    name = _text()


class Staff(Person):
    """A staff user to write to: an assignee, a customer's representative."""
    user_id = _id()


class Rep(Schema):
    """A customer's representative as the customer card keeps it: any of the parts may be
    missing (a rep outside the user accounts has no user_id; one with no address, no email)."""
    user_id = _opt_id()
    name = _opt_text()
    email = _opt_email()
    language = _language()


class CustomerRef(Schema):
    id = _id()
    name = _text()


class CustomerContact(CustomerRef):
    email = _opt_email()
    language = _language()


REPORT_FREQUENCIES = ("none", "monthly", "quarterly")


class CustomerRecord(CustomerContact):
    tax_no = _opt_text()
    rep = _opt_nested(Rep)
    # the customer card's version: a consumer keeping a copy applies an update only when it is
    # newer than the one it holds (events of one producer may arrive out of order)
    version = _opt_id()
    # how often forms e-mails the periodic service report (none when a producer omits it)
    report_frequency = fields.Str(validate=OneOf(REPORT_FREQUENCIES), load_default="none")


class Names(Schema):
    """A name in both languages: ``{tr, en}``."""
    tr = _text()
    en = _text()


class DocumentRef(Schema):
    """A document kept by the service that owns its subject: ``{service, id}``; its bytes
    come from that service's ``get_document(id)``."""
    service = _text()
    id = _id()


class FormRef(Schema):
    id = _id()
    number = _text()


class MaintenanceRef(Schema):
    """The maintenance visit and attempt a form was opened for (contracts' (visit, attempt))."""
    visit_id = _id()
    attempt = _id()


class FormOfCustomer(FormRef):
    customer_id = _id()
    maintenance = _opt_nested(MaintenanceRef)  # a maintenance form's (visit, attempt)


class FormWithCustomer(FormRef):
    customer = _nested(CustomerContact)
    rep = _opt_nested(Rep)  # whom notify tells of a close or reopen


class PartLine(Schema):
    code = _opt_text()
    name = _text()
    quantity = fields.Decimal(required=True, as_string=True)
    unit_price = _Money(required=True)
    amount = _Money(required=True)


class CoverageOnForm(Schema):
    """The coverage stored on a form and what it paid, with the reason in both languages."""
    kind = _text()
    end = fields.Date(allow_none=True, load_default=None)
    reason = _opt_nested(Names)


class CompletedForm(FormOfCustomer):
    """What the customer is told on completion: their contact, the work and parts, the work
    time, and the coverage with its reason."""
    customer = _opt_nested(CustomerContact)
    work_summary = _opt_text()
    parts = _list(_nested(PartLine), required=False, load_default=list)
    work_minutes = fields.Int(strict=True, allow_none=True, load_default=None)
    coverage = _opt_nested(CoverageOnForm)


class DeviceSnapshot(Schema):
    id = _id()
    brand = _text()
    model = _opt_text()
    device_type = _opt_text()  # the catalogue's code
    device_type_name = _opt_nested(Names)  # what people read
    serial = _text()


class DeviceRecord(DeviceSnapshot):
    customer_id = _id()


class RequestedDevice(Schema):
    """A device as a portal customer names it: a known device card and/or a description."""
    id = _opt_id()
    brand = _opt_text()
    model = _opt_text()
    device_type = _opt_text()
    serial = _opt_text()


class Coverage(Schema):
    kind = _text()
    source_id = _opt_id()
    start = fields.Date(required=True)
    end = fields.Date(allow_none=True, load_default=None)


class CoverageSummary(Schema):
    kind = _text()
    end = fields.Date(allow_none=True, load_default=None)


class NewForm(FormRef):
    kind = fields.Str(required=True, validate=OneOf(FORM_KINDS))
    source = fields.Str(load_default="desk", validate=OneOf(FORM_SOURCES))  # who asked
    customer = _nested(CustomerContact)
    rep = _opt_nested(Rep)
    device = _nested(DeviceSnapshot)
    coverage = _opt_nested(CoverageSummary)
    complaint = _text()
    opened_at = _time()
    tracking_url = fields.Url(allow_none=True, load_default=None, require_tld=False)
    maintenance = _opt_nested(MaintenanceRef)  # a maintenance form's (visit, attempt)


class Decider(Schema):
    """Who decided a price approval: a staff user ``{user_id, name}`` or ``{customer_id}``."""
    user_id = _opt_id()
    name = _opt_text()
    customer_id = _opt_id()

    @validates_schema
    def _someone(self, data, **kwargs):
        if data.get("user_id") is None and data.get("customer_id") is None:
            raise ValidationError("Give user_id or customer_id.", "user_id")


class Period(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)


def _opt_money():
    return _Money(allow_none=True, load_default=None)


class Totals(Schema):
    """Every line of a form's totals: labour, parts and the service fee make the gross; what
    the coverage paid comes off it; then the discount and VAT."""
    labour = _opt_money()
    parts = _opt_money()
    service_fee = _opt_money()
    gross = _opt_money()
    covered = _opt_money()
    subtotal = _Money(required=True)
    discount = _Money(required=True)
    vat = _Money(required=True)
    total = _Money(required=True)
    currency = _currency()


class LowScore(Schema):
    score = _score()
    threshold = _score()


class Insurer(Schema):
    """An insurer to write to: ``{name, email, language}`` (the policy's company)."""
    name = _text()
    email = fields.Email(required=True)
    language = _language()


class Answer(Schema):
    question = _text()
    answer = fields.Raw(allow_none=True, load_default=None)


class ProposalRef(Schema):
    """A contract proposal: ``{id, number}``."""
    id = _id()
    number = _text()


class ContractPays(Schema):
    """What a contract pays on a repair."""
    labour = fields.Bool(required=True)
    parts = fields.Bool(required=True)
    fee = fields.Bool(required=True)


class ServiceLevels(Schema):
    """A contract's response and repair time, in working hours (None: not agreed)."""
    response_hours = _opt_id()
    repair_hours = _opt_id()


class ContractSnapshot(Schema):
    id = _id()
    number = _text()
    customer_id = _id()
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    # the contract's terms (issue 17); absent on events of before: the global default applies
    pays = _opt_nested(ContractPays)
    service_levels = _opt_nested(ServiceLevels)


class Request(Schema):
    id = _id()
    customer_id = _id()
    device = _opt_nested(RequestedDevice)
    complaint = _text()
    photos = _list(_nested(DocumentRef), required=False, load_default=list)  # portal's photos


class Article(Schema):
    id = _id()
    code = _text()
    title = _text()


class Message(Schema):
    id = _id()
    event_id = fields.Str(allow_none=True, load_default=None, validate=_uuid)
    recipient = _text()  # not an Email field: a failure may be about the address itself
    subject = _text()


# ---- events --------------------------------------------------------------------------------

class Envelope(Schema):
    event_id = fields.Str(required=True, validate=_uuid)
    version = _id()
    occurred_at = _time()
    producer = _text()


def _event(event_type, **payload):
    """``(event_type, schema class of the whole message: envelope plus payload)``."""
    name = "".join(part.title() for part in event_type.split("_"))
    return event_type, Envelope.from_dict(
        {"event_type": fields.Str(required=True, validate=Equal(event_type)), **payload},
        name=name)


def _customer():
    return {"customer": _nested(CustomerRecord)}


def _contract():
    return {"contract": _nested(ContractSnapshot), "devices": _list(_id())}


class VisitDue(Schema):
    """A maintenance visit due now: (id, attempt) keys the one form opened for it."""
    id = _id()
    attempt = _id()
    plan_id = _id()
    contract_id = _id()
    device_id = _id()
    due = fields.Date(required=True)
    window_end = fields.Date(required=True)


class ContractOfVisit(Schema):
    """The contract a visit is under, as the form keeps it (coverage and its terms)."""
    id = _id()
    number = _text()
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    pays = _opt_nested(ContractPays)
    service_levels = _opt_nested(ServiceLevels)


def _due():
    return {"contract_id": _opt_id(), "plan_id": _opt_id(),
            "due_date": fields.Date(required=True), "recipients": _list(_nested(Recipient))}


EVENT_SCHEMAS = dict((
    _event("customer_created", **_customer()),
    _event("customer_updated", **_customer()),
    # KVKK erasure (issue 21): `personal` are the strings to replace by `marker` everywhere
    # (names, addresses, phone numbers, e-mail addresses); blanked in devices' outbox once
    # published (SECRET_FIELDS)
    _event("customer_erased", customer_id=_id(), marker=_text(), personal=_list(_text()),
           form_ids=_list(_id(), required=False, load_default=list),
           contract_ids=_list(_id(), required=False, load_default=list),
           by=_opt_nested(ByUser)),
    # a contact person's erasure (issue 21): only their strings (name, e-mail, phone) are
    # replaced; the customer's own data stays (an event of its own, not a scope on
    # customer_erased: a consumer that did not know the scope would erase the whole customer)
    _event("contact_erased", customer_id=_id(), contact_id=_id(), marker=_text(),
           personal=_list(_text()), by=_opt_nested(ByUser)),
    _event("device_registered", device=_nested(DeviceRecord)),
    _event("device_coverage_changed", device_id=_id(), coverage=_opt_nested(Coverage)),
    _event("form_created", form=_nested(NewForm), document=_opt_nested(DocumentRef)),
    _event("form_assigned", form=_nested(FormRef), assignees=_list(_nested(Staff)),
           by=_nested(ByUser)),
    _event("form_status_changed", form=_nested(FormOfCustomer),
           **{"from": _opt_text(), "to": _text()}, sub_status=_opt_text(),
           by=_opt_nested(ByUser), note=_opt_text(), customer_visible=fields.Bool(required=True)),
    _event("price_approval_requested", form=_nested(FormRef), customer=_nested(Person),
           total=_Money(required=True), currency=_currency(), approval_url=_text(),
           expires_at=_time(), document=_opt_nested(DocumentRef),
           estimate_version=_opt_id()),
    _event("price_approval_decided", form=_nested(FormRef),
           decision=fields.Str(required=True, validate=OneOf(PRICE_DECISIONS)),
           by=_nested(Decider), at=_time(), estimate_version=_opt_id(), via=fields.Str(
               validate=OneOf(PRICE_DECISION_CHANNELS), allow_none=True, load_default=None),
           note=_opt_text(), recipients=_list(_nested(Recipient), required=False,
                                              load_default=list)),
    _event("form_completed", form=_nested(CompletedForm), device_id=_id(),
           repair_warranty=_opt_nested(Period), totals=_nested(Totals),
           document=_opt_nested(DocumentRef)),
    _event("satisfaction_recorded", form=_nested(FormRef), score=_score(), threshold=_score()),
    _event("satisfaction_low", form=_nested(FormRef), customer=_nested(CustomerRef),
           score=_score(), threshold=_score(),
           answers=_list(_nested(Answer), required=False, load_default=list),
           management=_list(_nested(Recipient))),
    _event("form_reopened", form=_nested(FormWithCustomer), by=_opt_nested(ByUser),
           reason=_text(), low_score=_opt_nested(LowScore)),
    _event("damage_report_issued", form=_nested(FormRef), customer=_nested(CustomerRef),
           insurer=_nested(Insurer), policy_no=_opt_text(), document=_nested(DocumentRef)),
    _event("periodic_report_issued", customer=_nested(CustomerContact), period=_nested(Period),
           number=_text(), document=_nested(DocumentRef)),
    _event("form_closed", form=_nested(FormWithCustomer), by=_opt_nested(ByUser),
           summary=_opt_text()),
    _event("proposal_sent", proposal=_nested(ProposalRef), customer=_nested(Recipient),
           document=_nested(DocumentRef)),
    _event("insurance_notice_issued", contract=_nested(ProposalRef),
           insurer=_nested(Insurer), document=_nested(DocumentRef)),
    _event("contract_activated", **_contract()),
    _event("contract_expired", **_contract()),
    _event("contract_renewal_due", **_due()),
    _event("contract_invoice_due", **_due()),
    # one reminder per (plan, date): a group plan's devices of that day listed in `devices`
    _event("maintenance_due", **_due(), devices=_list(_nested(DeviceSnapshot), required=False,
                                                    load_default=list)),
    _event("maintenance_visit_due", visit=_nested(VisitDue), team=_list(_nested(Staff)),
           customer=_nested(CustomerContact), rep=_opt_nested(Rep),
           device=_nested(DeviceSnapshot), contract=_nested(ContractOfVisit),
           complaint=_text()),
    _event("service_request_submitted", request=_nested(Request)),
    _event("service_request_accepted", request=_nested(Request), form=_nested(FormRef)),
    _event("service_request_declined", request=_nested(Request), reason=_text()),
    _event("article_published", article=_nested(Article)),
    _event("email_sent", message=_nested(Message)),
    _event("email_failed", message=_nested(Message), error=_text()),
))
EVENT_TYPES = frozenset(EVENT_SCHEMAS)

# Fields that are their recipient's secret: published as they are, then blanked in the
# producer's own outbox row once it went out (a price approval's one-time link: forms keeps
# only the token's hash, and its outbox would otherwise keep the link for good).
SECRET_FIELDS = {"price_approval_requested": ("approval_url",),
                 "customer_erased": ("personal",), "contact_erased": ("personal",)}
REDACTED = "[redacted]"


def redacted(event_type, body):
    """The outbox row's JSON `body` with `event_type`'s secret fields blanked, or None when
    the event has none."""
    import json
    secret = SECRET_FIELDS.get(event_type)
    if not secret:
        return None
    message = json.loads(body)
    for name in secret:
        if name in message:
            message[name] = REDACTED
    return json.dumps(message)


@functools.cache
def _schema(event_type, unknown):
    try:
        return EVENT_SCHEMAS[event_type](unknown=unknown)
    except KeyError:
        raise ValueError(f"unknown event type {event_type!r}") from None


def make_event(event_type: str, producer: str, payload: dict, *, version: int = 1) -> dict:
    """A JSON-ready message: ``payload`` validated strictly, plus a new envelope."""
    schema = _schema(event_type, RAISE)
    clash = ENVELOPE_FIELDS.intersection(payload)
    if clash:
        raise ValueError(f"payload must not set envelope fields: {sorted(clash)}")
    loaded = schema.load({
        **payload, "event_id": str(uuid.uuid4()), "event_type": event_type, "version": version,
        "occurred_at": dt.datetime.now(dt.timezone.utc), "producer": producer})
    return schema.dump(loaded)


@functools.cache
def _payload_schema(event_type):
    """The event's schema without the envelope, strict: for many events at once."""
    schema = _schema(event_type, RAISE)
    return type(schema)(only=[n for n in schema.fields if n not in ENVELOPE_FIELDS],
                        unknown=RAISE, many=True)


def make_events(event_type: str, producer: str, payloads: list, *, version: int = 1) -> list:
    """``make_event`` for many payloads of one type (an import's thousands): each payload is
    validated as strictly, in one pass of the schema over the list; the envelope, which this
    function makes itself, is added after."""
    schema = _payload_schema(event_type)
    for payload in payloads:
        if clash := ENVELOPE_FIELDS.intersection(payload):
            raise ValueError(f"payload must not set envelope fields: {sorted(clash)}")
    occurred_at = dt.datetime.now(dt.timezone.utc).isoformat()
    return [{**body, "event_id": str(uuid.uuid4()), "event_type": event_type,
             "version": version, "occurred_at": occurred_at, "producer": producer}
            for body in schema.dump(schema.load(payloads))]


def load_event(event_type: str, message: dict) -> dict:
    """An incoming message validated (unknown fields ignored) and loaded into Python values."""
    return _schema(event_type, EXCLUDE).load(message)


def dump_event(event_type: str, loaded: dict) -> dict:
    """The inverse of ``load_event``: a JSON-ready message."""
    return _schema(event_type, RAISE).dump(loaded)
