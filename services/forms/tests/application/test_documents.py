"""forms' documents on a real database with the real renderer (a child process): every
document in Turkish and English parsed back (pypdf), its QR code decoded (pypdfium2 renders
the page, zxing-cpp reads it), a page of each kept as a PNG under artifacts/documents/;
downloads byte for byte; template overrides refused with their line while the one in use
stays; the periodic schedule firing once; management addresses with display names."""
import base64
import hashlib
import io
import os
from datetime import date, timedelta

import pypdf
import pypdfium2
import pytest
import zxingcpp
from sqlalchemy import select, update

from services.common.erasure import MARKER
from services.common.events import make_event
from services.common.exceptions import Conflict, ValidationFailed
from services.common.scanner import claim_rows
from services.common.testing import ROOT
from services.forms import domain
from services.forms.models import CustomerCopy, Document
from services.forms.schedule import fire
from services.forms.tests.application.test_forms_app import (  # noqa: F401 (a fixture)
    DESK, MANAGER, REP, TECH, deliver, forms)

ARTIFACTS = os.path.join(ROOT, "artifacts", "documents")
NAME = "Güneş Işıkçıoğlu Ödül İnşaat A.Ş."  # ğ ü ş ı ö ç İ
WARRANTY = {"kind": "manufacturer_warranty", "end": "2099-06-30", "source_id": None,
            "reason": {"tr": "Üretici garantisi 30.06.2099 tarihine kadar.",
                       "en": "Manufacturer warranty until 30 Jun 2099."}}


def text_of(pdf):
    return " ".join(" ".join(p.extract_text().split())
                    for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).replace("\xa0", " ")


def page_image(pdf, name):
    """The first page as a picture, kept as a test artifact."""
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil()
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, name + ".png")
    image.save(path)
    print(f"\n{name}: {path}")
    return image


def qr_codes(image):
    return [r.text for r in zxingcpp.read_barcodes(image)]


def download(app, form_id, doc):
    got = app.get_form_document(form_id, doc["id"])
    data = base64.b64decode(got["content_b64"])
    assert got["content_type"] == "application/pdf" and data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == doc["sha256"] == got["sha256"]
    assert len(data) == doc["size"]
    return data


def tracking_of(app, form_id):
    return app.service.outbox.of("form_created")[-1]["form"]["tracking_url"]


@pytest.fixture
def app(forms, pdf_pool):
    return forms(pdf=pdf_pool, VAT_RATE="20", LABOUR_HOURLY_RATE="750",
                 COMPANY_ADDRESS="Kordon Cd. 1, Karşıyaka / İzmir",
                 COMPANY_TAX_OFFICE="Karşıyaka", COMPANY_TAX_NO="1234567890",
                 COMPANY_PHONE="+90 232 000 00 00", COMPANY_MERSIS="0123456789012345",
                 PUBLIC_BASE_URL="https://servis.example.com")


def open_warranty_form(app, language):
    return app.create_form({
        "customer_id": 1, "complaint": "Kompresör çalışmıyor; ışık yanıp sönüyor",
        "accessories": "Güç kablosu, kumanda", "condition": "Sağ yanda çizik",
        "device": {"brand": "Arçelik", "serial": f"SN-{language}", "model": "Soğutucu 3000",
                   "device_type": "sogutucu"}}, DESK, customer_name=NAME,
        customer_email=f"musteri-{language}@example.com", language=language,
        coverage=WARRANTY, device_type_name={"tr": "Soğutucu", "en": "Refrigerator"},
        insured=True, insurer="Güven Sigorta", policy_no="POL-77")


@pytest.mark.parametrize("language", ["tr", "en"])
def test_every_document_in_the_customers_language_parses_back(app, language):
    form = open_warranty_form(app, language)
    url = tracking_of(app, form["id"])
    assert url.startswith("https://servis.example.com/track/")
    created = app.service.outbox.of("form_created")[-1]
    # the intake slip: issued by the RPC that opened the form, listed, downloadable
    [slip] = app.list_documents(form["id"])
    assert created["document"] == {"service": "forms", "id": slip["id"]}
    assert (slip["kind"], slip["status"], slip["language"]) == ("intake_slip", "issued",
                                                                 language)
    assert slip["template_version"].startswith("builtin-") and slip["pages"] == 1
    pdf = download(app, form["id"], slip)
    text = text_of(pdf)
    assert NAME in text and "Arçelik Soğutucu 3000" in text and "SN-" + language in text
    assert "Güç kablosu, kumanda" in text and "Sağ yanda çizik" in text
    promised = domain.business_days_after(domain.local_date(), 20)
    if language == "tr":
        assert "Servis Kabul Fişi" in text and "KVKK" in text and "Soğutucu" in text
        assert promised.strftime("%d.%m.%Y") in text
        assert "Vergi dairesi / no: Karşıyaka / 1234567890" in text and "MERSİS" in text
    else:
        assert "Service Intake Slip" in text and "Refrigerator" in text
        assert f"{promised.day} {promised:%b %Y}" in text
    assert "Sayfa 1 / 1" in text or "Page 1 / 1" in text
    assert qr_codes(page_image(pdf, f"intake_slip-{language}")) == [url]

    # the delivery receipt: work, parts (one reads 1), labour, fee, coverage and why
    f = app.add_part(form["id"], {"name": "Kompresör rölesi", "code": "R-1", "quantity": "1",
                                  "unit_price": "450", "version": form["version"]}, MANAGER)
    f = deliver(type("R", (), {"forms": app})(), f, [(TECH, 90)], fee="250")
    receipt = [d for d in app.list_documents(form["id"]) if d["kind"] == "delivery_receipt"]
    assert len(receipt) == 1 and receipt[0]["status"] == "issued"
    completed = app.service.outbox.of("form_completed")[-1]
    assert completed["document"] == {"service": "forms", "id": receipt[0]["id"]}
    text = text_of(download(app, form["id"], receipt[0]))
    assert NAME in text
    if language == "tr":
        assert "Teslim Fişi" in text and "Kompresör rölesi 1 450,00 ₺ 450,00 ₺" in text
        for line in ("İşçilik 1.125,00 ₺", "Hizmet bedeli 250,00 ₺", "Brüt 1.825,00 ₺",
                     "Kapsamın ödediği − 1.825,00 ₺", "Toplam 0,00 ₺"):
            assert line in text, line
        assert "Üretici garantisi öder: işçilik, parçalar, hizmet bedeli." in text
    else:
        assert "Delivery Receipt" in text and "Labour TRY 1,125.00" in text
        assert "Paid by coverage − TRY 1,825.00" in text
    pdf = download(app, form["id"], receipt[0])
    assert qr_codes(page_image(pdf, f"delivery_receipt-{language}")) == [url]

    # the damage report, e-mailed to the insurer
    doc = app.issue_damage_report(form["id"], {
        "insurer_email": "hasar@guven.example.com", "incident_date": "2027-01-02",
        "incident_description": "Su baskını sonrası çalışmıyor"}, MANAGER)
    assert doc["status"] == "issued" and doc["kind"] == "damage_report"
    event = app.service.outbox.of("damage_report_issued")[-1]
    assert event["insurer"] == {"name": "Güven Sigorta", "email": "hasar@guven.example.com",
                                "language": language}
    assert event["document"] == {"service": "forms", "id": doc["id"]}
    pdf = download(app, form["id"], doc)
    text = text_of(pdf)
    assert NAME in text and "POL-77" in text and "Su baskını sonrası çalışmıyor" in text
    assert ("1.825,00 ₺" if language == "tr" else "TRY 1,825.00") in text
    assert qr_codes(page_image(pdf, f"damage_report-{language}")) == [url]

    # the periodic report, on demand and e-mailed
    today = domain.local_date()
    doc = app.issue_periodic_report(1, {"from": (today - timedelta(days=30)).isoformat(),
                                        "to": today.isoformat(), "send": True}, MANAGER)
    assert doc["status"] == "issued" and doc["language"] == language
    event = app.service.outbox.of("periodic_report_issued")[-1]
    assert event["customer"]["email"] == f"musteri-{language}@example.com"
    got = app.get_customer_document(1, doc["id"])
    pdf = base64.b64decode(got["content_b64"])
    assert hashlib.sha256(pdf).hexdigest() == doc["sha256"]
    text = text_of(pdf)
    assert NAME in text and form["number"] in text
    assert ("Periyodik Servis Raporu" if language == "tr" else "Periodic Service Report") in text
    page_image(pdf, f"periodic_report-{language}")
    with pytest.raises(Exception):  # another form's id does not reach this document
        app.get_form_document(form["id"] + 1, slip["id"])


@pytest.mark.parametrize("language", ["tr", "en"])
def test_the_price_approval_form_and_an_unrepaired_delivery_receipt(app, language):
    """The estimate's PDF in the customer's language (its lines, totals, validity — and not
    its link, which only the e-mail carries); rejected, the delivery receipt says returned
    unrepaired and bills the diagnosis fee alone."""
    from services.forms.tests.service.test_workflow import snap
    form = app.create_form({"customer_id": 1, "complaint": "Kompresör çalışmıyor",
                            "device": {"brand": "Arçelik", "serial": f"FO-{language}"}},
                           DESK, customer_name=NAME, language=language,
                           customer_email="musteri@example.com")
    f = app.assign(form["id"], {"assignees": [snap(TECH)], "version": 1}, MANAGER)
    f = app.transition(f["id"], {"to": "DIAGNOSIS", "version": f["version"]}, TECH)
    f = app.add_part(f["id"], {"name": "Kompresör rölesi", "quantity": "1",
                               "unit_price": "450", "version": f["version"]}, TECH)
    f = app.send_price_approval(f["id"], {"version": f["version"], "lines": [
        {"kind": "labour", "name": "Röle değişimi", "quantity": "1.5", "unit_price": "750"},
        {"kind": "part", "name": "Kompresör rölesi", "code": "R-1", "unit_price": "450"}],
        "note": "Parça stokta."}, MANAGER)
    [doc] = [d for d in app.list_documents(form["id"]) if d["kind"] == "price_approval"]
    assert doc["status"] == "issued" and doc["language"] == language
    pdf = download(app, form["id"], doc)
    text = text_of(pdf)
    url = app.service.outbox.of("price_approval_requested")[-1]["approval_url"]
    assert url.rsplit("/", 1)[1] not in text and "/approve/" not in text
    assert NAME in text and "Parça stokta." in text and doc["number"] in text
    if language == "tr":
        assert "Fiyat Onay Formu" in text and "İşçilik: Röle değişimi 1,5 saat" in text
        assert "Onayınıza sunulan toplam 1.890,00 ₺" in text  # (1125 + 450) × 1.2
    else:
        assert "Price Approval Form" in text and "Labour: Röle değişimi 1.5 h" in text
        assert "Total for your approval TRY 1,890.00" in text
    page_image(pdf, f"price_approval-{language}")

    token = url.rsplit("/", 1)[1]
    app.decide_price_approval(token, {"decision": "rejected"}, {"ip": "127.0.0.1"})
    f = app.get_form(form["id"])
    f = app.transition(f["id"], {"to": "DELIVERED", "version": f["version"]}, DESK)
    [receipt] = [d for d in app.list_documents(form["id"]) if d["kind"] == "delivery_receipt"]
    text = text_of(download(app, form["id"], receipt))
    if language == "tr":
        assert "onarılmadan iade edildi" in text and "Arıza tespit ücreti 0,00 ₺" in text
        assert "Tamir garantisi Yok" in text and "Kompresör rölesi 1 450,00" not in text
    else:
        assert "returned unrepaired" in text and "Diagnosis fee TRY 0.00" in text
        assert "Repair warranty None" in text


def test_a_broken_override_is_refused_and_the_one_in_use_stays(app):
    form = open_warranty_form(app, "tr")
    source = app.document_template("intake_slip")["source"]
    mine = source.replace("{% block content %}", "{% block content %}<p>ÖZEL ŞABLON</p>", 1)
    saved = app.save_template("intake_slip", {"source": mine, "note": "ilk"}, MANAGER)
    assert saved["version"] == "v1" and saved["overridden"]
    broken = "{% extends \"_base.html.j2\" %}\n{% block content %}\n{% if %}\n{% endblock %}"
    with pytest.raises(ValidationFailed) as exc:
        app.save_template("intake_slip", {"source": broken, "note": None}, MANAGER)
    assert "line 3" in exc.value.details["source"][0]
    undefined = "{% extends \"_base.html.j2\" %}\n{% block content %}\n\n{{ form.nothing.here }}" \
                "\n{% endblock %}"
    with pytest.raises(ValidationFailed) as exc:
        app.save_template("intake_slip", {"source": undefined, "note": None}, MANAGER)
    assert "line 4" in exc.value.details["source"][0], exc.value.details
    assert app.document_template("intake_slip")["version"] == "v1"
    # the preview renders before use, and what is in use keeps working
    preview = app.preview_template("intake_slip", {"form_id": form["id"], "language": "tr"})
    assert "ÖZEL ŞABLON" in text_of(base64.b64decode(preview["content_b64"]))
    with pytest.raises(ValidationFailed):
        app.preview_template("intake_slip", {"source": broken})
    second = open_warranty_form(app, "en")
    [slip] = app.list_documents(second["id"])
    assert slip["template_version"] == "v1"
    assert "ÖZEL ŞABLON" in text_of(download(app, second["id"], slip))
    reverted = app.save_template("intake_slip", {"source": None, "note": "geri"}, MANAGER)
    assert reverted["version"].startswith("builtin-") and not reverted["overridden"]
    assert [v["version"] for v in reverted["versions"]] == [2, 1]


def test_one_document_per_occasion_and_none_lost_after_a_crash(forms, pdf_pool):
    """A process killed after the commit leaves the intake slip pending: the loop of another
    process renders it; a second render of the same occasion is not possible."""
    crashed = forms()  # no renderer: what a process killed right after the commit leaves
    form = crashed.create_form({"customer_id": 1, "complaint": "x",
                                "device": {"brand": "B", "serial": "S"}}, DESK,
                               customer_name=NAME)
    [slip] = crashed.list_documents(form["id"])
    assert slip["status"] == "pending"
    with pytest.raises(Conflict):
        crashed.get_form_document(form["id"], slip["id"])
    desk = crashed.service.documents.desk
    desk.pdf = pdf_pool
    del desk.issue  # the real issue() again
    claim = claim_rows(desk.Session, Document, desk.due, (Document.id,), 10, 60)
    assert claim.ids == [slip["id"]]
    desk.render_claimed(claim)
    [slip] = crashed.list_documents(form["id"])
    assert slip["status"] == "issued"
    assert NAME in text_of(download(crashed, form["id"], slip))
    assert claim_rows(desk.Session, Document, desk.due, (Document.id,), 10, 60).ids == []
    with pytest.raises(Exception):  # the occasion is unique
        with desk.Session() as s, s.begin():
            desk.request(s, subject="form", subject_id=form["id"], kind="intake_slip",
                         occasion="intake", number="X")


def test_the_periodic_schedule_fires_once(forms):
    app = forms()
    app.create_form({"customer_id": 1, "complaint": "x", "device": {"brand": "B",
                                                                     "serial": "S"}},
                    DESK, customer_name=NAME)
    app.service.workflow.follow_customer({"id": 1, "name": NAME, "email": "m@example.com",
                                          "language": "tr", "rep": None,
                                          "report_frequency": "quarterly"})
    app.service.db.commit()
    desk = app.service.documents.desk
    with desk.Session() as s, s.begin():
        assert s.get(CustomerCopy, 1).next_report_on > domain.local_date()
        s.execute(update(CustomerCopy).values(next_report_on=date(2000, 1, 1)))
    due = lambda now: (CustomerCopy.report_frequency != "none") & (  # noqa: E731
        CustomerCopy.next_report_on <= domain.local_date(now))
    settings = app.service.settings
    made = []
    for _ in range(2):  # two replicas' polls, one after the other
        claim = claim_rows(desk.Session, CustomerCopy, due, (CustomerCopy.id,), 10, 60)
        made += fire(desk.Session, desk, settings, claim, today=date(2027, 4, 3))
    assert len(made) == 1
    with desk.Session() as s:
        doc = s.get(Document, made[0])
        assert (doc.subject, doc.subject_id, doc.occasion) == ("customer", 1,
                                                               "quarterly-2027-Q1")
        assert s.get(CustomerCopy, 1).next_report_on == date(2027, 7, 1)
        assert s.scalar(select(Document.id).where(Document.kind == "periodic_report",
                                                  Document.id != made[0])) is None


def test_low_score_mails_management_by_display_name_and_reopens(forms):
    app = forms(MANAGEMENT_EMAILS='Genel Müdür <genel@example.com>, "Kaya, Ali" <ali@x.com>')
    rpc = type("R", (), {"forms": app})()
    q = app.create_question({"text_tr": "Hız", "text_en": "Speed"})
    f = deliver(rpc, app.create_form({"customer_id": 1, "complaint": "x", "device": {
        "brand": "B", "serial": "S"}}, DESK, customer_name=NAME))
    f = app.record_survey(f["id"], {"outcome": "done", "answers": [
        {"question_id": q["id"], "value": 1}], "version": f["version"]}, REP)
    assert f["status"] == "REOPENED"
    [low] = app.service.outbox.of("satisfaction_low")
    assert low["management"] == [
        {"name": "Genel Müdür", "email": "genel@example.com", "language": "tr"},
        {"name": "Kaya, Ali", "email": "ali@x.com", "language": "tr"}]
    assert app.service.outbox.of("form_reopened")[-1]["low_score"] == {"score": 0,
                                                                      "threshold": 60}


def test_a_tracking_link_shows_its_own_form_until_revoked_or_expired(app):
    """tracked_form: the newest unrevoked token of a form within TRACKING_DAYS; a forged, a
    revoked (reused after a new one was made) and an expired token are one 404, naming no
    form."""
    from services.common.exceptions import NotFound
    from services.forms.models import TrackingToken
    first = open_warranty_form(app, "tr")
    first_token = tracking_of(app, first["id"]).rsplit("/", 1)[1]
    second = open_warranty_form(app, "en")
    second_token = tracking_of(app, second["id"]).rsplit("/", 1)[1]
    assert app.tracked_form(first_token) == {"form_id": first["id"]}
    assert app.tracked_form(second_token) == {"form_id": second["id"]}  # each its own form
    newer = app.revoke_tracking(first["id"], MANAGER)["tracking_url"].rsplit("/", 1)[1]
    assert newer != first_token and app.tracked_form(newer) == {"form_id": first["id"]}
    for token in (first_token, "x" * 24, "", "y" * 300, None, 7):
        with pytest.raises(NotFound) as refused:
            app.tracked_form(token)
        assert refused.value.message == "No such tracking link."
    db = app.service.db
    row = db.get(TrackingToken, newer)
    row.created_at = row.created_at - timedelta(days=366)
    db.commit()
    with pytest.raises(NotFound):
        app.tracked_form(newer)
    assert app.tracked_form(second_token) == {"form_id": second["id"]}


def test_a_customer_downloads_the_papers_of_their_own_form_only(app):
    """customer_form_documents / _document (the portal): the intake slip (and delivery
    receipts) of the customer's own form, byte for byte; another customer's form, another
    form's document and a paper that is not the customer's (a damage report) are 404."""
    from services.common.exceptions import NotFound
    form = open_warranty_form(app, "tr")
    me = {"id": 90, "name": "Çağlar", "email": None, "language": "tr", "role": "customer",
          "customer_id": 1}
    stranger = {**me, "customer_id": 2}
    [slip] = app.customer_form_documents(form["id"], me)
    assert slip["kind"] == "intake_slip" and "requested_by" not in slip
    got = app.customer_form_document(form["id"], slip["id"], me)
    assert got["content_type"] == "application/pdf"
    [staffs] = app.list_documents(form["id"])
    assert base64.b64decode(got["content_b64"]) == download(app, form["id"], staffs)
    other = open_warranty_form(app, "en")
    [other_slip] = app.customer_form_documents(other["id"], me)  # customer 1's too
    for call in (lambda: app.customer_form_documents(form["id"], stranger),
                 lambda: app.customer_form_document(form["id"], slip["id"], stranger),
                 lambda: app.customer_form_document(form["id"], other_slip["id"], me),
                 lambda: app.customer_form_documents(999999, me)):
        with pytest.raises(NotFound):
            call()
    report = app.issue_damage_report(form["id"], {
        "insurer_email": "hasar@sigorta.example.com", "incident_date": "2026-11-20",
        "incident_description": "Su bastı"}, DESK)
    assert [d["kind"] for d in app.customer_form_documents(form["id"], me)] == ["intake_slip"]
    with pytest.raises(NotFound):
        app.customer_form_document(form["id"], report["id"], me)
def pdf_files_naming(root, needles):
    """[(file, needle)]: the PDFs under `root` whose text (pypdf) or bytes hold a needle."""
    found = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            with open(os.path.join(dirpath, name), "rb") as f:
                data = f.read()
            text = text_of(data) if data.startswith(b"%PDF") else ""
            found += [(name, n) for n in needles if n in text or n.encode() in data]
    return found


def test_an_erased_customers_papers_leave_the_storage(app):
    """customer_erased: the form's issued papers (intake slip, delivery receipt) are deleted
    from the storage, their rows say `erased` and why (number, dates, SHA-256 kept); a
    download answers 409; another customer's paper stays."""
    form = open_warranty_form(app, "tr")
    deliver(type("R", (), {"forms": app})(), form, [(TECH, 30)], fee="100")
    other = app.create_form({"customer_id": 2, "complaint": "Ses yapıyor",
                             "device": {"brand": "Bosch", "serial": "OT-1"}}, DESK,
                            customer_name="Başka Müşteri Ltd")
    root = app.service.documents.storage.root
    docs = app.list_documents(form["id"])
    assert {d["kind"] for d in docs} == {"intake_slip", "delivery_receipt"}
    assert all(d["status"] == "issued" for d in docs)
    assert pdf_files_naming(root, [NAME])
    app.handle_customer_erased(make_event("customer_erased", "devices", {
        "customer_id": form["customer_id"], "marker": MARKER, "personal": [NAME],
        "form_ids": [form["id"]], "contract_ids": []}))
    assert pdf_files_naming(root, [NAME]) == []
    after = app.list_documents(form["id"])
    for was, now in zip(docs, after):
        assert (now["status"], now["number"], now["sha256"], now["issued_at"]) == (
            "erased", was["number"], was["sha256"], was["issued_at"])
        assert "KVKK" in now["error"]
        with pytest.raises(Conflict):
            app.get_form_document(form["id"], now["id"])
    [kept] = app.list_documents(other["id"])
    assert pdf_files_naming(root, ["Başka Müşteri Ltd"]) and kept["status"] == "issued"
    download(app, other["id"], kept)


def test_a_paper_being_rendered_during_an_erasure_leaves_no_file(forms, pdf_pool):  # noqa: F811
    """The erasure takes the claim of a paper being rendered: the render, finishing after it,
    finds its claim gone, writes nothing on the row and deletes the file it stored."""
    app = forms()  # no renderer: the slip stays pending until claimed below
    form = app.create_form({"customer_id": 1, "complaint": "x",
                            "device": {"brand": "B", "serial": "S"}}, DESK, customer_name=NAME)
    desk = app.service.documents.desk
    desk.pdf = pdf_pool
    del desk.issue
    claim = claim_rows(desk.Session, Document, desk.due, (Document.id,), 10, 60)
    [slip] = app.list_documents(form["id"])
    assert claim.ids == [slip["id"]]
    app.handle_customer_erased(make_event("customer_erased", "devices", {
        "customer_id": form["customer_id"], "marker": MARKER, "personal": [NAME],
        "form_ids": [form["id"]]}))
    desk.render_claimed(claim)  # the render in flight ends after the erasure
    [slip] = app.list_documents(form["id"])
    assert slip["status"] == "erased" and slip["sha256"] is None
    root = app.service.documents.storage.root
    assert not [n for _, _, names in os.walk(root) for n in names]
    assert claim_rows(desk.Session, Document, desk.due, (Document.id,), 10, 60).ids == []
