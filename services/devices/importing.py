"""The import job. `ImportJobs(session)` creates a job, stages its rows, queues it and reads
its progress (the caller commits). `ImportRunner`, a background loop in the devices service,
applies the staged rows of queued jobs in batches, one transaction per batch (a batch that hits
a conflict is redone one row per transaction, so no row is ever half-written and good rows
stay). Progress (the job's counts and position) is committed with each batch, guarded by the
position read, so two replicas never apply the same batch and a restart resumes where it
stopped."""
import json
import logging
import time

import eventlet
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError, OperationalError

from services.common import access
from services.common.db import Reader
from services.common.exceptions import (Conflict, NotFound, ServisError, ValidationFailed,
                                        field_message, invalid)
from services.common.loop import BackgroundLoop
from services.common.models import utcnow
from services.common.outbox import add_event
from services.common.schemas import decode_cursor, is_id, page_of
from services.devices import importer
from services.devices.archive import Archive, RowError
from services.devices.bulk import IMPORT_ACTOR, BulkImport, Contended, parts
from services.devices.models import ImportJob, ImportRow
from services.devices.settings import BATCH_SIZE_BY_BACKEND, DevicesSettings

log = logging.getLogger(__name__)

NOT_WRITTEN = "Could not be written ({error}); import the file again."
WORKERS_FIRST_SECONDS = 0.05  # how long a batch waits for running RPC workers at most
GIVE_WAY_SECONDS = 0.02  # how long a pause inside a batch waits for them at most (SQLite)
GIVE_WAY_SECONDS_PG = 0.005  # on PostgreSQL, where a lookup waits for its round trips
# rows per write statement (bulk.BulkImport.chunk), with a pause between two: a statement
# does not yield on SQLite, and making a 500-row one (and its events) on PostgreSQL is CPU
# that does not either; the batch's whole INSERTs held a lookup 20-50 ms
WRITE_CHUNK = 50
STAGE_PART = 50  # rows per INSERT when staging a chunk of the upload (ImportJobs.add_rows)


STAGED = select(ImportRow.row_no).where(  # lists as expanding parameters: no coercion per value
    ImportRow.job_id == bindparam("job"), ImportRow.row_no.in_(bindparam("rows", expanding=True)))
ROWS_DONE = update(ImportRow.__table__).where(
    ImportRow.job_id == bindparam("job"),
    ImportRow.row_no.in_(bindparam("rows", expanding=True))).values(status="done")


class _Stale(Exception):
    """Another runner applied this batch first."""


def parse(values, kind="devices"):
    """A staged row's cells -> (row ready for Archive.import_row, None) or (None, errors).
    Whatever goes wrong with one row is that row's error, never the job's."""
    try:
        return _parse(values, kind)
    except Exception as exc:  # a parser bug must not stall the queue: report it on the row
        log.exception("import row could not be parsed")
        return None, {"_row": [field_message("Could not be read ({error}).",
                                             {"error": type(exc).__name__})]}


def _parse(values, kind="devices"):
    """importer.parse_values is the one check of a row (it checks every length, format and
    value the schemas of the API check, and the Turkish identifiers); it runs here, in
    devices, where the rules live, not in the gateway that cut the rows."""
    if values.get("_extra"):
        return None, {"_row": [field_message(
            "The row has more cells than the header has columns.")]}
    if values.get("_duplicate_of"):
        return None, {"serial": [field_message(
            "The same brand and serial number are on row {row} of this file.",
            {"row": values["_duplicate_of"]})]}
    return importer.parse_values(values, kind)


def job_out(job):
    return {"id": job.id, "status": job.status, "kind": job.kind or "devices",
            "filename": job.filename,
            "total": job.total, "processed": job.processed, "created": job.created,
            "updated": job.updated, "unchanged": job.unchanged, "failed": job.failed,
            "ignored_columns": json.loads(job.ignored_columns),
            "by": {"id": job.by_id, "name": job.by_name},
            "created_at": job.created_at.isoformat(),
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}


class ImportJobs:
    """Import jobs over one session, for the RPCs: a job receives rows until it is started,
    then waits for the runner."""

    def __init__(self, session, pause=None):
        self.db = session
        self.pause = pause or (lambda: None)  # between the parts of a staged chunk

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
        kind = data.get("kind") or "devices"
        if kind not in importer.KINDS:
            raise invalid(kind=[("One of: {kinds}.", {"kinds": ", ".join(importer.KINDS)})])
        job = ImportJob(status="receiving", kind=kind, filename=str(data.get("filename") or "")[:200] or None,
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
        known = set(self.db.scalars(STAGED, {"job": job.id, "rows": list(staged)}))
        fresh = [(n, v) for n, v in staged.items() if n not in known]
        # in parts, with a pause between two: a chunk of 250 rows was one ~10 ms stretch
        # without a yield (and a statement on SQLite never yields), which lookups waited for
        for part in parts(fresh, STAGE_PART, self.pause):
            self.db.execute(insert(ImportRow), [
                {"job_id": job.id, "row_no": n, "values": json.dumps(v, ensure_ascii=False),
                 "status": "pending"} for n, v in part])
        return len(fresh)

    def discard(self, job_id):
        """A job still receiving rows whose upload failed (a file found broken further on,
        the client gone): dropped with its rows. True when it was."""
        job = self.job(job_id)
        if job.status != "receiving":
            return False
        self.db.execute(delete(ImportRow).where(ImportRow.job_id == job.id))
        self.db.delete(job)
        return True

    def queue(self, job):
        """A receiving job is counted and queued for the runner; True when it was."""
        if job.status != "receiving":
            return False
        job.total = self.db.scalar(select(func.count()).select_from(ImportRow).where(
            ImportRow.job_id == job.id))
        job.status = "queued"
        return True

    def progress(self, job_id, query, actor=None):
        """The job's progress and its failed rows (row number and reasons), paged; an
        importer reads their own jobs, a manager or an admin every one (access.py)."""
        job = self.job(job_id)
        access.check_import_job(actor, job.by_id)
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
    """Applies queued jobs in batches. `IMPORT_MODE` bulk (the default: bulk.BulkImport,
    set-based statements) or rows (Archive.import_row one row per SAVEPOINT: the reference
    the bulk path is tested against). Contacts imports go row by row in both."""
    batch_size = None
    mode = "bulk"

    def __init__(self, database_attr="db", outbox_attr="outbox"):
        super().__init__()
        self.database_attr, self.outbox_attr = database_attr, outbox_attr

    def setup(self):
        self.database = self.provider(self.database_attr)
        self.outbox = self.provider(self.outbox_attr)
        settings = DevicesSettings.from_config(self.container.config)
        self.poll_seconds = settings.import_poll_seconds
        self.batch_size = settings.import_batch_size  # None: by the backend, at the first step
        self.mode = settings.import_mode

    def get_dependency(self, worker_ctx):
        return self  # entrypoints call wake() when a job is queued

    sqlite = None  # the backend, known at the first step (the engine is built in setup)
    write_chunk = WRITE_CHUNK  # rows per write statement (0: the whole batch in one)
    reading = ()  # the workers reading now (db.Reader), when the service has one

    def step(self):
        if self.sqlite is None:
            engine = getattr(self.database, "engine", None)
            self.sqlite = engine is not None and engine.dialect.name == "sqlite"
            reader = next((d for d in getattr(getattr(self, "container", None), "dependencies",
                                              ()) if isinstance(d, Reader)), None)
            self.reading = reader.reading if reader is not None else ()
        if self.batch_size is None:
            self.batch_size = BATCH_SIZE_BY_BACKEND.get(self.database.engine.dialect.name, 200)
        with self.database.Session() as session:
            job = session.scalars(select(ImportJob).where(ImportJob.status.in_(
                ("queued", "running"))).order_by(ImportJob.id).limit(1)).first()
            if job is None:
                return False
            job_id, position, kind = job.id, job.position, job.kind or "devices"
            rows = session.execute(select(ImportRow.row_no, ImportRow.values).where(
                ImportRow.job_id == job_id, ImportRow.row_no > position)
                .order_by(ImportRow.row_no).limit(self.batch_size)).all()
        if not rows:
            with self.database.Session() as session, session.begin():
                session.execute(update(ImportJob).where(ImportJob.id == job_id).values(
                    status="done", finished_at=utcnow()))
            return True
        batch = []
        for i, (n, v) in enumerate(rows):  # parsed before the transaction opens
            if i % 20 == 19:
                self._give_way()  # parsing is CPU: let RPC workers and heartbeats run
            batch.append((n, parse(json.loads(v), kind)))
        self._after_the_workers()
        mode = "rows" if kind == "contacts" else self.mode
        try:
            self._apply(job_id, position, batch, kind, mode)
        except _Stale:
            return True
        except Exception as exc:
            if isinstance(exc, Contended) or (isinstance(exc, DBAPIError)
                                              and not isinstance(exc, OperationalError)):
                return self._row_by_row(job_id, position, batch, kind)
            raise  # the database is away: the loop retries at its next poll
        self.outbox.wake()
        return True

    def _after_the_workers(self, most=WORKERS_FIRST_SECONDS):
        """Wait (at most `most` seconds) while the service's workers — RPCs, events — run
        (nameko's container keeps them in `_worker_threads`):
        a batch's transaction holds SQLite's one connection and the process (sqlite3 never
        yields), so an RPC that arrives during it waits for its end; one that is running when
        a batch would start goes first. An import under steady RPCs is slowed, never stopped."""
        workers = getattr(getattr(self, "container", None), "_worker_threads", None)
        deadline = time.monotonic() + most
        while workers and time.monotonic() < deadline:
            eventlet.sleep(0.001)

    def _give_way(self):
        """A pause inside a batch. On SQLite the workers that are reading (a lookup, a
        progress read: db.Reader's `reading`) finish first, at most GIVE_WAY_SECONDS: they
        read on connections of their own and sqlite3 never yields, so a lookup once running
        is done in one go and the wait costs the import only its CPU. A writer, which waits
        for the batch's connection, is not waited for (it could not finish before the batch
        does). On PostgreSQL a worker yields at every statement, so it would wait for the
        import's next slice after each of its round trips: there the pause waits for readers
        at most GIVE_WAY_SECONDS_PG (waiting as long as on SQLite left the CPU idle through
        their round trips: the 100k import's job took 171 s instead of 146)."""
        eventlet.sleep(0)
        reading = self.reading
        if reading:
            deadline = time.monotonic() + (GIVE_WAY_SECONDS if self.sqlite
                                           else GIVE_WAY_SECONDS_PG)
            while reading and time.monotonic() < deadline:
                eventlet.sleep(0.001)

    def _row_by_row(self, job_id, position, batch, kind):
        """A batch that hit a conflict (a card registered at the same moment by someone else),
        redone one row per transaction so the others still go in."""
        log.info("import %s: batch after row %s redone row by row", job_id, position)
        for item in batch:
            try:
                self._apply(job_id, position, [item], kind, "rows")
            except _Stale:
                return True
            except DBAPIError as exc:
                self._apply(job_id, position, [(item[0], (None, {"_row": [field_message(
                    NOT_WRITTEN, {"error": type(exc.orig).__name__})]}))], kind, "rows")
            position = item[0]
        self.outbox.wake()
        return True

    def _apply(self, job_id, position, batch, kind="devices", mode="rows"):
        """Apply `batch` [(row_no, (row, errors))] and move the job's position past it, in one
        transaction."""
        with self.database.Session() as session:
            if mode == "bulk":
                results = BulkImport(session, kind, pause=self._give_way,
                                     chunk=self.write_chunk or None).apply(batch)
            else:
                results = self._rows(session, job_id, batch, kind)
            counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
            for _, outcome, _ in results:
                counts[outcome or "failed"] += 1
            done = [row_no for row_no, outcome, _ in results if outcome]
            if done:  # one statement for the good rows
                session.execute(ROWS_DONE, {"job": job_id, "rows": done})
            failed = [{"b_job": job_id, "b_row": row_no, "errors": json.dumps(
                errors, ensure_ascii=False)} for row_no, outcome, errors in results
                if not outcome]
            if failed:
                session.execute(update(ImportRow.__table__).where(
                    ImportRow.job_id == bindparam("b_job"),
                    ImportRow.row_no == bindparam("b_row")).values(
                    status="failed", errors=bindparam("errors")), failed)
            moved = session.execute(update(ImportJob).where(
                ImportJob.id == job_id, ImportJob.position == position).values(
                status="running", position=batch[-1][0], processed=ImportJob.processed
                + len(batch), **{k: getattr(ImportJob, k) + v for k, v in counts.items()}))
            if moved.rowcount != 1:
                session.rollback()
                raise _Stale()
            session.commit()

    def _rows(self, session, job_id, batch, kind):
        """The row path: each row through the archive's rules in its own SAVEPOINT, so a bad
        row rolls back alone; [(row_no, outcome or None, errors or None)]."""
        archive = Archive(session, lambda event_type, payload: add_event(
            session, "devices", event_type, payload))
        apply = archive.import_contact if kind == "contacts" else (
            lambda row: archive.import_row(row, IMPORT_ACTOR))
        results = []
        for i, (row_no, (row, errors)) in enumerate(batch):
            if i % 10 == 9:
                self._give_way()  # sqlite3 never yields: let RPC workers and heartbeats run
            if row is not None:
                try:
                    with session.begin_nested():
                        outcome = apply(row)
                    results.append((row_no, outcome, None))
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
            results.append((row_no, None, errors))
        return results
