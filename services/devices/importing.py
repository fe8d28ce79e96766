"""The import job. `ImportJobs(session)` creates a job, stages its rows, queues it and reads
its progress (the caller commits). `ImportRunner`, a background loop in the devices service,
applies the staged rows of queued jobs in batches, one transaction per batch (a batch that hits
a conflict is redone one row per transaction, so no row is ever half-written and good rows
stay). Progress (the job's counts and position) is committed with each batch, guarded by the
position read, so two replicas never apply the same batch and a restart resumes where it
stopped."""
import json
import logging

import eventlet
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import DBAPIError, OperationalError

from services.common.exceptions import (Conflict, NotFound, ServisError, ValidationFailed,
                                        field_message, invalid)
from services.common.loop import BackgroundLoop
from services.common.models import utcnow
from services.common.outbox import add_event
from services.common.schemas import decode_cursor, is_id, load, page_of
from services.devices import importer
from services.devices.archive import Archive, RowError
from services.devices.models import ImportJob, ImportRow
from services.devices.schemas import ImportCustomer, ImportDevice
from services.devices.settings import DevicesSettings

log = logging.getLogger(__name__)

NOT_WRITTEN = "Could not be written ({error}); import the file again."
# An empty cell changes nothing on an existing record: these parsed values have defaults that
# would otherwise overwrite what the card or customer holds.
DEFAULTED = {"customer_language": ("customer", "language"), "insured": ("device", "insured"),
             "currency": ("device", "currency")}


class _Stale(Exception):
    """Another runner applied this batch first."""


def parse(values):
    """A staged row's cells -> (row ready for Archive.import_row, None) or (None, errors).
    Whatever goes wrong with one row is that row's error, never the job's."""
    try:
        return _parse(values)
    except Exception as exc:  # a parser bug must not stall the queue: report it on the row
        log.exception("import row could not be parsed")
        return None, {"_row": [field_message("Could not be read ({error}).",
                                             {"error": type(exc).__name__})]}


def _parse(values):
    if values.get("_extra"):
        return None, {"_row": [field_message(
            "The row has more cells than the header has columns.")]}
    if values.get("_duplicate_of"):
        return None, {"serial": [field_message(
            "The same brand and serial number are on row {row} of this file.",
            {"row": values["_duplicate_of"]})]}
    row, errors = importer.parse_row(values)
    if errors:
        return None, errors
    for key, (part, field) in DEFAULTED.items():
        if not (values.get(key) or "").strip():
            row[part].pop(field, None)
    try:
        return {"customer": load(ImportCustomer(), row["customer"]),
                "device": load(ImportDevice(), row["device"])}, None
    except ServisError as exc:
        return None, exc.details


def job_out(job):
    return {"id": job.id, "status": job.status, "filename": job.filename,
            "total": job.total, "processed": job.processed, "created": job.created,
            "updated": job.updated, "unchanged": job.unchanged, "failed": job.failed,
            "ignored_columns": json.loads(job.ignored_columns),
            "by": {"id": job.by_id, "name": job.by_name},
            "created_at": job.created_at.isoformat(),
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}


class ImportJobs:
    """Import jobs over one session, for the RPCs: a job receives rows until it is started,
    then waits for the runner."""

    def __init__(self, session):
        self.db = session

    def job(self, job_id):
        job = self.db.get(ImportJob, job_id) if is_id(job_id) else None
        if job is None:
            raise NotFound("Import {import_id} not found.", {"import_id": job_id})
        return job

    def create(self, data, actor=None):
        """A new import job, receiving rows (add_rows) until it is queued."""
        keys = data.get("keys") if isinstance(data, dict) else None
        if not isinstance(keys, list) or not all(k is None or isinstance(k, str) for k in keys):
            raise invalid(keys=["A list of column keys."])
        job = ImportJob(status="receiving", filename=str(data.get("filename") or "")[:200] or None,
                        keys=json.dumps(keys), ignored_columns=json.dumps(
                            [str(c)[:100] for c in data.get("ignored_columns") or []][:100]),
                        by_id=(actor or {}).get("id"), by_name=(actor or {}).get("name"))
        self.db.add(job)
        self.db.flush()
        return job

    def add_rows(self, job_id, rows):
        """Stage rows [[row_no, {column key: cell}], …] of a receiving job (importer.read_csv's
        rows; a row sent twice counts once); returns how many were new."""
        job = self.job(job_id)
        if job.status != "receiving":
            raise Conflict("Import {import_id} is {status}; rows can no longer be added.",
                           {"import_id": job.id, "status": job.status})
        try:
            staged = {n: {str(k): v for k, v in cells.items()} for n, cells in rows
                      if is_id(n) and all(isinstance(v, (str, int)) for v in cells.values())}
            if len(staged) != len(rows):
                raise ValueError
        except (TypeError, ValueError, AttributeError):
            raise invalid(rows=["A list of [row number, cells by column key]."])
        known = set(self.db.scalars(select(ImportRow.row_no).where(
            ImportRow.job_id == job.id, ImportRow.row_no.in_(list(staged)))))
        new = [{"job_id": job.id, "row_no": n, "values": json.dumps(v, ensure_ascii=False),
                "status": "pending"} for n, v in staged.items() if n not in known]
        if new:
            self.db.execute(insert(ImportRow), new)
        return len(new)

    def queue(self, job):
        """A receiving job is counted and queued for the runner; True when it was."""
        if job.status != "receiving":
            return False
        job.total = self.db.scalar(select(func.count()).select_from(ImportRow).where(
            ImportRow.job_id == job.id))
        job.status = "queued"
        return True

    def progress(self, job_id, query):
        """The job's progress and its failed rows (row number and reasons), paged."""
        job = self.job(job_id)
        limit = query.get("limit", 100)
        if not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise invalid(limit=["1 to 1000."])
        stmt = select(ImportRow.row_no, ImportRow.errors).where(
            ImportRow.job_id == job.id, ImportRow.status == "failed")
        if query.get("cursor"):
            (after,) = decode_cursor(query["cursor"], int)
            stmt = stmt.where(ImportRow.row_no > after)
        rows = self.db.execute(stmt.order_by(ImportRow.row_no).limit(limit + 1)).all()
        page, cursor = page_of(rows, limit, lambda r: [r[0]])
        return {**job_out(job),
                "errors": [{"row": n, "errors": json.loads(e)} for n, e in page],
                "errors_next_cursor": cursor}


class ImportRunner(BackgroundLoop):
    batch_size = 100

    def __init__(self, database_attr="db", outbox_attr="outbox"):
        super().__init__()
        self.database_attr, self.outbox_attr = database_attr, outbox_attr

    def setup(self):
        self.database = self.provider(self.database_attr)
        self.outbox = self.provider(self.outbox_attr)
        settings = DevicesSettings.from_config(self.container.config)
        self.poll_seconds = settings.import_poll_seconds
        self.batch_size = settings.import_batch_size

    def get_dependency(self, worker_ctx):
        return self  # entrypoints call wake() when a job is queued

    def step(self):
        with self.database.Session() as session:
            job = session.scalars(select(ImportJob).where(ImportJob.status.in_(
                ("queued", "running"))).order_by(ImportJob.id).limit(1)).first()
            if job is None:
                return False
            job_id, position = job.id, job.position
            rows = session.execute(select(ImportRow.row_no, ImportRow.values).where(
                ImportRow.job_id == job_id, ImportRow.row_no > position)
                .order_by(ImportRow.row_no).limit(self.batch_size)).all()
        if not rows:
            with self.database.Session() as session, session.begin():
                session.execute(update(ImportJob).where(ImportJob.id == job_id).values(
                    status="done", finished_at=utcnow()))
            return True
        batch = [(n, parse(json.loads(v))) for n, v in rows]
        try:
            self._apply(job_id, position, batch)
        except _Stale:
            return True
        except Exception as exc:
            if isinstance(exc, DBAPIError) and not isinstance(exc, OperationalError):
                return self._row_by_row(job_id, position, batch)
            raise  # the database is away: the loop retries at its next poll
        self.outbox.wake()
        return True

    def _row_by_row(self, job_id, position, batch):
        """A batch that hit a conflict (a card registered at the same moment by someone else),
        redone one row per transaction so the others still go in."""
        log.info("import %s: batch after row %s redone row by row", job_id, position)
        for item in batch:
            try:
                self._apply(job_id, position, [item])
            except _Stale:
                return True
            except DBAPIError as exc:
                self._apply(job_id, position, [(item[0], (None, {"_row": [field_message(
                    NOT_WRITTEN, {"error": type(exc.orig).__name__})]}))])
            position = item[0]
        self.outbox.wake()
        return True

    def _apply(self, job_id, position, batch):
        """Apply `batch` [(row_no, (row, errors))] and move the job's position past it, in one
        transaction."""
        with self.database.Session() as session:
            added = []

            def emit(event_type, payload):
                added.append(add_event(session, "devices", event_type, payload))

            archive = Archive(session, emit)
            counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
            results = []
            for i, (row_no, (row, errors)) in enumerate(batch):
                if i % 10 == 9:
                    eventlet.sleep(0)  # sqlite3 never yields: let RPC workers and heartbeats run
                if row is not None:
                    try:
                        with session.begin_nested():
                            outcome = archive.import_row(row, {"id": None, "name": "import"})
                        counts[outcome] += 1
                        results.append((row_no, "done", None))
                        continue
                    except RowError as exc:
                        errors = exc.errors
                    except ValidationFailed as exc:  # details: {field: [messages]}
                        errors = exc.details or {"_row": [exc.message]}
                    except ServisError as exc:  # details: what the message is about
                        errors = {"_row": [exc.message]}
                    except OperationalError:
                        raise  # the database is away: the whole batch waits for the next try
                    except Exception as exc:  # this row only (its savepoint is rolled back)
                        log.exception("import %s row %s", job_id, row_no)
                        errors = {"_row": [field_message(
                            NOT_WRITTEN, {"error": type(exc).__name__})]}
                counts["failed"] += 1
                results.append((row_no, "failed", json.dumps(errors, ensure_ascii=False)))
            done = [row_no for row_no, status, _ in results if status == "done"]
            if done:  # one statement for the good rows
                session.execute(update(ImportRow).where(
                    ImportRow.job_id == job_id, ImportRow.row_no.in_(done)).values(
                    status="done"))
            for row_no, status, errors in results:
                if status != "done":
                    session.execute(update(ImportRow).where(
                        ImportRow.job_id == job_id, ImportRow.row_no == row_no).values(
                        status=status, errors=errors))
            moved = session.execute(update(ImportJob).where(
                ImportJob.id == job_id, ImportJob.position == position).values(
                status="running", position=batch[-1][0], processed=ImportJob.processed
                + len(batch), **{k: getattr(ImportJob, k) + v for k, v in counts.items()}))
            if moved.rowcount != 1:
                session.rollback()
                raise _Stale()
            session.commit()
