"""End-to-end fixtures: the system started as a user starts it (deploy/run.py up, processes),
on its own vhost, DATA_DIR, port and a real SMTP server; stopped with deploy/run.py down."""
import contextlib
import json
import os
import subprocess
import sys

import pytest
import requests

from services.common.testing import SmtpSink, free_port, temporary_vhost

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADMIN_PASSWORD = "admin-e2e-Şifre1"


class System:
    def __init__(self, base, data_dir, smtp, env):
        self.base, self.data_dir, self.smtp, self.env = base, data_dir, smtp, env
        self.http = requests.Session()

    def url(self, path):
        return self.base + path

    def token(self, username, password):
        r = self.http.post(self.url("/api/v1/auth/token"),
                           json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def pids(self):
        """{name: pid} of the processes running now (deploy/supervisor.py keeps it)."""
        with open(os.path.join(self.data_dir, "run", "servis.pids.json")) as f:
            return json.load(f)

    def state(self):
        """The supervisor's view: {name: {pid, state, restarts, last_exit, next_start}}."""
        with open(os.path.join(self.data_dir, "run", "servis.state.json")) as f:
            return json.load(f)["processes"]


@contextlib.contextmanager
def running_system(tmp_path_factory, name="data", amqp_uri=None, data_dir=None, **settings):
    """The system started with `deploy/run.py up` on its own vhost (or `amqp_uri`), DATA_DIR
    (a new one, or `data_dir`), port and SMTP server, with `settings` in its environment;
    stopped with `deploy/run.py down` at the end."""
    data_dir = data_dir or tmp_path_factory.mktemp(name)
    smtp = SmtpSink(tmp_path_factory.mktemp(name + "-smtp"))
    port = free_port()
    try:
        with contextlib.nullcontext(amqp_uri) if amqp_uri else temporary_vhost() as amqp_uri:
            env = {k: v for k, v in os.environ.items()  # SQLite, unless `settings` say
                   if not k.endswith("_DATABASE_URL")}
            env.update({"AMQP_URI": amqp_uri, "DATA_DIR": str(data_dir),
                        "GATEWAY_PORT": str(port), "SMTP_URL": smtp.url,
                        "ADMIN_PASSWORD": ADMIN_PASSWORD, "RPC_TIMEOUT": "5",
                        "DEVICES_RPC_TIMEOUT": "3", **settings})
            up = subprocess.run([sys.executable, "deploy/run.py", "up"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=180)
            assert up.returncode == 0, f"make up failed:\n{up.stdout}\n{up.stderr}"
            try:
                yield System(f"http://127.0.0.1:{port}", str(data_dir), smtp, env)
            finally:
                subprocess.run([sys.executable, "deploy/run.py", "down"], cwd=ROOT, env=env,
                               capture_output=True, timeout=60)
    finally:
        smtp.close()


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    with running_system(tmp_path_factory) as running:
        yield running


def pytest_terminal_summary(terminalreporter):
    """Where the browser tests' screenshots are (artifacts/screenshots/, gitignored)."""
    from tests import browser
    if browser.TAKEN:
        terminalreporter.write_line(
            f"screenshots ({len(browser.TAKEN)}, 1280 px): {browser.SCREENSHOTS}")
