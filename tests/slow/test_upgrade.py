"""An upgrade keeps the data (make test-slow): for every service whose history has more than
one migration, on SQLite and PostgreSQL, a database is built at the previous migration (its
head's parent), filled with rows in every table (written through that schema, reflected,
as the previous version wrote them), upgraded with `make migrate`'s code, and read back: every
row is still there with every value it had, and the current models load each row."""
import datetime
import decimal
import importlib

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.orm import Session

from services.common import migrations
from services.common.db import make_engine
from services.common.testing import postgres_available, temporary_postgres_database
from services.registry import NAMES

UPGRADED = [n for n in NAMES
            if len(list(ScriptDirectory.from_config(migrations.config(n)).walk_revisions())) > 1]


def previous(name):
    script = ScriptDirectory.from_config(migrations.config(name))
    return script.get_revision(script.get_current_head()).down_revision


def value_for(column, row):
    """A value of the column's type, distinct per row; foreign keys point at row `row` of
    the referenced table (filled first)."""
    t = column.type
    if column.foreign_keys:
        return row
    if isinstance(t, sa.Boolean):
        return row % 2 == 0
    if isinstance(t, (sa.Integer, sa.BigInteger, sa.SmallInteger)):
        return row
    if isinstance(t, sa.Numeric):
        return decimal.Decimal(f"{row}.25")
    if isinstance(t, sa.DateTime):
        return datetime.datetime(2026, 1, row, 9, 30, tzinfo=datetime.timezone.utc)
    if isinstance(t, sa.Date):
        return datetime.date(2026, 1, row)
    if isinstance(t, sa.JSON):
        return {"row": row}
    length = getattr(t, "length", None) or 40
    return f"Işık-{column.name}-{row}"[:length]


def fill(engine, rows=3):
    """Rows in every table of the database as it is, in foreign-key order; returns what was
    written, by table."""
    meta = sa.MetaData()
    meta.reflect(engine)
    written = {}
    with engine.begin() as conn:
        for table in meta.sorted_tables:
            if table.name.startswith("alembic_version"):
                continue
            written[table.name] = []
            for row in range(1, rows + 1):
                values = {c.name: value_for(c, row) for c in table.columns}
                conn.execute(table.insert().values(**values))
                written[table.name].append(values)
    return written


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/upgrade.db"
        return
    ok, why = postgres_available()
    if not ok:
        pytest.fail(f"make test-slow upgrades on PostgreSQL too: {why}")
    with temporary_postgres_database("servis_upgrade") as pg:
        yield pg


@pytest.mark.parametrize("name", UPGRADED)
def test_an_upgrade_keeps_every_row(name, url):
    engine = make_engine(url)
    try:
        migrations.upgrade(engine, name, to=previous(name))
        written = fill(engine)
        assert migrations.upgrade(engine, name) == (previous(name), migrations.head(name))
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":  # off while migrating (batch copies), on again
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert migrations.differences(conn, name) == []
            meta = sa.MetaData()
            meta.reflect(conn)
            for table, rows in written.items():
                got = [dict(r._mapping) for r in conn.execute(
                    sa.select(meta.tables[table]).order_by(*meta.tables[table].primary_key))]
                assert len(got) == len(rows), table
                for before, after in zip(rows, got):
                    for column, value in before.items():
                        assert after[column] == value or (
                            isinstance(value, datetime.datetime)
                            and after[column].replace(tzinfo=datetime.timezone.utc) == value), \
                            (table, column)
        models = importlib.import_module(f"services.{name}.models")
        with Session(engine) as session:  # the current code reads every row
            for mapper in models.Base.registry.mappers:
                if mapper.local_table.name in written:  # tables the upgrade adds are empty
                    assert len(session.scalars(sa.select(mapper.class_)).all()) == 3, mapper
            for table, check in MADE_FROM_DATA.get(name, {}).items():
                if table not in written:  # made by this upgrade: from the rows there were
                    check(session, written)
    finally:
        engine.dispose()


def _plans_have_their_device(session, written):
    """contracts 0003: every plan there was gets its one device's row in the plan's devices."""
    got = session.execute(sa.text("SELECT plan_id, device_id FROM maintenance_plan_devices "
                                  "ORDER BY plan_id")).all()
    assert [tuple(r) for r in got] == [(p["id"], p["device_id"])
                                       for p in written["maintenance_plans"]]


# rows an upgrade makes from the data there was: {service: {the new table: its check}}
MADE_FROM_DATA = {"contracts": {"maintenance_plan_devices": _plans_have_their_device}}


def test_some_service_has_an_upgrade_to_test():
    assert UPGRADED, "no service has a second migration: nothing here tests an upgrade"
