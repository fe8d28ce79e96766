"""Backup and restore of every process's data, consistent while the system runs
(`make backup`, `make restore`).

  python deploy/backup.py backup [DIR]     DIR (default backups/<UTC time>) gets one file per
                                           database and the documents:
                                             <name>.sqlite3   SQLite's online backup API: a
                                                              consistent copy while writers run
                                             <name>.pgdump    pg_dump -Fc: one snapshot
                                             documents.tar.gz DATA_DIR/documents (PDFs)
                                             manifest.json    what is there, each database's
                                                              migration, when
  python deploy/backup.py restore DIR      into databases that are empty (a new DATA_DIR, new
                                           PostgreSQL databases); refuses one that holds
                                           tables, naming it, and writes nothing then

The databases are the services' (services/registry.py) and the gateway's: <NAME>_DATABASE_URL
(GATEWAY_DATABASE_URL), else the SQLite file in DATA_DIR, as each process reads it. The
knowledge archive's embedded search index is not copied: a service finding it empty rebuilds
it from the database. Restore with the system stopped, then start it (make run / make up)."""
import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from services.common.run import quiet  # noqa: E402

quiet()
from sqlalchemy import inspect  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from services.common import migrations  # noqa: E402
from services.common.db import database_url, make_engine  # noqa: E402
from services.registry import NAMES  # noqa: E402


class RestoreRefused(Exception):
    pass


def data_dir():
    return os.path.abspath(os.environ.get("DATA_DIR", "./data"))


# Each database's copy is consistent in itself; across services, the order keeps references
# whole: a database is copied before the ones it refers to (a delivery names its form, a form
# its card and its people, a contract its cards), so whatever the earlier copies name, the
# later ones hold (a form opened during the backup is either missing, or there with its card).
# portal first: its requests name their form and card, its timeline the forms.
REFERRING_FIRST = ("portal", "notify", "knowledge", "contracts", "forms", "devices")


def databases():
    """{name: url} of every process with a database, in the order they are copied."""
    names = [n for n in REFERRING_FIRST if n in NAMES] + [
        n for n in NAMES if n not in REFERRING_FIRST]
    urls = {name: database_url({}, name) for name in names}
    urls["gateway"] = (os.environ.get("GATEWAY_DATABASE_URL")
                       or f"sqlite:///{os.path.join(data_dir(), 'gateway.db')}")
    return urls


def _sqlite_path(url):
    return make_url(url).database


def _pg_args(url):
    """libpq's connection string for pg_dump/pg_restore (the password goes by PGPASSWORD)."""
    u = make_url(url)
    env = dict(os.environ, PGPASSWORD=u.password or os.environ.get("PGPASSWORD", ""))
    conn = " ".join(f"{k}={v}" for k, v in (("host", u.host), ("port", u.port),
                                            ("user", u.username), ("dbname", u.database)) if v)
    return conn, env


def _revision(name, url):
    if name not in NAMES:
        return None
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return migrations.current(conn, name)
    finally:
        engine.dispose()


def backup(target=None):
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = os.path.abspath(target or os.path.join(ROOT, "backups", stamp))
    os.makedirs(target, exist_ok=False)
    manifest = {"created_at": stamp, "databases": {}, "documents": None}
    for name, url in databases().items():
        if url.startswith("sqlite"):
            path = _sqlite_path(url)
            if not os.path.exists(path):
                continue  # this process never ran here
            out = os.path.join(target, f"{name}.sqlite3")
            src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            dst = sqlite3.connect(out)
            try:
                src.backup(dst)  # pages copied under SQLite's own locking: one consistent state
            finally:
                dst.close()
                src.close()
            kind, file = "sqlite", f"{name}.sqlite3"
        else:
            conn, env = _pg_args(url)
            file = f"{name}.pgdump"
            subprocess.run(["pg_dump", "-Fc", "--no-owner", "--no-privileges", "-f",
                            os.path.join(target, file), conn], env=env, check=True)
            kind = "postgresql"
        manifest["databases"][name] = {"kind": kind, "file": file,
                                       "migration": _revision(name, url)}
        print(f"{name}: {file}")
    documents = os.path.join(data_dir(), "documents")
    if os.path.isdir(documents):
        with tarfile.open(os.path.join(target, "documents.tar.gz"), "w:gz") as tar:
            tar.add(documents, arcname="documents")
        manifest["documents"] = "documents.tar.gz"
        print("documents: documents.tar.gz")
    with open(os.path.join(target, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    print(f"Backup in {target}")
    return target


def _empty(name, url):
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if not os.path.exists(path) or os.path.getsize(path) == 0:
            return True
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return not inspect(conn).get_table_names()
    finally:
        engine.dispose()


def restore(source):
    source = os.path.abspath(source)
    with open(os.path.join(source, "manifest.json")) as f:
        manifest = json.load(f)
    urls = databases()
    unknown = set(manifest["databases"]) - set(urls)
    if unknown:
        raise RestoreRefused(f"the backup holds databases this version does not have: "
                             f"{', '.join(sorted(unknown))}")
    full = [f"{name} ({migrations.url_for_message(urls[name])})"
            for name in manifest["databases"] if not _empty(name, urls[name])]
    documents = os.path.join(data_dir(), "documents")
    if manifest["documents"] and os.path.isdir(documents) and os.listdir(documents):
        full.append(f"documents ({documents})")
    if full:
        raise RestoreRefused("restore goes into empty databases only; these hold data: "
                             + ", ".join(full))
    for name, entry in manifest["databases"].items():
        url, file = urls[name], os.path.join(source, entry["file"])
        if entry["kind"] == "sqlite":
            if not url.startswith("sqlite"):
                raise RestoreRefused(f"{name}: a SQLite backup cannot go into {url.split(':')[0]}")
            path = _sqlite_path(url)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            for leftover in (path, path + "-wal", path + "-shm"):
                if os.path.exists(leftover):
                    os.remove(leftover)  # empty by the check above
            shutil.copyfile(file, path)
        else:
            if not url.startswith("postgresql"):
                raise RestoreRefused(f"{name}: a PostgreSQL backup cannot go into SQLite")
            conn, env = _pg_args(url)
            subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                            "-d", conn, file], env=env, check=True)
        print(f"{name}: restored ({migrations.url_for_message(url)})")
    if manifest["documents"]:
        os.makedirs(data_dir(), exist_ok=True)
        with tarfile.open(os.path.join(source, manifest["documents"])) as tar:
            tar.extractall(data_dir(), filter="data")
        print(f"documents: restored ({documents})")
    print(f"Restored from {source}; start the system (make run / make up).")


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["backup"] and len(args) <= 2:
            backup(args[1] if len(args) == 2 else None)
        elif args[:1] == ["restore"] and len(args) == 2:
            restore(args[1])
        else:
            print("usage: python deploy/backup.py backup [DIR] | restore DIR")
            return 2
    except (RestoreRefused, FileExistsError, FileNotFoundError,
            subprocess.CalledProcessError) as exc:
        print(f"{args[0]} failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
