"""The device archive's tables: customers (with sites and contacts), device cards, their
coverage periods and history, the device-type catalogue, and import jobs."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.common.models import UTCDateTime, byte_order, utcnow


def _key(length):
    """A folded lookup key compared byte-wise, so a prefix range `key >= p AND key < p +
    U+10FFFF` is exact and uses the index."""
    return byte_order(String(length))


class Base(DeclarativeBase):
    pass


class DeviceType(Base):
    """The admin-editable device-type catalogue (cihaz tipi), TR and EN names."""
    __tablename__ = "device_types"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_tr: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    name_folded: Mapped[str] = mapped_column(String(200), index=True)  # text.fold(name)
    name_sort: Mapped[str] = mapped_column(byte_order(Text()), index=True)  # text.sort_key
    tax_no: Mapped[str | None] = mapped_column(String(20), index=True)
    address: Mapped[str | None] = mapped_column(Text)
    # il and ilçe; nullable, so add_missing_columns gives an existing customers table them
    city: Mapped[str | None] = mapped_column(String(100))
    district: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="tr")
    rep_user_id: Mapped[int | None] = mapped_column(Integer)
    rep_name: Mapped[str | None] = mapped_column(String(200))
    rep_email: Mapped[str | None] = mapped_column(String(254))
    rep_language: Mapped[str] = mapped_column(String(2), default="tr")
    # the periodic service report (periyodik servis raporu) forms e-mails: none, monthly,
    # quarterly; an existing table gets the column with 'none' (add_missing_columns)
    report_frequency: Mapped[str] = mapped_column(String(10), default="none",
                                                  server_default=text("'none'"))
    # NOT NULL with a server default: a customers table made before customers had a version
    # gets the column with 1 in every row (services/common/db.py add_missing_columns)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    sites: Mapped[list["Site"]] = relationship(order_by="Site.id", cascade="all, delete-orphan",
                                               lazy="selectin")
    contacts: Mapped[list["Contact"]] = relationship(order_by="Contact.id", lazy="selectin",
                                                     cascade="all, delete-orphan")

    # Every UPDATE says `WHERE version = <read>`; the archive raises the version itself, once
    # per change (Archive.update_customer): a change of sites or contacts is one change too,
    # and an autoflush in the middle of it must not count twice (as in forms).
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class Site(Base):
    """A place of a customer where devices stand (şube / adres)."""
    __tablename__ = "customer_sites"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(String(100))


class Contact(Base):
    """A contact person (yetkili) of a customer."""
    __tablename__ = "customer_contacts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))


class Device(Base):
    """A device card (cihaz kartı), identified by (brand, serial) through their folded keys.
    warranty_end / contract_end / repair_warranty_end are derived from the coverage periods
    (the latest end of each kind), kept on the card so lists sort and filter by them."""
    __tablename__ = "devices"
    __table_args__ = (
        UniqueConstraint("brand_key", "serial_key", name="uq_device_brand_serial"),
        Index("ix_devices_customer", "customer_id", "id"),
        Index("ix_devices_model", "brand_key", "model_key", "customer_id"),
        Index("ix_devices_warranty_end", "warranty_end", "id"),
        Index("ix_devices_contract_end", "contract_end", "id"),
        Index("ix_devices_repair_warranty_end", "repair_warranty_end", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("customer_sites.id"))
    brand: Mapped[str] = mapped_column(String(100))
    brand_key: Mapped[str] = mapped_column(_key(100))
    serial: Mapped[str] = mapped_column(String(100))
    serial_key: Mapped[str] = mapped_column(_key(100), index=True)
    model: Mapped[str | None] = mapped_column(String(100))
    model_key: Mapped[str | None] = mapped_column(_key(100))
    device_type: Mapped[str | None] = mapped_column(String(40))
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="TRY")
    purchase_date: Mapped[date | None] = mapped_column(Date)
    vendor: Mapped[str | None] = mapped_column(String(100))
    insured: Mapped[bool] = mapped_column(Boolean, default=False)
    insurer: Mapped[str | None] = mapped_column(String(100))
    policy_no: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    warranty_end: Mapped[date | None] = mapped_column(Date)
    contract_end: Mapped[date | None] = mapped_column(Date)
    repair_warranty_end: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    # Every UPDATE says `WHERE version = <read>` and raises it: concurrent writers of one card
    # cannot both succeed (StaleDataError -> 409, or a requeued event).
    __mapper_args__ = {"version_id_col": version}


class CoveragePeriod(Base):
    """One period of cover: kind (manufacturer_warranty, contract, repair_warranty), its source
    (the contract's or the form's id; none for a warranty entered on the card), start and end
    (both days included). Renewals and repeated repairs add periods; nothing is overwritten
    but by the same source (a contract's changed end)."""
    __tablename__ = "coverage_periods"
    __table_args__ = (Index("ix_coverage_device", "device_id", "kind"),
                      Index("ix_coverage_source", "kind", "source_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    kind: Mapped[str] = mapped_column(String(30))
    source_id: Mapped[int | None] = mapped_column(Integer)
    source_ref: Mapped[str | None] = mapped_column(String(40))  # contract or form number
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    # Ended for good (contract expired, device moved away): a late or redelivered
    # contract_activated may not extend it again.
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # a contract's terms as its events carry them (JSON {pays, service_levels}); None: the
    # global default applies (warranties, periods typed onto a card, events of before)
    terms: Mapped[str | None] = mapped_column(Text)


class DeviceHistory(Base):
    """Every change to a card: who, when, what (field -> [old, new])."""
    __tablename__ = "device_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    changes: Mapped[str] = mapped_column(Text)  # JSON
    by_id: Mapped[int | None] = mapped_column(Integer)
    by_name: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ImportJob(Base):
    """A CSV import run as a job: rows are staged first, then applied in the background in
    batches; the client polls the counts."""
    __tablename__ = "import_jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(20), default="receiving")
    # devices | customers | contacts (importer.KINDS); None in a job made before kinds existed
    kind: Mapped[str | None] = mapped_column(String(20), default="devices")
    filename: Mapped[str | None] = mapped_column(String(200))
    keys: Mapped[str] = mapped_column(Text)  # JSON: the column keys of the rows
    ignored_columns: Mapped[str] = mapped_column(Text, default="[]")
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)  # the last row_no applied
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    by_id: Mapped[int | None] = mapped_column(Integer)
    by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ImportRow(Base):
    __tablename__ = "import_rows"
    job_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id"), primary_key=True)
    row_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    values: Mapped[str] = mapped_column(Text)  # JSON {column key: cell} (importer.read_csv)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending/done/failed
    errors: Mapped[str | None] = mapped_column(Text)  # JSON {field: [message]}
