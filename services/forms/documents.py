"""The documents of service forms (services/common/documents does the issuing): a form's
intake slip (servis kabul fişi), delivery receipt (teslim fişi), damage report (hasar
bildirim formu) and price-approval form (fiyat onay formu: the estimate sent for approval),
and a customer's periodic service report (periyodik servis raporu); the
admin's template versions; the contexts the templates get.

A form's document carries a snapshot of the form taken in the transaction that asked for it
(`Document.data`): it says what the form was at intake or at that delivery, however late it
is rendered and whatever changed after. The periodic report reads its closed period when it
is rendered."""
import base64
import functools
import json
import os
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from services.common.documents.issuing import document_out
from services.common.documents.templates import TemplateRefused
from services.common.exceptions import Conflict, NotFound, invalid
from services.common.models import utcnow
from services.common.schemas import is_id
from services.forms import domain
from services.forms.models import (CustomerCopy, Document, Form, PartLine, TrackingToken,
                                   WorkLog)

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
FORM_KINDS = ("intake_slip", "delivery_receipt", "damage_report", "price_approval")
KVKK = {
    "tr": "KVKK Aydınlatma Metni: 6698 sayılı Kişisel Verilerin Korunması Kanunu uyarınca bu "
          "formdaki kişisel verileriniz, veri sorumlusu {company} tarafından yalnızca servis "
          "hizmetinin yürütülmesi, garanti ve yasal yükümlülüklerin yerine getirilmesi "
          "amacıyla işlenir, bu amaçlar için gereken süre boyunca saklanır ve yalnızca hizmetin "
          "gerektirdiği ölçüde üretici, yetkili servis ve yetkili kamu kurumlarıyla paylaşılır. "
          "Kanunun 11. maddesindeki haklarınız için bize başvurabilirsiniz.",
    "en": "Personal data notice (KVKK, Law No. 6698): the personal data on this form is "
          "processed by the data controller {company} only to carry out the service and to "
          "meet warranty and legal obligations, kept as long as those purposes require, and "
          "shared only as the service requires with the manufacturer, authorised services "
          "and competent public authorities. You may exercise your rights under Article 11 "
          "of the Law by contacting us.",
}
TEMPLATE_TOO_BIG = 200_000


def _s(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _names(text):
    return json.loads(text) if text else None


def tracking_url(settings, token):
    return f"{settings.company.public_base_url}/track/{token}" if token else None


def current_token(session, form_id):
    return session.scalar(select(TrackingToken.token).where(
        TrackingToken.form_id == form_id, TrackingToken.revoked_at.is_(None))
        .order_by(TrackingToken.created_at.desc()).limit(1))


NO_TRACKING = "No such tracking link."
TOKEN_LONGEST = 64  # the column's width: a longer one is never ours


def tracked_form_id(session, token, now, days):
    """The form a tracking link shows: only the form's newest unrevoked token, made within
    `days` — forged, revoked (a new one was made) and expired ones are one NotFound, saying
    nothing of any form."""
    row = (session.get(TrackingToken, token)
           if isinstance(token, str) and 0 < len(token) <= TOKEN_LONGEST else None)
    if row is None or row.revoked_at is not None or row.created_at < now - timedelta(days=days):
        raise NotFound(NO_TRACKING)
    return row.form_id


def form_snapshot(session, form, settings):
    """What a form's document shows, as JSON-ready data (money as strings)."""
    parts = session.scalars(select(PartLine).where(PartLine.form_id == form.id)
                            .order_by(PartLine.id)).all()
    logs = session.scalars(select(WorkLog).where(WorkLog.form_id == form.id,
                                                 WorkLog.running.is_(False))
                           .order_by(WorkLog.id)).all()
    pays = settings.pays(form.coverage_kind, form.coverage_terms)
    kind = form.coverage_kind or "none"
    return {
        "form": {
            "id": form.id, "number": form.number, "kind": form.kind,
            "kind_name": domain.KIND_NAMES.get(form.kind), "status": form.status,
            "status_name": domain.STATUS_NAMES.get(form.status),
            "opened_at": _s(form.created_at), "opened_by": form.opened_by_name,
            "customer": {"id": form.customer_id, "name": form.customer_name,
                         "email": form.customer_email},
            "rep": {"name": form.rep_name, "email": form.rep_email},
            "device": {"brand": form.device_brand, "model": form.device_model,
                       "serial": form.device_serial, "type": form.device_type,
                       "type_name": _names(form.device_type_names),
                       "insured": form.device_insured, "insurer": form.device_insurer,
                       "policy_no": form.device_policy_no},
            "coverage": {"kind": kind, "name": domain.COVERAGE_NAMES.get(kind),
                         "end": _s(form.coverage_end), "reason": _names(form.coverage_reason),
                         "pays": pays,
                         "explanation": domain.coverage_explanation(kind, pays)},
            "complaint": form.complaint, "accessories": form.accessories,
            "condition": form.condition,
            "promised_delivery_date": _s(form.promised_delivery_date),
            "diagnosis": form.diagnosis, "work_done": form.work_done,
            "fault_type": form.fault_type,
            "delivered_at": _s(form.delivered_at),
            "repair_warranty": ({"start": _s(form.repair_warranty_start),
                                 "end": _s(form.repair_warranty_end)}
                                if form.repair_warranty_end else None),
            "work_minutes": form.work_minutes,
            "unrepaired": bool(form.unrepaired),
        },
        "parts": [{"code": p.code, "name": p.name, "quantity": f"{p.quantity.normalize():f}",
                   "unit_price": _s(p.unit_price), "amount": _s(p.amount)} for p in parts],
        "work": [{"name": w.user_name, "minutes": w.minutes, "rate": _s(w.hourly_rate),
                  "amount": _s(domain.labour_amount(w.minutes, w.hourly_rate))}
                 for w in logs],
        "totals": {"labour": _s(form.labour_total), "parts": _s(form.parts_total),
                   "service_fee": _s(form.fee_total), "gross": _s(form.gross_total),
                   "covered": _s(form.covered_total), "subtotal": _s(form.subtotal),
                   "discount": _s(form.discount_total), "vat": _s(form.vat_total),
                   "total": _s(form.total), "vat_rate": _s(settings.vat_rate),
                   "discount_percent": _s(form.discount_percent)},
        "currency": form.currency,
    }


@functools.lru_cache(maxsize=512)
def qr_uri(url):
    """The tracking link as a QR code (segno), an SVG data URI the PDF embeds. Kept: making
    one costs 10-15 ms here (segno tries every mask), and a form's papers share one link."""
    import segno
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def make_builder(config):
    """`build(session, document) -> context` for the documents dependency."""
    from services.forms.settings import FormsSettings
    return Contexts(FormsSettings.from_config(config, quiet=True)).build


class Contexts:
    def __init__(self, settings):
        self.settings = settings

    def common(self, kind, number, issued_at, url, language):
        company = self.settings.company.as_dict()
        return {"company": company, "qr": qr_uri(url) if url else None, "tracking_url": url,
                "document": {"kind": kind, "title": domain.DOCUMENT_KINDS[kind],
                             "number": number, "issued_at": _s(issued_at or utcnow())},
                "kvkk": {k: v.format(company=company["name"]) for k, v in KVKK.items()}}

    def build(self, session, doc):
        data = json.loads(doc.data) if doc.data else {}
        if doc.kind == "periodic_report":
            data = {**data, **self.period(session, doc.subject_id, data)}
            url = None
        else:
            url = tracking_url(self.settings, current_token(session, doc.subject_id))
        return {**data, **self.common(doc.kind, doc.number, doc.issued_at, url, doc.language)}

    def period(self, session, customer_id, data):
        """The periodic report's forms: opened in the period, or delivered or closed in it."""
        start = datetime.combine(_date(data["period"]["start"]), time(0), domain.LOCAL_TZ)
        end = datetime.combine(_date(data["period"]["end"]) + timedelta(days=1), time(0),
                               domain.LOCAL_TZ)
        in_period = lambda col: (col >= start) & (col < end)  # noqa: E731
        forms = session.scalars(select(Form).where(
            Form.customer_id == customer_id,
            in_period(Form.created_at) | in_period(Form.delivered_at)
            | in_period(Form.closed_at)).order_by(Form.created_at, Form.id)).all()
        rows, sums = [], {k: Decimal("0.00") for k in ("gross", "covered", "total")}
        for f in forms:
            kind = f.coverage_kind or "none"
            rows.append({
                "number": f.number, "opened_at": _s(f.created_at),
                "delivered_at": _s(f.delivered_at), "closed_at": _s(f.closed_at),
                "status_name": domain.STATUS_NAMES.get(f.status),
                "device": " ".join(x for x in (f.device_brand, f.device_model) if x),
                "serial": f.device_serial, "type_name": _names(f.device_type_names),
                "complaint": f.complaint, "work_done": f.work_done,
                "coverage_name": domain.COVERAGE_NAMES.get(kind),
                "gross": _s(f.gross_total), "covered": _s(f.covered_total),
                "total": _s(f.total), "currency": f.currency,
                "opened_in_period": start <= f.created_at < end,
                "closed_in_period": bool(f.closed_at and start <= f.closed_at < end)})
            if f.status != "CANCELLED":
                sums["gross"] += f.gross_total or 0
                sums["covered"] += f.covered_total or 0
                sums["total"] += f.total or 0
        devices = sorted({(r["device"], r["serial"]) for r in rows})
        return {"forms": rows, "summary": {
            "opened": sum(r["opened_in_period"] for r in rows),
            "closed": sum(r["closed_in_period"] for r in rows), "forms": len(rows),
            "devices": len(devices), **{k: _s(v) for k, v in sums.items()}},
            "currency": self.settings.currency}


def _date(value):
    from datetime import date
    return value if isinstance(value, date) else date.fromisoformat(value)


class FormDocuments:
    """Asking for documents (in the caller's transaction), reading them, the templates."""

    def __init__(self, session, emit, settings, desk):
        self.db, self.emit, self.settings, self.desk = session, emit, settings, desk

    def _count(self, subject, subject_id, kind):
        return self.db.scalar(select(func.count()).select_from(Document).where(
            Document.subject == subject, Document.subject_id == subject_id,
            Document.kind == kind)) or 0

    def for_form(self, form, kind, actor=None, occasion=None, data=None):
        """A pending document of `form` with the form's snapshot (None without a desk)."""
        if self.desk is None:
            return None
        n = self._count("form", form.id, kind) + 1
        snapshot = form_snapshot(self.db, form, self.settings)
        return self.desk.request(
            self.db, subject="form", subject_id=form.id, kind=kind,
            occasion=occasion or f"{kind}-{n}", number=domain.document_number(
                form.number, kind, n), language=form.customer_language, actor=actor,
            data={**snapshot, **(data or {})})

    def mint_tracking(self, form):
        """A new tracking token for the form (the older ones revoked); its URL."""
        import secrets
        now = utcnow()
        for t in self.db.scalars(select(TrackingToken).where(
                TrackingToken.form_id == form.id, TrackingToken.revoked_at.is_(None))):
            t.revoked_at = now
        token = secrets.token_urlsafe(18)
        self.db.add(TrackingToken(token=token, form_id=form.id, created_at=now))
        return tracking_url(self.settings, token)

    def damage_report(self, form, data, actor):
        """The damage report of an insured device, e-mailed to the insurer's address
        (damage_report_issued): insurer and policy default to the card's at intake."""
        insurer = data["insurer"] or form.device_insurer
        policy_no = data["policy_no"] or form.device_policy_no
        if not (data["insurer"] or form.device_insured or form.device_insurer):
            raise Conflict("The device of form {number} is not insured; give the insurer.",
                           {"number": form.number})
        if not insurer:
            raise invalid(insurer=["The device card names no insurer; give it."])
        estimate = data["estimate"] if data["estimate"] is not None else form.gross_total
        doc = self.for_form(form, "damage_report", actor, data={"damage": {
            "insurer": insurer, "insurer_email": data["insurer_email"], "policy_no": policy_no,
            "incident_date": _s(data["incident_date"]),
            "incident_description": data["incident_description"],
            "estimate": _s(estimate)}})
        self.emit("damage_report_issued", {
            "form": {"id": form.id, "number": form.number},
            "customer": {"id": form.customer_id, "name": form.customer_name},
            "insurer": {"name": insurer, "email": data["insurer_email"],
                        "language": data["language"] or form.customer_language},
            "policy_no": policy_no, "document": self.desk.ref("forms", doc)})
        return doc

    def periodic_report(self, customer, start, end, actor=None, send=False, occasion=None):
        """A customer's report of forms over [start, end]; `send`: e-mailed to them. None when
        this occasion has its report already (a scheduled one that fired before)."""
        if self.db.scalar(select(Document.id).where(
                Document.subject == "customer", Document.subject_id == customer["id"],
                Document.kind == "periodic_report", Document.occasion == occasion)):
            return None
        n = self._count("customer", customer["id"], "periodic_report") + 1
        doc = self.desk.request(
            self.db, subject="customer", subject_id=customer["id"], kind="periodic_report",
            occasion=occasion or f"on-demand-{n}",
            number=domain.report_number(customer["id"], start, end),
            language=customer["language"], actor=actor,
            data={"customer": customer, "period": {"start": _s(start), "end": _s(end)}})
        if send and customer.get("email"):
            self.emit("periodic_report_issued", {
                "customer": {k: customer[k] for k in ("id", "name", "email", "language")},
                "period": {"start": start, "end": end}, "number": doc.number,
                "document": self.desk.ref("forms", doc)})
        return doc

    def customer(self, customer_id):
        """What forms knows of a customer: its copy (customer events), else its latest
        form's snapshot."""
        copy = self.db.get(CustomerCopy, customer_id) if is_id(customer_id) else None
        if copy is not None:
            return {"id": copy.id, "name": copy.name, "email": copy.email,
                    "language": copy.language}
        form = self.db.scalars(select(Form).where(Form.customer_id == customer_id)
                               .order_by(Form.id.desc()).limit(1)).first() \
            if is_id(customer_id) else None
        if form is None:
            raise NotFound("Customer {customer_id} has no service forms.",
                           {"customer_id": customer_id})
        return {"id": form.customer_id, "name": form.customer_name,
                "email": form.customer_email, "language": form.customer_language}

    # -- reads ---------------------------------------------------------------------------
    def listing(self, subject, subject_id, kinds=None):
        if not is_id(subject_id):
            return []
        stmt = select(Document).where(Document.subject == subject,
                                      Document.subject_id == subject_id)
        if kinds:
            stmt = stmt.where(Document.kind.in_(kinds))
        return [document_out(d) for d in self.db.scalars(stmt.order_by(Document.id))]

    def download(self, doc_id, subject=None, subject_id=None):
        """{filename, content_type, content_b64, …metadata}: the stored bytes, as issued."""
        return self.desk.download(self.db, doc_id, subject, subject_id)

    # -- templates -----------------------------------------------------------------------
    def templates(self):
        out = []
        for kind in domain.DOCUMENT_KINDS:
            version, source = self.desk.active_template(self.db, kind)
            out.append({"kind": kind, "name": domain.DOCUMENT_KINDS[kind], "version": version,
                        "overridden": source is not None})
        return out

    def template(self, kind):
        from services.forms.models import DocumentTemplate as T
        check_kind(kind)
        version, source = self.desk.active_template(self.db, kind)
        rows = self.db.scalars(select(T).where(T.kind == kind).order_by(T.version.desc())
                               .limit(50)).all()
        return {"kind": kind, "name": domain.DOCUMENT_KINDS[kind], "version": version,
                "source": source if source is not None else
                self.desk.templates.builtin_source(kind),
                "overridden": source is not None,
                "versions": [{"version": r.version, "reverted": r.source is None,
                              "note": r.note, "by": r.created_by_name,
                              "at": r.created_at.isoformat()} for r in rows]}


def check_kind(kind):
    if not isinstance(kind, str) or kind not in domain.DOCUMENT_KINDS:
        raise NotFound("No document template '{kind}'.", {"kind": kind})


def refused(exc):
    """A template that does not render, as the 422 the admin reads."""
    if exc.line:
        return invalid(source=[("The template does not render: line {line}: {error}",
                                {"line": exc.line, "error": exc.error})])
    return invalid(source=[("The template does not render: {error}", {"error": exc.error})])



def sample_data(kind):
    """Made-up data of each kind, in Turkish, that a template is checked against before it
    is stored (and previewed with when no form is named)."""
    form = {
        "form": {"id": 1, "number": "SF-2027-000123", "kind": "repair",
                 "kind_name": domain.KIND_NAMES["repair"], "status": "DELIVERED",
                 "status_name": domain.STATUS_NAMES["DELIVERED"],
                 "opened_at": "2027-01-04T07:30:00+00:00", "opened_by": "Şule Doğan",
                 "customer": {"id": 7, "name": "Çağlar Işıkoğlu Gıda A.Ş.",
                              "email": "info@example.com"},
                 "rep": {"name": "Ayşe Yılmaz", "email": "ayse@example.com"},
                 "device": {"brand": "Arçelik", "model": "Soğutucu 3000", "serial": "SN-0042",
                            "type": "sogutucu", "type_name": {"tr": "Soğutucu",
                                                              "en": "Refrigerator"},
                            "insured": True, "insurer": "Güven Sigorta",
                            "policy_no": "POL-2026-77"},
                 "coverage": {"kind": "manufacturer_warranty",
                              "name": domain.COVERAGE_NAMES["manufacturer_warranty"],
                              "end": "2027-06-30",
                              "reason": {"tr": "Üretici garantisi 30.06.2027 tarihine kadar.",
                                         "en": "Manufacturer warranty until 30 Jun 2027."},
                              "pays": {"labour": True, "parts": True, "fee": True},
                              "explanation": domain.coverage_explanation(
                                  "manufacturer_warranty",
                                  {"labour": True, "parts": True, "fee": True})},
                 "complaint": "Kompresör çalışmıyor, ışık yanıp sönüyor.",
                 "accessories": "Güç kablosu, uzaktan kumanda", "condition": "Sağ yanda çizik",
                 "promised_delivery_date": "2027-02-01", "diagnosis": "Röle arızası",
                 "work_done": "Kompresör rölesi değiştirildi.", "fault_type": None,
                 "delivered_at": "2027-01-12T12:00:00+00:00",
                 "repair_warranty": {"start": "2027-01-12", "end": "2027-04-11"},
                 "work_minutes": 90, "unrepaired": False},
        "parts": [{"code": "RL-1", "name": "Kompresör rölesi", "quantity": "1",
                   "unit_price": "450.00", "amount": "450.00"}],
        "work": [{"name": "Mehmet Öztürk", "minutes": 90, "rate": "750.00",
                  "amount": "1125.00"}],
        "totals": {"labour": "1125.00", "parts": "450.00", "service_fee": "250.00",
                   "gross": "1825.00", "covered": "1825.00", "subtotal": "0.00",
                   "discount": "0.00", "vat": "0.00", "total": "0.00", "vat_rate": "20",
                   "discount_percent": None},
        "currency": "TRY",
    }
    if kind == "damage_report":
        form["damage"] = {"insurer": "Güven Sigorta", "insurer_email": "hasar@example.com",
                          "policy_no": "POL-2026-77", "incident_date": "2027-01-02",
                          "incident_description": "Su baskını sonrası cihaz çalışmıyor.",
                          "estimate": "1825.00"}
    if kind == "price_approval":
        form["form"]["coverage"] = {
            "kind": "none", "name": domain.COVERAGE_NAMES["none"], "end": None,
            "reason": {"tr": "Garanti 01.03.2026 tarihinde bitti.",
                       "en": "The warranty ended on 1 Mar 2026."}, "pays": {},
            "explanation": domain.coverage_explanation("none", {})}
        form["form"]["status_name"] = domain.STATUS_NAMES["AWAITING_APPROVAL"]
        form["estimate"] = {
            "source": "lines", "currency": "TRY", "note": "Parça siparişi onayınızla verilir.",
            "lines": [{"kind": "labour", "code": None, "name": "Kompresör değişimi işçiliği",
                       "quantity": "1.5", "unit_price": "750.00", "amount": "1125.00"},
                      {"kind": "part", "code": "KMP-9", "name": "Kompresör", "quantity": "1",
                       "unit_price": "4200.00", "amount": "4200.00"},
                      {"kind": "fee", "code": None, "name": "Servis ücreti", "quantity": "1",
                       "unit_price": "250.00", "amount": "250.00"}],
            "totals": {"labour": "1125.00", "parts": "4200.00", "service_fee": "250.00",
                       "gross": "5575.00", "covered": "0.00", "subtotal": "5575.00",
                       "discount": "0.00", "vat": "1115.00", "total": "6690.00",
                       "vat_rate": "20.00", "discount_percent": None},
            "coverage": {"kind": "none", "name": domain.COVERAGE_NAMES["none"], "pays": {},
                         "explanation": domain.coverage_explanation("none", {})}}
        form["approval"] = {"version": 1, "sent_at": "2027-01-05T09:00:00+00:00",
                            "expires_at": "2027-01-12T09:00:00+00:00",
                            "note": "Parça siparişi onayınızla verilir.",
                            "sent_by": "Mehmet Müdür"}
    if kind == "periodic_report":
        row = {"number": "SF-2027-000123", "opened_at": "2027-01-04T07:30:00+00:00",
               "delivered_at": "2027-01-12T12:00:00+00:00", "closed_at": None,
               "status_name": domain.STATUS_NAMES["DELIVERED"], "device": "Arçelik X",
               "serial": "SN-0042", "type_name": {"tr": "Soğutucu", "en": "Refrigerator"},
               "complaint": "Kompresör çalışmıyor", "work_done": "Röle değişti",
               "coverage_name": domain.COVERAGE_NAMES["none"], "gross": "1825.00",
               "covered": "0.00", "total": "2190.00", "currency": "TRY",
               "opened_in_period": True, "closed_in_period": False}
        return {"customer": {"id": 7, "name": "Çağlar Işıkoğlu Gıda A.Ş.",
                             "email": "info@example.com", "language": "tr"},
                "period": {"start": "2027-01-01", "end": "2027-01-31"}, "forms": [row],
                "summary": {"opened": 1, "closed": 0, "forms": 1, "devices": 1,
                            "gross": "1825.00", "covered": "0.00", "total": "2190.00"},
                "currency": "TRY"}
    return form


class TemplateDesk:
    """Previews and new versions of a template: rendering, so never inside a transaction
    (the session's reads are ended first)."""

    def __init__(self, session, settings, desk):
        self.db, self.settings, self.desk = session, settings, desk
        self.contexts = Contexts(settings)

    def _context(self, kind, form_id, language, period=None):
        data = sample_data(kind)
        if period is not None and kind == "periodic_report":
            customer_id, start, end = period
            customer = FormDocuments(self.db, None, self.settings, self.desk).customer(
                customer_id)
            data = {"customer": customer, "period": {"start": _s(start), "end": _s(end)}}
            data.update(self.contexts.period(self.db, customer_id, data))
            number = domain.report_number(customer_id, start, end)
            return {**data, **self.contexts.common(kind, number, None, None, language)}
        if form_id is not None and kind in FORM_KINDS:
            form = self.db.get(Form, form_id) if is_id(form_id) else None
            if form is None:
                raise NotFound("Service form {form_id} not found.", {"form_id": form_id})
            data = {**data, **form_snapshot(self.db, form, self.settings)}
            url = tracking_url(self.settings, current_token(self.db, form.id))
            number = domain.document_number(form.number, kind, 0)
        else:
            url = f"{self.settings.company.public_base_url}/track/ornek"
            number = "ÖRNEK / SAMPLE"
        return {**data, **self.contexts.common(kind, number, None, url, language)}

    def preview(self, kind, data):
        """The template in use (or `source`) rendered for a form (or the sample): a PDF, or
        the HTML when `html` is asked for."""
        check_kind(kind)
        version, source = self.desk.active_template(self.db, kind)
        source = data["source"] if data["source"] is not None else source
        period = None
        if data["customer_id"] is not None:
            if data["date_from"] is None or data["date_to"] is None:
                raise invalid(to=["Give from and to with customer_id."])
            period = (data["customer_id"], data["date_from"], data["date_to"])
        context = self._context(kind, data["form_id"], data["language"], period)
        self.db.rollback()
        try:
            html = self.desk.templates.check(kind, source, [(context, data["language"])])
        except TemplateRefused as exc:
            raise refused(exc) from None
        if data["html"]:
            return {"kind": kind, "html": html}
        pdf, pages = self.desk.pdf.render(html)
        return {"kind": kind, "filename": f"{kind}-preview.pdf", "pages": pages,
                "content_type": "application/pdf",
                "content_b64": base64.b64encode(pdf).decode()}

    def save(self, kind, data, actor):
        """A new version in use, after it rendered in Turkish and English to PDF; a template
        that fails is refused with its line and the one in use stays."""
        check_kind(kind)
        source = data["source"]
        if source is not None:
            if len(source) > TEMPLATE_TOO_BIG:
                raise invalid(source=[("At most {max} characters.", {"max": TEMPLATE_TOO_BIG})])
            contexts = [(self._context(kind, None, lang), lang) for lang in ("tr", "en")]
            self.db.rollback()
            try:
                self.desk.templates.check(kind, source, contexts,
                                          to_pdf=lambda html: self.desk.pdf.render(html))
            except TemplateRefused as exc:
                raise refused(exc) from None
        row = self.desk.save_template(self.db, kind, source, actor, data["note"])
        return row.version



