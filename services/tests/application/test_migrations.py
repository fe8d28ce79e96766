"""Every service's migrations (services/common/migrations.py) on SQLite and PostgreSQL: the
history gives exactly the models' tables; a service's start creates an empty database at
head, accepts one at head or one made by create_all before migrations, and refuses one whose
tables are not this version's, naming the command; `make migrate` (deploy/migrate.py) stamps
a database made before migrations and brings an empty one to head."""
import pytest
from sqlalchemy import text

from deploy import migrate
from services.common import migrations
from services.common.db import create_schema, make_engine
from services.registry import NAMES


@pytest.fixture
def engine_for(database_url):
    engines = []

    def make(name):
        engine = make_engine(database_url(name))
        engines.append(engine)
        return engine
    yield make
    for engine in engines:
        engine.dispose()


def at(engine, name):
    with engine.connect() as conn:
        return migrations.current(conn, name)


@pytest.mark.parametrize("name", NAMES)
def test_the_history_gives_the_models_tables(engine_for, name):
    engine = engine_for(name)
    assert migrations.upgrade(engine, name) == (None, migrations.head(name))
    with engine.connect() as conn:
        assert migrations.differences(conn, name) == []
    assert migrations.upgrade(engine, name)[0] == migrations.head(name)  # again: nothing


@pytest.mark.parametrize("name", NAMES)
def test_a_start_creates_accepts_stamps_and_refuses(engine_for, name):
    import importlib
    models = importlib.import_module(f"services.{name}.models")
    fresh = engine_for(name)
    assert migrations.prepare(fresh, name) == "created"
    assert at(fresh, name) == migrations.head(name)
    assert migrations.prepare(fresh, name) == "current"

    before = engine_for(name + "_before")  # made by create_all, as before migrations
    create_schema(before, models.Base.metadata)
    assert migrations.prepare(before, name) == "stamped"
    assert at(before, name) == migrations.head(name)

    other = engine_for(name + "_other")  # tables, no version, not this version's tables
    create_schema(other, models.Base.metadata)
    table = sorted(models.Base.metadata.tables)[0]
    with other.begin() as conn:
        conn.execute(text(f'DROP TABLE "{table}"' + (" CASCADE" if conn.dialect.name ==
                                                     "postgresql" else "")))
    with pytest.raises(migrations.SchemaBehind) as refused:
        migrations.prepare(other, name, "db-of-test")
    assert str(refused.value) == (
        f"the database of {name} (db-of-test) is at migration none (made before migrations), "
        f"this version needs {migrations.head(name)}: run `make migrate` (python "
        "deploy/migrate.py upgrade) and start it again")
    assert at(other, name) is None  # nothing written


def test_make_migrate_says_what_it_did(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    for name in NAMES:
        monkeypatch.delenv(f"{name.upper()}_DATABASE_URL", raising=False)
    import importlib
    models = importlib.import_module("services.forms.models")
    engine = make_engine(f"sqlite:///{tmp_path}/forms.db")
    create_schema(engine, models.Base.metadata)  # forms made before migrations
    engine.dispose()
    assert migrate.main(["upgrade"]) == 0
    lines = capsys.readouterr().out.splitlines()
    head = migrations.head("forms")
    assert f"forms: made before migrations, stamped at {migrations.first('forms')} -> {head} " \
           f"(sqlite:///{tmp_path}/forms.db)" in lines
    assert f"devices: empty -> {migrations.head('devices')} (sqlite:///{tmp_path}/devices.db)" \
        in lines
    assert migrate.main(["status", "forms"]) == 0
    assert capsys.readouterr().out == (f"forms: at {head}, head {head} "
                                       f"(sqlite:///{tmp_path}/forms.db)\n")
    assert migrate.main(["sideways"]) == 2


def test_an_old_data_dir_gets_the_columns_added_since_then_its_stamp(engine_for):
    """A database from before a column was added (customers' `version`): a start refuses
    it; `make migrate` adds the column as starts did then, stamps, and the data stays."""
    from services.devices import models
    engine = engine_for("devices_old")
    create_schema(engine, models.Base.metadata)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (name, name_folded, name_sort, language, "
                          "rep_language, report_frequency, created_at, updated_at) VALUES "
                          "('Işık A.Ş.', 'isik a.s.', 'x', 'tr', 'tr', 'none', "
                          "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        conn.execute(text("ALTER TABLE customers DROP COLUMN version"))
    with pytest.raises(migrations.SchemaBehind):
        migrations.prepare(engine, "devices")
    assert migrations.upgrade(engine, "devices") == ("stamped", migrations.head("devices"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name, version FROM customers")).all() == [
            ("Işık A.Ş.", 1)]
        assert migrations.differences(conn, "devices") == []
    assert migrations.prepare(engine, "devices") == "current"
