"""devices: the installed base — customers, device cards (cihaz kartı), their coverage and
history, the device-type catalogue, reports and CSV import."""
import json
import logging

from sqlalchemy import exists, func, insert, or_, select, tuple_
from sqlalchemy.orm.exc import StaleDataError

from services.common.db import Database
from services.common.exceptions import (Conflict, NotFound, PreconditionRequired,
                                        ValidationFailed)
from services.common.handlers import handles
from services.common.outbox import Outbox
from services.common.rpc import rpc
from services.common.schemas import decode_cursor, is_id, like_pattern, load, page_of
from services.common.text import fold
from services.devices import domain
from services.devices.archive import Archive
from services.devices.importing import ImportRunner
from services.devices.models import (Base, CoveragePeriod, Customer, Device, DeviceHistory,
                                     DeviceType, ImportJob, ImportRow)
from services.devices.schemas import (ByCoverageQuery, ByCustomerQuery, ByModelQuery,
                                      CoverageIn, CoverageQuery, CustomerIn, CustomerOut,
                                      CustomerPatch, CustomerQuery, DeviceIn, DeviceOut,
                                      DevicePatch, DeviceQuery, DeviceTypeIn, DeviceTypePatch,
                                      HistoryQuery, IntakeIn, MoveIn)

log = logging.getLogger(__name__)


def seed_catalogue(session):
    """The default device-type catalogue in a new database (admins edit it after)."""
    if session.scalars(select(DeviceType.code).limit(1)).first() is None:
        session.add_all(DeviceType(code=c, name_tr=tr, name_en=en)
                        for c, tr, en in domain.DEFAULT_DEVICE_TYPES)
DEVICE_OUT, CUSTOMER_OUT = DeviceOut(), CustomerOut()
TOP = chr(0x10FFFF)  # above every character: the end of a prefix range


def _card(device, customer_name=None):
    out = DEVICE_OUT.dump(device)
    out["customer_name"] = customer_name
    out["warranty_end_month"] = out["warranty_end"][:7] if out["warranty_end"] else None
    out["contract_end_month"] = out["contract_end"][:7] if out["contract_end"] else None
    return out


def _coverage_out(answer):
    return {**{k: domain.jsonable(v) for k, v in answer.items() if k != "also"},
            "name": domain.KIND_NAMES[answer["kind"]],
            "also": [{k: domain.jsonable(v) for k, v in a.items()} for a in answer["also"]]}


class DevicesService:
    name = "devices"

    db = Database(Base.metadata, seed=seed_catalogue)
    outbox = Outbox("db")
    importer = ImportRunner("db", "outbox")

    @property
    def archive(self):
        return Archive(self.db, lambda event_type, payload: self.outbox.add(
            self.db, event_type, payload))

    @rpc
    def ping(self):
        return "devices"

    # -- device-type catalogue -------------------------------------------------------------
    @rpc
    def list_device_types(self, include_inactive=False):
        stmt = select(DeviceType).order_by(DeviceType.code)
        if not include_inactive:
            stmt = stmt.where(DeviceType.active.is_(True))
        return [self._device_type_out(t) for t in self.db.scalars(stmt)]

    @rpc
    def create_device_type(self, data):
        data = load(DeviceTypeIn(), data)
        if self.db.get(DeviceType, data["code"]) is not None:
            raise Conflict(f"Device type {data['code']!r} exists.", {"code": data["code"]})
        self._unique_names(data)
        t = DeviceType(**data)
        self.db.add(t)
        self.db.commit()
        return self._device_type_out(t)

    @rpc
    def update_device_type(self, code, data):
        data = load(DeviceTypePatch(), data)
        t = self.db.get(DeviceType, code) if isinstance(code, str) else None
        if t is None:
            raise NotFound(f"Device type {code!r} not found.", {"code": code})
        self._unique_names(data, t.code)
        for k, v in data.items():
            setattr(t, k, v)
        self.db.commit()
        return self._device_type_out(t)

    def _unique_names(self, data, code=None):
        """A name (TR or EN, folded) names one type: cards and imports resolve names."""
        names = {fold(data[k]) for k in ("name_tr", "name_en") if data.get(k)}
        for other in self.db.scalars(select(DeviceType).where(DeviceType.code != (code or ""))):
            clash = names & {fold(other.name_tr), fold(other.name_en), other.code}
            if clash:
                raise Conflict(f"The name {sorted(clash)[0]!r} is already device type "
                               f"{other.code!r}.", {"code": other.code})

    def _device_type_out(self, t):
        return {"code": t.code, "name": {"tr": t.name_tr, "en": t.name_en}, "active": t.active}

    # -- customers -------------------------------------------------------------------------
    @rpc
    def create_customer(self, data):
        data = load(CustomerIn(), data)
        customer = self.archive.create_customer(data)
        self.db.commit()
        return CUSTOMER_OUT.dump(customer)

    @rpc
    def update_customer(self, customer_id, data):
        archive = self.archive
        customer = archive.customer(customer_id)
        archive.update_customer(customer, load(CustomerPatch(), data))
        self.db.commit()
        return CUSTOMER_OUT.dump(customer)

    @rpc
    def get_customer(self, customer_id):
        return CUSTOMER_OUT.dump(self.archive.customer(customer_id))

    @rpc
    def find_customers(self, query=None):
        query = load(CustomerQuery(), query or {})
        stmt = select(Customer)
        if query["q"]:
            pattern = like_pattern(fold(query["q"]))
            stmt = stmt.where(or_(Customer.name_folded.like(pattern, escape="\\"),
                                  Customer.tax_no.like(pattern, escape="\\")))
        if query["cursor"]:
            last_sort, last_id = decode_cursor(query["cursor"], str, int)
            stmt = stmt.where(tuple_(Customer.name_sort, Customer.id) > tuple_(last_sort, last_id))
        rows = self.db.scalars(stmt.order_by(Customer.name_sort, Customer.id)
                               .limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda c: [c.name_sort, c.id])
        return {"items": CustomerOut(many=True).dump(page), "next_cursor": cursor}

    # -- device cards ----------------------------------------------------------------------
    @rpc
    def register_device(self, data, actor=None):
        data = load(DeviceIn(), data)
        archive = self.archive
        customer = archive.customer(data.pop("customer_id"))
        existing = archive.device_by_key(data["brand"], data["serial"])
        if existing is not None:
            raise archive.already_registered(existing)
        device, registered = archive.register(customer, data, actor)
        if not registered:
            raise archive.already_registered(device)
        self.db.commit()
        return _card(device, customer.name)

    @rpc
    def update_device(self, device_id, data, actor=None):
        """Change a card; `version` (the one read) is required: a card changed since is a 409
        instead of a silent overwrite."""
        archive = self.archive
        device = archive.device(device_id)
        data = load(DevicePatch(), data)
        if data.get("version") is None:
            raise PreconditionRequired("State the version of the card you read (`version`).",
                                       {"version": device.version})
        archive.update_device(device, data, actor)
        self._commit()
        return self._card_of(device)

    @rpc
    def move_device(self, device_id, data, actor=None):
        """Move a card to another customer (and site); its history records it."""
        data = load(MoveIn(), data)
        archive = self.archive
        device = archive.device(device_id)
        archive.move(device, archive.customer(data["customer_id"]), data["site_id"],
                     data["note"], actor, domain.local_today())
        self._commit()
        return self._card_of(device)

    @rpc
    def get_device(self, device_id):
        return self._card_of(self.archive.device(device_id))

    @rpc
    def device_history(self, device_id, query=None):
        """Every change to the card, newest first."""
        query = load(HistoryQuery(), query or {})
        self.archive.device(device_id)
        stmt = select(DeviceHistory).where(DeviceHistory.device_id == device_id)
        if query["cursor"]:
            (last_id,) = decode_cursor(query["cursor"], int)
            stmt = stmt.where(DeviceHistory.id < last_id)
        rows = self.db.scalars(stmt.order_by(DeviceHistory.id.desc())
                               .limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda h: [h.id])
        return {"items": [{"id": h.id, "action": h.action, "changes": json.loads(h.changes),
                           "by": {"id": h.by_id, "name": h.by_name}, "at": h.at.isoformat()}
                          for h in page], "next_cursor": cursor}

    @rpc
    def find_devices(self, query=None):
        """Cards filtered, sorted (id, serial, or a coverage end, ascending or with '-'
        descending) and paged with a cursor. Sorting by an end date lists the cards that have
        one."""
        query = load(DeviceQuery(), query or {})
        stmt = select(Device, Customer.name).join(Customer, Customer.id == Device.customer_id)
        if query["serial"]:
            stmt = stmt.where(Device.serial_key == fold(query["serial"]))
        if query["serial_prefix"]:
            prefix = fold(query["serial_prefix"])
            stmt = stmt.where(Device.serial_key >= prefix, Device.serial_key < prefix + TOP)
        if query["customer_id"] is not None:
            stmt = stmt.where(Device.customer_id == query["customer_id"])
        if query["brand"]:
            stmt = stmt.where(Device.brand_key == fold(query["brand"]))
        if query["model"]:
            stmt = stmt.where(Device.model_key == fold(query["model"]))
        if query["device_type"]:
            stmt = stmt.where(Device.device_type == self.archive.device_type_code(
                query["device_type"], allow_inactive=True))
        if query["insured"] is not None:
            stmt = stmt.where(Device.insured.is_(query["insured"]))
        for name in domain.END_COLUMN.values():
            column = getattr(Device, name)
            if query[f"{name}_from"]:
                stmt = stmt.where(column >= query[f"{name}_from"])
            if query[f"{name}_to"]:
                stmt = stmt.where(column <= query[f"{name}_to"])
        sort = query["sort"].lstrip("-")
        descending = query["sort"].startswith("-")
        key = {"id": Device.id, "serial": Device.serial_key}.get(sort) or getattr(Device, sort)
        if sort not in ("id", "serial"):
            stmt = stmt.where(key.is_not(None))
        if query["cursor"]:
            after = self._cursor_values(query["cursor"], query["sort"])
            columns = (Device.id,) if sort == "id" else (key, Device.id)
            stmt = stmt.where(tuple_(*columns) < tuple_(*after) if descending
                              else tuple_(*columns) > tuple_(*after))
        order = (key.desc(), Device.id.desc()) if descending else (key, Device.id)
        if sort == "id":
            order = order[:1]
        rows = self.db.execute(stmt.order_by(*order).limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda r: (
            [query["sort"], r[0].id] if sort == "id"
            else [query["sort"], domain.jsonable(getattr(r[0], key.key)), r[0].id]))
        return {"items": [_card(d, name) for d, name in page], "next_cursor": cursor}

    def _cursor_values(self, cursor, sort):
        """The values a cursor made for `sort` holds; one made for another sort is a 422."""
        column = sort.lstrip("-")
        types = (str, int) if column == "id" else (str, str, int)
        values = decode_cursor(cursor, *types)
        if values[0] != sort:
            raise ValidationFailed("The input is not valid.", {"cursor": [
                "This cursor belongs to another sort order."]})
        if column not in ("id", "serial"):
            try:
                values[1] = domain.date.fromisoformat(values[1])
            except ValueError:
                raise ValidationFailed("The input is not valid.", {"cursor": ["Invalid cursor."]})
        return values[1:]

    # -- coverage --------------------------------------------------------------------------
    @rpc
    def coverage(self, device_id, query=None):
        """What covers the device on a date (default: today in Türkiye), and every period."""
        query = load(CoverageQuery(), query or {})
        archive = self.archive
        device = archive.device(device_id)
        day = query["on"] or domain.local_today()
        periods = archive.periods(device.id)
        return {"device_id": device.id, "on": day.isoformat(),
                "coverage": _coverage_out(domain.coverage_on(periods, day)),
                "periods": [{"kind": p.kind, "name": domain.KIND_NAMES[p.kind],
                             "source_id": p.source_id, "source_ref": p.source_ref,
                             "start": p.start.isoformat(), "end": p.end.isoformat()}
                            for p in periods]}

    @rpc
    def add_coverage(self, device_id, data, actor=None):
        """Record a period by hand (e.g. an extended warranty bought later)."""
        data = load(CoverageIn(), data)
        archive = self.archive
        device = archive.device(device_id)
        archive.add_period(device, data["kind"], data["start"], data["end"], data["source_id"],
                           data["source_ref"], actor)
        self._commit()
        return self.coverage(device.id)

    # -- intake (forms) --------------------------------------------------------------------
    @rpc
    def resolve_intake(self, data):
        """The customer, the device and its coverage today for a new service form: a card
        picked by id, or found by (brand, serial), or registered now. A device of another
        customer is a 409 naming the owner; an existing card is never overwritten."""
        data = load(IntakeIn(), data)
        archive = self.archive
        customer = archive.customer(data["customer_id"])
        registered = False
        if data["device_id"] is not None:
            device = archive.device(data["device_id"])
        else:
            device = archive.device_by_key(data["device"]["brand"], data["device"]["serial"])
            if device is None:
                device, registered = archive.register(customer, data["device"])
                self.db.commit()
        if device.customer_id != customer.id:
            raise archive.already_registered(device)
        answer = archive.coverage(device, data["on"] or domain.local_today())
        return {"customer": domain.customer_snapshot(customer),
                "device": domain.device_snapshot(device), "registered": registered,
                "coverage": _coverage_out(answer)}

    # -- reports ---------------------------------------------------------------------------
    @rpc
    def report_by_customer(self, query=None):
        """Every card, by customer in Turkish alphabetical order (müşteri sıralı cihaz
        raporu)."""
        query = load(ByCustomerQuery(), query or {})
        stmt = select(Device, Customer.name, Customer.name_sort).join(
            Customer, Customer.id == Device.customer_id)
        if query["customer_id"] is not None:
            stmt = stmt.where(Device.customer_id == query["customer_id"])
        if query["cursor"]:
            last_sort, last_customer, last_id = decode_cursor(query["cursor"], str, int, int)
            stmt = stmt.where(Customer.name_sort >= last_sort, tuple_(
                Customer.name_sort, Device.customer_id, Device.id) > tuple_(
                last_sort, last_customer, last_id))
        rows = self.db.execute(stmt.order_by(Customer.name_sort, Device.customer_id, Device.id)
                               .limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda r: [r[2], r[0].customer_id, r[0].id])
        return {"items": [_card(d, name) for d, name, _ in page], "next_cursor": cursor}

    @rpc
    def report_by_model(self, query=None):
        """Which customers have which brand/model, and how many (cihaz modeli sıralı rapor)."""
        query = load(ByModelQuery(), query or {})
        model_key = func.coalesce(Device.model_key, "")
        stmt = (select(Device.brand_key, model_key.label("mk"), Device.customer_id,
                       func.min(Device.brand), func.min(Device.model), Customer.name,
                       Customer.name_sort, func.count())
                .join(Customer, Customer.id == Device.customer_id)
                .group_by(Device.brand_key, model_key, Device.customer_id, Customer.name,
                          Customer.name_sort))
        if query["brand"]:
            stmt = stmt.where(Device.brand_key == fold(query["brand"]))
        if query["model"]:
            stmt = stmt.where(Device.model_key == fold(query["model"]))
        if query["cursor"]:
            b, m, s, c = decode_cursor(query["cursor"], str, str, str, int)
            stmt = stmt.where(Device.brand_key >= b, tuple_(
                Device.brand_key, model_key, Customer.name_sort, Device.customer_id) > tuple_(
                b, m, s, c))
        rows = self.db.execute(stmt.order_by(Device.brand_key, model_key, Customer.name_sort,
                                             Device.customer_id)
                               .limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda r: [r[0], r[1], r[6], r[2]])
        return {"items": [{"brand": r[3], "model": r[4], "customer_id": r[2],
                           "customer_name": r[5], "devices": r[7]} for r in page],
                "next_cursor": cursor}

    @rpc
    def report_by_coverage(self, query=None):
        """Cards by what covers them on a date — the coverage a service form opened that day
        would get (domain.PRECEDENCE): manufacturer warranty, repair warranty, contract, or none.
        Each card is in exactly one status; `also` lists the other covers that hold."""
        query = load(ByCoverageQuery(), query or {})
        day = query["on"] or domain.local_today()
        holds = (select(CoveragePeriod.id).where(CoveragePeriod.device_id == Device.id,
                                                 CoveragePeriod.start <= day,
                                                 CoveragePeriod.end >= day))
        if query["status"] == domain.NONE:
            stmt = select(Device, Customer.name).where(~exists(holds))
        else:
            rank = domain.PRECEDENCE.index(query["status"])
            stmt = select(Device, Customer.name).where(
                exists(holds.where(CoveragePeriod.kind == query["status"])),
                *[~exists(holds.where(CoveragePeriod.kind == better))
                  for better in domain.PRECEDENCE[:rank]])
        stmt = stmt.join(Customer, Customer.id == Device.customer_id)
        if query["customer_id"] is not None:
            stmt = stmt.where(Device.customer_id == query["customer_id"])
        if query["cursor"]:
            (last_id,) = decode_cursor(query["cursor"], int)
            stmt = stmt.where(Device.id > last_id)
        rows = self.db.execute(stmt.order_by(Device.id).limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda r: [r[0].id])
        periods = {}
        ids = [d.id for d, _ in page]
        for p in (self.db.scalars(select(CoveragePeriod).where(
                CoveragePeriod.device_id.in_(ids))) if ids else ()):
            periods.setdefault(p.device_id, []).append(
                domain.Period(p.kind, p.start, p.end, p.source_id, p.source_ref))
        return {"on": day.isoformat(), "items": [
            {**_card(d, name), "coverage": _coverage_out(
                domain.coverage_on(periods.get(d.id, []), day))} for d, name in page],
            "next_cursor": cursor}

    # -- import ----------------------------------------------------------------------------
    @rpc
    def create_import(self, data, actor=None):
        """A new import job, receiving rows (add_import_rows) until start_import."""
        keys = data.get("keys") if isinstance(data, dict) else None
        if not isinstance(keys, list) or not all(k is None or isinstance(k, str) for k in keys):
            raise ValidationFailed("The input is not valid.", {"keys": ["A list of column keys."]})
        job = ImportJob(status="receiving", filename=str(data.get("filename") or "")[:200] or None,
                        keys=json.dumps(keys), ignored_columns=json.dumps(
                            [str(c)[:100] for c in data.get("ignored_columns") or []][:100]),
                        by_id=(actor or {}).get("id"), by_name=(actor or {}).get("name"))
        self.db.add(job)
        self.db.commit()
        return self._job_out(job)

    @rpc
    def add_import_rows(self, job_id, rows):
        """Stage rows [[row_no, {column key: cell}], …] of a receiving job (importer.read_csv's
        rows; a row sent twice counts once)."""
        job = self._job(job_id)
        if job.status != "receiving":
            raise Conflict(f"Import {job_id} is {job.status}; rows can no longer be added.",
                           {"status": job.status})
        try:
            staged = {n: {str(k): v for k, v in cells.items()} for n, cells in rows
                      if is_id(n) and all(isinstance(v, (str, int)) for v in cells.values())}
            if len(staged) != len(rows):
                raise ValueError
        except (TypeError, ValueError, AttributeError):
            raise ValidationFailed("The input is not valid.", {
                "rows": ["A list of [row number, {column: text}]."]})
        known = set(self.db.scalars(select(ImportRow.row_no).where(
            ImportRow.job_id == job.id, ImportRow.row_no.in_(list(staged)))))
        new = [{"job_id": job.id, "row_no": n, "values": json.dumps(v, ensure_ascii=False),
                "status": "pending"} for n, v in staged.items() if n not in known]
        if new:
            self.db.execute(insert(ImportRow), new)
        self.db.commit()
        return {"received": len(new)}

    @rpc
    def start_import(self, job_id):
        job = self._job(job_id)
        if job.status == "receiving":
            job.total = self.db.scalar(select(func.count()).select_from(ImportRow).where(
                ImportRow.job_id == job.id))
            job.status = "queued"
            self.db.commit()
            self.importer.wake()
        return self._job_out(job)

    @rpc
    def get_import(self, job_id, query=None):
        """The job's progress and its failed rows (row number and reasons), paged."""
        query = query or {}
        job = self._job(job_id)
        limit = query.get("limit", 100)
        if not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise ValidationFailed("The input is not valid.", {"limit": ["1 to 1000."]})
        stmt = select(ImportRow.row_no, ImportRow.errors).where(
            ImportRow.job_id == job.id, ImportRow.status == "failed")
        if query.get("cursor"):
            (after,) = decode_cursor(query["cursor"], int)
            stmt = stmt.where(ImportRow.row_no > after)
        rows = self.db.execute(stmt.order_by(ImportRow.row_no).limit(limit + 1)).all()
        page, cursor = page_of(rows, limit, lambda r: [r[0]])
        return {**self._job_out(job),
                "errors": [{"row": n, "errors": json.loads(e)} for n, e in page],
                "errors_next_cursor": cursor}

    def _job(self, job_id):
        job = self.db.get(ImportJob, job_id) if is_id(job_id) else None
        if job is None:
            raise NotFound(f"Import {job_id} not found.", {"import_id": job_id})
        return job

    def _job_out(self, job):
        return {"id": job.id, "status": job.status, "filename": job.filename,
                "total": job.total, "processed": job.processed, "created": job.created,
                "updated": job.updated, "unchanged": job.unchanged, "failed": job.failed,
                "ignored_columns": json.loads(job.ignored_columns),
                "by": {"id": job.by_id, "name": job.by_name},
                "created_at": job.created_at.isoformat(),
                "finished_at": job.finished_at.isoformat() if job.finished_at else None}

    # -- events: coverage from contracts and forms -----------------------------------------
    @handles("contracts", "contract_activated")
    def handle_contract_activated(self, event):
        self.archive.coverage_from_event(event)

    @handles("contracts", "contract_expired")
    def handle_contract_expired(self, event):
        self.archive.coverage_from_event(event)

    @handles("forms", "form_completed")
    def handle_form_completed(self, event):
        self.archive.coverage_from_event(event)

    def _commit(self):
        try:
            self.db.commit()
        except StaleDataError:
            self.db.rollback()
            raise Conflict("The card was changed at the same moment by someone else; read it "
                           "again.", {})

    def _card_of(self, device):
        return _card(device, self.db.scalar(select(Customer.name).where(
            Customer.id == device.customer_id)))
