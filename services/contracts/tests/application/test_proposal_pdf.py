"""The proposal's PDF — quote and contract text from the template (TR and EN) — parsed back:
the Turkish text exact, the figures, the stamp duty; sent by e-mail as proposal_sent with the
document; the template replaced by an admin (checked first: a broken one is refused with its
line and the one in use stays)."""
import base64
import io
import os
from datetime import date

import pytest
from pypdf import PdfReader

from services.common.events import make_event
from services.common.exceptions import Conflict, ValidationFailed
from services.contracts.tests.application.test_contracts_app import (OFFICER, Contracts,
                                                                     proposal)

ADMIN = {"id": 1, "name": "Yönetici", "role": "admin"}


@pytest.fixture
def contracts(database_url, tmp_path, pdf_pool):
    c = Contracts(database_url("contracts"), tmp_path / "documents", pdf_pool,
                  COMPANY_NAME="Işıklı Soğutma Teknik Servis")
    yield c
    c.close()


def text_of(contracts, proposal_id, doc):
    got = contracts.get_proposal_document(proposal_id, doc["id"])
    assert got["content_type"] == "application/pdf" and got["status"] == "issued"
    reader = PdfReader(io.BytesIO(base64.b64decode(got["content_b64"])))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_the_proposal_pdf_in_turkish(contracts):
    p = contracts.create_proposal(proposal(currency="TRY", rate=None, discount_percent="10"),
                                  OFFICER)
    (doc,) = contracts.proposal_documents(p["id"])
    assert doc["status"] == "issued" and doc["number"] == "TK-2027-000001-1"
    text = text_of(contracts, p["id"], doc)
    for expected in ("Bakım Sözleşmesi Teklifi", "TK-2027-000001-1", "IŞIK Soğutma",
                     "01.02.2027 – 31.01.2028 (12 ay)", "SN-10", "SN-11",
                     "Ara toplam 2.000,00 ₺", "İndirim 200,00 ₺", "KDV (%20) 360,00 ₺",
                     "Genel toplam 2.160,00 ₺", "Damga vergisi (%0,948) 17,06 ₺",
                     "Işıklı Soğutma Teknik Servis (Servis) ile IŞIK Soğutma (Müşteri)",
                     "işçilik, yedek parça", "Müdahale süresi 4 iş saati",
                     "onarım süresi 16 iş saatidir"):
        assert expected in text, (expected, text)


def test_an_english_proposal_in_euro_shows_the_rate(contracts):
    p = contracts.create_proposal(proposal(language="en"), OFFICER)
    (doc,) = contracts.proposal_documents(p["id"])
    text = text_of(contracts, p["id"], doc)
    for expected in ("Maintenance Contract Proposal", "Total € 2,160.00",
                     "1 EUR = 35.5000 TRY TRY 76,680.00", "Stamp duty (0.948%) € 17.06",
                     "On a repair the contract pays: labour, parts."):
        assert expected in text, (expected, text)


def test_sending_mails_the_pdf(contracts):
    p = contracts.create_proposal(proposal(), OFFICER)
    doc = contracts.send_proposal(p["id"], {}, OFFICER)
    assert doc["status"] == "issued"
    (sent,) = [e for e in contracts.events if e["event_type"] == "proposal_sent"]
    assert sent["customer"] == {"name": "IŞIK Soğutma", "email": "isik@example.com",
                                "language": "tr"}
    assert sent["document"] == {"service": "contracts", "id": doc["id"]}
    assert contracts.get_document(doc["id"])["filename"] == "TK-2027-000001-2.pdf"
    contracts.devices.customers[2]["email"] = None
    q = contracts.create_proposal(proposal(customer_id=2, devices=[{"device_id": 20}]),
                                  OFFICER)
    with pytest.raises(ValidationFailed) as err:
        contracts.send_proposal(q["id"], {}, OFFICER)
    assert "email" in err.value.details


def test_an_admin_replaces_the_template(contracts):
    with pytest.raises(ValidationFailed) as err:
        contracts.save_proposal_template({"source": "{% extends '_base.html.j2' %}\n"
                                                    "{% block content %}{{ nope.x }}"
                                                    "{% endblock %}"}, ADMIN)
    assert "source" in err.value.details
    assert contracts.proposal_template()["overridden"] is False
    source = ("{% extends '_base.html.j2' %}{% block content %}<p>{{ t('Sayın', 'Dear') }} "
              "{{ customer.name }}: {{ proposal.total|money(proposal.currency) }}</p>"
              "{% endblock %}")
    saved = contracts.save_proposal_template({"source": source, "note": "kısa"}, ADMIN)
    assert saved["overridden"] is True and saved["version"] == "v1"
    p = contracts.create_proposal(proposal(currency="TRY", rate=None), OFFICER)
    (doc,) = contracts.proposal_documents(p["id"])
    assert doc["template_version"] == "v1"
    assert "Sayın IŞIK Soğutma: 2.160,00 ₺" in text_of(contracts, p["id"], doc)


def test_the_insurance_notification_of_insured_devices(contracts):
    p = contracts.create_proposal(proposal(currency="TRY", rate=None), OFFICER)
    p = contracts.decide_proposal(p["id"], {"decision": "accepted", "version": 1}, OFFICER)
    c = p["contract_id"]
    notice = {"insurer_email": "bildirim@guven.example.com"}
    with pytest.raises(Conflict) as err:
        contracts.issue_insurance_notice(c, notice, OFFICER)
    assert err.value.details == {"number": "SZ-2027-000001"}
    contracts.devices.cards[10].update(insured=True, insurer="Güven Sigorta",
                                       policy_no="POL-2027-77", price="125000.00",
                                       currency="TRY")
    doc = contracts.issue_insurance_notice(c, notice, OFFICER)
    assert doc["status"] == "issued" and doc["number"] == "SZ-2027-000001-SB1"
    (event,) = [e for e in contracts.events if e["event_type"] == "insurance_notice_issued"]
    assert event["insurer"] == {"name": "Güven Sigorta", "email": "bildirim@guven.example.com",
                                "language": "tr"}
    assert event["document"] == {"service": "contracts", "id": doc["id"]}
    listed = contracts.contract_documents(c)
    assert [d["kind"] for d in listed] == ["proposal", "insurance_notice"]
    got = contracts.get_contract_document(c, doc["id"])
    reader = PdfReader(io.BytesIO(base64.b64decode(got["content_b64"])))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for expected in ("Sigorta Bildirim Formu", "Güven Sigorta", "IŞIK Soğutma",
                     "SZ-2027-000001 (01.02.2027 – 31.01.2028)", "Bosch K1 SN-10 POL-2027-77",
                     "125.000,00 ₺"):
        assert expected in text, (expected, text)
    assert "SN-11" not in text  # not insured


def test_a_machine_park_check_of_a_site(contracts):
    devices = contracts.devices
    devices.customers[1]["sites"] = [{"id": 1, "name": "Merkez Depo"},
                                     {"id": 2, "name": "Şube"}]
    devices.cards[10]["site_id"], devices.cards[11]["site_id"] = 1, 2
    p = contracts.create_proposal(proposal(devices=[{"device_id": 10}]), OFFICER)
    contracts.decide_proposal(p["id"], {"decision": "accepted", "version": 1}, OFFICER)
    contracts.at(date(2027, 2, 1))
    contracts.scan_due()
    with pytest.raises(ValidationFailed) as err:
        contracts.open_machine_park({"customer_id": 1, "site_id": 9}, OFFICER)
    assert "site_id" in err.value.details
    check = contracts.open_machine_park({"customer_id": 1, "site_id": 1}, OFFICER)
    assert [(i["serial"], i["under_contract"]) for i in check["items"]] == [
        ("SN-10", "SZ-2027-000001")]
    got = contracts.machine_park_form(check["id"])
    assert got["status"] == "issued" and got["content_type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(base64.b64decode(got["content_b64"])))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for expected in ("Makine Parkı Formu", "IŞIK Soğutma", "Merkez Depo",
                     "SN-10 Bosch K1 Merkez Depo SZ-2027-000001", "Kontrol eden",
                     "Müşteri yetkilisi"):
        assert expected in text, (expected, text)
    assert "SN-11" not in text  # another site

    with pytest.raises(ValidationFailed) as err:  # a device of no this check: nothing written
        contracts.record_machine_park(check["id"], {
            "version": 1, "items": [{"device_id": 11, "present": True}],
            "new_devices": [{"brand": "Vestel", "serial": "V-1"}]}, OFFICER)
    assert err.value.details == {"items": {"0": {"device_id": ["Not a device of this "
                                                               "check."]}}}
    assert devices.registered == []
    done = contracts.record_machine_park(check["id"], {
        "version": 1, "items": [{"device_id": 10, "present": False, "note": "Taşınmış"}],
        "new_devices": [{"brand": "Vestel", "serial": "V-1", "note": "Kayıtsız"}]}, OFFICER)
    assert done["status"] == "done" and done["version"] == 2
    assert [i["serial"] for i in done["differences"]["missing"]] == ["SN-10"]
    assert [i["serial"] for i in done["differences"]["new"]] == ["V-1"]
    assert devices.registered[0]["site_id"] == 1 and devices.registered[0]["customer_id"] == 1
    with pytest.raises(Conflict):
        contracts.record_machine_park(check["id"], {"version": 2, "items": []}, OFFICER)


def test_an_erased_customers_proposal_pdf_leaves_the_storage(contracts):
    """customer_erased: the customer's proposal PDFs are deleted from the storage (no file's
    text names them), their rows say `erased`; another customer's stay."""
    mine = contracts.create_proposal(proposal(currency="TRY", rate=None), OFFICER)
    theirs = contracts.create_proposal(proposal(customer_id=2, currency="TRY", rate=None,
                                                devices=[{"device_id": 20}]), OFFICER)
    root = contracts.service.documents.storage.root

    def naming(needle):
        found = []
        for dirpath, _, names in os.walk(root):
            for name in names:
                reader = PdfReader(os.path.join(dirpath, name))
                if needle in " ".join(" ".join(p.extract_text().split())
                                      for p in reader.pages):
                    found.append(name)
        return found
    assert naming("IŞIK Soğutma")
    other_name = contracts.get_proposal(theirs["id"])["customer"]["name"]
    assert naming(other_name)
    contracts.handle_customer_erased(make_event("customer_erased", "devices", {
        "customer_id": 1, "marker": "[KVKK: silindi]", "personal": ["IŞIK Soğutma"]}))
    assert naming("IŞIK Soğutma") == []
    (doc,) = contracts.proposal_documents(mine["id"])
    assert doc["status"] == "erased" and "KVKK" in doc["error"] and doc["sha256"]
    with pytest.raises(Conflict):
        contracts.get_proposal_document(mine["id"], doc["id"])
    (kept,) = contracts.proposal_documents(theirs["id"])
    assert kept["status"] == "issued" and naming(other_name)
