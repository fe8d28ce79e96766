"""A steady load of form creations through the gateway, and the checks of what it left behind:
every 201 one stored form, every stored form exactly one e-mail to the representative."""
import collections
import re
import threading
import time

import requests

from services.common.testing import eventually
from tests.conftest import ADMIN_PASSWORD

REP_EMAIL = "temsilci@yuk.local"
NUMBER = re.compile(r"SF-\d{4}-\d{6}")


class Result:
    __slots__ = ("i", "started", "seconds", "status", "body")

    def __init__(self, i, started, seconds, status, body):
        self.i, self.started, self.seconds, self.status, self.body = (
            i, started, seconds, status, body)

    def __repr__(self):
        return (f"<#{self.i} at {self.started:.1f} s: {self.status} in {self.seconds:.2f} s "
                f"{str(self.body)[:160]!r}>")


class FormLoad:
    """`rate` form creations a second from `threads` threads, each form with its own device
    serial and a complaint naming the request (`yük-00042`), until stop()."""

    def __init__(self, system, rate=12, threads=4):
        self.system, self.rate, self.threads = system, rate, threads
        self.results, self._lock, self._next = [], threading.Lock(), 0
        self._stop = threading.Event()
        self.t0 = time.monotonic()
        self.headers = system.token("admin", ADMIN_PASSWORD)
        r = system.http.post(system.url("/api/v1/customers"), headers=self.headers, json={
            "name": "Yük Testi Soğutma", "rep_name": "Yük Temsilcisi", "rep_email": REP_EMAIL})
        assert r.status_code == 201, r.text
        self.customer_id = r.json()["id"]
        self._workers = [threading.Thread(target=self._work, daemon=True)
                         for _ in range(threads)]

    def now(self):
        return time.monotonic() - self.t0

    def start(self):
        for w in self._workers:
            w.start()
        return self

    def stop(self):
        self._stop.set()
        for w in self._workers:
            w.join(120)

    def _work(self):
        http, period = requests.Session(), self.threads / self.rate
        while not self._stop.is_set():
            with self._lock:
                self._next += 1
                i = self._next
            started = time.monotonic()
            try:
                r = http.post(self.system.url("/api/v1/forms"), headers=self.headers, timeout=60,
                              json={"customer_id": self.customer_id,
                                    "complaint": f"yük-{i:05d} kompresör çalışmıyor",
                                    "device": {"brand": "Yük", "serial": f"Y-{i:05d}"}})
                status, body = r.status_code, (r.json() if r.headers.get(
                    "content-type", "").startswith("application/json") else r.text)
            except requests.RequestException as exc:  # the gateway itself is down
                status, body = None, repr(exc)
            seconds = time.monotonic() - started
            with self._lock:
                self.results.append(Result(i, started - self.t0, seconds, status, body))
            self._stop.wait(max(0.0, period - seconds))

    def statuses(self):
        return collections.Counter(r.status for r in self.results)

    def created(self):
        return [r for r in self.results if r.status == 201]

    def created_since(self, t):
        return [r for r in self.created() if r.started >= t]


def stored_forms(system, headers, customer_id):
    """Every form of the load's customer, as the API lists them."""
    forms, cursor = [], None
    while True:
        params = {"customer_id": customer_id, "limit": 500, "sort": "number"}
        if cursor:
            params["cursor"] = cursor
        r = system.http.get(system.url("/api/v1/forms"), headers=headers, params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        forms.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return forms


def check_nothing_lost(load, max_duplicate_emails=0, settle=3.0):
    """Every 201 is one stored form, no request stored twice, and every stored form has its
    e-mail to the representative (exactly one, but for `max_duplicate_emails` messages a
    killed notify may have sent twice: the same Message-ID). Returns (forms, e-mails)."""
    system, headers = load.system, load.headers
    forms = stored_forms(system, headers, load.customer_id)
    numbers = collections.Counter(f["number"] for f in forms)
    assert all(n == 1 for n in numbers.values()), [n for n, c in numbers.items() if c > 1]
    markers = collections.Counter(f["complaint"].split()[0] for f in forms)
    twice = [m for m, c in markers.items() if c > 1]
    assert not twice, f"requests stored more than once: {twice}"
    by_number = {f["number"]: f for f in forms}
    for r in load.created():
        assert r.body["number"] in by_number, f"a 201 with no stored form: {r}"
        assert by_number[r.body["number"]]["id"] == r.body["id"]

    def all_mailed():
        got = {m for m in (NUMBER.search(str(msg["Subject"])) for msg in system.smtp.messages())
               if m}
        missing = set(by_number) - {m.group() for m in got}
        assert not missing, f"{len(missing)} forms without an e-mail yet: {sorted(missing)[:5]}"
        return True
    eventually(all_mailed, timeout=90, interval=0.5)
    time.sleep(settle)  # a duplicate would come now
    messages = system.smtp.messages()
    per_form = collections.Counter()
    ids = collections.Counter()
    for msg in messages:
        number = NUMBER.search(str(msg["Subject"]))
        assert number and number.group() in by_number, f"an e-mail for no stored form: {msg}"
        assert msg["To"].addresses[0].addr_spec == REP_EMAIL
        per_form[number.group()] += 1
        ids[msg["Message-ID"]] += 1
    assert set(per_form) == set(by_number)
    assert len(ids) == len(by_number), "two different messages for one form"
    duplicates = sum(c - 1 for c in ids.values())
    assert duplicates <= max_duplicate_emails, (
        f"{duplicates} e-mails sent twice: {[m for m, c in ids.items() if c > 1]}")
    return forms, messages
