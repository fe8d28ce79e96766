"""The container probes (deploy/probe.py) against the real thing: readiness asks a real broker
and a real database; liveness reads the heartbeat a real nameko container writes."""
import os
import subprocess
import sys
import time

import eventlet
from nameko.containers import ServiceContainer

from services.common.heartbeat import Heartbeat
from services.common.rpc import rpc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def probe(*args, **env):
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "deploy.probe", *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONWARNINGS": "ignore", **env})
    return out.returncode, out.stdout.strip(), time.monotonic() - started


def test_ready_when_the_broker_and_the_database_answer(amqp_uri, tmp_path):
    code, line, _ = probe("knowledge", AMQP_URI=amqp_uri, DATA_DIR=str(tmp_path),
                          KNOWLEDGE_DATABASE_URL="")
    assert (code, line) == (0, "knowledge ready")


def test_not_ready_names_the_broker_it_cannot_reach_quickly(tmp_path):
    code, line, took = probe("forms", AMQP_URI="amqp://guest:secret@127.0.0.1:1/",
                             DATA_DIR=str(tmp_path), FORMS_DATABASE_URL="", PROBE_TIMEOUT="2")
    assert code == 1
    assert line.startswith("broker amqp://guest@127.0.0.1:1/: ") and "secret" not in line
    assert took < 15


def test_not_ready_names_the_database(amqp_uri, tmp_path):
    code, line, _ = probe("devices", AMQP_URI=amqp_uri, PROBE_TIMEOUT="2",
                          DEVICES_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    assert code == 1 and line.startswith("database of devices: OperationalError"), line


class Beating:
    name = "beating"
    heartbeat = Heartbeat()

    @rpc
    def ping(self):
        return "pong"


def test_a_running_service_beats_and_a_stopped_one_is_not_alive(amqp_uri, tmp_path,
                                                               monkeypatch):
    beat = tmp_path / "run" / "heartbeat"
    monkeypatch.setenv("HEARTBEAT_FILE", str(beat))
    monkeypatch.setenv("HEARTBEAT_SECONDS", "0.2")
    container = ServiceContainer(Beating, {"AMQP_URI": amqp_uri})
    container.start()
    try:
        deadline = time.monotonic() + 5
        while not beat.exists() and time.monotonic() < deadline:
            eventlet.sleep(0.05)
        first = beat.stat().st_mtime
        eventlet.sleep(0.6)
        assert beat.stat().st_mtime > first  # touched again
        code, line, _ = probe("forms", "--live", HEARTBEAT_FILE=str(beat), LIVE_SECONDS="5")
        assert code == 0, line
    finally:
        container.stop()
    eventlet.sleep(1.2)
    code, line, _ = probe("forms", "--live", HEARTBEAT_FILE=str(beat), LIVE_SECONDS="1")
    assert code == 1 and "heartbeat" in line and "old (at most 1)" in line
