from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.models import UTCDateTime, utcnow


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    name_folded: Mapped[str] = mapped_column(String(200), index=True)  # text.fold(name)
    name_sort: Mapped[str] = mapped_column(Text, index=True)  # text.sort_key(name): 3×len+2
    tax_no: Mapped[str | None] = mapped_column(String(20), index=True)
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="tr")
    rep_user_id: Mapped[int | None] = mapped_column(Integer)
    rep_name: Mapped[str | None] = mapped_column(String(200))
    rep_email: Mapped[str | None] = mapped_column(String(254))
    rep_language: Mapped[str] = mapped_column(String(2), default="tr")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Device(Base):
    """A device card (cihaz kartı), identified by (brand, serial) through their folded keys."""
    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("brand_key", "serial_key", name="uq_device_brand_serial"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    brand: Mapped[str] = mapped_column(String(100))
    brand_key: Mapped[str] = mapped_column(String(100))
    serial: Mapped[str] = mapped_column(String(100))
    serial_key: Mapped[str] = mapped_column(String(100), index=True)
    model: Mapped[str | None] = mapped_column(String(100))
    device_type: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
