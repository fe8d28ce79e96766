from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.models import UTCDateTime, byte_order, utcnow


class Base(DeclarativeBase):
    pass


class NumberSequence(Base):
    """One record-number sequence per calendar year (Europe/Istanbul); never reused."""
    __tablename__ = "number_sequences"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class Form(Base):
    """A service form (servis formu) with snapshots of its customer, representative and device."""
    __tablename__ = "forms"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="repair")
    status: Mapped[str] = mapped_column(String(30), default="NEW", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    customer_id: Mapped[int] = mapped_column(Integer, index=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_name_sort: Mapped[str] = mapped_column(byte_order(Text()), index=True)
    customer_email: Mapped[str | None] = mapped_column(String(254))
    customer_language: Mapped[str] = mapped_column(String(2), default="tr")
    rep_user_id: Mapped[int | None] = mapped_column(Integer)
    rep_name: Mapped[str | None] = mapped_column(String(200))
    rep_email: Mapped[str | None] = mapped_column(String(254))
    rep_language: Mapped[str] = mapped_column(String(2), default="tr")
    device_id: Mapped[int] = mapped_column(Integer, index=True)
    device_brand: Mapped[str] = mapped_column(String(100))
    device_model: Mapped[str | None] = mapped_column(String(100))
    device_type: Mapped[str | None] = mapped_column(String(100))
    device_serial: Mapped[str] = mapped_column(String(100))
    coverage_kind: Mapped[str | None] = mapped_column(String(30))
    coverage_end: Mapped[date | None] = mapped_column(Date)
    # The answer of devices' coverage function at intake: kind ('none' too), source, why.
    coverage_source_id: Mapped[int | None] = mapped_column(Integer)
    coverage_reason: Mapped[str | None] = mapped_column(Text)  # JSON {"tr": …, "en": …}
    complaint: Mapped[str] = mapped_column(Text)
    opened_by_id: Mapped[int | None] = mapped_column(Integer)
    opened_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class FormHistory(Base):
    """Every status change of a form: who, when, from, to, note."""
    __tablename__ = "form_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    by_id: Mapped[int | None] = mapped_column(Integer)
    by_name: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
