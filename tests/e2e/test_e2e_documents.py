"""Documents as a user gets them (issue 13), through the running system: a form opened
through the API has its intake slip, a PDF holding the customer's Turkish name exactly;
delivering it issues the delivery receipt, attached to the completion e-mail (one part reads
"1", labour, fee and what coverage paid in Turkish formats, plain text without entities);
the damage report and the periodic report, issued through the API, arrive by e-mail with
the PDF attached; a low score e-mails management by display name."""
import hashlib
import io
import time
from datetime import date, timedelta

import pypdf
import pytest

from tests.conftest import ADMIN_PASSWORD, running_system

NAME = "Güneş Işıkçıoğlu Ödül İnşaat A.Ş."


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    with running_system(tmp_path_factory, "docs",
                        MANAGEMENT_EMAILS="Genel Müdür <genel@example.com>",
                        COMPANY_NAME="Yıldız Teknik Servis Ltd. Şti.",
                        COMPANY_TAX_OFFICE="Karşıyaka", COMPANY_TAX_NO="1234567890",
                        COMPANY_MERSIS="0123456789012345",
                        PUBLIC_BASE_URL="https://servis.example.com") as running:
        yield running


def text_of(pdf):
    return " ".join(" ".join(p.extract_text().split())
                    for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).replace("\xa0", " ")


def until(check, seconds=20):
    deadline = time.monotonic() + seconds
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def mail_to(system, address, subject_part, count=1):
    def found():
        got = [m for m in system.smtp.messages()
               if address in str(m["To"]) and subject_part in str(m["Subject"])]
        return got if len(got) >= count else None
    got = until(found, 30)
    assert got, [(m["To"], m["Subject"]) for m in system.smtp.messages()]
    return got


def test_a_forms_papers_and_emails(system):
    http, url = system.http, system.url
    admin = system.token("admin", ADMIN_PASSWORD)
    for username, role, name in (("masa", "desk", "Deniz Masa"), ("mudur", "manager", "Müdür"),
                                 ("usta", "technician", "İsmail Usta"),
                                 ("temsilci", "rep", "Ayşe Temsilci")):
        r = http.post(url("/api/v1/users"), headers=admin, json={
            "username": username, "password": "parola-1234", "role": role, "name": name,
            "email": f"{username}@servis.local", "language": "tr"})
        assert r.status_code == 201, r.text
    desk, manager, tech, rep = (system.token(u, "parola-1234")
                                for u in ("masa", "mudur", "usta", "temsilci"))
    rep_id = http.get(url("/api/v1/me"), headers=rep).json()["id"]
    customer = http.post(url("/api/v1/customers"), headers=desk, json={
        "name": NAME, "email": "musteri@example.com", "language": "tr",
        "rep_user_id": rep_id, "rep_name": "Ayşe Temsilci",
        "rep_email": "temsilci@servis.local", "report_frequency": "monthly"}).json()
    assert customer["report_frequency"] == "monthly"

    device = http.post(url("/api/v1/devices"), headers=desk, json={
        "customer_id": customer["id"], "brand": "Arçelik", "serial": "DOC-1", "model": "X 12",
        "device_type": "Klima", "insured": True, "insurer": "Güven Sigorta",
        "policy_no": "POL-77"}).json()
    r = http.post(url("/api/v1/forms"), headers=desk, json={
        "customer_id": customer["id"], "complaint": "Soğutmuyor; basınç 13 < 60 bar",
        "accessories": "Güç kablosu", "condition": "Ön kapakta çizik",
        "device_id": device["id"]})
    assert r.status_code == 201, r.text
    form = r.json()
    assert form["accessories"] == "Güç kablosu" and form["condition"] == "Ön kapakta çizik"

    # the intake slip, listed and downloadable at once
    [slip] = http.get(url(f"/api/v1/forms/{form['id']}/documents"), headers=desk).json()["items"]
    assert (slip["kind"], slip["status"]) == ("intake_slip", "issued")
    r = http.get(url(f"/api/v1/forms/{form['id']}/documents/{slip['id']}"), headers=desk)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    assert hashlib.sha256(r.content).hexdigest() == slip["sha256"]
    text = text_of(r.content)
    assert NAME in text and "Yıldız Teknik Servis Ltd. Şti." in text
    assert "Servis Kabul Fişi" in text and "Güç kablosu" in text and "Klima" in text
    again = http.get(url(f"/api/v1/forms/{form['id']}/documents/{slip['id']}"), headers=desk)
    assert again.content == r.content  # byte for byte, every time

    # work, one part, labour and a fee; delivered: the receipt and the completion e-mail
    v = {"If-Match": f'"{form["version"]}"'}
    tech_id = http.get(url("/api/v1/me"), headers=tech).json()["id"]
    f = http.post(url(f"/api/v1/forms/{form['id']}/assignments"), headers={**manager, **v},
                  json={"user_ids": [tech_id]}).json()

    def write(method, path, who, body):
        nonlocal f
        r = http.request(method, url(f"/api/v1/forms/{form['id']}{path}"),
                         headers={**who, "If-Match": f'"{f["version"]}"'}, json=body)
        assert r.status_code in (200, 201), r.text
        f = r.json()

    write("POST", "/transitions", tech, {"to": "DIAGNOSIS"})
    write("PATCH", "", manager, {"service_fee": "250.00", "diagnosis": "Röle arızası",
                                 "work_done": "Kompresör rölesi değişti"})
    write("POST", "/parts", tech, {"name": "Kompresör rölesi", "quantity": "1",
                                   "unit_price": "450.00"})
    write("POST", "/work-logs", tech, {"minutes": 60})
    for to, who in (("IN_REPAIR", tech), ("REPAIRED", tech), ("DELIVERED", desk)):
        write("POST", "/transitions", who, {"to": to})
    docs = http.get(url(f"/api/v1/forms/{form['id']}/documents"), headers=desk).json()["items"]
    [receipt] = [d for d in docs if d["kind"] == "delivery_receipt"]
    assert receipt["status"] == "issued"
    pdf = http.get(url(f"/api/v1/forms/{form['id']}/documents/{receipt['id']}"),
                   headers=desk).content
    assert "Teslim Fişi" in text_of(pdf) and NAME in text_of(pdf)

    [done] = mail_to(system, "musteri@example.com", "tamamlandı")
    body = done.get_body(("plain",)).get_content().replace("\xa0", " ")
    assert "Kompresör rölesi × 1: 450,00 ₺" in body and "1.000" not in body
    assert "İşçilik:          750,00 ₺" in body and "Hizmet bedeli:    250,00 ₺" in body
    assert "Kapsamın ödediği: −0,00 ₺" in body and "Kapsam: Kapsam dışı" in body
    assert "Toplam:           1.740,00 ₺" in body
    assert "&" not in body
    [attached] = list(done.iter_attachments())
    assert attached.get_content_type() == "application/pdf"
    assert hashlib.sha256(attached.get_content()).hexdigest() == receipt["sha256"]

    # the damage report, e-mailed to the insurer with the PDF
    r = http.post(url(f"/api/v1/forms/{form['id']}/damage-report"), headers=manager, json={
        "insurer_email": "hasar@guven.example.com", "incident_date": "2026-11-01",
        "incident_description": "Su baskını"})
    assert r.status_code == 201, r.text
    damage = r.json()
    [mail] = mail_to(system, "hasar@guven.example.com", form["number"])
    [attached] = list(mail.iter_attachments())
    assert hashlib.sha256(attached.get_content()).hexdigest() == damage["sha256"]
    assert "POL-77" in text_of(attached.get_content())

    # the periodic report on demand, e-mailed to the customer
    r = http.post(url(f"/api/v1/customers/{customer['id']}/periodic-reports"), headers=manager,
                  json={"from": (date.today() - timedelta(days=40)).isoformat(),
                        "to": (date.today() + timedelta(days=1)).isoformat(), "send": True})
    assert r.status_code == 201, r.text
    report = r.json()
    r = http.get(url(f"/api/v1/customers/{customer['id']}/documents/{report['id']}"),
                 headers=manager)
    assert r.headers["Content-Type"] == "application/pdf" and form["number"] in text_of(r.content)
    [mail] = mail_to(system, "musteri@example.com", "Periyodik servis raporu")
    [attached] = list(mail.iter_attachments())
    assert attached.get_content() == r.content

    # a low score: 200 (a display name in MANAGEMENT_EMAILS made it a 500), management told
    q = http.post(url("/api/v1/catalogues/survey-questions"), headers=admin,
                  json={"text_tr": "Memnun musunuz?", "text_en": "Satisfied?"}).json()
    write("POST", "/survey", rep, {"outcome": "done", "answers": [
        {"question_id": q["id"], "value": 1}]})
    assert f["status"] == "REOPENED"
    [low] = mail_to(system, "genel@example.com", form["number"])
    assert low["To"].addresses[0].display_name == "Genel Müdür"
