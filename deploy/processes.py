"""The local process list `make run` / `make up` start: each service of the registry
(services/registry.py) alone under `nameko run` (services/common/run.py: the same, without the
deprecation warnings) with its own config.yaml, and the gateway under waitress."""
import os
import sys

from services.registry import NAMES, SERVICES


class BadReplicas(ValueError):
    pass


def replicas(env=os.environ):
    """{service: count} from REPLICAS ("forms=3 notify=2"; the others 1). Several replicas
    share one database, so they need PostgreSQL: a service on its SQLite file is refused."""
    counts = {name: 1 for name in NAMES}
    for item in env.get("REPLICAS", "").replace(",", " ").split():
        name, _, count = item.partition("=")
        if name not in counts or not count.isdigit() or not 1 <= int(count) <= 16:
            raise BadReplicas(f"REPLICAS: {item!r} is not <service>=<1..16> with a service of "
                              f"{', '.join(NAMES)}")
        counts[name] = int(count)
    on_sqlite = [n for n, c in counts.items()
                 if c > 1 and not env.get(f"{n.upper()}_DATABASE_URL", "").startswith("postgres")]
    if on_sqlite:
        raise BadReplicas(
            f"REPLICAS: several {' and '.join(on_sqlite)} processes need PostgreSQL (one "
            f"SQLite file cannot be shared by processes safely here): set "
            f"{', '.join(n.upper() + '_DATABASE_URL' for n in on_sqlite)} to a PostgreSQL "
            "database, or run one of each")
    return counts


def metrics_ports(env=os.environ):
    """{process name: its metrics port}: METRICS_BASE_PORT, +1, … in the processes' order;
    {} when METRICS_BASE_PORT is unset or 0 (no service serves metrics; the gateway's are at
    /metrics on its own port)."""
    base = int(env.get("METRICS_BASE_PORT") or 0)
    if not base:
        return {}
    names = [s.name if i == 1 else f"{s.name}-{i}" for s in SERVICES
             for i in range(1, replicas(env)[s.name] + 1)]
    return {name: base + n for n, name in enumerate(names)}


def processes(python=sys.executable, env=os.environ):
    """(name, command) of every process: a service's replicas are <name>, <name>-2, …"""
    counts = replicas(env)
    ports = metrics_ports(env)
    procs = []
    for s in SERVICES:
        for i in range(1, counts[s.name] + 1):
            name = s.name if i == 1 else f"{s.name}-{i}"
            port = [f"--metrics-port={ports[name]}"] if name in ports else []
            procs.append((name, [python, "-m", "services.common.run", *port, "--config",
                                 s.config, s.module]))
    procs.append(("gateway", [python, "-m", "gateway.app"]))
    return procs
