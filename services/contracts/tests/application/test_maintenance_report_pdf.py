"""The maintenance report as a PDF, rendered on the documents' machinery (the template on the
shared layout, the PDF pool) and parsed back: the Turkish and English titles, Turkish dates
(dd.mm.yyyy), the summary by customer and the visits with their devices and team."""
import base64
import io
from datetime import date

import pytest
from pypdf import PdfReader

from services.common.exceptions import ValidationFailed
from services.contracts.tests.application.test_contracts_app import Contracts, OFFICER
from services.contracts.tests.application.test_maintenance_app import (active_contract, plan,
                                                                       scan)


@pytest.fixture
def contracts(database_url, tmp_path, pdf_pool):
    c = Contracts(database_url("contracts"), tmp_path / "documents", pdf_pool,
                  COMPANY_NAME="Işıklı Soğutma Teknik Servis")
    yield c
    c.close()


def text_of(got):
    assert got["content_type"] == "application/pdf" and got["pages"] >= 1
    reader = PdfReader(io.BytesIO(base64.b64decode(got["content_b64"])))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_the_overdue_report_as_a_pdf_in_turkish_and_english(contracts):
    c = active_contract(contracts)
    p = contracts.create_maintenance_plan(plan(c), OFFICER)
    scan(contracts, date(2027, 2, 1))  # the first visit due; its window ends 10 February
    contracts.at(date(2027, 2, 15))
    query = {"state": "overdue", "group_by": "customer"}
    got = contracts.maintenance_report_pdf(query, "tr")
    assert got["filename"] == "bakim-raporu-gecikmis-2027-02-15.pdf"  # Turkish, as the PDF
    text = text_of(got)
    for expected in ("Periyodik Bakım Raporu", "Işıklı Soğutma Teknik Servis",
                     "Gecikmiş bakımlar", "Gruplama Müşteri", "Bugün 15.02.2027",
                     "IŞIK Soğutma 1", "01.02.2027", "10.02.2027", "SN-10",
                     "Tülay Teknisyen, İsmail Usta", "Gecikmiş", c["number"]):
        assert expected in text, (expected, text)
    assert "overdue" not in text  # the number in the page's head too: gecikmis-2027-02-15
    got = contracts.maintenance_report_pdf({**query, "group_by": "technician"}, "en")
    assert got["filename"] == "maintenance-report-overdue-2027-02-15.pdf"
    text = text_of(got)
    for expected in ("Periodic Maintenance Report", "Overdue maintenance",
                     "Grouped by Technician", "15 Feb 2027", "İsmail Usta 1", "Overdue"):
        assert expected in text, (expected, text)
    assert p["counts"]["total"] == 4
    with pytest.raises(ValidationFailed) as err:
        contracts.maintenance_report_pdf({"state": "later"}, "tr")
    assert "state" in err.value.details


def test_a_cut_list_says_where_every_visit_is(contracts, monkeypatch):
    """It said "the CSV has them all": the summary's CSV has the group counts only."""
    from services.contracts import maintenance_domain as rules
    monkeypatch.setattr(rules, "REPORT_PDF_VISITS", 1)
    c = active_contract(contracts)
    contracts.create_maintenance_plan(plan(c), OFFICER)
    query = {"state": "upcoming", "days": 366}
    text = text_of(contracts.maintenance_report_pdf(query, "tr"))
    assert "bakım ziyaretleri listesini CSV olarak indirin" in text, text
    text = text_of(contracts.maintenance_report_pdf(query, "en"))
    assert "download the maintenance visit list as CSV" in text, text
    assert "the CSV has them all" not in text
