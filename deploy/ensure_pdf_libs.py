"""Make sure the OS libraries WeasyPrint needs to make PDFs are present (Pango, HarfBuzz with
its subsetter, fontconfig): found, nothing to do; else, as root with apt-get, install them
from the OS packages; else stop with a message that says what to install. The fonts are the
repository's own (services/common/documents/fonts), so no font package is needed. Standard
library only.

Kept apart from other OS-package steps on purpose (one script per need, each with its own
package list): `ensure_packages(libraries, packages, why)` is the generic part another step
can import."""
import ctypes.util
import os
import shutil
import subprocess
import sys

# library name (as ctypes.util.find_library takes it) -> the Debian/Ubuntu package
PDF_LIBRARIES = {
    "pango-1.0": "libpango-1.0-0",
    "pangoft2-1.0": "libpangoft2-1.0-0",
    "harfbuzz": "libharfbuzz0b",
    "harfbuzz-subset": "libharfbuzz-subset0",
    "fontconfig": "libfontconfig1",
}


def missing(libraries):
    return {lib: pkg for lib, pkg in libraries.items() if not ctypes.util.find_library(lib)}


def ensure_packages(libraries, why):
    """0 when every library is found (after installing the missing ones' packages with
    apt-get as root), else 1 with a message naming the packages."""
    lacking = missing(libraries)
    if not lacking:
        return 0
    packages = sorted(set(lacking.values()))
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"Installing {' '.join(packages)} ({why}) …", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run = lambda *a: subprocess.run(a, env=env, stdout=subprocess.DEVNULL)  # noqa: E731
        if run("apt-get", "install", "-y", "--no-install-recommends", *packages).returncode:
            run("apt-get", "update")
            run("apt-get", "install", "-y", "--no-install-recommends", *packages)
        lacking = missing(libraries)
        if not lacking:
            return 0
    print(f"Missing OS libraries {', '.join(sorted(lacking))} ({why}). Install them: "
          f"apt-get install {' '.join(packages)} (Debian/Ubuntu; as root), or your system's "
          "Pango, HarfBuzz and fontconfig packages (macOS: brew install pango).",
          file=sys.stderr)
    return 1


def main():
    return ensure_packages(PDF_LIBRARIES, "WeasyPrint makes the documents' PDFs with them")


if __name__ == "__main__":
    sys.exit(main())
