"""The local supervisor as `make up` / `make down` use it, on the running system: a supervisor
killed with SIGKILL leaves its processes running; the next `up` takes them over (same pids, no
second copy) and `down` stops them all."""
import os
import signal
import subprocess
import sys
import time

from services.common.testing import ROOT, eventually
from tests.conftest import running_system


def _run(system, command):
    return subprocess.run([sys.executable, "deploy/run.py", command], cwd=ROOT, env=system.env,
                          capture_output=True, text=True, timeout=180)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie runs nothing
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_a_killed_supervisor_is_replaced_and_its_processes_adopted(tmp_path_factory):
    with running_system(tmp_path_factory, "takeover") as system:
        pids = system.pids()
        with open(os.path.join(system.data_dir, "run", "supervisor.lock")) as f:
            supervisor = int(f.read().split()[0])
        os.kill(supervisor, signal.SIGKILL)
        eventually(lambda: not _alive(supervisor), timeout=10)
        assert all(_alive(pid) for pid in pids.values()), "a killed supervisor's processes run on"

        up = _run(system, "up")
        assert up.returncode == 0, up.stdout + up.stderr
        assert system.pids() == pids  # taken over, not started again
        assert system.http.get(system.url("/api/v1/health")).status_code == 200

        down = _run(system, "down")
        assert down.returncode == 0, down.stdout + down.stderr
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in pids.values()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [n for n, pid in pids.items() if _alive(pid)], "down left processes running"
