"""Issue 26, the supervisor: under a steady load of form creations through the gateway, each
process of `make up` in turn is killed with SIGKILL. The supervisor starts it again (logged
with the signal; the health says it is restarting meanwhile), it answers again within 10 s,
and nothing is lost: every 201 is one stored form with its e-mail, nothing answers 500."""
import os
import signal
import time

import pytest
import requests

from tests.conftest import running_system
from tests.slow.load import FormLoad, check_nothing_lost

pytestmark = pytest.mark.slow

PROCESSES = ("forms", "notify", "devices", "knowledge", "gateway")
BACK_LIMIT = 10.0


def health(system):
    try:
        r = system.http.get(system.url("/api/v1/health"), timeout=5)
        return r.json()
    except (requests.RequestException, ValueError):
        return None  # the gateway itself is down


def kill_and_wait(system, name, limit=40.0):
    """SIGKILL `name`; seconds until the supervisor's new process answers (its ping, or the
    gateway's health), and what the health said of it while the supervisor was restarting
    it."""
    old = system.state()[name]["pid"]
    os.kill(old, signal.SIGKILL)
    killed, seen = time.monotonic(), None
    while time.monotonic() - killed < limit:
        state = system.state()[name]
        if state["state"] == "restarting" and seen is None and name != "gateway":
            seen = (health(system) or {}).get("services", {}).get(name)
        elif state["state"] == "running" and state["pid"] != old:
            answer = health(system)
            entry = (answer or {}).get("services", {}).get(name)
            if answer is not None and (name == "gateway" or (entry or {}).get("ok")):
                return time.monotonic() - killed, seen
        time.sleep(0.05)
    return None, seen


def test_the_supervisor_brings_back_each_killed_process(tmp_path_factory):
    with running_system(tmp_path_factory, "kills") as system:
        load = FormLoad(system).start()
        back_in, seen, windows = {}, {}, {}
        try:
            time.sleep(4)
            for name in PROCESSES:
                start = load.now()
                back_in[name], seen[name] = kill_and_wait(system, name)
                windows[name] = (start, load.now())
                time.sleep(4)  # the load goes on
        finally:
            load.stop()

        statuses = load.statuses()
        print(f"\nback after SIGKILL (s): {back_in}\nanswers: {dict(statuses)}")
        assert all(t is not None and t <= BACK_LIMIT for t in back_in.values()), back_in
        state = system.state()
        for name in PROCESSES:
            assert state[name]["restarts"] == 1, state
            assert state[name]["last_exit"].startswith("signal 9 (SIGKILL)"), state[name]
        for name in PROCESSES[:-1]:  # the health said so while it was down
            assert seen[name] and seen[name]["ok"] is False, (name, seen[name])
            assert seen[name]["state"] == "restarting" and seen[name]["restarts"] == 1, seen
            assert seen[name]["last_exit"] == "signal 9 (SIGKILL)", seen
        with open(os.path.join(system.data_dir, "logs", "supervisor.log")) as f:
            log = f.read()
        for name in PROCESSES:
            assert f"{name}: exited (pid" in log and "signal 9 (SIGKILL)" in log, log
            assert f"{name}: started again" in log, log

        assert 500 not in statuses and not [s for s in statuses if s and s > 504], statuses
        # no answer at all only while the gateway itself was down
        start, end = windows["gateway"]
        stray = [r for r in load.results if r.status is None
                 and not start - 1 <= r.started <= end + 1]
        assert not stray, stray
        assert statuses[201] > 0
        # a killed notify may have sent the message in flight twice (docs/architecture.md)
        check_nothing_lost(load, max_duplicate_emails=1)
