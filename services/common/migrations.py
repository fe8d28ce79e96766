"""Each service's schema under Alembic: its own history (services/<name>/migrations/versions)
and its own version table (`alembic_version_<name>`), so two services could even share one
database without touching each other's history.

How a database gets its tables:
- `make migrate` (deploy/migrate.py; the Kubernetes Job, compose's `migrate`) runs
  `upgrade(name, url)` for each service: every migration not applied yet, under a PostgreSQL
  advisory lock (two runs at once wait for each other). A database made before migrations
  existed (tables, no version table) is stamped at the first migration, which is that schema,
  then upgraded.
- A service at start (`Database.setup`, services/common/db.py) calls `prepare(engine, name)`:
  an empty database gets the current schema in one `create_all` and is stamped at head (what
  upgrading from nothing would give — tests/…/test_migrations.py compares the two on SQLite
  and PostgreSQL; a new database costs no replay of history, which every test makes); a
  database at head starts; one behind its migrations (or made before them) is refused with
  the command to run. Replicas starting together on an empty database do so under the same
  advisory lock, so one creates and the others find it at head.
- `make run` / `make up` migrate the embedded SQLite databases themselves before starting."""
import importlib
import os
import pathlib

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from services.common.models import CommonBase

SCHEMA_LOCK = 7_220_301  # a PostgreSQL advisory lock: one process changes the schema at once
ROOT = pathlib.Path(__file__).resolve().parents[2]


class SchemaBehind(Exception):
    """The database is behind the service's migrations: the service does not start."""


def run_env():
    """The body of every service's migrations/env.py: Alembic run on the connection this
    module opened, against the service's tables."""
    from alembic import context
    name = context.config.attributes["service"]
    context.configure(connection=context.config.attributes["connection"],
                      target_metadata=metadatas(name), version_table=version_table(name),
                      render_as_batch=True,  # SQLite changes a table by copying it
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def version_table(name):
    return f"alembic_version_{name}"


def metadatas(name):
    """The service's tables: the shared ones (outbox, processed events, dead letters) and its
    own (services/<name>/models.py Base)."""
    models = importlib.import_module(f"services.{name}.models")
    return [CommonBase.metadata, models.Base.metadata]


def config(name, connection=None):
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "services" / name / "migrations"))
    cfg.attributes["service"] = name
    cfg.attributes["connection"] = connection
    return cfg


def head(name):
    return ScriptDirectory.from_config(config(name)).get_current_head()


def first(name):
    return ScriptDirectory.from_config(config(name)).get_base()


def current(connection, name):
    ctx = MigrationContext.configure(connection, opts={"version_table": version_table(name)})
    return ctx.get_current_revision()


def _lock(connection):
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")


def _has_tables(connection, name):
    ours = {t for md in metadatas(name) for t in md.tables}
    return bool(ours & set(inspect(connection).get_table_names()))


def upgrade(engine, name, to="head"):
    """Apply the service's migrations up to `to`; returns (before, after) revisions, before
    "stamped" for a database made before migrations (stamped at the first one).

    On SQLite a migration that changes a table copies it (Alembic's batch mode: create the
    new table, copy, DROP the old, rename); with foreign keys enforced, the DROP of a table
    other rows refer to fails. So, as Alembic's documentation advises, foreign keys are off
    while the migrations run (the PRAGMA only takes effect outside a transaction), checked
    with `PRAGMA foreign_key_check` before the commit, and on again after."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        # on the driver's connection: through SQLAlchemy the PRAGMA would open a transaction
        # first (make_engine's BEGIN) and do nothing
        pragma = conn.connection.driver_connection.execute if sqlite else None
        if sqlite:
            pragma("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                return _upgrade(conn, name, to, check_keys=sqlite)
        finally:
            if sqlite:
                pragma("PRAGMA foreign_keys=ON")


def _upgrade(conn, name, to, check_keys):
    _lock(conn)
    before = current(conn, name)
    if before is None and _has_tables(conn, name):
        # made before migrations: what a start did then (create what is missing, add
        # the columns added since) makes it the first migration's schema; stamped there
        from services.common.db import add_missing_columns
        for md in metadatas(name):
            md.create_all(conn)
            add_missing_columns(conn, md)
        command.stamp(config(name, conn), first(name))
        before = "stamped"
    command.upgrade(config(name, conn), to)
    if check_keys:
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"{name}: the upgrade left rows whose foreign keys point "
                               f"nowhere (table, rowid, parent, key): {broken[:10]}")
    return before, current(conn, name)


def differences(connection, name):
    """What differs between the database's tables and this version's models (Alembic's
    autogenerate comparison), as a list of Alembic diff tuples; [] when they agree."""
    from alembic.autogenerate import compare_metadata
    ctx = MigrationContext.configure(connection, opts={
        "version_table": version_table(name), "compare_type": True,
        "target_metadata": metadatas(name)})
    return compare_metadata(ctx, metadatas(name))


def prepare(engine, name, url_for_message=""):
    """At a service's start: create an empty database at head, accept one at head, refuse
    one behind (SchemaBehind naming the command). A database without a version table whose
    tables are exactly this version's (made by `create_all`, as the benchmarks and some tests
    make theirs, or before migrations began) is stamped at head."""
    with engine.begin() as conn:
        _lock(conn)
        at, want = current(conn, name), head(name)
        if at == want:
            return "current"
        if at is None and not _has_tables(conn, name):
            for md in metadatas(name):
                md.create_all(conn)
            command.stamp(config(name, conn), want)
            return "created"
        if at is None and not differences(conn, name):
            command.stamp(config(name, conn), want)
            return "stamped"
    where = f" ({url_for_message})" if url_for_message else ""
    raise SchemaBehind(
        f"the database of {name}{where} is at migration {at or 'none (made before migrations)'}"
        f", this version needs {want}: run `make migrate` (python deploy/migrate.py upgrade) "
        "and start it again")


def url_for_message(url):
    """A database URL without its password."""
    from sqlalchemy.engine import make_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return os.path.basename(url)
