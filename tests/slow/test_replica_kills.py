"""Issue 23, replica faults: three forms and two notify processes on PostgreSQL under a steady
load of form creations through the gateway; one forms replica and one notify replica are killed
with SIGKILL in the middle. Nothing is lost and nothing is done twice: every 201 is one stored
form, no request is stored twice, every form has its one e-mail (a notify killed between the
SMTP server's acceptance and recording it may send that message again, with the same
Message-ID: at most once here), nothing answers 500."""
import contextlib
import os
import signal
import time

import pytest

from services.common.testing import temporary_postgres_database
from tests.conftest import running_system
from tests.slow.load import FormLoad, check_nothing_lost

pytestmark = pytest.mark.slow


def consumers(system):
    services = system.http.get(system.url("/api/v1/health"), timeout=10).json()["services"]
    return services["forms"].get("consumers"), services["notify"].get("consumers")


def test_a_forms_and_a_notify_replica_killed_under_load_lose_nothing(tmp_path_factory):
    with contextlib.ExitStack() as stack:
        forms_url = stack.enter_context(temporary_postgres_database("servis_rk_forms"))
        notify_url = stack.enter_context(temporary_postgres_database("servis_rk_notify"))
        system = stack.enter_context(running_system(
            tmp_path_factory, "replica-kills", REPLICAS="forms=3 notify=2",
            FORMS_DATABASE_URL=forms_url, NOTIFY_DATABASE_URL=notify_url, RPC_TIMEOUT="10"))
        deadline = time.monotonic() + 60
        while consumers(system) != (3, 2) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert consumers(system) == (3, 2)
        pids = system.pids()

        load = FormLoad(system).start()
        try:
            time.sleep(4)
            os.kill(pids["forms-2"], signal.SIGKILL)
            killed_forms = load.now()
            time.sleep(3)
            os.kill(pids["notify-2"], signal.SIGKILL)
            time.sleep(6)
        finally:
            load.stop()

        statuses = load.statuses()
        print(f"\nanswers: {dict(statuses)}; forms-2 killed at {killed_forms:.1f} s")
        assert not [r for r in load.results if r.status is None or r.status >= 500
                    and r.status not in (503, 504)], statuses
        assert statuses[201] >= 0.9 * len(load.results), statuses  # the others served
        after = load.created_since(killed_forms + 1)
        assert after, "no form was created after the kill"
        forms, messages = check_nothing_lost(load, max_duplicate_emails=1)
        print(f"forms {len(forms)}, e-mails {len(messages)}")
        state = system.state()
        assert state["forms-2"]["last_exit"].startswith("signal 9"), state["forms-2"]
        assert state["notify-2"]["last_exit"].startswith("signal 9"), state["notify-2"]
