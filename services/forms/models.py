from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.documents.models import DocumentColumns, TemplateColumns
from services.common.models import UTCDateTime, byte_order, utcnow


def _money():
    return mapped_column(Numeric(12, 2), default=Decimal("0.00"))


class Base(DeclarativeBase):
    pass


class NumberSequence(Base):
    """One record-number sequence per calendar year (Europe/Istanbul); never reused."""
    __tablename__ = "number_sequences"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class Form(Base):
    """A service form (servis formu) with snapshots of its customer, representative and device.
    The *_key and *_rank columns exist for sorted lists: never null, indexed with the id."""
    __tablename__ = "forms"
    __table_args__ = (
        Index("ix_forms_customer_sort", "customer_name_sort", "id"),
        Index("ix_forms_status_sort", "status_rank", "id"),
        Index("ix_forms_device_type_sort", "device_type_key", "id"),
        Index("ix_forms_fault_type_sort", "fault_type_key", "id"),
        Index("ix_forms_created", "created_at", "id"),
        Index("ix_forms_delivered", "delivered_at", "id"),
        Index("ix_forms_closed", "closed_at", "id"),
        Index("ix_forms_revenue", "delivered_on", "status"),
        # one maintenance form per (visit, attempt), across replicas and restarts
        UniqueConstraint("maintenance_visit_id", "maintenance_attempt",
                         name="uq_forms_maintenance"),
        # one form per create_form call, however often the broker delivers it
        Index("uq_forms_opening_call", "opening_call", unique=True),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="repair")
    # a maintenance form: contracts' visit and its attempt (services/forms/maintenance.py)
    maintenance_visit_id: Mapped[int | None] = mapped_column(Integer)
    maintenance_attempt: Mapped[int | None] = mapped_column(Integer)
    # the id of the create_form call that opened it (services/common/rpc.py CallId)
    opening_call: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(30), default="NEW", index=True)
    status_rank: Mapped[int] = mapped_column(Integer, default=0)
    sub_status: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
    customer_id: Mapped[int] = mapped_column(Integer, index=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_name_sort: Mapped[str] = mapped_column(byte_order(Text()))
    customer_email: Mapped[str | None] = mapped_column(String(254))
    customer_language: Mapped[str] = mapped_column(String(2), default="tr")
    # the customer card's version this copy is from (customer_updated carries it; None: older)
    customer_version: Mapped[int | None] = mapped_column(Integer)
    rep_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    rep_name: Mapped[str | None] = mapped_column(String(200))
    rep_email: Mapped[str | None] = mapped_column(String(254))
    rep_language: Mapped[str] = mapped_column(String(2), default="tr")
    device_id: Mapped[int] = mapped_column(Integer, index=True)
    device_brand: Mapped[str] = mapped_column(String(100))
    device_model: Mapped[str | None] = mapped_column(String(100))
    device_type: Mapped[str | None] = mapped_column(String(100))
    device_type_key: Mapped[str] = mapped_column(byte_order(String(100)), default="")
    device_serial: Mapped[str] = mapped_column(String(100))
    device_type_names: Mapped[str | None] = mapped_column(Text)  # JSON {"tr", "en"}
    # the card's insurance at intake (the damage report's default insurer and policy)
    device_insured: Mapped[bool | None] = mapped_column(Boolean)
    device_insurer: Mapped[str | None] = mapped_column(String(100))
    device_policy_no: Mapped[str | None] = mapped_column(String(100))
    # what the intake slip records besides the complaint (Satış Sonrası Hizmetler Yönetmeliği)
    accessories: Mapped[str | None] = mapped_column(Text)
    condition: Mapped[str | None] = mapped_column(Text)
    promised_delivery_date: Mapped[date | None] = mapped_column(Date)
    coverage_kind: Mapped[str | None] = mapped_column(String(30))
    coverage_end: Mapped[date | None] = mapped_column(Date)
    # The answer of devices' coverage function at intake: kind ('none' too), source, why.
    coverage_source_id: Mapped[int | None] = mapped_column(Integer)
    coverage_reason: Mapped[str | None] = mapped_column(Text)  # JSON {"tr": …, "en": …}
    # a contract's terms at intake (JSON {pays, service_levels}): what it pays on this form
    # and the service-level due times below (working hours from intake); None: the default
    coverage_terms: Mapped[str | None] = mapped_column(Text)
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    repair_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    complaint: Mapped[str] = mapped_column(Text)
    complaint_folded: Mapped[str] = mapped_column(Text, default="")
    # text.stem_column(complaint): the list's complaint search matches query stems here.
    # Nullable, so a database made before it gets the column at start; NULL (a form opened
    # before) matches by complaint_folded alone until the form's next write fills it.
    complaint_terms: Mapped[str | None] = mapped_column(Text)
    fault_type: Mapped[str | None] = mapped_column(String(40))
    fault_type_key: Mapped[str] = mapped_column(byte_order(String(40)), default="")
    diagnosis: Mapped[str | None] = mapped_column(Text)
    work_done: Mapped[str | None] = mapped_column(Text)
    # fees (inputs) and totals (computed on every change, never typed)
    service_fee: Mapped[Decimal] = _money()
    discount_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    discount_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    currency: Mapped[str] = mapped_column(String(3), default="TRY")
    labour_total: Mapped[Decimal] = _money()
    parts_total: Mapped[Decimal] = _money()
    fee_total: Mapped[Decimal] = _money()
    gross_total: Mapped[Decimal] = _money()
    covered_total: Mapped[Decimal] = _money()
    subtotal: Mapped[Decimal] = _money()
    discount_total: Mapped[Decimal] = _money()
    vat_total: Mapped[Decimal] = _money()
    total: Mapped[Decimal] = _money()
    work_minutes: Mapped[int] = mapped_column(Integer, default=0)
    # completion and repair warranty
    repair_warranty_months: Mapped[int | None] = mapped_column(Integer)  # per-form override
    # returned unrepaired (the customer rejected the estimate): billed the diagnosis fee only,
    # no repair warranty on delivery. Nullable: an older database gets the column at start.
    unrepaired: Mapped[bool | None] = mapped_column(Boolean)
    repair_warranty_start: Mapped[date | None] = mapped_column(Date)
    repair_warranty_end: Mapped[date | None] = mapped_column(Date)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_on: Mapped[date | None] = mapped_column(Date)  # Türkiye's calendar day
    delivered_month: Mapped[str | None] = mapped_column(String(7))  # YYYY-MM, Türkiye
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # satisfaction call: pending (after delivery), done, unreachable, declined
    survey_status: Mapped[str | None] = mapped_column(String(20))
    survey_score: Mapped[int | None] = mapped_column(Integer)
    survey_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    survey_by_name: Mapped[str | None] = mapped_column(String(200))
    opened_by_id: Mapped[int | None] = mapped_column(Integer)
    opened_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    # Every UPDATE of the row says `WHERE version = <read>`: two workers writing the same form
    # at once cannot both succeed (StaleDataError -> 409). The service sets the new version
    # itself, once per write (an autoflush in the middle of a write would otherwise raise it
    # twice).
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class FormHistory(Base):
    """Every change to a form: who, when, what. Status changes carry from/to; other changes
    carry `changes` as JSON {field: [old, new]} (parts, work logs, assignments, survey…)."""
    __tablename__ = "form_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    action: Mapped[str] = mapped_column(String(30), default="status")
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str | None] = mapped_column(String(30))
    changes: Mapped[str | None] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(Integer)
    by_name: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Assignment(Base):
    """A staff member assigned to a form (görevli), as the gateway's snapshot gave them."""
    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("form_id", "user_id", name="uq_assignment"),
                      Index("ix_assignments_user", "user_id", "form_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"))
    user_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="tr")
    role: Mapped[str | None] = mapped_column(String(30))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WorkLog(Base):
    """Work time on a form (iş süresi): who, from, to (or minutes), note; `running` while a
    timer is on."""
    __tablename__ = "work_logs"
    __table_args__ = (Index("ix_work_logs_form_user", "form_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"))
    user_id: Mapped[int] = mapped_column(Integer)
    user_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(30))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    running: Mapped[bool] = mapped_column(Boolean, default=False)
    hourly_rate: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    note: Mapped[str | None] = mapped_column(Text)


class PartLine(Base):
    """A part used (kullanılan parça)."""
    __tablename__ = "part_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    code: Mapped[str | None] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class FaultType(Base):
    """The admin-editable fault-type catalogue (arıza tipi)."""
    __tablename__ = "fault_types"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_tr: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SubStatus(Base):
    """An admin's own status code under a core status (e.g. 'müşteriden haber bekleniyor')."""
    __tablename__ = "sub_statuses"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(30))
    name_tr: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SurveyQuestion(Base):
    """A satisfaction-survey question with its weight and answer scale."""
    __tablename__ = "survey_questions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text_tr: Mapped[str] = mapped_column(String(500))
    text_en: Mapped[str] = mapped_column(String(500))
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("1"))
    scale_min: Mapped[int] = mapped_column(Integer, default=1)
    scale_max: Mapped[int] = mapped_column(Integer, default=5)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SurveyAnswer(Base):
    __tablename__ = "survey_answers"
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id"),
                                             primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class TrackingToken(Base):
    """A form's tracking link (`PUBLIC_BASE_URL/track/<token>`, the portal's page): minted at
    intake, revocable (a new one replaces it); only the newest unrevoked one is valid."""
    __tablename__ = "tracking_tokens"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PriceApproval(Base):
    """One version of a form's estimate sent to the customer for approval (fiyat onay
    formu), with its one-time link and the decision. The newest version of a form is the one
    in force; sending another voids the link of the one before. The link's token is kept
    only as its SHA-256 (`token_hash`): the database cannot give a link back.

    `status`: pending (the link works until `expires_at`; past it the state reads `expired`),
    approved, rejected, voided (a newer estimate, or the form moved on without a decision)."""
    __tablename__ = "price_approvals"
    __table_args__ = (UniqueConstraint("form_id", "version", name="uq_price_approval_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    estimate: Mapped[str] = mapped_column(Text)  # JSON: lines, totals, coverage, note
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="TRY")
    language: Mapped[str] = mapped_column(String(2), default="tr")  # the customer's
    customer_email: Mapped[str | None] = mapped_column(String(254))  # whom it was sent to
    sent_by_id: Mapped[int | None] = mapped_column(Integer)
    sent_by_name: Mapped[str | None] = mapped_column(String(200))
    sent_by_email: Mapped[str | None] = mapped_column(String(254))
    sent_by_language: Mapped[str] = mapped_column(String(2), default="tr")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    document_id: Mapped[int | None] = mapped_column(Integer)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str | None] = mapped_column(String(20))  # new_estimate, moved
    # the decision: by the link (ip, user agent) or by phone (who took it, the customer's name)
    decision: Mapped[str | None] = mapped_column(String(10))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_via: Mapped[str | None] = mapped_column(String(10))  # link, phone
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_ip: Mapped[str | None] = mapped_column(String(64))
    decided_user_agent: Mapped[str | None] = mapped_column(String(500))
    decided_by_name: Mapped[str | None] = mapped_column(String(200))  # the customer's person
    taken_by_name: Mapped[str | None] = mapped_column(String(200))  # staff who took the call
    recorded_by_id: Mapped[int | None] = mapped_column(Integer)
    recorded_by_name: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Document(DocumentColumns, Base):
    """A document forms issued: a form's intake slip, delivery receipt, damage report; a
    customer's periodic service report (services/common/documents)."""
    __tablename__ = "documents"


class DocumentTemplate(TemplateColumns, Base):
    """An admin's version of a document template."""
    __tablename__ = "document_templates"


class CustomerCopy(Base):
    """forms' copy of a customer (from customer_created / customer_updated): whom the periodic
    service report goes to, how often, and when it is next due (the scanner's claim)."""
    __tablename__ = "customer_copies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="tr")
    report_frequency: Mapped[str] = mapped_column(String(10), default="none")
    version: Mapped[int | None] = mapped_column(Integer)  # the card's, of this copy
    next_report_on: Mapped[date | None] = mapped_column(Date, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
