"""The container image's entrypoint (deploy/Dockerfile): one process of the system, by name.

  servis             the process SERVIS_PROCESS names (compose and Kubernetes set it)
  servis <service>   the service under `nameko run` with its config.yaml (services/registry.py)
  servis gateway     the gateway under waitress on 0.0.0.0:GATEWAY_PORT
  servis migrate     every service's migrations (deploy/migrate.py upgrade: the Kubernetes
                     Job, compose's migrate)
  servis probe ...   deploy/probe.py (the probes)

The process replaces this one (exec): it is PID 1's child of tini and gets the signals."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from deploy.processes import processes  # noqa: E402


def command(name, python=sys.executable):
    if name == "probe":
        return [python, "-m", "deploy.probe"]
    if name == "migrate":
        return [python, "deploy/migrate.py", "upgrade"]
    found = dict(processes(python))
    if name not in found:
        raise SystemExit(f"servis: unknown process {name!r}; one of: "
                         f"{', '.join([*found, 'migrate', 'probe'])}")
    return found[name]


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    if not args and os.environ.get("SERVIS_PROCESS"):
        args = [os.environ["SERVIS_PROCESS"]]
    if not args:
        raise SystemExit("servis: which process? e.g. `servis forms` or `servis gateway` "
                         "(or SERVIS_PROCESS=forms)")
    cmd = command(args[0]) + args[1:]
    os.chdir(ROOT)
    os.environ.setdefault("GATEWAY_HOST", "0.0.0.0")
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
