"""Reads of contracts: a proposal or contract as clients see it, lists that page, history."""
from sqlalchemy import and_, or_, select, tuple_

from services.common.schemas import decode_cursor, page_of
from services.contracts import domain
from services.common.personal import rows
from services.contracts.models import (Contract, ContractDevice, ContractHistory, Document,
                                       Installment, MachineParkCheck, MachineParkItem, Proposal,
                                       ProposalDevice)
from services.contracts.workflow import contract_devices, find, proposal_devices

MONEY = ("unit_price", "discount_amount", "subtotal", "discount", "net", "vat", "total",
         "stamp_duty", "total_try")
RATES = ("rate", "discount_percent", "vat_rate", "stamp_duty_rate", "increase_percent")


def _text(value):
    return None if value is None else str(value)


def terms_out(row):
    out = {"id": row.id, "number": row.number, "version": row.version,
           "customer": {"id": row.customer_id, "name": row.customer_name,
                        "email": row.customer_email, "language": row.customer_language},
           "start": row.start.isoformat(), "months": row.months, "end": row.end.isoformat(),
           "basis": row.basis, "visits_per_year": row.visits_per_year,
           "currency": row.currency, "language": row.language,
           "pays": {"labour": row.pays_labour, "parts": row.pays_parts, "fee": row.pays_fee},
           "service_levels": {"response_hours": row.response_hours,
                              "repair_hours": row.repair_hours},
           "created_at": row.created_at.isoformat() if row.created_at else None,
           "created_by": {"id": row.created_by_id, "name": row.created_by_name}}
    for name in MONEY + RATES:
        if hasattr(row, name):
            out[name] = _text(getattr(row, name))
    return out


def device_out(d):
    return {"device_id": d.device_id, "brand": d.brand, "model": d.model, "serial": d.serial,
            "device_type": d.device_type}


def proposal_out(p, today, devices=None):
    state = domain.proposal_state(p.status, p.valid_until, today)
    out = {**terms_out(p), "status": state, "status_name": domain.PROPOSAL_STATUS_NAMES[state],
           "valid_until": p.valid_until.isoformat(), "note": p.note,
           "renews_contract_id": p.renews_contract_id, "contract_id": p.contract_id,
           "signed_scan": {"filename": p.signed_scan_name, "content_type": p.signed_scan_type,
                           "size": p.signed_scan_size, "sha256": p.signed_scan_sha256}
           if p.signed_scan_key else None,
           "decision": None if p.status == "open" else {
               "decision": p.status, "at": p.decided_at.isoformat() if p.decided_at else None,
               "by": {"id": p.decided_by_id, "name": p.decided_by_name},
               "note": p.decision_note}}
    if devices is not None:
        out["devices"] = [device_out(d) for d in devices]
    return out


def contract_out(c, devices=None):
    out = {**terms_out(c), "status": c.status, "status_name": domain.STATUS_NAMES[c.status],
           "proposal_id": c.proposal_id, "cancelled_on": _iso(c.cancelled_on),
           "cancel_reason": c.cancel_reason, "renewal_due_on": _iso(c.renewal_due_on),
           "renewal_notified": c.renewal_notified,
           "renewed_by_contract_id": c.renewed_by_contract_id,
           "activated_at": c.activated_at.isoformat() if c.activated_at else None,
           "coverage_end": (c.cancelled_on or c.end).isoformat()}
    if devices is not None:
        out["devices"] = [device_out(d) for d in devices]
    return out


def installment_out(i, number=None, customer_name=None):
    return {"id": i.id, "contract_id": i.contract_id, "contract_number": number,
            "customer": {"id": i.customer_id, "name": customer_name}, "seq": i.seq,
            "version": i.version, "due_on": i.due_on.isoformat(), "amount": str(i.amount),
            "currency": i.currency, "status": i.status, "invoice_no": i.invoice_no,
            "invoiced_on": _iso(i.invoiced_on), "rate": _text(i.rate),
            "amount_try": _text(i.amount_try), "paid_on": _iso(i.paid_on),
            "kind": i.kind or "fee"}


def _iso(day):
    return day.isoformat() if day else None


class ContractQueries:
    def __init__(self, session, settings):
        self.db, self.settings = session, settings

    def today(self):
        return domain.local_date(self.settings.clock.now())

    def proposal(self, proposal_id):
        p = find(self.db, Proposal, proposal_id)
        return proposal_out(p, self.today(), proposal_devices(self.db, p.id))

    def contract(self, contract_id):
        c = find(self.db, Contract, contract_id)
        return contract_out(c, contract_devices(self.db, c.id))

    def proposals(self, query):
        stmt = select(Proposal)
        if query["customer_id"]:
            stmt = stmt.where(Proposal.customer_id == query["customer_id"])
        status, today = query["status"], self.today()
        if status == "expired":
            stmt = stmt.where(Proposal.status == "open", Proposal.valid_until < today)
        elif status == "open":
            stmt = stmt.where(Proposal.status == "open", Proposal.valid_until >= today)
        elif status:
            stmt = stmt.where(Proposal.status == status)
        return self._page(stmt, Proposal, query, lambda p: proposal_out(p, today))

    def contracts(self, query):
        stmt = select(Contract)
        if query["customer_id"]:
            stmt = stmt.where(Contract.customer_id == query["customer_id"])
        if query["status"]:
            stmt = stmt.where(Contract.status == query["status"])
        if query["device_id"]:
            from services.contracts.models import ContractDevice
            stmt = stmt.where(Contract.id.in_(select(ContractDevice.contract_id).where(
                ContractDevice.device_id == query["device_id"])))
        return self._page(stmt, Contract, query, contract_out)

    def _page(self, stmt, model, query, out):
        if query["cursor"]:
            (after,) = decode_cursor(query["cursor"], int)
            stmt = stmt.where(model.id < after)
        rows = self.db.scalars(stmt.order_by(model.id.desc()).limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda r: [r.id])
        return {"items": [out(r) for r in page], "next_cursor": cursor}

    def history(self, contract_id):
        find(self.db, Contract, contract_id)
        rows = self.db.scalars(select(ContractHistory).where(
            ContractHistory.contract_id == contract_id).order_by(ContractHistory.id)).all()
        return {"items": [{"from": h.from_status, "to": h.to_status, "at": h.at.isoformat(),
                           "by": {"id": h.by_id, "name": h.by_name}, "note": h.note}
                          for h in rows]}

    def new_devices(self, proposal):
        """(proposal device row id, a card for devices' register_device) of the devices the
        proposal describes that have no card yet."""
        from services.contracts.models import ProposalDevice
        rows = self.db.scalars(select(ProposalDevice).where(
            ProposalDevice.proposal_id == proposal["id"],
            ProposalDevice.device_id.is_(None))).all()
        return [(r.id, {"customer_id": proposal["customer"]["id"], "brand": r.brand,
                        "serial": r.serial, "model": r.model, "device_type": r.device_type})
                for r in rows]

    # -- invoices --------------------------------------------------------------------------
    def invoices(self, contract_id):
        from services.contracts.models import Installment
        c = find(self.db, Contract, contract_id)
        rows = self.db.scalars(select(Installment).where(
            Installment.contract_id == c.id).order_by(Installment.due_on,
                                                       Installment.seq)).all()
        return {"items": [installment_out(i, c.number, c.customer_name) for i in rows],
                "next_cursor": None, "frequency": c.invoice_frequency}

    def invoice(self, installment_id):
        from services.contracts.models import Installment
        i = self.db.get(Installment, installment_id)
        c = self.db.get(Contract, i.contract_id)
        return installment_out(i, c.number, c.customer_name)

    def invoice_list(self, query):
        """`due`: not invoiced yet, due by today + `days`; `overdue`: not paid, past due. By
        due date, then id; cursor pages."""
        from datetime import date as _date, timedelta
        from services.contracts.models import Installment
        today = self.today()
        stmt = select(Installment, Contract.number, Contract.customer_name).join(
            Contract, Contract.id == Installment.contract_id)
        if query["state"] == "due":
            stmt = stmt.where(Installment.status == "scheduled",
                              Installment.due_on <= today + timedelta(days=query["days"]))
        else:
            stmt = stmt.where(Installment.paid.is_(False), Installment.due_on < today)
        if query["cursor"]:
            day, after = decode_cursor(query["cursor"], str, int)
            day = _date.fromisoformat(day)
            # the day as the index range's start, then a row value (not an OR, which SQLite
            # cannot range on: every installment before the cursor was walked again)
            stmt = stmt.where(Installment.due_on >= day, tuple_(
                Installment.due_on, Installment.id) > tuple_(day, after))
        rows = self.db.execute(stmt.order_by(Installment.due_on, Installment.id).limit(
            query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"],
                               lambda r: [r[0].due_on.isoformat(), r[0].id])
        return {"items": [installment_out(i, n, name) for i, n, name in page],
                "next_cursor": cursor}


def personal_data(session, customer_id):
    """What contracts holds about a customer (KVKK export): proposals and contracts with
    their devices, history and invoice schedule, machine-park checks, and their documents."""
    proposals = select(Proposal.id).where(Proposal.customer_id == customer_id)
    contracts = select(Contract.id).where(Contract.customer_id == customer_id)
    checks = select(MachineParkCheck.id).where(MachineParkCheck.customer_id == customer_id)
    return {
        "proposals": rows(session, Proposal, Proposal.customer_id == customer_id),
        "proposal_devices": rows(session, ProposalDevice,
                                 ProposalDevice.proposal_id.in_(proposals)),
        "contracts": rows(session, Contract, Contract.customer_id == customer_id),
        "contract_devices": rows(session, ContractDevice,
                                 ContractDevice.contract_id.in_(contracts)),
        "contract_history": rows(session, ContractHistory,
                                 ContractHistory.contract_id.in_(contracts)),
        "installments": rows(session, Installment, Installment.customer_id == customer_id),
        "machine_park_checks": rows(session, MachineParkCheck,
                                    MachineParkCheck.customer_id == customer_id),
        "machine_park_items": rows(session, MachineParkItem,
                                   MachineParkItem.check_id.in_(checks)),
        "documents": rows(session, Document, or_(
            and_(Document.subject == "proposal", Document.subject_id.in_(proposals)),
            and_(Document.subject == "contract", Document.subject_id.in_(contracts)),
            and_(Document.subject == "machine_park", Document.subject_id.in_(checks))),
            exclude=("claimed_by", "claimed_until", "storage_key")),
    }
