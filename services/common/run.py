"""`nameko run` for our processes (deploy/processes.py): the same command line
(`python -m services.common.run --config services/<name>/config.yaml services.<name>.service`)
without the lines every start printed before the service's own — eventlet's
EventletDeprecationWarning (9 lines; its text begins with a newline, so PYTHONWARNINGS'
message filter cannot match it), nameko CLI's pkg_resources warning. The filters are set before
nameko's CLI imports eventlet. A first argument `--metrics-port=N` sets this process's
METRICS_PORT (replicas of one service each need their own)."""
import os
import sys
import warnings


def quiet():
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
    warnings.filterwarnings("ignore", category=DeprecationWarning)


def main(argv=None):
    quiet()
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0].startswith("--metrics-port="):  # this replica's port (deploy/processes)
        os.environ["METRICS_PORT"] = args.pop(0).split("=", 1)[1]
    from nameko.cli.main import main as nameko_main
    sys.argv = ["nameko", "run", *args]
    return nameko_main()


if __name__ == "__main__":
    sys.exit(main())
