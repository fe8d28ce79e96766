"""Container probes for one process of the system (Kubernetes' readiness and liveness probes,
docker compose's healthcheck; deploy/k8s, deploy/compose.yaml):

  python -m deploy.probe <name>          ready: the broker at AMQP_URI completes an AMQP
                                         handshake and the process's database answers
                                         SELECT 1 (<NAME>_DATABASE_URL, or its SQLite file)
  python -m deploy.probe <name> --live   alive: a service's HEARTBEAT_FILE was touched in
                                         the last LIVE_SECONDS (default 30; the service
                                         touches it every 5 s, services/common/heartbeat.py);
                                         the gateway: GET /api/v1/health/live answers 200

<name> is a service of services/registry.py or `gateway`; left out, SERVIS_PROCESS names it
(the image's HEALTHCHECK). One line on stdout; exit 0 or 1.
A readiness that fails takes the pod out of the Service (no traffic, no restart): a broker
or a database that is away is waited for, not restarted around; a liveness that fails
restarts it."""
import os
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from services.registry import NAMES  # noqa: E402

TIMEOUT = float(os.environ.get("PROBE_TIMEOUT", "3"))


def _broker():
    from kombu import Connection

    from services.common.broker import address, describe, uris
    uri = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    try:
        with Connection(uri, connect_timeout=TIMEOUT) as conn:
            # a cluster's nodes (AMQP_URI `;`-separated): ready when one of them answers
            conn.ensure_connection(max_retries=len(uris(uri)), interval_start=0)
    except Exception as exc:
        return f"broker {address(uri)}: {describe(exc)}"
    return None


def _database(name):
    from sqlalchemy import text

    from services.common.broker import describe
    from services.common.db import database_url, make_engine
    url = (os.environ.get("GATEWAY_DATABASE_URL") if name == "gateway"
           else database_url({}, name))
    if not url:  # the gateway without a database of its own
        return None
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return f"database of {name}: {describe(exc)}"
    finally:
        engine.dispose()
    return None


def ready(name):
    problems = [p for p in (_broker(), _database(name)) if p]
    return (not problems), "; ".join(problems) or f"{name} ready"


def live(name):
    if name == "gateway":
        port = os.environ.get("GATEWAY_PORT", "8000")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health/live",
                                        timeout=TIMEOUT) as answer:
                return answer.status == 200, f"gateway answers {answer.status}"
        except Exception as exc:
            return False, f"gateway does not answer on port {port}: {exc}"
    path = os.environ.get("HEARTBEAT_FILE")
    if not path:
        return False, "HEARTBEAT_FILE is not set: the service writes no heartbeat"
    limit = float(os.environ.get("LIVE_SECONDS", "30"))
    try:
        age = time.time() - os.stat(path).st_mtime
    except FileNotFoundError:
        return False, f"no heartbeat yet at {path}"
    return age <= limit, f"{name}: heartbeat {age:.0f} s old (at most {limit:g})"


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    is_live = "--live" in args
    names = [a for a in args if a != "--live"] or [os.environ.get("SERVIS_PROCESS", "")]
    if len(names) != 1 or names[0] not in (*NAMES, "gateway"):
        print(f"usage: python -m deploy.probe <{'|'.join((*NAMES, 'gateway'))}> [--live]")
        return 2
    ok, line = (live if is_live else ready)(names[0])
    print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
