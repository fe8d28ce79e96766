"""Every service's migrations (services/common/migrations.py): `make migrate`, the Kubernetes
Job, compose's `migrate`.

  python deploy/migrate.py upgrade [<service> ...]   apply what is missing (all services by
                                                     default); a database made before
                                                     migrations is stamped at its first one
  python deploy/migrate.py status  [<service> ...]   where each database is, and its head
  python deploy/migrate.py upgrade --sqlite-only     only the embedded SQLite databases (what
                                                     make run / make up do before starting)

Each service's database is <SERVICE>_DATABASE_URL, else its SQLite file in DATA_DIR, as the
service reads it. One line per service; exit 1 if one failed (the others still ran)."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from services.common.run import quiet  # noqa: E402

quiet()
from services.common import migrations  # noqa: E402
from services.common.broker import describe  # noqa: E402
from services.common.db import database_url, make_engine  # noqa: E402
from services.registry import NAMES  # noqa: E402


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    sqlite_only = "--sqlite-only" in args
    args = [a for a in args if a != "--sqlite-only"]
    if not args or args[0] not in ("upgrade", "status") or not set(args[1:]) <= set(NAMES):
        print(__doc__.split("\n\n")[1])
        return 2
    rc = 0
    for name in args[1:] or NAMES:
        url = database_url({}, name)
        if sqlite_only and not url.startswith("sqlite"):
            continue
        shown = migrations.url_for_message(url)
        engine = make_engine(url)
        try:
            if args[0] == "status":
                with engine.connect() as conn:
                    at = migrations.current(conn, name)
                print(f"{name}: at {at or 'no migration'}, head {migrations.head(name)} ({shown})")
            else:
                before, after = migrations.upgrade(engine, name)
                said = ("up to date" if before == after else
                        f"made before migrations, stamped at {migrations.first(name)} -> {after}"
                        if before == "stamped" else f"{before or 'empty'} -> {after}")
                print(f"{name}: {said} ({shown})")
        except Exception as exc:  # one service's failure is said; the others still run
            print(f"{name}: FAILED ({shown}): {describe(exc)}", file=sys.stderr)
            rc = 1
        finally:
            engine.dispose()
    return rc


if __name__ == "__main__":
    sys.exit(main())
