"""Exactly once at scale, on PostgreSQL (issue 18): two contracts processes (make up
REPLICAS="contracts=2") run the maintenance scanner over 1,000 visits that come due at once
(a daily plan over three years, every clock moved 999 days ahead by CLOCK_OFFSET_FILE); one of
them is killed with SIGKILL in the middle and the supervisor starts it again. At the end forms
holds exactly 1,000 maintenance forms — one per visit, none twice, none missing — and every
visit shows its form."""
import os
import signal
import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from services.common.testing import temporary_postgres_database
from services.contracts.domain import local_date
from tests.conftest import ADMIN_PASSWORD, running_system

pytestmark = pytest.mark.slow
DUE = 1000


def test_1000_due_visits_two_processes_one_killed_exactly_once(tmp_path_factory):
    clock = tmp_path_factory.mktemp("clock") / "offset"
    clock.write_text("0")
    with temporary_postgres_database("servis_mx_contracts") as contracts_url, \
            temporary_postgres_database("servis_mx_forms") as forms_url, \
            running_system(tmp_path_factory, "maintenance-once", REPLICAS="contracts=2",
                           CONTRACTS_DATABASE_URL=contracts_url, FORMS_DATABASE_URL=forms_url,
                           CLOCK_OFFSET_FILE=str(clock), CONTRACT_SCAN_SECONDS="0.5",
                           DOCUMENT_POLL_SECONDS="3600") as system:  # no 1,000 intake PDFs
        http, url = system.http, system.url
        admin = system.token("admin", ADMIN_PASSWORD)
        tech = http.post(url("/api/v1/users"), headers=admin, json={
            "username": "tekno", "password": "parola-1234", "role": "technician",
            "name": "Tülay Teknisyen", "email": "tekno@servis.local"}).json()
        customer = http.post(url("/api/v1/customers"), headers=admin,
                             json={"name": "Binlik Bakım A.Ş."}).json()
        device = http.post(url("/api/v1/devices"), headers=admin, json={
            "customer_id": customer["id"], "brand": "Canon", "serial": "MX-1000"}).json()
        today = local_date()
        p = http.post(url("/api/v1/proposals"), headers=admin, json={
            "customer_id": customer["id"], "devices": [{"device_id": device["id"]}],
            "start": today.isoformat(), "months": 36, "unit_price": "1000.00"}).json()
        contract_id = http.post(url(f"/api/v1/proposals/{p['id']}/decision"),
                                headers={**admin, "If-Match": '"1"'},
                                json={"decision": "accepted"}).json()["contract_id"]
        deadline = time.monotonic() + 30
        while http.get(url(f"/api/v1/contracts/{contract_id}"), headers=admin).json()[
                "status"] != "active":
            assert time.monotonic() < deadline, "the contract was not activated"
            time.sleep(0.5)
        r = http.post(url("/api/v1/maintenance-plans"), headers=admin, json={
            "contract_id": contract_id, "device_id": device["id"], "rrule": "FREQ=DAILY",
            "window_days": 1, "lead_days": 0, "avoid_holidays": False, "team": [tech["id"]]},
            timeout=120)
        assert r.status_code == 201, r.text
        assert r.json()["counts"]["total"] > DUE

        clock.write_text(str((DUE - 1) * 86400))  # visits of today … today + 999: due now
        engine = create_engine(forms_url)

        def forms_made():
            with engine.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM forms WHERE "
                                         "maintenance_visit_id IS NOT NULL")).scalar_one()
        deadline = time.monotonic() + 120
        while forms_made() < DUE // 4:  # well under way
            assert time.monotonic() < deadline, forms_made()
            time.sleep(0.2)
        killed = system.pids()["contracts-2"]
        os.kill(killed, signal.SIGKILL)

        deadline = time.monotonic() + 600
        while forms_made() < DUE:
            assert time.monotonic() < deadline, f"{forms_made()} forms of {DUE}"
            time.sleep(1)
        time.sleep(5)  # the lease of the killed process's claims runs out: nothing more comes
        assert system.pids()["contracts-2"] != killed  # started again by the supervisor
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT maintenance_visit_id, maintenance_attempt, count(*) FROM forms "
                "WHERE maintenance_visit_id IS NOT NULL "
                "GROUP BY maintenance_visit_id, maintenance_attempt")).all()
        assert len(rows) == DUE and {n for _, _, n in rows} == {1}
        assert {a for _, a, _ in rows} == {1}
        last = today + timedelta(days=DUE - 1)
        c_engine = create_engine(contracts_url)
        with c_engine.connect() as conn:
            due = conn.execute(text(
                "SELECT id, form_id FROM maintenance_visits WHERE scheduled_on <= :last"),
                {"last": last}).all()
            sent = conn.execute(text("SELECT count(*) FROM outbox WHERE event_type = "
                                     "'maintenance_visit_due'")).scalar_one()
        assert len(due) == DUE and sent == DUE
        assert {v for v, _, _ in rows} == {i for i, _ in due}
        deadline = time.monotonic() + 60  # form_created reaches contracts: each visit shows it
        while True:
            with c_engine.connect() as conn:
                missing = conn.execute(text(
                    "SELECT count(*) FROM maintenance_visits WHERE scheduled_on <= :last AND "
                    "form_id IS NULL"), {"last": last}).scalar_one()
            if missing == 0:
                break
            assert time.monotonic() < deadline, f"{missing} visits show no form"
            time.sleep(1)
        engine.dispose()
        c_engine.dispose()
