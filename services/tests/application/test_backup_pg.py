"""make backup / make restore on PostgreSQL (pg_dump -Fc, pg_restore): every service's
database and the gateway's, restored into new empty databases with their rows and their
migration; a restore into a database that holds tables is refused and writes nothing.
(SQLite, through the running system: tests/e2e/test_backup_restore.py.)"""
import contextlib
import json
import os

import pytest
from sqlalchemy import text

from deploy import backup
from services.common import migrations
from services.common.db import make_engine
from services.common.testing import postgres_available, temporary_postgres_database
from services.registry import NAMES


@contextlib.contextmanager
def databases(monkeypatch, tmp_path, prefix):
    with contextlib.ExitStack() as stack:
        urls = {name: stack.enter_context(temporary_postgres_database(f"{prefix}_{name}"))
                for name in (*NAMES, "gateway")}
        for name, url in urls.items():
            monkeypatch.setenv(f"{name.upper()}_DATABASE_URL", url)
        monkeypatch.setenv("DATA_DIR", str(tmp_path))
        yield urls


def rows(url):
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT name, version FROM customers ORDER BY id")).all()
    finally:
        engine.dispose()


def test_backup_and_restore_on_postgresql(monkeypatch, tmp_path, capsys):
    if "postgresql" not in os.environ.get("TEST_BACKENDS", "sqlite,postgresql").split(","):
        pytest.skip("TEST_BACKENDS leaves PostgreSQL out (make test-unit: SQLite only)")
    ok, why = postgres_available()
    if not ok:
        pytest.skip(why)
    target = tmp_path / "backup"
    with databases(monkeypatch, tmp_path / "a", "bk_src") as source:
        for name in NAMES:
            engine = make_engine(source[name])
            migrations.prepare(engine, name)
            engine.dispose()
        engine = make_engine(source["devices"])
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO customers (name, name_folded, name_sort, language, rep_language, "
                "report_frequency, version, created_at, updated_at) VALUES ('Işık A.Ş.', "
                "'isik a.s.', 'x', 'tr', 'tr', 'none', 3, now(), now())"))
        engine.dispose()
        backup.backup(str(target))
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["databases"]["devices"] == {
        "kind": "postgresql", "file": "devices.pgdump", "migration": migrations.head("devices")}

    with databases(monkeypatch, tmp_path / "b", "bk_dst") as restored:
        backup.restore(str(target))
        assert rows(restored["devices"]) == [("Işık A.Ş.", 3)]
        for name in NAMES:  # each at its migration: a service starts on it
            assert migrations.prepare(make_engine(restored[name]), name) == "current"
        assert backup.main(["restore", str(target)]) == 1
        err = capsys.readouterr().err
        assert "restore goes into empty databases only; these hold data: " in err
        assert "devices (" in err
        assert rows(restored["devices"]) == [("Işık A.Ş.", 3)]  # nothing written twice
