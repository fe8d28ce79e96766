"""The import's bulk path against its row path (the reference), on SQLite and PostgreSQL: a
2,000-row file with every kind of error, applied by each to its own database holding the same
archive, must leave identical customers, sites, cards, coverage periods, history, failed rows
(row numbers and texts), counts and outbox events (in order; ids, times and event ids aside).
The same file again changes nothing; a third file that changes cards goes the same way too."""
import json
import random
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker

from services.common.db import create_schema, make_engine
from services.common.models import OutboxMessage
from services.devices import domain, importer
from services.devices.catalogues import seed_catalogue
from services.devices.importing import ImportJobs, ImportRunner
from services.devices.models import (Base, Contact, CoveragePeriod, Customer, Device,
                                     DeviceHistory, ImportJob, ImportRow, Site)


def vkn(n):
    nine = f"{n:09d}"[-9:]
    for last in "0123456789":
        if domain.vkn_valid(nine + last):
            return nine + last


def bad_vkn(n):
    good = vkn(n)
    return good[:9] + str((int(good[9]) + 1) % 10)


HEADER = [c.tr for c in importer.COLUMNS]
TYPES = ["Klima", "kombi", "Buzdolabı", "fotokopi", ""]


def archive_file(rows=2000, seed=7, change=False):
    """A Turkish device archive (`;`, decimal commas, DD.MM.YYYY) with every kind of error
    spread through it; `change` alters some cards' values (a later export of the same
    archive)."""
    rnd = random.Random(seed)
    lines = [";".join(HEADER)]
    for i in range(rows):
        c = i // 7  # customers with several cards each
        v = {c.key: "" for c in importer.COLUMNS}
        v.update({
            "customer_name": f"Öztürk Soğutma {c} Ltd. Şti.",
            "customer_tax_no": vkn(100000 + c) if c % 5 else "",
            "customer_phone": "" if (i % 7 == 0 and c % 3 == 0) else f"0212 555 {c % 100:02d} 1{c % 10}",
            "customer_email": f"servis{c}@example.com.tr" if i % 7 else "",
            "customer_city": ["İstanbul", "ANKARA", "izmir", "35", ""][c % 5],
            "customer_district": "Kadıköy" if c % 2 else "",
            "customer_language": "Türkçe" if c % 4 else "",
            "site": f"Şube {(i % 3)}" if c % 2 else "",
            "brand": ["Arçelik", "Bosch", "Daikin"][i % 3], "model": f"M-{i % 11}",
            "device_type": TYPES[i % 5], "serial": f"SN-{i:05d}",
            "price": f"{rnd.randrange(1, 90)}.{rnd.randrange(1000):03d},{rnd.randrange(100):02d}",
            "currency": "TL" if i % 2 else "", "insured": "Evet" if i % 4 == 0 else "",
            "vendor": "Işık Elektronik A.Ş.", "notes": "Çatı ünitesi; yılda iki bakım" if i % 9 == 0 else ""})
        if i % 3:
            start = date(2022, 1, 1) + timedelta(days=i % 700)
            v["purchase_date"] = start.strftime("%d.%m.%Y")
            v["warranty_end"] = (start + timedelta(days=730)).strftime("%d.%m.%Y")
        if change and i % 10 == 1:
            v["price"] = "1,00"
            v["model"] = "Yeni model"
        if change and i % 10 == 2 and v["warranty_end"]:
            v["warranty_end"] = "31.12.2030"
        if change and i % 50 == 4:
            v["site"] = "Yeni şube"
        # every kind of error, each on a few rows
        kind = i % 53
        if kind == 1:
            v["customer_name"] = ""
        elif kind == 2:
            v["price"] = "12,500"
        elif kind == 3:
            v["purchase_date"] = "31.02.2024"
        elif kind == 4:
            v["customer_tax_no"] = bad_vkn(100000 + c)
        elif kind == 5:
            v["customer_tax_no"] = "12345678901"  # a TCKN whose check digits do not match
        elif kind == 6:
            v["customer_phone"] = "telefon yok"
        elif kind == 7:
            v["customer_city"] = "Gotham"
        elif kind == 8:
            v["customer_email"] = "servis@"
        elif kind == 9:
            v["model"] = "M" * 101
        elif kind == 10:
            v["device_type"] = "uzay gemisi"
        elif kind == 11:
            v["warranty_start"], v["warranty_end"] = "01.01.2024", ""
        elif kind == 12:
            v["purchase_date"], v["warranty_end"] = "01.01.2025", "01.01.2024"
        elif kind == 13:
            v["serial"] = "SN-00000"  # the same card as row 2: the later row is refused
        elif kind == 14:
            v["serial"] = "OWNED-1"  # a card of another customer (in the archive before)
        elif kind == 15:
            v["insured"] = "belki"
        elif kind == 16:
            v["currency"] = "Lira"
        elif kind == 17:
            v["customer_language"] = "Fransızca"
        elif kind == 18:
            v["warranty_end"], v["purchase_date"] = "01.01.2026", ""
        elif kind == 19:
            v["brand"] = ""
        cells = [v[c.key] for c in importer.COLUMNS]
        line = ";".join(f'"{x}"' if ";" in x else x for x in cells)
        if kind == 20:
            line += ";fazla;hücre"
        lines.append(line)
    return ("\r\n".join(lines) + "\r\n").encode("cp1254")


def seed_archive(Session):
    """What the archive holds before the file: a customer owning OWNED-1, a customer the file
    will match by name (no tax number, no phone: the file fills them), a card of the file
    registered already (unchanged or updated by the import)."""
    with Session() as s:
        seed_catalogue(s)
        owner = Customer(name="Başka Firma", name_folded="baska firma", name_sort="x",
                         tax_no=vkn(999), version=1)
        named = Customer(name="Öztürk Soğutma 3 Ltd. Şti.",
                         name_folded="ozturk sogutma 3 ltd. sti.", name_sort="y", version=1)
        s.add_all([owner, named])
        s.flush()
        for serial, customer in (("OWNED-1", owner), ("SN-00021", named)):
            bk, sk = domain.device_key("Arçelik", serial)
            s.add(Device(customer_id=customer.id, brand="Arçelik", brand_key=bk, serial=serial,
                         serial_key=sk, version=1))
        s.commit()


def run(Session, data, mode, batch_size=97, kind="devices", write_chunk=0, pauses=None):
    stream = importer.ImportStream([data[i:i + 4096] for i in range(0, len(data), 4096)], kind)
    dup = importer.Duplicates()
    with Session() as s:
        jobs = ImportJobs(s)
        job = jobs.create({"keys": [k for k in stream.keys if k], "ignored_columns": [],
                           "kind": kind})
        rows = [[n, dup.mark(n, cells)] for n, cells in stream.rows()]
        for i in range(0, len(rows), 500):
            jobs.add_rows(job.id, rows[i:i + 500])
        jobs.queue(job)
        s.commit()
        job_id = job.id
    runner = ImportRunner()
    runner.database = SimpleNamespace(Session=Session)
    runner.outbox = SimpleNamespace(wake=lambda: None)
    runner.batch_size, runner.mode, runner.write_chunk = batch_size, mode, write_chunk
    if pauses is not None:  # count the pauses (in the service each may wait for readers)
        runner._give_way = lambda: pauses.append(1)
    while runner.step():
        pass
    with Session() as s:
        job = s.get(ImportJob, job_id)
        assert job.status == "done"
        counts = (job.total, job.processed, job.created, job.updated, job.unchanged, job.failed)
        failed = [(r.row_no, json.loads(r.errors)) for r in s.scalars(
            select(ImportRow).where(ImportRow.job_id == job_id, ImportRow.status == "failed")
            .order_by(ImportRow.row_no))]
    return counts, failed


def state(Session):
    """The archive, with ids replaced by natural keys (ids differ: PostgreSQL's sequences
    keep what a rolled-back SAVEPOINT took)."""
    with Session() as s:
        customers = {c.id: (c.tax_no, c.name) for c in s.scalars(select(Customer))}
        sites = {x.id: (customers[x.customer_id], x.name) for x in s.scalars(select(Site))}
        cards = {d.id: (d.brand_key, d.serial_key) for d in s.scalars(select(Device))}

        def plain(value):
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list):
                return [plain(v) for v in value]
            return value

        out = {
            "customers": sorted(
                (c.tax_no or "", c.name, c.name_folded, c.name_sort, c.address, c.city,
                 c.district, c.phone, c.email, c.language, c.version,
                 tuple(x.name for x in c.sites), tuple((k.name, k.phone) for k in c.contacts))
                for c in s.scalars(select(Customer))),
            "cards": sorted(
                (d.brand, d.serial, d.brand_key, d.serial_key, customers[d.customer_id],
                 sites.get(d.site_id), d.model, d.model_key, d.device_type, str(d.price),
                 d.currency, d.purchase_date, d.vendor, d.insured, d.insurer, d.policy_no,
                 d.notes, d.warranty_end, d.contract_end, d.repair_warranty_end, d.version)
                for d in s.scalars(select(Device))),
            "periods": sorted((cards[p.device_id], p.kind, p.source_id, p.start, p.end, p.closed)
                              for p in s.scalars(select(CoveragePeriod))),
            "history": [],
            "events": [],
        }
        for h in s.scalars(select(DeviceHistory).order_by(DeviceHistory.id)):
            changes = json.loads(h.changes)
            if "site_id" in changes:
                changes["site_id"] = [sites.get(x) and list(sites[x]) for x in changes["site_id"]]
            out["history"].append((cards[h.device_id], h.action, changes, h.by_id, h.by_name))
        out["history"].sort(key=repr)
        for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
            event = json.loads(m.body)
            for k in ("event_id", "occurred_at"):
                event.pop(k)
            if "customer" in event:
                event["customer"]["id"] = customers[event["customer"]["id"]]
            if "device" in event:
                event["device"]["id"] = cards[event["device"]["id"]]
                event["device"]["customer_id"] = customers[event["device"]["customer_id"]]
            if "device_id" in event:
                event["device_id"] = cards[event["device_id"]]
            out["events"].append(plain(event))
        out["contacts"] = s.scalar(select(text("count(*)")).select_from(Contact))
    return out


def fresh(url, name):
    engine = make_engine(url(name))
    create_schema(engine, Base.metadata)
    Session = sessionmaker(engine, expire_on_commit=False)
    seed_archive(Session)
    return engine, Session


def test_bulk_and_row_paths_give_identical_archives(database_url):
    url = database_url  # the test's backend (services/conftest.py)
    rows_engine, by_rows = fresh(url, "rows")
    bulk_engine, by_bulk = fresh(url, "bulk")
    # the bulk path as the runner writes: each batch's writes in short statements
    chunked_engine, by_chunks = fresh(url, "chunks")
    try:
        first = archive_file()
        runs, pauses = [], []
        for data in (first, first, archive_file(change=True)):
            expected = run(by_rows, data, "rows")
            want = state(by_rows)
            for Session, chunk in ((by_bulk, 0), (by_chunks, 7)):
                paused = []
                got = run(Session, data, "bulk", 250, write_chunk=chunk, pauses=paused)
                pauses.append((chunk, got[0], len(paused)))
                assert got[0] == expected[0], chunk
                assert got[1] == expected[1], chunk
                have = state(Session)
                for part in want:
                    assert have[part] == want[part], (part, chunk)
            runs.append(expected[0])
        assert runs[1][2:5] == (0, 0, 1244)  # the same file again: nothing changes
        assert runs[2][3] > 200  # the changed file: cards updated (through the row path)
        # a row handed to the row path (the changed file's 232) reads and writes one row:
        # no pauses of its own (each may wait for readers in the service), so the changed
        # file pauses about as often as the unchanged one (224 here; 1,392 when it did)
        by_file = [n for chunk, _, n in pauses if chunk == 0]
        assert by_file[2] <= by_file[1] + 8, by_file
        counts, failed = run(by_bulk, first, "bulk")
        # the file is what it says: every kind of error, each row counted once
        assert counts[0] == 2000 and counts[1] == 2000 and sum(counts[2:]) == 2000
        assert len(failed) >= 20 * 37
        reasons = " ".join(json.dumps(f, ensure_ascii=False) for _, f in failed)
        for words in ("check digit", "Not a phone number", "Not a province", "valid email",
                      "Unknown device type", "A warranty start needs its end",
                      "registered to customer Başka Firma", "same brand and serial",
                      "more cells than the header", "Ambiguous price", "Not a date",
                      "Longer than maximum length", "Missing data"):
            assert words in reasons, words
    finally:
        rows_engine.dispose()
        bulk_engine.dispose()
        chunked_engine.dispose()


CUSTOMERS = ("Müşteri adı;VKN;Telefon;İl;İlçe\r\n"
             "Öztürk Soğutma 3 Ltd. Şti.;;0212 555 00 01;İZMİR;Konak\r\n"  # fills the seeded one
             f"Yeni Firma;{vkn(4242)};(0532) 111 22 33;6;Çankaya\r\n"
             f"Yeni Firma;{vkn(4242)};;;\r\n"
             "Kötü;1234567891;;;\r\n")
CONTACTS = ("Müşteri adı;VKN;Yetkili adı;Yetkili telefonu;Yetkili e-postası\r\n"
            f"Yeni Firma;{vkn(4242)};Ayşe Yılmaz;0532 000 00 00;\r\n"
            f"Yeni Firma;{vkn(4242)};AYŞE YILMAZ;;ayse@example.com\r\n"
            "Olmayan Firma;;Ali;;\r\n")


@pytest.mark.parametrize("mode", ["bulk", "rows"])
def test_customers_and_contacts_files(database_url, mode):
    url = database_url
    engine, Session = fresh(url, f"kinds_{mode}")
    try:
        counts, failed = run(Session, CUSTOMERS.encode("cp1254"), mode, kind="customers")
        assert counts[2:] == (1, 1, 1, 1) and [n for n, _ in failed] == [5]
        assert "check digit" in failed[0][1]["customer_tax_no"][0]
        with Session() as s:
            named = s.scalars(select(Customer).where(Customer.tax_no.is_(None),
                                                     Customer.name.like("Öztürk%"))).one()
            assert (named.phone, named.city, named.district, named.version) == (
                "+90 212 555 00 01", "İzmir", "Konak", 2)
            new = s.scalars(select(Customer).where(Customer.tax_no == vkn(4242))).one()
            assert (new.phone, new.city) == ("+90 532 111 22 33", "Ankara")
        assert run(Session, CUSTOMERS.encode("cp1254"), mode, kind="customers")[0][2:] == (
            0, 0, 3, 1)
        counts, failed = run(Session, CONTACTS.encode(), mode, kind="contacts")
        assert counts[2:] == (1, 1, 0, 1)
        assert "import the customer first" in failed[0][1]["customer_name"][0]
        with Session() as s:
            new = s.scalars(select(Customer).where(Customer.tax_no == vkn(4242))).one()
            assert [(c.name, c.phone, c.email) for c in new.contacts] == [
                ("Ayşe Yılmaz", "+90 532 000 00 00", "ayse@example.com")]
            assert new.version == 3
        assert run(Session, CONTACTS.encode(), mode, kind="contacts")[0][2:] == (0, 0, 2, 1)
    finally:
        engine.dispose()
