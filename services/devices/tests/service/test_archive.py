"""The device archive against a real database (SQLite and PostgreSQL) and a real broker:
cards, history, coverage from events, lists and reports, the import job."""
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from nameko.standalone.events import event_dispatcher

from services.common.events import make_event
from services.common.exceptions import (Conflict, NotFound, PreconditionRequired,
                                        ValidationFailed)
from services.common.testing import eventually
from services.devices import importer
from services.devices.domain import local_today
from services.devices.service import DevicesService


@pytest.fixture
def devices(run_services):
    (container,) = run_services(DevicesService, IMPORT_POLL_SECONDS=0.2, IMPORT_BATCH_SIZE=7)
    return container


@pytest.fixture
def publish(amqp_uri):
    """publish(source, event_type, payload): a real event as that service would send it."""
    def send(source, event_type, payload, event=None):
        event = event or make_event(event_type, source, payload)
        event_dispatcher({"AMQP_URI": amqp_uri})(source, event_type, event)
        return event
    return send


ACTOR = {"id": 7, "name": "Deniz Masa"}


def card(rpc, customer_id, serial, **extra):
    return rpc.devices.register_device({"customer_id": customer_id, "brand": "Daikin",
                                        "serial": serial, **extra}, ACTOR)


def test_a_full_card_its_history_versions_and_a_move(devices, rpc):
    c = rpc.devices.create_customer({"name": "Çağlar Soğutma", "tax_no": "1234567890",
                                     "sites": [{"name": "Merkez", "city": "İstanbul"}],
                                     "contacts": [{"name": "Ali Veli", "phone": "0212"}]})
    site = c["sites"][0]["id"]
    d = card(rpc, c["id"], "DK-1", model="FTXM35", device_type="Air conditioner",
             price="12500.50", currency="EUR", purchase_date="2025-01-15", vendor="Klimasan",
             insured=True, insurer="Anadolu Sigorta", policy_no="P-9", site_id=site,
             warranty_end="2027-01-14", notes="Çatıda")
    assert d["device_type"] == "klima" and d["price"] == "12500.50" and d["currency"] == "EUR"
    assert (d["warranty_end"], d["warranty_end_month"]) == ("2027-01-14", "2027-01")
    assert d["customer_name"] == "Çağlar Soğutma" and d["site_id"] == site

    changed = rpc.devices.update_device(d["id"], {"vendor": "Başka Firma", "version": d["version"]},
                                        ACTOR)
    assert changed["vendor"] == "Başka Firma" and changed["version"] == d["version"] + 1
    with pytest.raises(Conflict) as exc:  # two people editing: the second is told
        rpc.devices.update_device(d["id"], {"notes": "x", "version": d["version"]}, ACTOR)
    assert exc.value.details["version"] == changed["version"]
    v = changed["version"]
    for bad, field in (({"price": "-1"}, "price"), ({"price": "1.005"}, "price"),
                       ({"device_type": "uzay gemisi"}, "device_type"),
                       ({"serial": "  "}, "serial"), ({"currency": ""}, "currency")):
        with pytest.raises(ValidationFailed) as exc:
            rpc.devices.update_device(d["id"], {**bad, "version": v}, ACTOR)
        assert set(exc.value.details) == {field}, bad
    with pytest.raises(PreconditionRequired):
        rpc.devices.update_device(d["id"], {"notes": "x"}, ACTOR)

    other = rpc.devices.create_customer({"name": "Demir A.Ş."})
    v = rpc.devices.get_device(d["id"])["version"]
    with pytest.raises(ValidationFailed):  # a site of another customer
        rpc.devices.move_device(d["id"], {"customer_id": other["id"], "site_id": site,
                                          "version": v}, ACTOR)
    with pytest.raises(PreconditionRequired):  # a move states the card's version too
        rpc.devices.move_device(d["id"], {"customer_id": other["id"]}, ACTOR)
    with pytest.raises(Conflict):
        rpc.devices.move_device(d["id"], {"customer_id": other["id"], "version": v - 1}, ACTOR)
    moved = rpc.devices.move_device(d["id"], {"customer_id": other["id"], "note": "satıldı",
                                              "version": v}, ACTOR)
    assert moved["version"] == v + 1
    assert moved["customer_id"] == other["id"] and moved["customer_name"] == "Demir A.Ş."

    history = rpc.devices.device_history(d["id"])["items"]
    assert [h["action"] for h in history] == ["moved", "updated", "coverage", "registered"]
    assert history[0]["changes"]["customer_id"] == [c["id"], other["id"]]
    assert history[0]["changes"]["note"] == [None, "satıldı"]
    assert history[1]["changes"] == {"vendor": ["Klimasan", "Başka Firma"]}
    assert history[1]["by"] == {"id": 7, "name": "Deniz Masa"}
    assert history[2]["changes"]["end"] == [None, "2027-01-14"]


def test_brand_and_serial_are_unique_also_when_edited(devices, rpc):
    c = rpc.devices.create_customer({"name": "Ak Ltd"})
    a, b = card(rpc, c["id"], "S-1"), card(rpc, c["id"], "S-2")
    with pytest.raises(Conflict) as exc:
        rpc.devices.update_device(b["id"], {"serial": "s-1", "version": b["version"]}, ACTOR)
    assert exc.value.details["device_id"] == a["id"]
    with pytest.raises(NotFound):
        rpc.devices.update_device(999999, {"notes": "x", "version": 1}, ACTOR)


def test_customer_update_publishes_and_keeps_sites_in_use(devices, rpc, tap):
    events = tap("devices", "customer_updated")
    c = rpc.devices.create_customer({"name": "Işık Ltd", "sites": [{"name": "Depo"}]})
    assert c["version"] == 1
    card(rpc, c["id"], "S-9", site_id=c["sites"][0]["id"])
    updated = rpc.devices.update_customer(c["id"], {"name": "IŞIK Soğutma Ltd", "phone": "0312",
                                                    "version": 1})
    assert updated["name"] == "IŞIK Soğutma Ltd" and updated["sites"][0]["name"] == "Depo"
    assert updated["version"] == 2
    (event,) = events.wait(1)
    assert event["customer"]["name"] == "IŞIK Soğutma Ltd" and event["customer"]["version"] == 2
    with pytest.raises(Conflict):  # devices stand at that site
        rpc.devices.update_customer(c["id"], {"sites": [], "version": 2})
    with pytest.raises(PreconditionRequired) as exc:  # the version read is required
        rpc.devices.update_customer(c["id"], {"phone": "0313"})
    assert exc.value.details == {"version": 2}
    with pytest.raises(Conflict) as exc:  # read before the change: stale
        rpc.devices.update_customer(c["id"], {"phone": "0313", "version": 1})
    assert exc.value.details == {"customer_id": c["id"], "version": 2, "given": 1}
    # sites and contacts are changes too: one step each; an unchanged customer keeps its own
    updated = rpc.devices.update_customer(c["id"], {"contacts": [{"name": "Ayşe"}],
                                                    "version": 2})
    assert updated["version"] == 3
    assert rpc.devices.update_customer(c["id"], {"phone": "0312", "version": 3})["version"] == 3
    assert rpc.devices.get_customer(c["id"])["version"] == 3
    assert [c["name"] for c in rpc.devices.find_customers({"q": "ışık soğ"})["items"]] == [
        "IŞIK Soğutma Ltd"]


def test_coverage_follows_contract_and_form_events_once_each(devices, rpc, publish, tap):
    changes = tap("devices", "device_coverage_changed")
    c = rpc.devices.create_customer({"name": "Ak Ltd"})
    d1, d2 = card(rpc, c["id"], "C-1"), card(rpc, c["id"], "C-2")
    contract = {"id": 5, "number": "BS-2026-0005", "customer_id": c["id"],
                "start": "2026-01-01", "end": "2026-12-31"}
    activated = publish("contracts", "contract_activated",
                        {"contract": contract, "devices": [d1["id"], d2["id"], 999999]})
    publish("contracts", "contract_activated", None, event=activated)  # redelivered
    eventually(lambda: rpc.devices.get_device(d2["id"])["contract_end"] == "2026-12-31")
    on = rpc.devices.coverage(d1["id"], {"on": "2026-06-01"})
    assert on["coverage"]["kind"] == "contract" and on["coverage"]["source_id"] == 5
    assert len(on["periods"]) == 1  # the redelivery added nothing

    publish("contracts", "contract_expired", {"contract": {**contract, "end": "2026-06-30"},
                                              "devices": [d1["id"]]})
    eventually(lambda: rpc.devices.get_device(d1["id"])["contract_end"] == "2026-06-30")
    assert rpc.devices.coverage(d1["id"], {"on": "2026-07-01"})["coverage"]["kind"] == "none"

    publish("forms", "form_completed", {
        "form": {"id": 31, "number": "SF-2026-000031", "customer_id": c["id"]},
        "device_id": d1["id"], "repair_warranty": {"start": "2026-07-15", "end": "2027-01-15"},
        "totals": {"subtotal": "100.00", "discount": "0.00", "vat": "20.00", "total": "120.00",
                   "currency": "TRY"}})
    eventually(lambda: rpc.devices.get_device(d1["id"])["repair_warranty_end"] == "2027-01-15")
    answer = rpc.devices.coverage(d1["id"], {"on": "2026-08-01"})["coverage"]
    assert (answer["kind"], answer["source_id"]) == ("repair_warranty", 31)
    assert "SF-2026-000031" in answer["reason"]["tr"]
    got = changes.wait(4)  # d1, d2 activated; d1 expired early; d1 repair warranty
    assert sorted((e["device_id"], e["coverage"]["kind"], e["coverage"]["end"]) for e in got) == \
        sorted([(d1["id"], "contract", "2026-12-31"), (d2["id"], "contract", "2026-12-31"),
                (d1["id"], "contract", "2026-06-30"),
                (d1["id"], "repair_warranty", "2027-01-15")])
    with pytest.raises(TimeoutError):  # and nothing more (the redelivery changed nothing)
        changes.wait(1, timeout=1.5)


def test_intake_answers_coverage_today(devices, rpc):
    c = rpc.devices.create_customer({"name": "Ak Ltd"})
    today = datetime.now(timezone.utc).date()
    d = card(rpc, c["id"], "T-1", purchase_date="2020-01-01",
             warranty_end=date(today.year + 1, 1, 1).isoformat())
    answer = rpc.devices.resolve_intake({"customer_id": c["id"], "device_id": d["id"]})
    assert answer["coverage"]["kind"] == "manufacturer_warranty"
    assert answer["coverage"]["name"]["tr"] == "Üretici garantisi"


def test_lists_windows_sorting_paging_and_prefix(devices, rpc):
    c = rpc.devices.create_customer({"name": "Ak Ltd"})
    ends = ["2026-12-05", "2026-11-30", "2027-01-02", "2026-12-31", "2026-12-05"]
    made = [card(rpc, c["id"], f"PX-{i}", purchase_date="2025-01-01", warranty_end=e)
            for i, e in enumerate(ends)]
    card(rpc, c["id"], "QX-9")  # no warranty: not in a warranty-end list
    query = {"sort": "warranty_end", "warranty_end_from": "2026-12-01",
             "warranty_end_to": "2026-12-31", "limit": 2}
    first = rpc.devices.find_devices(query)
    second = rpc.devices.find_devices({**query, "cursor": first["next_cursor"]})
    got = [(d["warranty_end"], d["id"]) for d in first["items"] + second["items"]]
    assert got == [("2026-12-05", made[0]["id"]), ("2026-12-05", made[4]["id"]),
                   ("2026-12-31", made[3]["id"])]
    assert second["next_cursor"] is None
    desc = rpc.devices.find_devices({"sort": "-warranty_end", "limit": 10})["items"]
    assert [d["warranty_end"] for d in desc] == sorted(ends, reverse=True)
    assert len(rpc.devices.find_devices({"serial_prefix": "px-"})["items"]) == 5
    assert rpc.devices.find_devices({"serial_prefix": "PX-3"})["items"][0]["id"] == made[3]["id"]
    assert rpc.devices.find_devices({"serial_prefix": "%"})["items"] == []
    desc_first = rpc.devices.find_devices({"sort": "-warranty_end", "limit": 2})
    desc_rest = rpc.devices.find_devices({"sort": "-warranty_end", "limit": 10,
                                          "cursor": desc_first["next_cursor"]})
    assert [d["warranty_end"] for d in desc_first["items"] + desc_rest["items"]] == \
        sorted(ends, reverse=True)
    with pytest.raises(ValidationFailed) as exc:  # a cursor belongs to its sort order
        rpc.devices.find_devices({"sort": "warranty_end", "cursor": desc_first["next_cursor"]})
    assert "another sort" in exc.value.details["cursor"][0]
    with pytest.raises(ValidationFailed) as exc:
        rpc.devices.find_devices({"warranty_end_from": "2026-12-31",
                                  "warranty_end_to": "2026-01-01", "sort": "nope"})
    assert set(exc.value.details) == {"sort"}
    with pytest.raises(ValidationFailed) as exc:
        rpc.devices.find_devices({"warranty_end_from": "2026-12-31",
                                  "warranty_end_to": "2026-01-01"})
    assert set(exc.value.details) == {"warranty_end_to"}
    assert len(rpc.devices.find_devices({"device_type": "Air conditioner"})["items"]) == 0
    with pytest.raises(ValidationFailed):
        rpc.devices.find_devices({"device_type": "uzay gemisi"})


def test_reports_by_customer_model_and_coverage(devices, rpc, publish):
    z = rpc.devices.create_customer({"name": "Zeytin Ltd"})
    c = rpc.devices.create_customer({"name": "Çelik Makine"})
    d = rpc.devices.create_customer({"name": "Demir A.Ş."})
    card(rpc, z["id"], "Z-1", model="FTXM")
    card(rpc, c["id"], "C-1", model="FTXM", purchase_date="2026-01-01", warranty_end="2027-12-31")
    card(rpc, c["id"], "C-2", model="ftxm")
    dd = card(rpc, d["id"], "D-1", model="Other")
    by_customer = rpc.devices.report_by_customer({"limit": 3})
    rest = rpc.devices.report_by_customer({"cursor": by_customer["next_cursor"]})
    assert [x["customer_name"] for x in by_customer["items"] + rest["items"]] == [
        "Çelik Makine", "Çelik Makine", "Demir A.Ş.", "Zeytin Ltd"]
    by_model = rpc.devices.report_by_model({"brand": "DAIKIN", "model": "FTXM"})["items"]
    assert [(r["customer_name"], r["devices"]) for r in by_model] == [
        ("Çelik Makine", 2), ("Zeytin Ltd", 1)]
    publish("contracts", "contract_activated", {"contract": {
        "id": 1, "number": "BS-1", "customer_id": d["id"], "start": "2026-01-01",
        "end": "2026-12-31"}, "devices": [dd["id"]]})
    eventually(lambda: rpc.devices.get_device(dd["id"])["contract_end"])
    on = "2026-06-01"
    warranty = rpc.devices.report_by_coverage({"status": "manufacturer_warranty", "on": on})
    assert [x["serial"] for x in warranty["items"]] == ["C-1"]
    contract = rpc.devices.report_by_coverage({"status": "contract", "on": on})["items"]
    assert [x["serial"] for x in contract] == ["D-1"]
    assert contract[0]["coverage"]["kind"] == "contract"
    none = rpc.devices.report_by_coverage({"status": "none", "on": on})["items"]
    assert sorted(x["serial"] for x in none) == ["C-2", "Z-1"]
    later = rpc.devices.report_by_coverage({"status": "none", "on": "2028-01-01"})["items"]
    assert len(later) == 4


def run_import(rpc, data, keys=None):
    parsed = importer.read_csv(data)
    job = rpc.devices.create_import({"filename": "a.csv", "keys": [k for k in parsed.keys if k],
                                     "ignored_columns": parsed.ignored}, ACTOR)
    rows = [[n, cells] for n, cells in parsed.rows]
    rpc.devices.add_import_rows(job["id"], rows[:3])
    rpc.devices.add_import_rows(job["id"], rows)  # a resent chunk counts once
    rpc.devices.start_import(job["id"])
    return eventually(lambda: (lambda j: j if j["status"] == "done" else None)(
        rpc.devices.get_import(job["id"])), timeout=60)


CSV = ("Müşteri adı;Vergi no;Marka;Model;Cihaz tipi;Seri no;Fiyat;Alış tarihi;Garanti bitiş;"
       "Sigortalı;Şube\n"
       "Çağlar Soğutma;1234567890;Daikin;FTXM;Klima;S-1;1.250,50;15.01.2025;14.01.2027;evet;Merkez\n"
       "Çağlar Soğutma;1234567890;Daikin;FTXM;Klima;S-2;;;;;Merkez\n"
       "Işık Ltd;;Bosch;;kombi;B-1;;;;;\n"
       "Bozuk Satır;;;;;;abc;31.02.2025;;;\n"
       "Başkası;9999999994;Daikin;FTXM;Klima;S-1;;;;;\n"
       "Işık Ltd;;Bosch;;uzay gemisi;B-2;;;;;\n") * 1


def test_import_job_keeps_good_rows_reports_bad_ones_and_is_idempotent(devices, rpc):
    job = run_import(rpc, CSV.encode("utf-8-sig"))
    assert (job["total"], job["processed"], job["created"], job["failed"]) == (6, 6, 3, 3)
    errors = {e["row"]: e["errors"] for e in job["errors"]}
    assert set(errors) == {5, 6, 7}
    assert {"brand", "serial", "price", "purchase_date"} <= set(errors[5])
    assert "registered to customer Çağlar Soğutma" in errors[6]["serial"][0]
    assert "device_type" in errors[7]
    customers = rpc.devices.find_customers({})["items"]
    assert [c["name"] for c in customers] == ["Çağlar Soğutma", "Işık Ltd"]  # Turkish order
    s1 = rpc.devices.find_devices({"serial": "S-1"})["items"][0]
    assert (s1["price"], s1["warranty_end"], s1["insured"]) == ("1250.50", "2027-01-14", True)
    assert s1["site_id"] is not None
    # the same file again: nothing changes
    again = run_import(rpc, CSV.encode("cp1254"))
    assert (again["created"], again["updated"], again["unchanged"], again["failed"]) == (
        0, 0, 3, 3)
    assert rpc.devices.device_history(s1["id"])["items"][0]["action"] == "coverage"
    assert len(rpc.devices.find_devices({})["items"]) == 3
    with pytest.raises(Conflict):  # a started job takes no more rows
        rpc.devices.add_import_rows(again["id"], [[2, {"brand": "x"}]])


def test_an_import_adding_a_site_is_a_change_of_the_customer(devices, rpc, tap):
    events = tap("devices", "customer_updated")
    c = rpc.devices.create_customer({"name": "Depo Sahibi Ltd", "tax_no": "1234567890"})
    job = run_import(rpc, ("Müşteri adı;Vergi no;Marka;Seri no;Şube\n"
                           "Depo Sahibi Ltd;1234567890;Bosch;D-1;Yeni Depo\n").encode())
    assert job["failed"] == 0
    now = rpc.devices.get_customer(c["id"])
    assert [s["name"] for s in now["sites"]] == ["Yeni Depo"] and now["version"] == 2
    (event,) = events.wait(1)
    assert event["customer"]["version"] == 2


def test_tax_numbers_name_one_customer(devices, rpc):
    a = rpc.devices.create_customer({"name": "Ak Ltd", "tax_no": "1111111111"})
    with pytest.raises(Conflict) as exc:
        rpc.devices.create_customer({"name": "Başka", "tax_no": "1111111111"})
    assert exc.value.details["owner"]["id"] == a["id"]
    assert exc.value.message == f"Tax number 1111111111 belongs to customer Ak Ltd (#{a['id']})."
    b = rpc.devices.create_customer({"name": "Bey Ltd"})
    with pytest.raises(Conflict):
        rpc.devices.update_customer(b["id"], {"tax_no": "1111111111", "version": 1})


def test_contract_ends_hold_against_late_events_and_moves(devices, rpc, publish):
    c = rpc.devices.create_customer({"name": "Ak Ltd"})
    other = rpc.devices.create_customer({"name": "Yeni Sahip"})
    d = card(rpc, c["id"], "M-1")
    today = local_today()  # Türkiye's day, as devices counts it (not UTC's, from 21:00 UTC)
    contract = {"id": 9, "number": "BS-9", "customer_id": c["id"],
                "start": (today - timedelta(days=30)).isoformat(),
                "end": (today + timedelta(days=300)).isoformat()}
    activated = publish("contracts", "contract_activated", {"contract": contract,
                                                             "devices": [d["id"]]})
    eventually(lambda: rpc.devices.get_device(d["id"])["contract_end"] == contract["end"])
    early = (today + timedelta(days=10)).isoformat()
    publish("contracts", "contract_expired", {"contract": {**contract, "end": early},
                                              "devices": [d["id"]]})
    eventually(lambda: rpc.devices.get_device(d["id"])["contract_end"] == early)
    # the activation delivered again, late: the early end stays
    publish("contracts", "contract_activated", None, event={**activated,
                                                           "event_id": str(uuid.uuid4())})
    marker = publish("forms", "form_completed", {
        "form": {"id": 1, "number": "SF-1", "customer_id": c["id"]}, "device_id": d["id"],
        "repair_warranty": {"start": "2020-01-01", "end": "2020-02-01"},
        "totals": {"subtotal": "0", "discount": "0", "vat": "0", "total": "0",
                   "currency": "TRY"}})
    eventually(lambda: rpc.devices.get_device(d["id"])["repair_warranty_end"] == "2020-02-01")
    assert marker and rpc.devices.get_device(d["id"])["contract_end"] == early
    # moved to another customer: the old owner's contract no longer covers it
    card_now = rpc.devices.get_device(d["id"])
    rpc.devices.move_device(d["id"], {"customer_id": other["id"],
                                      "version": card_now["version"]}, ACTOR)
    answer = rpc.devices.coverage(d["id"])
    assert answer["coverage"]["kind"] == "none"
    assert [p["end"] for p in answer["periods"] if p["kind"] == "contract"] == [
        (today - timedelta(days=1)).isoformat()]
    assert card_now["version"] < rpc.devices.get_device(d["id"])["version"]


IMPORT_KEEPS = ("Müşteri adı;Vergi no;Marka;Seri no;Alış tarihi;Sigortalı;Para birimi;Fiyat\n"
                "Öz Ltd;5555555553;Arçelik;K-1;01.01.2024;evet;USD;100\n"
                "Öz Ltd;5555555553;Arçelik;K-2;01.01.2024;;;\n")


def test_import_rows_keep_what_empty_cells_do_not_say(devices, rpc):
    job = run_import(rpc, IMPORT_KEEPS.encode())
    assert (job["created"], job["failed"]) == (2, 0), job["errors"]  # no warranty end: fine
    k1 = rpc.devices.find_devices({"serial": "K-1"})["items"][0]
    assert (k1["insured"], k1["currency"], k1["price"]) == (True, "USD", "100.00")
    # the same card again with empty cells and another customer name: nothing changes
    again = ("Müşteri adı;Vergi no;Marka;Seri no;Sigortalı;Para birimi\n"
             "Başka İsim;5555555553;ARÇELİK;k-1;;\n")
    job = run_import(rpc, again.encode())
    assert (job["unchanged"], job["updated"], job["failed"]) == (1, 0, 0)
    k1_after = rpc.devices.get_device(k1["id"])
    assert (k1_after["insured"], k1_after["currency"], k1_after["version"]) == (
        True, "USD", k1["version"])
    assert rpc.devices.get_customer(k1["customer_id"])["name"] == "Öz Ltd"
    assert rpc.devices.get_customer(k1["customer_id"])["version"] == 1
    # a file that fills what the customer lacks (a phone) changes it: its version goes up
    job = run_import(rpc, "Müşteri adı;Vergi no;Telefon;Marka;Seri no\n"
                          "Öz Ltd;5555555553;0212 555 01 23;Arçelik;K-1\n".encode())
    assert (job["updated"], job["failed"]) == (1, 0), job["errors"]
    customer = rpc.devices.get_customer(k1["customer_id"])
    assert (customer["phone"], customer["version"]) == ("+90 212 555 01 23", 2)


def test_a_row_the_parser_chokes_on_is_that_rows_error(devices, rpc):
    text = 'Müşteri adı;Marka;Seri no;Alış tarihi\nA;B;S-1;"1.1.2024\nyeni satır"\nA;B;S-2;\n'
    job = run_import(rpc, text.encode())
    assert (job["created"], job["failed"]) == (1, 1)
    assert "purchase_date" in job["errors"][0]["errors"]


def test_rpcs_answer_while_an_import_runs(devices, rpc):
    rows = "".join(f"Firma {i % 50};Marka;SER-{i}\n" for i in range(600))
    parsed = importer.read_csv(("Müşteri adı;Marka;Seri no\n" + rows).encode())
    job = rpc.devices.create_import({"keys": [k for k in parsed.keys if k]}, ACTOR)
    rpc.devices.add_import_rows(job["id"], [[n, c] for n, c in parsed.rows])
    rpc.devices.start_import(job["id"])
    answered_while_running = 0
    while True:
        state = rpc.devices.get_import(job["id"])
        rpc.devices.ping()
        if state["status"] == "done":
            break
        answered_while_running += 1
    assert state["created"] == 600 and answered_while_running >= 3
