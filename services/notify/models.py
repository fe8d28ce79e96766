from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.models import UTCDateTime, utcnow


class Base(DeclarativeBase):
    pass


class Delivery(Base):
    """The delivery log: one row per message (event × recipient), the source of truth for what
    was sent. The message is built when the event arrives (`mime`) and sent by the sender loop:
    pending → sent, or → failed after the last attempt (an admin may resend it)."""
    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    event_id: Mapped[str] = mapped_column(String(36), index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    form_id: Mapped[int | None] = mapped_column(Integer, index=True)
    contract_id: Mapped[int | None] = mapped_column(Integer, index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="tr")
    subject: Mapped[str] = mapped_column(String(500))
    mime: Mapped[bytes] = mapped_column(LargeBinary)
    document_id: Mapped[int | None] = mapped_column(Integer)  # attached at send time
    document_service: Mapped[str | None] = mapped_column(String(40))  # whose get_document
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(32), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
