"""The local supervisor's rules (deploy/supervisor.py) with a clock and processes of the test's
own, then once with real processes: restart after an exit with a growing back-off, the reason
logged, the state written where the gateway's health reads it."""
import json
import os
import signal
import subprocess
import sys
import time

from deploy.supervisor import Backoff, Child, Supervisor, exit_reason, last_line


class FakeProcess:
    pids = iter(range(1000, 2000))

    def __init__(self):
        self.pid, self.reason, self.signals = next(self.pids), None, []

    def exit_reason(self):
        return self.reason

    def last_output(self):
        return "RuntimeError: the last words"

    def signal(self, sig):
        self.signals.append(sig)
        self.reason = exit_reason(-sig)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def make(tmp_path, names=("forms", "notify")):
    clock, spawned, lines = Clock(), [], []

    def spawn(name, argv):
        spawned.append((name, FakeProcess()))
        return spawned[-1][1]
    sup = Supervisor([(n, ["run", n]) for n in names], spawn, str(tmp_path), lines.append,
                     backoff=Backoff(first=1, factor=2, cap=8, reset_after=30), clock=clock,
                     wall=lambda: 1_000_000.0 + clock.now)
    sup.start()
    return sup, clock, spawned, lines


def state(tmp_path):
    with open(tmp_path / "servis.state.json") as f:
        return json.load(f)


def test_backoff_doubles_up_to_its_cap():
    b = Backoff(first=1, factor=2, cap=30)
    assert [b.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_exit_reasons():
    assert exit_reason(-9) == "signal 9 (SIGKILL)"
    assert exit_reason(-15) == "signal 15 (SIGTERM)"
    assert exit_reason(1) == "exit code 1"


def test_an_exited_process_is_started_again_after_a_growing_backoff(tmp_path):
    sup, clock, spawned, lines = make(tmp_path)
    forms = sup.procs["forms"].handle
    assert state(tmp_path)["processes"]["forms"] == {
        "pid": forms.pid, "state": "running", "restarts": 0, "last_exit": None,
        "next_start": None}
    assert json.loads((tmp_path / "servis.pids.json").read_text()) == {
        "forms": forms.pid, "notify": sup.procs["notify"].handle.pid}

    delays = []
    for _ in range(5):  # exits one after the other: 1, 2, 4, 8, 8 s
        clock.now += 5
        sup.procs["forms"].handle.reason = "exit code 1"
        sup.tick()
        p = state(tmp_path)["processes"]["forms"]
        assert p["state"] == "restarting" and p["pid"] == sup.procs["forms"].handle.pid
        delay = p["next_start"] - (1_000_000.0 + clock.now)
        delays.append(round(delay, 3))
        assert "forms" not in json.loads((tmp_path / "servis.pids.json").read_text())
        clock.now += delay - 0.01
        sup.tick()
        assert sup.procs["forms"].state == "restarting"  # not before its time
        clock.now += 0.01
        sup.tick()
        assert sup.procs["forms"].state == "running"
    assert delays == [1, 2, 4, 8, 8]
    p = state(tmp_path)["processes"]["forms"]
    assert p["restarts"] == 5 and p["state"] == "running"
    assert p["last_exit"] == "exit code 1; last output: RuntimeError: the last words"
    assert [n for n, _ in spawned].count("forms") == 6
    assert sup.procs["notify"].restarts == 0  # the others are left alone
    assert "forms: exited (pid" in lines[0] and "exit code 1" in lines[0]
    assert "restarting in 1 s (restart 1)" in lines[0]
    assert lines[1].startswith("forms: started again (pid")


def test_a_process_that_stayed_up_starts_counting_again(tmp_path):
    sup, clock, _, lines = make(tmp_path)
    for up in (1, 1, 1):  # three quick exits: 1, 2, 4 s
        clock.now += up
        sup.procs["forms"].handle.reason = "exit code 1"
        sup.tick()
        clock.now += 10
        sup.tick()
    clock.now += 31  # then up for longer than reset_after
    sup.procs["forms"].handle.signal(signal.SIGKILL)
    sup.tick()
    assert "restarting in 1 s (restart 4)" in lines[-1] and "signal 9 (SIGKILL)" in lines[-1]
    assert "last output" not in lines[-1]  # a signal's last output says nothing about it


def test_a_process_that_cannot_be_started_waits_like_one_that_exited(tmp_path):
    sup, clock, _, lines = make(tmp_path)
    spawn = sup.spawn

    def broken(name, argv):
        raise FileNotFoundError(2, "No such file or directory", argv[0])
    sup.procs["forms"].handle.reason = "exit code 1"
    sup.tick()
    sup.spawn = broken
    clock.now += 1
    sup.tick()
    assert "forms: could not be started: [Errno 2] No such file or directory: 'run'" in lines[-1]
    assert "restarting in 2 s (restart 2)" in lines[-1]
    sup.spawn = spawn
    clock.now += 2
    sup.tick()
    assert sup.procs["forms"].state == "running" and sup.procs["forms"].restarts == 2


def test_stop_terminates_every_running_process(tmp_path):
    sup, clock, spawned, _ = make(tmp_path)
    sup.procs["notify"].handle.reason = "exit code 3"
    sup.tick()
    sup.stop(grace=1, poll=0)
    forms = sup.procs["forms"].handle
    assert forms.signals == [signal.SIGTERM]
    assert {n: p["state"] for n, p in state(tmp_path)["processes"].items()} == {
        "forms": "stopped", "notify": "stopped"}
    assert sup.procs["notify"].handle.signals == []


def test_real_processes_killed_come_back(tmp_path):
    def spawn(name, argv):
        log = str(tmp_path / f"{name}.log")
        with open(log, "ab") as out:
            p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        return Child(p, lambda: last_line(log))
    sleeper = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"]
    crasher = [sys.executable, "-c", "raise SystemExit('bad config: no such file')"]
    lines = []
    sup = Supervisor([("sleeper", sleeper), ("crasher", crasher)], spawn, str(tmp_path),
                     lines.append, backoff=Backoff(first=0.2, cap=0.4))
    sup.start()
    try:
        first = sup.procs["sleeper"].handle.pid
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while sup.procs["sleeper"].restarts == 0 or sup.procs["sleeper"].state != "running":
            assert time.monotonic() < deadline, lines
            sup.tick()
            time.sleep(0.02)
        assert sup.procs["sleeper"].handle.pid != first
        assert sup.procs["sleeper"].last_exit == "signal 9 (SIGKILL)"
        while sup.procs["crasher"].restarts < 2:
            assert time.monotonic() < deadline, lines
            sup.tick()
            time.sleep(0.02)
        assert sup.procs["crasher"].last_exit == (
            "exit code 1; last output: bad config: no such file")
    finally:
        sup.stop(grace=5, poll=0.02)
    pid = sup.procs["sleeper"].handle.pid
    assert sup.procs["sleeper"].handle.exit_reason() == "signal 15 (SIGTERM)"
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
