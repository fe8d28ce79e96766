"""Two systems with their own DATA_DIR, port and vhost run side by side without seeing each
other, and `make down` of one leaves the other running."""
import json
import os
import subprocess
import sys

from tests.conftest import ADMIN_PASSWORD, ROOT, running_system


def test_two_systems_side_by_side(tmp_path_factory):
    with running_system(tmp_path_factory, "a") as a, running_system(tmp_path_factory, "b") as b:
        ta, tb = a.token("admin", ADMIN_PASSWORD), b.token("admin", ADMIN_PASSWORD)
        ca = a.http.post(a.url("/api/v1/customers"), headers=ta, json={
            "name": "Sistem A Müşterisi", "rep_name": "Rep A", "rep_email": "rep-a@a.local"}).json()
        form = a.http.post(a.url("/api/v1/forms"), headers=ta, json={
            "customer_id": ca["id"], "complaint": "Yalnız A'da",
            "device": {"brand": "Bosch", "serial": "AB-1"}}).json()
        assert form["number"].endswith("000001")
        assert b.http.get(b.url("/api/v1/forms"), headers=tb).json()["items"] == []
        assert b.http.get(b.url("/api/v1/customers"), headers=tb).json()["items"] == []
        (mail,) = a.smtp.wait_for(1)
        assert mail["To"].addresses[0].addr_spec == "rep-a@a.local"
        assert b.smtp.messages() == []

        with open(os.path.join(a.data_dir, "run", "servis.pids.json")) as f:
            a_pids = json.load(f)
        down = subprocess.run([sys.executable, "deploy/run.py", "down"], cwd=ROOT, env=b.env,
                              capture_output=True, text=True, timeout=60)
        assert down.returncode == 0, down.stderr
        for pid in a_pids.values():
            os.kill(pid, 0)  # a's processes are untouched
        assert a.http.get(a.url("/api/v1/health")).status_code == 200
