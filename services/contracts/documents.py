"""The proposal's PDF (quote and contract text) and its template: the document is asked for in
the transaction of the change (a proposal made, a proposal sent), rendered after the commit by
the documents dependency (services/common/documents), kept here and served under the proposal.
The template (templates/proposal.html.j2: TR and EN, placeholders such as `{{ customer.name }}`,
`{{ proposal.total|money(proposal.currency) }}`, `{{ pays_text }}`) may be replaced by an
admin; a replacement is checked — rendered in Turkish and English, to PDF — before it is
stored, and the one in use stays when it fails."""
import base64
import binascii
import hashlib
import os
from datetime import datetime

from sqlalchemy import func, select

from services.common.documents.issuing import document_out
from services.common.documents.templates import TemplateRefused
from services.common.exceptions import Conflict, NotFound, invalid
from services.common.models import utcnow
from services.contracts.models import Document, DocumentTemplate, Proposal
from services.contracts.queries import proposal_out
from services.contracts import domain
from services.contracts.workflow import check_version, find, proposal_devices

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
DOCUMENT_KINDS = {"proposal": {"tr": "Bakım Sözleşmesi Teklifi",
                               "en": "Maintenance Contract Proposal"},
                  "insurance_notice": {"tr": "Sigorta Bildirim Formu",
                                       "en": "Insurance Notification Form"},
                  "machine_park": {"tr": "Makine Parkı Formu", "en": "Machine Park Form"},
                  "maintenance_report": {"tr": "Periyodik Bakım Raporu",
                                         "en": "Periodic Maintenance Report"}}
PAYS_NAMES = {"labour": ("işçilik", "labour"), "parts": ("yedek parça", "parts"),
              "fee": ("hizmet bedeli", "service fee")}
TEMPLATE_TOO_BIG = 200_000


def scan_bytes(content_b64):
    """The scan's bytes, refused (422 on `file`) when it is no base64, over 10 MB, or not a
    PDF, JPEG or PNG by its content."""
    if len(content_b64) > domain.MAX_SCAN_BYTES * 4 // 3 + 8:
        raise invalid(file=["At most 10 MB."])
    try:
        raw = base64.b64decode(content_b64, validate=True)
    except (binascii.Error, ValueError):
        raise invalid(file=["Not a file (base64 expected)."])
    if len(raw) > domain.MAX_SCAN_BYTES:
        raise invalid(file=["At most 10 MB."])
    if domain.scan_type(raw) is None:
        raise invalid(file=["Not a PDF, JPEG or PNG file (by its content)."])
    return raw


def pays_text(pays, language):
    i = 0 if language == "tr" else 1
    named = [PAYS_NAMES[k][i] for k in ("labour", "parts", "fee") if pays.get(k)]
    return ", ".join(named) or ("hiçbiri" if language == "tr" else "nothing")


def make_builder(config):
    """`build(session, document) -> context` for the documents dependency."""
    from services.contracts.settings import ContractsSettings
    return Contexts(ContractsSettings.from_config(config)).build


class Contexts:
    def __init__(self, settings):
        self.settings = settings

    def common(self, number, issued_at, language, kind="proposal"):
        return {"company": self.settings.company.as_dict(), "qr": None,
                "document": {"kind": kind, "title": DOCUMENT_KINDS[kind],
                             "number": number,
                             "issued_at": (issued_at or utcnow()).isoformat()}}

    def of_proposal(self, proposal, devices, language):
        out = proposal_out(proposal, proposal.valid_until, devices)
        return {"proposal": out, "customer": out["customer"], "devices": out["devices"],
                "levels": out["service_levels"], "pays_text": pays_text(out["pays"], language)}

    def build(self, session, doc):
        if doc.kind == "machine_park":
            from services.contracts.machine_park import MachinePark
            return {**MachinePark(session, self.settings, None).context(doc.subject_id),
                    **self.common(doc.number, doc.issued_at, doc.language, doc.kind)}
        if doc.kind == "insurance_notice":  # a snapshot taken when it was asked for
            import json
            return {**json.loads(doc.data),
                    **self.common(doc.number, doc.issued_at, doc.language, doc.kind)}
        proposal = session.get(Proposal, doc.subject_id)
        return {**self.of_proposal(proposal, proposal_devices(session, proposal.id),
                                   doc.language),
                **self.common(doc.number, doc.issued_at, doc.language)}


class ProposalPapers:
    """A proposal's documents: asked for, sent, listed, read; the template's versions."""

    def __init__(self, session, emit, settings, desk):
        self.db, self.emit, self.settings, self.desk = session, emit, settings, desk

    def request(self, proposal, actor, occasion):
        count = self.db.scalar(select(func.count()).select_from(Document).where(
            Document.subject == "proposal", Document.subject_id == proposal.id)) or 0
        return self.desk.request(
            self.db, subject="proposal", subject_id=proposal.id, kind="proposal",
            occasion=occasion, number=f"{proposal.number}-{count + 1}",
            language=proposal.language, actor=actor)

    def send(self, proposal_id, data, actor):
        """The proposal's PDF, rendered now with the template in use, e-mailed to the
        customer (or the address given) with the PDF attached (proposal_sent → notify)."""
        proposal = find(self.db, Proposal, proposal_id)
        email = data.get("email") or proposal.customer_email
        if not email:
            raise invalid(email=["The customer has no e-mail address; give one."])
        doc = self.request(proposal, actor, f"sent-{utcnow().isoformat()}")
        self.emit("proposal_sent", {
            "proposal": {"id": proposal.id, "number": proposal.number},
            "customer": {"name": proposal.customer_name, "email": email,
                         "language": proposal.language},
            "document": {"service": "contracts", "id": doc.id}})
        return doc

    def of_contract(self, contract_id):  # noqa: D102
        """A contract's documents: its proposal's (quote and contract text)."""
        from services.contracts.models import Contract
        return find(self.db, Contract, contract_id).proposal_id

    def attach_scan(self, proposal_id, data, actor):
        """Keep the signed scan of the proposal (a PDF, JPEG or PNG by its content, at most
        10 MB): the file first, then the row names it (no transaction open while writing)."""
        raw = scan_bytes(data["content_b64"])
        kind = domain.scan_type(raw)
        proposal = find(self.db, Proposal, proposal_id)
        check_version(proposal, data["version"])
        number = proposal.number
        self.db.rollback()
        sha = hashlib.sha256(raw).hexdigest()
        key = f"proposal/{proposal_id}/signed-{sha[:16]}.{kind[1]}"
        self.desk.storage.put(key, raw)
        proposal = find(self.db, Proposal, proposal_id)
        check_version(proposal, data["version"])
        proposal.signed_scan_key, proposal.signed_scan_type = key, kind[0]
        proposal.signed_scan_name = data["filename"] or f"{number}-imzali.{kind[1]}"
        proposal.signed_scan_size, proposal.signed_scan_sha256 = len(raw), sha
        proposal.version = data["version"] + 1
        self.db.flush()
        return proposal

    def signed_scan(self, proposal_id):
        proposal = find(self.db, Proposal, proposal_id)
        if not proposal.signed_scan_key:
            raise NotFound("Proposal {id} has no signed scan.", {"id": proposal_id})
        key, name, kind = (proposal.signed_scan_key, proposal.signed_scan_name,
                           proposal.signed_scan_type)
        self.db.rollback()
        return {"filename": name, "content_type": kind,
                "content_b64": base64.b64encode(self.desk.storage.get(key)).decode()}

    def insurance_notice(self, contract_id, data, actor, cards):
        """The insurance notification (sigorta bildirim formu) of the contract's insured
        devices (`cards`: devices' cards, asked before the write): a PDF with the insurer,
        policy numbers, devices, serials and values, e-mailed to the insurer
        (insurance_notice_issued), recorded as the contract's document."""
        from services.contracts.models import Contract
        from services.contracts.queries import contract_out
        contract = find(self.db, Contract, contract_id)
        insured = [c for c in cards if c.get("insured")
                   and (not data["insurer_name"] or c.get("insurer") == data["insurer_name"])]
        if not insured:
            raise Conflict("No insured device under contract {number}.",
                           {"number": contract.number})
        name = data["insurer_name"] or insured[0].get("insurer") or data["insurer_email"]
        count = self.db.scalar(select(func.count()).select_from(Document).where(
            Document.subject == "contract", Document.subject_id == contract.id)) or 0
        out = contract_out(contract)
        snapshot = {"contract": {"number": contract.number, "start": out["start"],
                                 "end": out["end"], "customer": out["customer"]},
                    "insurer": {"name": name},
                    "devices": [{k: c.get(k) for k in ("brand", "model", "serial", "policy_no",
                                                       "price", "currency")}
                                for c in insured]}
        doc = self.desk.request(
            self.db, subject="contract", subject_id=contract.id, kind="insurance_notice",
            occasion=f"insurance-{count + 1}", number=f"{contract.number}-SB{count + 1}",
            language=data["language"], actor=actor, data=snapshot)
        self.emit("insurance_notice_issued", {
            "contract": {"id": contract.id, "number": contract.number},
            "insurer": {"name": name, "email": data["insurer_email"],
                        "language": data["language"]},
            "document": {"service": "contracts", "id": doc.id}})
        return doc

    def contract_listing(self, contract_id):
        """A contract's documents: its proposal's (quote and contract text), then its own
        (insurance notifications)."""
        from services.contracts.models import Contract
        contract = find(self.db, Contract, contract_id)
        own = self.db.scalars(select(Document).where(
            Document.subject == "contract", Document.subject_id == contract.id).order_by(
            Document.id)).all()
        return self.listing(contract.proposal_id) + [document_out(d) for d in own]

    def contract_download(self, contract_id, doc_id):
        from services.contracts.models import Contract
        contract = find(self.db, Contract, contract_id)
        doc = self.desk.find(self.db, doc_id)
        if (doc.subject, doc.subject_id) not in (("proposal", contract.proposal_id),
                                                 ("contract", contract.id)):
            raise NotFound("Document {document_id} not found.", {"document_id": doc_id})
        return self.download(doc_id)

    def park_form(self, check_id):
        doc = self.db.scalars(select(Document).where(
            Document.subject == "machine_park", Document.subject_id == check_id)).first()
        if doc is None:
            raise NotFound("Document {document_id} not found.", {"document_id": None})
        return self.download(doc.id)

    def listing(self, proposal_id):
        find(self.db, Proposal, proposal_id)
        return [document_out(d) for d in self.db.scalars(select(Document).where(
            Document.subject == "proposal", Document.subject_id == proposal_id).order_by(
            Document.id))]

    def download(self, doc_id, subject=None, subject_id=None):
        """{filename, content_type, content_b64, …metadata}: the stored bytes, as issued."""
        return self.desk.download(self.db, doc_id, subject, subject_id)

    # -- the template ----------------------------------------------------------------------
    def template(self):
        version, source = self.desk.active_template(self.db, "proposal")
        rows = self.db.scalars(select(DocumentTemplate).where(
            DocumentTemplate.kind == "proposal").order_by(
            DocumentTemplate.version.desc()).limit(50)).all()
        return {"kind": "proposal", "name": DOCUMENT_KINDS["proposal"], "version": version,
                "source": source if source is not None else
                self.desk.templates.builtin_source("proposal"),
                "overridden": source is not None,
                "versions": [{"version": r.version, "reverted": r.source is None,
                              "note": r.note, "by": r.created_by_name,
                              "at": r.created_at.isoformat()} for r in rows]}

    def save_template(self, data, actor):
        """A new version in use once it renders in Turkish and English to PDF; `source` None:
        back to the file."""
        source = data["source"]
        if source is not None:
            if len(source) > TEMPLATE_TOO_BIG:
                raise invalid(source=[("At most {max} characters.", {"max": TEMPLATE_TOO_BIG})])
            contexts = [(sample_context(self.settings, lang), lang) for lang in ("tr", "en")]
            self.db.rollback()
            try:
                self.desk.templates.check("proposal", source, contexts,
                                          to_pdf=lambda html: self.desk.pdf.render(html))
            except TemplateRefused as exc:
                if exc.line:
                    raise invalid(source=[("The template does not render: line {line}: "
                                           "{error}", {"line": exc.line, "error": exc.error})])
                raise invalid(source=[("The template does not render: {error}",
                                       {"error": exc.error})])
        self.desk.save_template(self.db, "proposal", source, actor, data.get("note"))


def sample_context(settings, language):
    """Made-up data a replacement template is checked against."""
    proposal = Proposal(
        id=1, number="TK-2027-000001", status="open", version=1, customer_id=7,
        customer_name="Çağlar Işıkoğlu Gıda A.Ş.", customer_email="info@example.com",
        customer_language="tr", start=datetime(2027, 2, 1).date(), months=12,
        end=datetime(2028, 1, 31).date(), basis="year", visits_per_year=None,
        unit_price="1000.00", currency="TRY", rate="1", discount_amount=None,
        discount_percent="10", vat_rate="20", stamp_duty_rate="0.948", subtotal="2000.00",
        discount="200.00", net="1800.00", vat="360.00", total="2160.00", stamp_duty="17.06",
        total_try="2160.00", pays_labour=True, pays_parts=False, pays_fee=True,
        response_hours=4, repair_hours=16, language=language,
        valid_until=datetime(2027, 1, 31).date(), created_at=utcnow())
    from types import SimpleNamespace
    devices = [SimpleNamespace(device_id=1, brand="Arçelik", model="Soğutucu 3000",
                               serial="SN-0042", device_type="sogutucu")]
    contexts = Contexts(settings)
    return {**contexts.of_proposal(proposal, devices, language),
            **contexts.common("ÖRNEK / SAMPLE", None, language)}

