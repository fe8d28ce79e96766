"""The columns of a service's issued documents and template overrides. Each service that
issues documents declares the two tables on its own Base (its own database):

    class Document(DocumentColumns, Base): __tablename__ = "documents" …
    class DocumentTemplate(TemplateColumns, Base): __tablename__ = "document_templates" …
"""
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from services.common.models import UTCDateTime, utcnow


class DocumentColumns:
    """An issued document (or one being issued): what it is about (`subject`, `subject_id`:
    a form, a customer), its kind, the occasion it was issued for — unique per (subject,
    kind, occasion), so one occasion never makes two documents —, its number and language;
    once rendered, the template version, SHA-256, size and storage key; who asked and when.
    `status`: pending (to render; the issuer's claim columns), issued, failed."""
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    occasion: Mapped[str] = mapped_column(String(80))
    number: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(2), default="tr")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    data: Mapped[str | None] = mapped_column(Text)  # JSON: inputs beyond the subject's rows
    template_version: Mapped[str | None] = mapped_column(String(40))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)
    storage_key: Mapped[str | None] = mapped_column(String(200))
    requested_by_id: Mapped[int | None] = mapped_column(Integer)
    requested_by_name: Mapped[str | None] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @declared_attr
    def __table_args__(cls):  # noqa: N805
        name = cls.__tablename__
        return (UniqueConstraint("subject", "subject_id", "kind", "occasion",
                                 name=f"uq_{name}_occasion"),
                Index(f"ix_{name}_subject", "subject", "subject_id", "id"),
                Index(f"ix_{name}_status", "status"))


class TemplateColumns:
    """A version of an admin's template for one kind: `source` (None: back to the file in
    the repository), who saved it and when. The highest version of a kind is in use."""
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @declared_attr
    def __table_args__(cls):  # noqa: N805
        return (UniqueConstraint("kind", "version", name=f"uq_{cls.__tablename__}_version"),)
