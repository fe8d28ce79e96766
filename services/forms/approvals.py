"""The price approval (fiyat onay formu), forms' application layer for it: the manager sends
an estimate — the form's own work, parts and fees, or lines typed for it — which moves the
form to AWAITING_APPROVAL, asks for its PDF and sends the customer a one-time link
(`price_approval_requested`); the customer decides by the link, or staff record a decision
the customer gave by phone; the decision (`price_approval_decided`) moves the form on as the
system: approved → IN_REPAIR, rejected → REPAIRED with sub-status `unrepaired` (returned
unrepaired: the diagnosis fee alone, no repair warranty).

The link is `PUBLIC_BASE_URL/approve/<token>`, a random token (32 bytes) of which only the
SHA-256 is stored. It works once, until it expires (PRICE_APPROVAL_DAYS, on the settings'
clock), and only while its estimate is the form's newest and the form awaits it: a new
estimate, or a move out of AWAITING_APPROVAL without a decision, withdraws it. A link that
does not work says why — used, expired, withdrawn or not valid — and nothing else: no form,
no customer (`Gone`, 410). Over one session; the caller commits."""
import hashlib
import json
import re
import secrets
from decimal import Decimal

from sqlalchemy import bindparam, func, select

from services.common.exceptions import Conflict, Forbidden, Gone, invalid
from services.common.roles import MANAGE
from services.forms import domain, events
from services.forms.models import Form, PartLine, PriceApproval, WorkLog

LINK_NOT_VALID = "This link is not valid."
LINK_USED = "This link has been used: the decision on it is recorded."
LINK_EXPIRED = "This link has expired; ask the service for a new estimate."
LINK_WITHDRAWN = "This link was withdrawn: a newer estimate replaced it, or the service " \
                 "went on without it."
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def approval_url(settings, token):
    return f"{settings.company.public_base_url}/approve/{token}"


def _s(value):
    return None if value is None else f"{Decimal(value):.2f}"


def void_pending(session, form_id, now, reason):
    """Withdraw the links of the form's estimates still waiting for a decision."""
    rows = session.scalars(select(PriceApproval).where(
        PriceApproval.form_id == form_id, PriceApproval.status == "pending")).all()
    for row in rows:
        row.status, row.voided_at, row.void_reason = "voided", now, reason
    return rows


class PriceApprovals:
    """Sending, deciding and reading price approvals, on a FormWorkflow's session, outbox,
    settings and rules (its version check, moves, history and papers)."""

    def __init__(self, workflow):
        self.wf = workflow
        self.db, self.emit, self.settings = workflow.db, workflow.emit, workflow.settings

    def now(self):
        return self.settings.clock.now()

    # -- sending -----------------------------------------------------------------------------
    def send(self, form_id, data, actor):
        """The estimate to the customer: a new version (the one before withdrawn), its PDF,
        the link by e-mail; the form to AWAITING_APPROVAL (from DIAGNOSIS or IN_REPAIR, or it
        stays there for a revised estimate)."""
        if actor.get("role") not in MANAGE:
            raise Forbidden("Only a manager sends a price approval.",
                            {"allowed_roles": list(MANAGE), "role": actor.get("role")})
        form = self.wf._for_write(form_id, data["version"], actor)
        moving = form.status != "AWAITING_APPROVAL"
        if moving:
            domain.check_transition(form.status, "AWAITING_APPROVAL", actor["role"])
        estimate = self.estimate(form, data)
        if Decimal(estimate["totals"]["gross"]) <= 0:
            raise Conflict("There is nothing to estimate yet: record work, parts or a fee on "
                           "the form, or type the estimate's lines.", {"status": form.status})
        now = self.now()
        void_pending(self.db, form.id, now, "new_estimate")
        version = (self.db.scalar(select(func.max(PriceApproval.version)).where(
            PriceApproval.form_id == form.id)) or 0) + 1
        token = secrets.token_urlsafe(32)
        days = data.get("valid_days") or self.settings.price_approval_days
        approval = PriceApproval(
            form_id=form.id, version=version, status="pending", token_hash=token_hash(token),
            estimate=json.dumps(estimate, ensure_ascii=False),
            total=Decimal(estimate["totals"]["total"]), currency=form.currency,
            language=form.customer_language, customer_email=form.customer_email,
            sent_by_id=actor["id"], sent_by_name=actor.get("name"),
            sent_by_email=actor.get("email"), sent_by_language=actor.get("language") or "tr",
            sent_at=now, expires_at=domain.approval_expiry(now, days))
        self.db.add(approval)
        self.db.flush()
        if moving:
            self.wf._move(form, "AWAITING_APPROVAL", actor, note=data.get("note"))
        self.wf._history(form, "price_approval_sent", actor, note=None if moving else
                         data.get("note"), changes={"price_approval": [None, {
                             "version": version, "total": _s(approval.total)}]})
        doc = self.wf.papers.for_form(
            form, "price_approval", actor, occasion=f"price_approval-{version}", data={
                "estimate": estimate, "approval": {
                    "version": version, "sent_at": now.isoformat(),
                    "expires_at": approval.expires_at.isoformat(), "note": data.get("note"),
                    "sent_by": actor.get("name")}})
        approval.document_id = doc.id if doc is not None else None
        self.emit("price_approval_requested", events.price_approval_requested(
            form, approval, approval_url(self.settings, token), doc))
        return self.wf._saved(form, data["version"])

    def estimate(self, form, data):
        """What the customer is asked to approve, as JSON-ready data (money as strings):
        the lines, every total, the coverage's share and why, the note."""
        pays = self.settings.pays(form.coverage_kind, form.coverage_terms)
        kind = form.coverage_kind or "none"
        if data.get("lines"):
            lines = [{"kind": x["kind"], "code": x.get("code"), "name": x["name"],
                      "quantity": f"{x['quantity'].normalize():f}",
                      "unit_price": _s(x["unit_price"]),
                      "amount": _s(domain.line_amount(x["quantity"], x["unit_price"]))}
                     for x in data["lines"]]
            totals = domain.totals(domain.estimate_fees(
                data["lines"], data.get("discount_amount"), data.get("discount_percent"),
                self.settings.vat_rate, pays))
            discount_percent, source = data.get("discount_percent"), "lines"
        else:
            lines = self._form_lines(form)
            totals = {"labour": form.labour_total, "parts": form.parts_total,
                      "service_fee": form.fee_total, "gross": form.gross_total,
                      "covered": form.covered_total, "subtotal": form.subtotal,
                      "discount": form.discount_total, "vat": form.vat_total,
                      "total": form.total}
            discount_percent, source = form.discount_percent, "form"
        return {"source": source, "lines": lines, "currency": form.currency,
                "totals": {**{k: _s(v) for k, v in totals.items()},
                           "vat_rate": _s(self.settings.vat_rate),
                           "discount_percent": _s(discount_percent)},
                "coverage": {"kind": kind, "name": domain.COVERAGE_NAMES.get(kind), "pays": pays,
                             "explanation": domain.coverage_explanation(kind, pays)},
                "note": data.get("note")}

    def _form_lines(self, form):
        logs = self.db.scalars(select(WorkLog).where(
            WorkLog.form_id == form.id, WorkLog.running.is_(False)).order_by(WorkLog.id)).all()
        parts = self.db.scalars(select(PartLine).where(PartLine.form_id == form.id)
                                .order_by(PartLine.id)).all()
        lines = [{"kind": "labour", "code": None, "name": w.user_name or "-",
                  "minutes": w.minutes, "unit_price": _s(w.hourly_rate),
                  "amount": _s(domain.labour_amount(w.minutes, w.hourly_rate))} for w in logs]
        lines += [{"kind": "part", "code": p.code, "name": p.name,
                   "quantity": f"{p.quantity.normalize():f}", "unit_price": _s(p.unit_price),
                   "amount": _s(p.amount)} for p in parts]
        if form.fee_total:
            lines.append({"kind": "fee", "code": None, "name": None, "quantity": "1",
                          "unit_price": _s(form.fee_total), "amount": _s(form.fee_total)})
        return lines

    # -- deciding ----------------------------------------------------------------------------
    def find(self, token):
        """(approval, form) of a link that works now, else Gone saying why (and only that)."""
        approval = None
        if isinstance(token, str) and TOKEN.fullmatch(token):
            approval = self.db.scalar(select(PriceApproval).where(
                PriceApproval.token_hash == token_hash(token)))
        if approval is None:
            raise Gone(LINK_NOT_VALID, {"reason": "invalid"})
        if approval.status in ("approved", "rejected"):
            raise Gone(LINK_USED, {"reason": "used"})
        form = self.db.get(Form, approval.form_id)
        if approval.status != "pending" or form.status != "AWAITING_APPROVAL":
            raise Gone(LINK_WITHDRAWN, {"reason": "voided"})
        if domain.approval_state(approval.status, approval.expires_at, self.now()) != "pending":
            raise Gone(LINK_EXPIRED, {"reason": "expired"})
        return approval, form

    def decide_by_link(self, token, data, client):
        """The customer's decision through the link: recorded with the time, address and
        browser; the link is used up."""
        approval, form = self.find(token)
        approval.decided_ip = (client.get("ip") or None)
        approval.decided_user_agent = (client.get("user_agent") or "")[:500] or None
        approval.decided_by_name = form.customer_name
        self._decide(form, approval, data["decision"], "link", data.get("note"), self.now(),
                     by={"customer_id": form.customer_id, "name": form.customer_name})
        self.wf._saved(form, form.version)
        return approval

    def decide_by_portal(self, form_id, data, actor, client):
        """The customer's decision on the portal's form page (issue 16), signed in: their own
        form only (another customer's: 404), the pending estimate while it is valid, recorded
        like the link's (time, address, browser) with `via` portal."""
        from services.forms.workflow import customers_form
        form = customers_form(self.db, form_id, actor)
        approval = self.db.scalar(select(PriceApproval).where(
            PriceApproval.form_id == form.id, PriceApproval.status == "pending")
            .order_by(PriceApproval.version.desc()).limit(1))
        if approval is None or form.status != "AWAITING_APPROVAL":
            raise Conflict("No price approval of this form waits for a decision.",
                           {"status": form.status})
        if domain.approval_state(approval.status, approval.expires_at, self.now()) != "pending":
            raise Gone(LINK_EXPIRED, {"reason": "expired"})
        approval.decided_ip = (client.get("ip") or None)
        approval.decided_user_agent = (client.get("user_agent") or "")[:500] or None
        approval.decided_by_name = actor.get("name") or form.customer_name
        self._decide(form, approval, data["decision"], "portal", data.get("note"), self.now(),
                     by={"customer_id": form.customer_id, "name": approval.decided_by_name})
        return self.wf._saved(form, form.version)

    def decide_by_phone(self, form_id, data, actor):
        """A decision the customer gave by phone, recorded by a manager: who took the call,
        when, the customer's name. Also for an estimate whose link expired (the estimate
        stands; the call is how the customer answered)."""
        if actor.get("role") not in MANAGE:
            raise Forbidden("Only a manager records a price decision.",
                            {"allowed_roles": list(MANAGE), "role": actor.get("role")})
        form = self.wf._for_write(form_id, data["version"], actor)
        approval = self.db.scalar(select(PriceApproval).where(
            PriceApproval.form_id == form.id, PriceApproval.status == "pending")
            .order_by(PriceApproval.version.desc()).limit(1))
        if approval is None or form.status != "AWAITING_APPROVAL":
            raise Conflict("No price approval of this form waits for a decision.",
                           {"status": form.status})
        now = self.now()
        at = data.get("decided_at") or now
        if at < approval.sent_at.replace(second=0, microsecond=0):  # a time typed in minutes
            raise invalid(decided_at=["Not before the estimate was sent."])
        approval.decided_by_name = data["customer_name"]
        approval.taken_by_name = data.get("taken_by") or actor.get("name")
        approval.recorded_by_id, approval.recorded_by_name = actor["id"], actor.get("name")
        approval.recorded_at = now
        self._decide(form, approval, data["decision"], "phone", data.get("note"), at,
                     by={"user_id": actor["id"], "name": actor.get("name")})
        return self.wf._saved(form, data["version"])

    def _decide(self, form, approval, decision, via, note, at, by):
        approval.status, approval.decision, approval.decided_via = decision, decision, via
        approval.decided_at, approval.decision_note = at, note
        self.emit("price_approval_decided", events.price_approval_decided(
            form, approval, by))
        who = {"tr": "müşteri, bağlantıyla" if via == "link" else "müşteri, telefonla",
               "en": "the customer, by the link" if via == "link" else "the customer, by phone"}
        verdict = {"approved": ("Fiyat onaylandı", "Price approved"),
                   "rejected": ("Fiyat reddedildi", "Price rejected")}[decision]
        text = f"{verdict[0]} ({who['tr']}) / {verdict[1]} ({who['en']})" + (
            f": {note}" if note else "")
        if decision == "approved":
            self.wf._move(form, "IN_REPAIR", None, note=text)
        else:
            self.wf._move(form, "REPAIRED", None, note=text, sub_status=domain.UNREPAIRED)

    # -- reading ------------------------------------------------------------------------------
    def public(self, token):
        """What the link's page shows: the estimate, the form's number and device, the
        company's name and phone, until when the link works."""
        approval, form = self.find(token)
        return public_out(approval, form, self.settings)


APPROVALS_OF_FORM = (select(PriceApproval.__table__)
                     .where(PriceApproval.__table__.c.form_id == bindparam("form_id"))
                     .order_by(PriceApproval.__table__.c.version.desc()))


def of_form(session, settings, form):
    """A form's price approvals: the state now, and every version of the estimate, newest
    first, with its decision (a form's detail carries it)."""
    session.flush()  # read past the session as plain rows (queries._children)
    rows = session.connection().execute(APPROVALS_OF_FORM, {"form_id": form.id}).all()
    now = settings.clock.now()
    versions = [approval_out(r, now) for r in rows]
    state = versions[0]["state"] if versions else "none"
    return {"state": state, "state_name": domain.APPROVAL_STATE_NAMES[state],
            "waiting": form.status == "AWAITING_APPROVAL" and state in ("pending", "expired"),
            "versions": versions}


def approval_out(row, now):
    state = domain.approval_state(row.status, row.expires_at, now)
    decision = None
    if row.decision:
        decision = {"decision": row.decision, "at": row.decided_at.isoformat(),
                    "via": row.decided_via, "note": row.decision_note,
                    "customer_name": row.decided_by_name, "ip": row.decided_ip,
                    "user_agent": row.decided_user_agent, "taken_by": row.taken_by_name,
                    "recorded_by": ({"user_id": row.recorded_by_id,
                                     "name": row.recorded_by_name}
                                    if row.recorded_by_id else None)}
    return {"id": row.id, "version": row.version, "state": state,
            "state_name": domain.APPROVAL_STATE_NAMES[state], "total": _s(row.total),
            "currency": row.currency, "language": row.language,
            "sent_at": row.sent_at.isoformat(), "expires_at": row.expires_at.isoformat(),
            "sent_by": {"user_id": row.sent_by_id, "name": row.sent_by_name},
            "emailed_to": row.customer_email, "document_id": row.document_id,
            "estimate": json.loads(row.estimate),
            "voided": ({"at": row.voided_at.isoformat(), "reason": row.void_reason}
                       if row.voided_at else None),
            "decision": decision}


def public_out(row, form, settings):
    names = json.loads(form.device_type_names) if form.device_type_names else None
    return {"version": row.version, "state": "pending", "language": row.language,
            "sent_at": row.sent_at.isoformat(), "expires_at": row.expires_at.isoformat(),
            "estimate": json.loads(row.estimate), "total": _s(row.total),
            "currency": row.currency,
            "form": {"number": form.number, "customer_name": form.customer_name,
                     "device": {"brand": form.device_brand, "model": form.device_model,
                                "serial": form.device_serial, "type_name": names},
                     "complaint": form.complaint, "diagnosis": form.diagnosis},
            "company": {"name": settings.company.name, "phone": settings.company.phone}}


def decision_out(row):
    return {"decision": row.decision, "at": row.decided_at.isoformat(),
            "version": row.version}
