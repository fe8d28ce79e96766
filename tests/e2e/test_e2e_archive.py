"""The device archive as the office uses it, through the gateway of a running system: cards,
coverage at intake, lists and reports as CSV, the CSV import (HTTP and the CLI) and roles."""
import csv
import io
import os
import subprocess
import sys

import pytest

from services.common.testing import eventually
from tests.conftest import ADMIN_PASSWORD, ROOT


@pytest.fixture(scope="module")
def staff(system):
    admin = system.token("admin", ADMIN_PASSWORD)
    heads = {"admin": admin}
    for username, role in (("mudur", "manager"), ("masa", "desk"), ("tekno", "technician")):
        r = system.http.post(system.url("/api/v1/users"), headers=admin, json={
            "username": username, "password": "parola-1234", "role": role,
            "name": username.title(), "email": f"{username}@servis.local", "language": "tr"})
        assert r.status_code == 201, r.text
        heads[role] = system.token(username, "parola-1234")
    return heads


def test_card_coverage_history_and_intake(system, staff):
    http, url, desk = system.http, system.url, staff["desk"]
    c = http.post(url("/api/v1/customers"), headers=desk, json={
        "name": "Çağlar Soğutma Ltd. Şti.", "tax_no": "1234567890",
        "sites": [{"name": "Merkez", "city": "İstanbul"}],
        "contacts": [{"name": "Ali Veli", "phone": "0212 000 00 00"}]}).json()
    r = http.post(url("/api/v1/devices"), headers=desk, json={
        "customer_id": c["id"], "brand": "Daikin", "serial": "DK-77", "model": "FTXM35",
        "device_type": "Klima", "price": "18500.00", "purchase_date": "2025-03-01",
        "warranty_end": "2099-02-28", "vendor": "Klimasan", "site_id": c["sites"][0]["id"]})
    assert r.status_code == 201, r.text
    device = r.json()
    assert device["device_type"] == "klima" and device["warranty_end"] == "2099-02-28"
    dup = http.post(url("/api/v1/devices"), headers=desk, json={
        "customer_id": c["id"], "brand": "DAIKIN", "serial": "dk-77"})
    assert dup.status_code == 409 and dup.json()["error"]["details"]["owner"]["id"] == c["id"]

    cov = http.get(url(f"/api/v1/devices/{device['id']}/coverage"), headers=desk,
                   params={"on": "2099-02-28"}).json()["coverage"]
    assert cov["kind"] == "manufacturer_warranty" and "28.02.2099" in cov["reason"]["tr"]
    assert http.get(url(f"/api/v1/devices/{device['id']}/coverage"), headers=desk,
                    params={"on": "2099-03-01"}).json()["coverage"]["kind"] == "none"

    stale = http.patch(url(f"/api/v1/devices/{device['id']}"), headers=desk,
                       json={"notes": "x", "version": device["version"] - 1})
    assert stale.status_code == 409
    bad = http.patch(url(f"/api/v1/devices/{device['id']}"), headers=desk,
                     json={"price": "-5", "currency": "tl"})
    assert bad.status_code == 422 and set(bad.json()["error"]["details"]) == {"price", "currency"}
    ok = http.patch(url(f"/api/v1/devices/{device['id']}"), headers=desk,
                    json={"notes": "Çatıda", "version": device["version"]})
    assert ok.status_code == 200, ok.text
    history = http.get(url(f"/api/v1/devices/{device['id']}/history"), headers=desk).json()
    assert history["items"][0]["changes"] == {"notes": [None, "Çatıda"]}
    assert history["items"][0]["by"]["name"] == "Masa"

    form = http.post(url("/api/v1/forms"), headers=desk, json={
        "customer_id": c["id"], "device_id": device["id"], "complaint": "Soğutmuyor"})
    assert form.status_code == 201, form.text
    assert form.json()["coverage"]["kind"] == "manufacturer_warranty"
    assert form.json()["coverage"]["end"] == "2099-02-28"
    assert form.json()["coverage"]["reason"]["en"].startswith("Manufacturer warranty valid")

    # moving a device is the manager's, not the desk's
    other = http.post(url("/api/v1/customers"), headers=desk, json={"name": "Demir A.Ş."}).json()
    move = {"customer_id": other["id"], "note": "Satıldı"}
    assert http.post(url(f"/api/v1/devices/{device['id']}/move"), headers=desk,
                     json=move).status_code == 403
    assert http.post(url(f"/api/v1/devices/{device['id']}/move"), headers=staff["manager"],
                     json=move).status_code == 428  # a move states the card's version
    etag = http.get(url(f"/api/v1/devices/{device['id']}"), headers=desk).headers["ETag"]
    moved = http.post(url(f"/api/v1/devices/{device['id']}/move"),
                      headers={**staff["manager"], "If-Match": etag}, json=move)
    assert moved.status_code == 200 and moved.json()["customer_id"] == other["id"]
    assert moved.headers["ETag"] != etag


def test_lists_and_reports_export_csv_excel_reads(system, staff):
    http, url, desk = system.http, system.url, staff["desk"]
    c = http.post(url("/api/v1/customers"), headers=desk, json={"name": "Işıklar Ltd"}).json()
    for i, end in enumerate(["2098-12-20", "2098-12-03", "2099-01-10"]):
        r = http.post(url("/api/v1/devices"), headers=desk, json={
            "customer_id": c["id"], "brand": "Bosch", "serial": f"WX-{i}", "model": "Ş-1",
            "purchase_date": "2090-01-01", "warranty_end": end})
        assert r.status_code == 201, r.text
    params = {"sort": "warranty_end", "warranty_end_from": "2098-12-01",
              "warranty_end_to": "2098-12-31"}
    listed = http.get(url("/api/v1/devices"), headers=desk, params=params).json()["items"]
    assert [d["serial"] for d in listed] == ["WX-1", "WX-0"]
    r = http.get(url("/api/v1/devices"), headers=desk, params={**params, "format": "csv"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Kayıt", "Müşteri", "Marka"]
    assert [row[5] for row in rows[1:]] == ["WX-1", "WX-0"] and rows[1][1] == "Işıklar Ltd"

    report = http.get(url("/api/v1/reports/devices/by-model"), headers=desk,
                      params={"brand": "bosch", "format": "csv"})
    lines = report.content.decode("utf-8-sig").splitlines()
    assert lines == ["Marka;Model;Müşteri;Cihaz sayısı", "Bosch;Ş-1;Işıklar Ltd;3"]
    by_cov = http.get(url("/api/v1/reports/devices/by-coverage"), headers=desk,
                      params={"status": "manufacturer_warranty", "on": "2099-01-05",
                              "customer_id": c["id"]}).json()
    assert [d["serial"] for d in by_cov["items"]] == ["WX-2"]
    bad = http.get(url("/api/v1/reports/devices/by-coverage"), headers=desk,
                   params={"status": "maybe", "format": "pdf"})
    assert bad.status_code == 422 and set(bad.json()["error"]["details"]) >= {"status"}
    assert http.get(url("/api/v1/devices"), headers=desk,
                    params={"cursor": "zzz"}).status_code == 422


IMPORT = ("Müşteri adı;Vergi no;Marka;Model;Cihaz tipi;Seri no;Fiyat;Alış tarihi;Garanti bitiş\n"
          "Öztürk Tekstil;2345678909;Arçelik;AK-1;Kombi;IMP-1;1.250,50;15.01.2025;14.01.2027\n"
          "Öztürk Tekstil;2345678909;Arçelik;AK-1;Kombi;IMP-2;;;\n"
          "Hatalı;;;;;;abc;;\n")


def test_import_over_http_and_with_the_cli(system, staff, tmp_path):
    http, url = system.http, system.url
    template = http.get(url("/api/v1/devices/import/template"), headers=staff["manager"])
    assert template.status_code == 200 and template.content.startswith(b"\xef\xbb\xbf")
    assert "Müşteri adı" in template.content.decode("utf-8-sig").splitlines()[0]

    assert http.post(url("/api/v1/devices/import"), headers=staff["technician"],
                     data=IMPORT.encode()).status_code == 403
    not_csv = http.post(url("/api/v1/devices/import"), headers=staff["manager"],
                        data=b"just some words\n")
    assert not_csv.status_code == 422 and "file" in not_csv.json()["error"]["details"]

    r = http.post(url("/api/v1/devices/import"), headers={**staff["manager"],
                  "Content-Type": "text/csv"}, data=IMPORT.encode("utf-8"))
    assert r.status_code == 202, r.text
    job_url = url(r.headers["Location"])
    job = eventually(lambda: (lambda j: j if j["status"] == "done" else None)(
        http.get(job_url, headers=staff["manager"]).json()), timeout=60)
    assert (job["created"], job["failed"]) == (2, 1)
    assert job["errors"][0]["row"] == 4
    found = http.get(url("/api/v1/devices"), headers=staff["desk"],
                     params={"serial_prefix": "imp-"}).json()["items"]
    assert [(d["serial"], d["device_type"], d["price"]) for d in found] == [
        ("IMP-1", "kombi", "1250.50"), ("IMP-2", "kombi", None)]

    # the CLI, as an office worker runs it: the same file again changes nothing
    path = tmp_path / "arsiv.csv"
    path.write_bytes(IMPORT.encode("cp1254"))  # as Turkish Excel saves it
    cli = subprocess.run(
        [sys.executable, "-m", "services.devices.import_cli", str(path), "--url", system.base,
         "--username", "mudur", "--password-env", "SERVIS_TEST_PASSWORD"],
        cwd=ROOT, env={**os.environ, "SERVIS_TEST_PASSWORD": "parola-1234"},
        capture_output=True, text=True, timeout=120)
    assert cli.returncode == 2, cli.stdout + cli.stderr  # one row failed
    assert "row 4" in cli.stdout and "100%" in cli.stderr
    job = http.get(url("/api/v1/devices/import/2"), headers=staff["manager"]).json()
    assert (job["created"], job["updated"], job["unchanged"], job["failed"]) == (0, 0, 2, 1)


def test_catalogue_is_the_admins_and_roles_are_checked(system, staff):
    http, url = system.http, system.url
    new = {"code": "asansor", "name_tr": "Asansör", "name_en": "Elevator"}
    assert http.post(url("/api/v1/catalogues/device-types"), headers=staff["manager"],
                     json=new).status_code == 403
    assert http.post(url("/api/v1/catalogues/device-types"), headers=staff["admin"],
                     json=new).status_code == 201
    assert http.post(url("/api/v1/catalogues/device-types"), headers=staff["admin"],
                     json=new).status_code == 409
    types = http.get(url("/api/v1/catalogues/device-types"), headers=staff["technician"]).json()
    assert {"code": "asansor", "name": {"tr": "Asansör", "en": "Elevator"}, "active": True} in \
        types["items"]
    off = http.patch(url("/api/v1/catalogues/device-types/asansor"), headers=staff["admin"],
                     json={"active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    assert http.patch(url("/api/v1/catalogues/device-types/yok"), headers=staff["admin"],
                      json={"active": False}).status_code == 404
    assert http.get(url("/api/v1/reports/devices/by-customer")).status_code == 401


def test_csv_is_safe_in_excel_and_speaks_the_users_language(system, staff):
    http, url = system.http, system.url
    admin = staff["admin"]
    r = http.post(url("/api/v1/users"), headers=admin, json={
        "username": "mgr_en", "password": "parola-1234", "role": "manager", "name": "Mgr",
        "language": "en"})
    assert r.status_code == 201, r.text
    english = system.token("mgr_en", "parola-1234")
    c = http.post(url("/api/v1/customers"), headers=staff["desk"],
                  json={"name": '=HYPERLINK("http://x";"tık")'}).json()
    http.post(url("/api/v1/devices"), headers=staff["desk"], json={
        "customer_id": c["id"], "brand": "Vestel", "serial": "CSV-1", "device_type": "kombi",
        "price": "1234.50", "insured": True})
    tr = http.get(url("/api/v1/devices"), headers=staff["desk"],
                  params={"customer_id": c["id"], "format": "csv"})
    row = list(csv.reader(io.StringIO(tr.content.decode("utf-8-sig")), delimiter=";"))[1]
    assert row[1] == "'" + c["name"]  # Excel shows it as text, never runs it
    assert row[4] == "Kombi" and row[6] == "1234,50" and row[10] == "evet"
    en = http.get(url("/api/v1/devices"), headers=english,
                  params={"customer_id": c["id"], "format": "csv"})
    assert 'filename="devices.csv"' in en.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(en.content.decode("utf-8-sig"))))
    assert lines[0][4] == "Device type" and lines[1][4] == "Combi boiler"
    assert (lines[1][6], lines[1][10]) == ("1234.50", "yes")


def test_duplicate_rows_huge_numbers_and_blank_patches_are_clear_errors(system, staff):
    http, url, mgr = system.http, system.url, staff["manager"]
    twice = ("Müşteri adı;Marka;Seri no\nÇift Ltd;Bosch;DUP-1\nÇift Ltd;BOSCH;dup-1\n")
    r = http.post(url("/api/v1/devices/import"), headers=mgr, data=twice.encode())
    job = eventually(lambda: (lambda j: j if j["status"] == "done" else None)(
        http.get(url(r.headers["Location"]), headers=mgr).json()), timeout=60)
    assert (job["created"], job["failed"]) == (1, 1)
    # a failed row's reasons in the request's language (here the account's: Turkish)
    assert job["errors"][0]["errors"]["serial"] == [
        "Aynı marka ve seri numarası bu dosyanın 2. satırında da var."]
    job = http.get(url(r.headers["Location"]), headers={**mgr, "Accept-Language": "en"}).json()
    assert job["errors"][0]["errors"]["serial"] == [
        "The same brand and serial number are on row 2 of this file."]
    huge = http.post(
        url("/api/v1/devices"), headers={**mgr, "Content-Type": "application/json"},
        data='{"customer_id": 1, "brand": "x", "serial": "y", "price": ' + "9" * 5000 + "}")
    assert huge.status_code == 400 and huge.json()["error"]["code"]
    card = http.get(url("/api/v1/devices"), headers=mgr, params={"serial": "DUP-1"}).json()
    device = card["items"][0]
    blank = http.patch(url(f"/api/v1/devices/{device['id']}"), headers=mgr,
                       json={"serial": "  ", "version": device["version"]})
    assert blank.status_code == 422 and set(blank.json()["error"]["details"]) == {"serial"}
    missing = http.patch(url(f"/api/v1/devices/{device['id']}"), headers=mgr, json={"notes": "x"})
    assert missing.status_code == 428
    name = http.patch(url("/api/v1/catalogues/device-types/kombi"), headers=staff["admin"],
                      json={"name_tr": " "})
    assert name.status_code == 422
