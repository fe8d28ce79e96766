"""The local process list `make run` / `make up` start: each service alone under `nameko run`
with its own config.yaml, and the gateway under waitress."""
import sys

SERVICES = ("devices", "forms", "notify", "knowledge")


def processes(python=sys.executable):
    procs = [(name, [python, "-m", "nameko", "run", "--config",
                     f"services/{name}/config.yaml", f"services.{name}.service"])
             for name in SERVICES]
    procs.append(("gateway", [python, "-m", "gateway.app"]))
    return procs
