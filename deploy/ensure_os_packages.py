"""Make sure the OS packages the tests need are installed: Debian's `chromium` (the
tests drive it with playwright's `executable_path`; playwright's own browser download is never
used) and `redis-server` (the sign-in budgets' Redis storage, gateway/tests/test_login_limits.py). Installed with apt-get when missing and running as root; otherwise this says exactly
what to install and exits 1. Standard library only; `make test` and `make test-slow` run it.

    python deploy/ensure_os_packages.py            install what is missing (as root)
    python deploy/ensure_os_packages.py --check    only say what is missing (exit 1 if so)
"""
import os
import shutil
import subprocess
import sys

PACKAGES = {"chromium": ("chromium", "/usr/bin/chromium"),  # Debian package: (command, path)
            "redis-server": ("redis-server", "/usr/bin/redis-server")}


def chromium_path():
    """The installed chromium's executable, or None."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


def missing():
    return [pkg for pkg, (cmd, path) in PACKAGES.items()
            if not (shutil.which(cmd) or os.path.exists(path))]


def what_to_install(packages):
    return (f"The tests need Debian's {', '.join(packages)}: install it with "
            f"'sudo apt-get install -y {' '.join(packages)}' (as root: "
            "'python deploy/ensure_os_packages.py' installs it), then run the tests again.")


def main(argv=sys.argv[1:]):
    needed = missing()
    if not needed:
        return 0
    if "--check" not in argv and os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"Installing {', '.join(needed)} from the OS packages (apt-get)…", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *needed],
                       check=False, env=env)
        needed = missing()
        if not needed:
            return 0
    print(what_to_install(needed), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
