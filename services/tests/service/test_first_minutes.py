"""A service started as `make run` starts it (services/common/run.py) while its broker does not
answer: one line naming the broker's address (never the password), no traceback, no
deprecation warnings; and SIGTERM stops it at once, quietly. Before: a traceback per
entrypoint on SIGTERM and a process that never exited (services/common/reconnect.py, 4.)."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

from services.common.testing import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def test_a_service_without_its_broker_says_so_once_and_stops_on_sigterm(tmp_path):
    port = free_port()  # nothing listens there
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.common.run", "--config",
         "services/notify/config.yaml", "services.notify.service"], cwd=ROOT,
        env={**env, "AMQP_URI": f"amqp://guest:s3cret@127.0.0.1:{port}/",
             "DATA_DIR": str(tmp_path)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()), daemon=True)
    try:
        reader.start()  # its first line (a loaded machine takes seconds to start a service) …
        reader.join(45)
        time.sleep(5)  # … then several more reconnection attempts, which must say nothing
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = "".join(first) + out
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]  # JSON lines
    assert [(line["process"], line["level"], line["event"]) for line in lines] == [(
        "notify", "warning", f"broker amqp://guest@127.0.0.1:{port}/ is away "
        "(ConnectionRefusedError: [Errno 111] ECONNREFUSED); reconnecting quietly until it is "
        "back")], out
    assert proc.returncode is not None
