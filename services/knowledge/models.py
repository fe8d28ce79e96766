from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.models import UTCDateTime, utcnow


class Base(DeclarativeBase):
    pass


class CodeSequence(Base):
    """One number sequence per (device family, fault area); numbers are never reused."""
    __tablename__ = "code_sequences"
    family: Mapped[str] = mapped_column(String(6), primary_key=True)
    area: Mapped[str] = mapped_column(String(6), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Article(Base):
    """A coded problem/solution article (KLM-ELK-0042)."""
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    family: Mapped[str] = mapped_column(String(6))
    area: Mapped[str] = mapped_column(String(6))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    title_sort: Mapped[str] = mapped_column(Text, index=True)  # text.sort_key(title)
    symptoms: Mapped[str | None] = mapped_column(Text)
    cause: Mapped[str | None] = mapped_column(Text)
    solution_steps: Mapped[list] = mapped_column(JSON, default=list)
    device_types: Mapped[list] = mapped_column(JSON, default=list)
    models: Mapped[list] = mapped_column(JSON, default=list)
    fault_codes: Mapped[list] = mapped_column(JSON, default=list)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(2), default="tr")
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    author_id: Mapped[int | None] = mapped_column(Integer)
    author_name: Mapped[str | None] = mapped_column(String(200))
    solved_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Revision(Base):
    """Every saved state of an article: who, when, what (the revision history)."""
    __tablename__ = "article_revisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"),
                                            index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # created, edited, published, archived, ...
    snapshot: Mapped[dict] = mapped_column(JSON)
    by_id: Mapped[int | None] = mapped_column(Integer)
    by_name: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SolutionLink(Base):
    """An article recorded as the solution of a service form; counts in solved_count."""
    __tablename__ = "solution_links"
    __table_args__ = (UniqueConstraint("article_id", "form_id", name="uq_solution_link"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"),
                                            index=True)
    form_id: Mapped[int] = mapped_column(Integer, index=True)
    form_number: Mapped[str | None] = mapped_column(String(20))
    by_id: Mapped[int | None] = mapped_column(Integer)
    by_name: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IndexQueue(Base):
    """The search index's outbox: an article id written in the same transaction as the change;
    the indexer brings the engine up to the article's current state (or deletes it) and removes
    the row. Rebuilding from the articles table is always possible (reindex)."""
    __tablename__ = "index_queue"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
