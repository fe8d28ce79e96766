"""Database plumbing: one engine per service, a session per worker, safe under eventlet.

SQLite: one connection behind a QueuePool (pool_size=1, max_overflow=0) so writers wait for
each other on a green lock instead of sqlite's C busy-wait that freezes the hub (STYLE.md);
WAL journal. Workers must do no I/O (RPC, SMTP) while a transaction is open.
PostgreSQL: psycopg2 made cooperative with psycogreen when eventlet has patched the process.

`Reader`: sessions for RPCs that only read. On a SQLite file they run on connections of their
own (`query_only`), so a lookup reads WAL's last committed state instead of waiting for the
one writing connection, which a long transaction (an import's batch) holds; on PostgreSQL and
in-memory SQLite they are the service's Database sessions.
"""
import os

from nameko.extensions import DependencyProvider
from sqlalchemy import create_engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from services.common.migrations import SCHEMA_LOCK  # one schema change at once
from services.common.models import CommonBase


def database_url(config, service_name):
    """<SERVICE>_DATABASE_URL (through config DATABASE_URL), else a SQLite file in DATA_DIR."""
    url = config.get("DATABASE_URL") or os.environ.get(f"{service_name.upper()}_DATABASE_URL")
    if url:
        return url
    data_dir = config.get("DATA_DIR") or os.environ.get("DATA_DIR") or "./data"
    return f"sqlite:///{os.path.abspath(os.path.join(data_dir, service_name + '.db'))}"


def _green_psycopg():
    try:
        import eventlet.patcher
        if eventlet.patcher.is_monkey_patched("socket"):
            from psycogreen.eventlet import patch_psycopg
            patch_psycopg()
    except ImportError:  # pragma: no cover - eventlet is always installed here
        pass


def _begin(dbapi_connection):
    """SQLite's BEGIN, which SQLAlchemy leaves to us (the driver's own is off: see
    make_engine), on the driver itself and as the dialect's `do_begin`: where SQLAlchemy
    begins a transaction, inside its error handling. Through SQLAlchemy's statement path
    (`exec_driver_sql`, from a "begin" event) it cost about 5% of a customer event's CPU in
    forms (bench/events_cpu.py) and ~30 µs of every session that touches the database; and an
    engine with any connection event listener runs the statement events (none listened to)
    for every statement, ~6 µs each (issue 23, forms' reads)."""
    dbapi_connection.driver_connection.execute("BEGIN")


def make_engine(url, pool_size=10):
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        engine = create_engine(
            url, poolclass=QueuePool, pool_size=1, max_overflow=0, pool_timeout=60,
            connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            # freed space is zeroed: an erased person's bytes (KVKK, services/common/erasure.py)
            # do not stay in free pages of the file
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()
            # SQLAlchemy's recipe for pysqlite: let SQLAlchemy, not the driver, begin
            # transactions, so SAVEPOINT (Session.begin_nested) works.
            dbapi_conn.isolation_level = None

        engine.dialect.do_begin = _begin
        return engine
    if url.startswith("postgresql"):
        _green_psycopg()
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg2://" + url[len("postgresql://"):]
        return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    return create_engine(url)




def make_reader(engine, pool_size=4):
    """A read-only engine beside `engine` on a SQLite file (None otherwise: read there)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    reader = create_engine(
        url, poolclass=QueuePool, pool_size=pool_size, max_overflow=0, pool_timeout=60,
        connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(reader, "connect")
    def _pragmas(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA query_only=ON")  # a write through it is an error, not a second
        cur.close()                          # writer busy-waiting beside the first
        dbapi_conn.isolation_level = None

    reader.dialect.do_begin = _begin  # one snapshot for the worker's reads
    return reader


def create_schema(engine, *metadatas):
    """Create what is missing, in one transaction. On PostgreSQL under an advisory lock:
    replicas starting together on a new database would otherwise race (one of them failing
    on the catalogue's unique keys)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
        for metadata in (CommonBase.metadata, *metadatas):
            metadata.create_all(conn)
            add_missing_columns(conn, metadata)


def add_missing_columns(conn, metadata):
    """A table made by an earlier version gets the columns added since, so an existing
    DATA_DIR keeps working after an upgrade: nullable columns (the outbox's claim), and NOT
    NULL columns with a server default (a customer's version: every existing row gets the
    default, on SQLite and PostgreSQL alike). Only additive; a NOT NULL column without a
    server default, and anything else, waits for real migrations (Alembic, issue 22)."""
    from sqlalchemy import inspect
    from sqlalchemy.schema import CreateColumn
    inspector = inspect(conn)
    for table in metadata.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present or column.primary_key:
                continue
            if column.nullable:
                spec = f'"{column.name}" {column.type.compile(dialect=conn.dialect)}'
            elif column.server_default is not None:
                spec = str(CreateColumn(column).compile(dialect=conn.dialect))
            else:
                continue
            conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN {spec}')


def _migrated(name):
    from services.registry import NAMES
    return name in NAMES and os.path.isdir(os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), name, "migrations"))


class _SessionPerWorker(DependencyProvider):
    """A session of `self.Session` per worker, closed (what was not committed rolled back)
    when the worker ends; the engine it built disposed at stop."""
    engine = Session = None

    def get_dependency(self, worker_ctx):
        session = self.sessions[worker_ctx] = self.Session()
        return session

    def worker_teardown(self, worker_ctx):
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            session.close()

    def stop(self):
        if self.engine is not None:
            self.engine.dispose()


class Database(_SessionPerWorker):
    """Gives each worker a SQLAlchemy session; closes it (rolling back what was not committed)
    when the worker ends. The engine is built in setup() and disposed in stop()."""

    def __init__(self, *metadatas, seed=None):
        self.metadatas = metadatas
        self.seed = seed  # seed(session): first data of a new database (e.g. a catalogue)
        self.engine = None
        self.Session = None
        self.sessions = {}

    def setup(self):
        config = self.container.config
        name = self.container.service_name
        url = database_url(config, name)
        self.engine = make_engine(url, pool_size=int(config.get("DB_POOL_SIZE", 10)))
        if _migrated(name):  # a service of the registry: its migrations decide
            from services.common import migrations
            migrations.prepare(self.engine, name, migrations.url_for_message(url))
        else:  # a service a test defines: its tables as they are
            create_schema(self.engine, *self.metadatas)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)
        if self.seed is not None:
            with self.Session() as session:
                try:
                    self.seed(session)
                    session.commit()
                except IntegrityError:  # another replica seeded it at the same moment
                    session.rollback()


class Reader(_SessionPerWorker):
    """A session per worker for RPCs that only read (`database_attr`: the service's Database
    provider), made when the worker first uses it: `reading` holds the workers that are
    reading now (an import gives way to them: services/devices/importing.py). Its engine is
    built at the first use, when every provider's setup has run."""

    def __init__(self, database_attr="db"):
        self.database_attr = database_attr
        self.engine = self.Session = None
        self.sessions = {}
        self.reading = set()

    def _sessionmaker(self):
        if self.Session is None:
            database = next(d for d in self.container.dependencies
                            if d.attr_name == self.database_attr)
            self.engine = make_reader(database.engine)
            self.Session = (database.Session if self.engine is None
                            else sessionmaker(self.engine, expire_on_commit=False))
        return self.Session

    def start(self):
        self._sessionmaker()

    def get_dependency(self, worker_ctx):
        return _FirstUse(self, worker_ctx)

    def worker_teardown(self, worker_ctx):
        self.reading.discard(worker_ctx)
        super().worker_teardown(worker_ctx)


class _FirstUse:
    """The worker's read session, opened at its first use (most of a service's workers never
    read through it), which marks the worker as reading until it ends."""
    __slots__ = ("_reader", "_worker_ctx", "_session")

    def __init__(self, reader, worker_ctx):
        self._reader, self._worker_ctx, self._session = reader, worker_ctx, None

    def __getattr__(self, name):
        if self._session is None:
            reader = self._reader
            self._session = reader.sessions[self._worker_ctx] = reader._sessionmaker()()
            reader.reading.add(self._worker_ctx)
        return getattr(self._session, name)
