"""Replicas locally (make up REPLICAS="forms=2"): two forms processes on one PostgreSQL
database behind one gateway; /api/v1/health counts them; with one of them killed the forms
keep being served; several replicas on SQLite are refused with a clear message."""
import os
import signal
import subprocess
import sys
import time

from services.common.testing import temporary_postgres_database
from tests.conftest import ADMIN_PASSWORD, ROOT, running_system


def test_replicas_on_sqlite_are_refused_at_once(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    out = subprocess.run([sys.executable, "deploy/run.py", "up"], cwd=ROOT, timeout=60,
                         env={**env, "DATA_DIR": str(tmp_path), "REPLICAS": "forms=2"},
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.startswith("Servis did not start: REPLICAS: several forms processes "
                                 "need PostgreSQL"), out.stderr
    assert not os.path.exists(tmp_path / "forms.db")  # nothing started


def test_two_forms_replicas_share_the_work(tmp_path_factory):
    with temporary_postgres_database("servis_replicas") as url:
        with running_system(tmp_path_factory, "replicas", REPLICAS="forms=2",
                            FORMS_DATABASE_URL=url) as system:
            deadline = time.monotonic() + 30  # healthy once one answers; the other may follow
            while True:
                health = system.http.get(system.url("/api/v1/health")).json()
                if health["services"]["forms"].get("consumers") == 2 or \
                        time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert health["services"]["forms"]["consumers"] == 2, health
            assert health["services"]["devices"]["consumers"] == 1
            pids = system.pids()
            assert {"forms", "forms-2"} <= set(pids)
            admin = system.token("admin", ADMIN_PASSWORD)
            customer = system.http.post(system.url("/api/v1/customers"), headers=admin,
                                        json={"name": "Çift Süreç Ltd."}).json()
            os.kill(pids["forms-2"], signal.SIGKILL)  # one replica gone: the other serves
            for n in range(5):
                r = system.http.post(system.url("/api/v1/forms"), headers=admin, json={
                    "customer_id": customer["id"], "complaint": f"Arıza {n}",
                    "device": {"brand": "Vestel", "serial": f"RP-{n}", "device_type": "Klima"}})
                assert r.status_code == 201, r.text
            listed = system.http.get(system.url("/api/v1/forms"), headers=admin).json()
            assert len(listed["items"]) == 5
