"""`nameko run` for our processes (deploy/processes.py): the same command line
(`python -m services.common.run --config services/<name>/config.yaml services.<name>.service`)
without the lines every start printed before the service's own — eventlet's
EventletDeprecationWarning (9 lines; its text begins with a newline, so PYTHONWARNINGS'
message filter cannot match it), nameko CLI's pkg_resources warning. The filters are set before
nameko's CLI imports eventlet."""
import sys
import warnings


def quiet():
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
    warnings.filterwarnings("ignore", category=DeprecationWarning)


def main(argv=None):
    quiet()
    from nameko.cli.main import main as nameko_main
    sys.argv = ["nameko", "run", *(sys.argv[1:] if argv is None else argv)]
    return nameko_main()


if __name__ == "__main__":
    sys.exit(main())
