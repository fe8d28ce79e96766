"""portal's tables: service requests and their photos (the files behind the documents'
storage interface, the rows naming them), and the customer's timeline — a projection of forms'
events (one row per form, one per customer-visible entry), every row with its customer id so
the customer scope (services/common/scope.py) limits each read."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.models import UTCDateTime, utcnow


class Base(DeclarativeBase):
    pass


class ServiceRequest(Base):
    """A customer's request: a device of theirs (device_id) or one they describe, the
    complaint; staff accept it (forms opens the form: form_id, form_number) or decline it
    with a reason the customer reads."""
    __tablename__ = "service_requests"
    __table_args__ = (Index("ix_requests_customer_id", "customer_id", "id"),
                      Index("ix_requests_status_id", "status", "id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="submitted")
    version: Mapped[int] = mapped_column(Integer, default=1)
    device_id: Mapped[int | None] = mapped_column(Integer)
    brand: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    serial: Mapped[str | None] = mapped_column(String(100))
    device_type: Mapped[str | None] = mapped_column(String(100))
    site: Mapped[str | None] = mapped_column(String(200))
    complaint: Mapped[str] = mapped_column(Text)
    submitted_by_id: Mapped[int | None] = mapped_column(Integer)
    submitted_by_name: Mapped[str | None] = mapped_column(String(200))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    form_id: Mapped[int | None] = mapped_column(Integer, index=True)
    form_number: Mapped[str | None] = mapped_column(String(20))
    reviewed_by_id: Mapped[int | None] = mapped_column(Integer)
    reviewed_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # a reviewer accepting it (forms is opening the form) until then: workflow.py `claim`
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __mapper_args__ = {"version_id_col": version}


class RequestPhoto(Base):
    __tablename__ = "request_photos"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id"), index=True)
    customer_id: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))


class TimelineForm(Base):
    """One of the customer's forms as the customer sees it: what `form_created` said, its
    customer-visible status now; kept from forms' events (with forms stopped it still
    answers)."""
    __tablename__ = "timeline_forms"
    __table_args__ = (Index("ix_timeline_forms_customer", "customer_id", "updated_at", "form_id"),)
    form_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    customer_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2), default="tr")
    status: Mapped[str] = mapped_column(String(30), default="NEW")
    device_id: Mapped[int | None] = mapped_column(Integer)
    brand: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    serial: Mapped[str | None] = mapped_column(String(100))
    complaint: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    approval_total: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    approval_currency: Mapped[str | None] = mapped_column(String(3))
    approval_state: Mapped[str | None] = mapped_column(String(12))  # requested/approved/...
    warranty_end: Mapped[date | None] = mapped_column(Date)


class TimelineEntry(Base):
    """A customer-visible step of a form: its kind, the status it led to, when; amounts of a
    price approval. No note, no staff name or e-mail is kept here at all."""
    __tablename__ = "timeline_entries"
    __table_args__ = (Index("ix_timeline_entries_form", "form_id", "at", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    form_id: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str | None] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    total: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
