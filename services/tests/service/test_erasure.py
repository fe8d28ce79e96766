"""KVKK erasure across the services (service layer: real broker, real databases — SQLite and
PostgreSQL): devices erases the customer and sends `customer_erased` through its outbox;
forms, notify, contracts and knowledge consume it. Afterwards a scan of every service's
tables (the outbox tables and notify's delivery log among them) — and on SQLite of every
database file and its WAL — finds none of the person's name, e-mail or phone, while the form
keeps its number and totals."""
import io
import os

import pypdf
import pytest
from sqlalchemy import create_engine, text

from services.common.documents.storage import storage_for
from services.common.erasure import MARKER
from services.common.testing import SmtpSink, eventually, file_holds, strings_held
from services.contracts.service import ContractsService
from services.devices.service import DevicesService
from services.forms.service import FormsService
from services.forms.tests.service.test_workflow import CONFIG, DESK, MANAGER, REP
from services.knowledge.service import KnowledgeService
from services.notify.deliveries import mentions
from services.notify.service import NotifyService

NAME, EMAIL, PHONE = "Ayşe Yılmazoğlu", "ayse.yilmazoglu@example.com", "0532 987 65 43"
NEEDLES = (NAME, EMAIL, PHONE)
ADMIN = {"id": 9, "name": "Yönetici", "role": "admin", "email": None, "language": "tr"}


@pytest.fixture
def smtp(tmp_path):
    sink = SmtpSink(tmp_path / "smtp")
    yield sink
    sink.close()


def pdfs_naming(root, needles):
    """The files under `root` whose PDF text (pypdf) or bytes hold one of `needles`."""
    found = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            with open(os.path.join(dirpath, name), "rb") as f:
                data = f.read()
            text = " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(
                io.BytesIO(data)).pages) if data.startswith(b"%PDF") else ""
            found += [name for n in needles if n in text or n.encode() in data]
    return found


def quiet(smtp, still=1.5, limit=20):
    """Wait until no new e-mail has come for `still` seconds."""
    import time
    deadline, count, since = time.monotonic() + limit, -1, time.monotonic()
    while time.monotonic() < deadline:
        now = len(smtp.messages())
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= still:
            return count
        time.sleep(0.1)
    return count


def _url(container):
    url = container.config["DATABASE_URL"]
    return url.replace("postgresql://", "postgresql+psycopg2://", 1)


def test_an_erased_customer_leaves_no_trace_in_any_database(run_services, rpc, smtp):
    containers = run_services(DevicesService, FormsService, NotifyService, ContractsService,
                              KnowledgeService, SMTP_URL=smtp.url, **CONFIG)
    customer = rpc.devices.create_customer({
        "name": NAME, "email": EMAIL, "phone": PHONE, "rep_user_id": REP["id"],
        "rep_name": REP["name"], "rep_email": REP["email"],
        "contacts": [{"name": "Can Özdemiroğlu", "phone": "0533 444 55 66"}]})
    form = rpc.forms.create_form({"customer_id": customer["id"],
                                  "complaint": f"Çalışmıyor; {NAME} {PHONE} arayın",
                                  "device": {"brand": "Daikin", "serial": "KV-SVC-1"}}, DESK)
    form = rpc.forms.update_work(form["id"], {"service_fee": "350.00",
                                              "version": form["version"]}, MANAGER)
    # the representative's e-mail about the new form, naming the customer, went out and is in
    # notify's delivery log
    # (the customer may be e-mailed too, at the same moment: the one naming them is looked for)
    smtp.wait_for(1)
    assert eventually(lambda: [m for m in smtp.messages() if NAME in str(m["Subject"])],
                      timeout=20)
    engines = {c.service_name: create_engine(_url(c)) for c in containers}
    try:
        assert strings_held(engines["notify"], NEEDLES)
        assert strings_held(engines["forms"], NEEDLES)
        forms = next(c for c in containers if c.service_name == "forms")
        papers = storage_for(forms.config, "forms").root  # the intake slip names them
        assert eventually(lambda: pdfs_naming(papers, (NAME,)), timeout=30)
        rpc.devices.erase_customer(customer["id"], {"personal": [], "form_ids": [form["id"]]},
                                   ADMIN)
        needles = NEEDLES + ("Can Özdemiroğlu", "0533 444 55 66")
        for name, engine in engines.items():
            assert eventually(lambda: strings_held(engine, needles) == [], timeout=30), (
                name, strings_held(engine, needles))
            url = next(c.config["DATABASE_URL"] for c in containers if c.service_name == name)
            held = file_holds(url, needles)
            assert held == [], (name, sorted({n for _, n in held}), sorted({f for f, _ in held}))
        assert pdfs_naming(papers, (NAME,)) == []
        assert {d["status"] for d in rpc.forms.list_documents(form["id"])} == {"erased"}
        kept = rpc.forms.get_form(form["id"])
        assert (kept["number"], kept["totals"]["service_fee"], kept["customer_name"]) == (
            form["number"], "350.00", MARKER)
        assert rpc.devices.get_customer(customer["id"])["name"] == MARKER
        log = rpc.notify.deliveries_for_form(form["id"])
        assert log and all(d["recipient"] != EMAIL for d in log)
    finally:
        for engine in engines.values():
            engine.dispose()


def named_in_mail(engine, needles):
    """The ids of notify's messages whose decoded headers or text name one of `needles`."""
    with engine.connect() as conn:
        return [i for i, mime in conn.execute(text("SELECT id, mime FROM deliveries"))
                if mentions(mime, needles)]


def test_an_erased_contact_person_leaves_no_trace_and_the_customer_stays(run_services, rpc,
                                                                         smtp):
    containers = run_services(DevicesService, FormsService, NotifyService, ContractsService,
                              KnowledgeService, SMTP_URL=smtp.url, **CONFIG)
    contact = ("Can Özdemiroğlu", "can.ozdemiroglu@example.com", "0533 444 55 66")
    customer = rpc.devices.create_customer({
        "name": NAME, "email": EMAIL, "phone": PHONE, "rep_user_id": REP["id"],
        "rep_name": REP["name"], "rep_email": REP["email"],
        "contacts": [{"name": contact[0], "email": contact[1], "phone": contact[2]}]})
    form = rpc.forms.create_form({"customer_id": customer["id"],
                                  "complaint": f"Yetkili {contact[0]} ({contact[2]}) arayın",
                                  "device": {"brand": "Daikin", "serial": "KV-SVC-2"}}, DESK)
    smtp.wait_for(1)  # the representative's e-mail about the form: naming the contact
    quiet(smtp)  # and the customer's, when it comes: an e-mail made from an event still in
    # flight when the erasure runs is not erased (docs/architecture.md, known limits)
    engines = {c.service_name: create_engine(_url(c)) for c in containers}
    try:
        assert strings_held(engines["forms"], contact)
        assert named_in_mail(engines["notify"], contact)  # encoded: the raw scan misses it
        rpc.devices.erase_contact(customer["id"], customer["contacts"][0]["id"], {}, ADMIN)
        for name, engine in engines.items():
            assert eventually(lambda: strings_held(engine, contact) == [], timeout=30), (
                name, strings_held(engine, contact))
            url = next(c.config["DATABASE_URL"] for c in containers if c.service_name == name)
            # devices' own event settles its file last (the relay's blanking of the event)
            assert eventually(lambda: file_holds(url, contact) == [], timeout=30), (
                name, file_holds(url, contact))
        # the scans above cannot see encoded e-mails, so they do not show notify is done yet
        assert eventually(lambda: named_in_mail(engines["notify"], contact) == [],
                          timeout=30), named_in_mail(engines["notify"], contact)
        kept = rpc.forms.get_form(form["id"])
        assert (kept["number"], kept["customer_name"]) == (form["number"], NAME)
        assert kept["complaint"] == f"Yetkili {MARKER} ({MARKER}) arayın"
        now = rpc.devices.get_customer(customer["id"])
        assert (now["name"], now["email"], now["phone"]) == (NAME, EMAIL, PHONE)
        assert now["contacts"][0]["name"] == MARKER
        assert strings_held(engines["devices"], (NAME, EMAIL))  # the customer's data stays
    finally:
        for engine in engines.values():
            engine.dispose()
