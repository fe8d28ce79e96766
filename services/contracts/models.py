"""contracts' tables: proposals and their devices, contracts and their devices, one
record-number sequence per kind and year. Money is Numeric(12, 2) in the proposal's currency;
rates Numeric(12, 4)."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String,
                        Text, false)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.documents.models import DocumentColumns, TemplateColumns
from services.common.models import UTCDateTime, utcnow


def _money():
    return mapped_column(Numeric(12, 2), default=Decimal("0.00"))


def _rate():
    return mapped_column(Numeric(12, 4))


class Base(DeclarativeBase):
    pass


class NumberSequence(Base):
    """One sequence per kind (TK, SZ) per calendar year (Europe/Istanbul); never reused."""
    __tablename__ = "number_sequences"
    kind: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class Terms:
    """What a proposal offers and its contract keeps: the period, the price and its figures,
    what the contract pays on a repair, its service levels."""
    customer_id: Mapped[int] = mapped_column(Integer, index=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_email: Mapped[str | None] = mapped_column(String(254))
    customer_language: Mapped[str] = mapped_column(String(2), default="tr")
    rep_name: Mapped[str | None] = mapped_column(String(200))
    rep_email: Mapped[str | None] = mapped_column(String(254))
    rep_language: Mapped[str] = mapped_column(String(2), default="tr")
    start: Mapped[date] = mapped_column(Date)
    months: Mapped[int] = mapped_column(Integer)
    end: Mapped[date] = mapped_column(Date, index=True)
    basis: Mapped[str] = mapped_column(String(10), default="year")
    visits_per_year: Mapped[int | None] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = _money()
    currency: Mapped[str] = mapped_column(String(3), default="TRY")
    rate: Mapped[Decimal] = _rate()
    discount_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    discount_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    stamp_duty_rate: Mapped[Decimal] = _rate()
    subtotal: Mapped[Decimal] = _money()
    discount: Mapped[Decimal] = _money()
    net: Mapped[Decimal] = _money()
    vat: Mapped[Decimal] = _money()
    total: Mapped[Decimal] = _money()
    stamp_duty: Mapped[Decimal] = _money()
    total_try: Mapped[Decimal] = _money()
    pays_labour: Mapped[bool] = mapped_column(Boolean, default=True)
    pays_parts: Mapped[bool] = mapped_column(Boolean, default=False)
    pays_fee: Mapped[bool] = mapped_column(Boolean, default=True)
    response_hours: Mapped[int | None] = mapped_column(Integer)
    repair_hours: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(2), default="tr")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_by_name: Mapped[str | None] = mapped_column(String(200))


class Proposal(Terms, Base):
    """A contract proposal (sözleşme teklifi, TK-YYYY-NNNNNN): open until decided; past its
    validity date an open one reads as expired."""
    __tablename__ = "proposals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    valid_until: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    renews_contract_id: Mapped[int | None] = mapped_column(Integer, index=True)
    increase_percent: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(Integer)
    decided_by_name: Mapped[str | None] = mapped_column(String(200))
    decision_note: Mapped[str | None] = mapped_column(Text)
    contract_id: Mapped[int | None] = mapped_column(Integer)
    # the signed scan of the decision (PDF, JPEG or PNG, checked by content, ≤ 10 MB)
    signed_scan_key: Mapped[str | None] = mapped_column(String(200))
    signed_scan_type: Mapped[str | None] = mapped_column(String(40))
    signed_scan_name: Mapped[str | None] = mapped_column(String(200))
    signed_scan_size: Mapped[int | None] = mapped_column(Integer)
    signed_scan_sha256: Mapped[str | None] = mapped_column(String(64))
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class ProposalDevice(Base):
    """A device of a proposal: an existing card (device_id), or a new one described."""
    __tablename__ = "proposal_devices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(Integer)
    brand: Mapped[str] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    serial: Mapped[str] = mapped_column(String(100))
    device_type: Mapped[str | None] = mapped_column(String(100))


class Contract(Terms, Base):
    """A maintenance contract (bakım sözleşmesi, SZ-YYYY-NNNNNN): draft → active → expired |
    renewed | cancelled (domain.TRANSITIONS). The scanner's claim columns: activation on the
    start date, the renewal reminder, expiry after the end."""
    __tablename__ = "contracts"
    __table_args__ = (
        Index("ix_contracts_end_id", "end", "id"),  # the renewal list (reports.py)
        Index("ix_contracts_status_start", "status", "start"),
        Index("ix_contracts_renewal_due", "renewal_due_on", "renewal_notified"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    proposal_id: Mapped[int] = mapped_column(Integer, index=True)
    renewal_due_on: Mapped[date | None] = mapped_column(Date)
    renewal_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    invoice_frequency: Mapped[str | None] = mapped_column(String(10))
    renewed_by_contract_id: Mapped[int | None] = mapped_column(Integer)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_on: Mapped[date | None] = mapped_column(Date)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class ContractDevice(Base):
    __tablename__ = "contract_devices"
    __table_args__ = (Index("ix_contract_devices_device", "device_id", "contract_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(Integer)
    brand: Mapped[str] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    serial: Mapped[str] = mapped_column(String(100))
    device_type: Mapped[str | None] = mapped_column(String(100))


class ContractHistory(Base):
    """Every move of a contract: who, when, from, to, a note."""
    __tablename__ = "contract_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(Integer)
    by_name: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)


class Document(DocumentColumns, Base):
    """A proposal's PDF (quote and contract text), kept here, served under the proposal."""
    __tablename__ = "documents"


class DocumentTemplate(TemplateColumns, Base):
    """An admin's version of the proposal's template (quote and contract text, TR/EN)."""
    __tablename__ = "document_templates"


class Installment(Base):
    """One invoice of a contract's schedule (fatura planı): due date and amount in the
    contract's currency; invoiced (the accounting system's number, the day, the rate of that
    day and the TRY amount) and paid."""
    __tablename__ = "installments"
    __table_args__ = (Index("ix_installments_state_due", "status", "due_on", "id"),
                      # the overdue list: unpaid by due date, one range (not two statuses
                      # merged and sorted: 1.2 s on SQLite at 100k contracts)
                      Index("ix_installments_unpaid_due", "paid", "due_on", "id"),
                      Index("ix_installments_contract", "contract_id", "seq"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    customer_id: Mapped[int] = mapped_column(Integer, index=True)
    seq: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = _money()
    currency: Mapped[str] = mapped_column(String(3), default="TRY")
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    version: Mapped[int] = mapped_column(Integer, default=1)
    notified: Mapped[bool] = mapped_column(Boolean, default=False)
    invoice_no: Mapped[str | None] = mapped_column(String(60))
    invoiced_on: Mapped[date | None] = mapped_column(Date)
    rate: Mapped[Decimal | None] = _rate()
    amount_try: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # `fee`: a share of the contract's price (the schedule); `pages`: the pages over the
    # allowance of a billed period (a PageBill names it) — a new schedule leaves those alone
    kind: Mapped[str] = mapped_column(String(10), default="fee", server_default="fee")
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class MachineParkCheck(Base):
    """A machine-park (makine parkı) check of one customer site: the devices the archive has
    there when the form was made, and what the on-site check found."""
    __tablename__ = "machine_park_checks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(Integer, index=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    site_id: Mapped[int] = mapped_column(Integer)
    site_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open, done
    version: Mapped[int] = mapped_column(Integer, default=1)
    language: Mapped[str] = mapped_column(String(2), default="tr")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_name: Mapped[str | None] = mapped_column(String(200))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class MachineParkItem(Base):
    """A device of a check: one the archive had at the site (device_id), or one found there
    that it did not (`result` new, registered with the results). `result`: present, missing,
    new, or None (not checked)."""
    __tablename__ = "machine_park_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("machine_park_checks.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(Integer)
    brand: Mapped[str] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    serial: Mapped[str] = mapped_column(String(100))
    under_contract: Mapped[str | None] = mapped_column(String(20))  # the contract's number
    result: Mapped[str | None] = mapped_column(String(10))
    condition: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)


# -- periodic maintenance (issue 18): plans, their team, visits, meter readings ----------------
class MaintenancePlan(Base):
    """A maintenance plan (bakım planı) of one device of a contract: an RRULE from `first_on`
    inside the contract's period, a window (days), a reminder lead (days), whether visits
    avoid Turkish public holidays and weekends, a team (MaintenanceTeamMember). Its visits
    are made with it; its counts are read from them (never kept apart, so never wrong)."""
    __tablename__ = "maintenance_plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    customer_id: Mapped[int] = mapped_column(Integer, index=True)
    device_id: Mapped[int] = mapped_column(Integer, index=True)
    rrule: Mapped[str] = mapped_column(String(500))
    first_on: Mapped[date] = mapped_column(Date)
    window_days: Mapped[int] = mapped_column(Integer)
    lead_days: Mapped[int] = mapped_column(Integer)
    avoid_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    # a group plan: the customer's site whose devices it covers (MaintenancePlanDevice);
    # `device_id` is then the group's first device
    site_id: Mapped[int | None] = mapped_column(Integer)
    site_name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="active")  # active, cancelled
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_by_name: Mapped[str | None] = mapped_column(String(200))
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class MaintenancePlanDevice(Base):
    """A device of a group plan (a site's several devices under one plan): each has its own
    visit on each of the plan's dates (one maintenance form per device, as forms keeps one
    device per form); a single-device plan has one row too."""
    __tablename__ = "maintenance_plan_devices"
    __table_args__ = (Index("ix_maintenance_plan_devices_plan", "plan_id", "device_id",
                            unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("maintenance_plans.id"))
    device_id: Mapped[int] = mapped_column(Integer)


class MaintenanceTeamMember(Base):
    """A technician of a plan's team, as the gateway knew the account when the plan was
    made (a snapshot: contracts never asks for users)."""
    __tablename__ = "maintenance_team"
    __table_args__ = (Index("ix_maintenance_team_user", "user_id", "plan_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("maintenance_plans.id"), index=True)
    user_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="tr")


class MaintenanceVisit(Base):
    """A visit of a plan: planned → due → done | skipped | cancelled (maintenance_domain
    VISIT_TRANSITIONS); overdue while open past `window_end`. `planned_on` is the plan's date
    and stays; `scheduled_on` moves with a reschedule. `attempt` rises when the visit's form is
    cancelled; `dispatched_attempt` is the attempt whose maintenance_visit_due went out (so
    the scanner fires once per attempt); the claim columns are the scanner's."""
    __tablename__ = "maintenance_visits"
    __table_args__ = (
        # the due-date scanner: open visits by date (reminder and dispatch)
        Index("ix_maintenance_visits_open", "status", "scheduled_on", "id"),
        Index("ix_maintenance_visits_remind", "reminded", "remind_on"),
        # the due list (status due, by window end) and the overdue one (open, window passed,
        # by window end): each one range of an index in the list's order, no sort
        Index("ix_maintenance_visits_window", "status", "window_end", "id"),
        Index("ix_maintenance_visits_open_window", "is_open", "window_end", "id"),
        Index("ix_maintenance_visits_plan", "plan_id", "seq"),
        Index("ix_maintenance_visits_customer", "customer_id", "scheduled_on"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("maintenance_plans.id"))
    contract_id: Mapped[int] = mapped_column(Integer, index=True)
    customer_id: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[int] = mapped_column(Integer, index=True)
    seq: Mapped[int] = mapped_column(Integer)
    planned_on: Mapped[date] = mapped_column(Date)
    scheduled_on: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    remind_on: Mapped[date] = mapped_column(Date)
    reminded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(10), default="planned")
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)  # planned or due: moves with it
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    dispatched_attempt: Mapped[int] = mapped_column(Integer, default=0)
    form_id: Mapped[int | None] = mapped_column(Integer, index=True)
    form_number: Mapped[str | None] = mapped_column(String(20))
    done_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)  # why skipped or cancelled
    rescheduled_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class VisitHistory(Base):
    """Every move of a visit: due, a reschedule (from and to dates), a form opened, done,
    skipped, cancelled, a form cancelled (the attempt raised) — who, when, a note."""
    __tablename__ = "maintenance_visit_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("maintenance_visits.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str | None] = mapped_column(String(10))
    from_date: Mapped[date | None] = mapped_column(Date)
    to_date: Mapped[date | None] = mapped_column(Date)
    attempt: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(Integer)
    by_name: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)


class MeterReading(Base):
    """A device's counter reading (sayaç okuma: copiers and printers are billed by the page),
    recorded on a visit: the meter (total, black, colour …), the value, whether the meter was
    replaced (then it may be lower than the one before), who and when."""
    __tablename__ = "meter_readings"
    __table_args__ = (Index("ix_meter_readings_device", "device_id", "meter", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[int] = mapped_column(Integer)
    contract_id: Mapped[int] = mapped_column(Integer, index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("maintenance_visits.id"),
                                                 index=True)
    meter: Mapped[str] = mapped_column(String(20), default="total")
    value: Mapped[int] = mapped_column(BigInteger)
    replacement: Mapped[bool] = mapped_column(Boolean, default=False)
    read_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(Integer)
    by_name: Mapped[str | None] = mapped_column(String(200))
    # recorded from a service form (a repair of the device, or its maintenance form)
    form_id: Mapped[int | None] = mapped_column(Integer)
    form_number: Mapped[str | None] = mapped_column(String(20))


class PageTerms(Base):
    """What a contract charges for pages (sayfa aşımı) of one device's meter: a monthly
    allowance of pages, and a price per page over it, in the contract's currency."""
    __tablename__ = "page_terms"
    __table_args__ = (Index("ix_page_terms_device", "contract_id", "device_id", "meter",
                            unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    device_id: Mapped[int] = mapped_column(Integer)
    meter: Mapped[str] = mapped_column(String(20), default="total")
    monthly_allowance: Mapped[int] = mapped_column(BigInteger)
    page_price: Mapped[Decimal] = mapped_column(Numeric(12, 4))


class PageBill(Base):
    """The pages of a billed period (months from–to) of a contract: a line per device and
    meter (PageBillLine); what is owed over the allowances is an installment of kind `pages`
    on the invoice schedule (none when nothing is owed)."""
    __tablename__ = "page_bills"
    __table_args__ = (Index("ix_page_bills_contract", "contract_id", "period_start"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    months: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="TRY")
    total: Mapped[Decimal] = _money()
    installment_id: Mapped[int | None] = mapped_column(ForeignKey("installments.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(Integer)
    by_name: Mapped[str | None] = mapped_column(String(200))


class PageBillLine(Base):
    """One device's meter in a billed period: the opening reading (the previous bill's
    closing one, else the last before the period, else the period's first), the closing one
    (the last on or before the period's end), the pages between (a replaced meter counted
    from zero), the allowance (monthly × months), the pages over it, their price and amount."""
    __tablename__ = "page_bill_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("page_bills.id"), index=True)
    device_id: Mapped[int] = mapped_column(Integer)
    meter: Mapped[str] = mapped_column(String(20))
    opening_reading_id: Mapped[int | None] = mapped_column(Integer)
    closing_reading_id: Mapped[int | None] = mapped_column(Integer)
    opening_value: Mapped[int | None] = mapped_column(BigInteger)
    closing_value: Mapped[int | None] = mapped_column(BigInteger)
    pages: Mapped[int] = mapped_column(BigInteger)
    allowance: Mapped[int] = mapped_column(BigInteger)
    extra_pages: Mapped[int] = mapped_column(BigInteger)
    page_price: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    amount: Mapped[Decimal] = _money()
