"""The local process list `make run` / `make up` start: each service of the registry
(services/registry.py) alone under `nameko run` (services/common/run.py: the same, without the
deprecation warnings) with its own config.yaml, and the gateway under waitress."""
import sys

from services.registry import SERVICES


def processes(python=sys.executable):
    procs = [(s.name, [python, "-m", "services.common.run", "--config", s.config, s.module])
             for s in SERVICES]
    procs.append(("gateway", [python, "-m", "gateway.app"]))
    return procs
