"""The application layer of contracts: every write — proposals, their decision, the contract's
moves (activation, renewal reminder and expiry by the due-date scanner; cancel), renewals —
over one database session, with `emit(event_type, payload)` writing events into the outbox of
the same transaction. The caller commits (a StaleDataError at that commit is a 409).

Every write to a proposal or a contract states the version it read (missing: 428, stale: 409)
and raises it by one. Customer and device cards come from devices, asked by the service before
the write (no I/O inside a transaction) and given here as `customer` and `cards`."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select, text

from services.common.exceptions import Conflict, NotFound, PreconditionRequired, invalid
from services.common.models import utcnow
from services.common.roles import SYSTEM_ACTOR
from services.common.schemas import is_id
from services.contracts import domain, events
from services.contracts import maintenance_domain as visit_rules
from services.contracts.models import (Contract, ContractDevice, ContractHistory, Installment,
                                       MaintenanceVisit, Proposal, ProposalDevice,
                                       VisitHistory)

NEXT_NUMBER = text(  # one sequence per kind and year, never reused
    "INSERT INTO number_sequences (kind, year, last) VALUES (:kind, :year, 1) "
    "ON CONFLICT (kind, year) DO UPDATE SET last = number_sequences.last + 1 RETURNING last")
TERMS = ("customer_id", "customer_name", "customer_email", "customer_language", "rep_name",
         "rep_email", "rep_language", "start", "months", "end", "basis", "visits_per_year",
         "unit_price", "currency", "rate", "discount_amount", "discount_percent", "vat_rate",
         "stamp_duty_rate", "subtotal", "discount", "net", "vat", "total", "stamp_duty",
         "total_try", "pays_labour", "pays_parts", "pays_fee", "response_hours",
         "repair_hours", "language")
CARD = ("device_id", "brand", "model", "serial", "device_type")


def find(session, model, record_id):
    row = session.get(model, record_id) if is_id(record_id) else None
    if row is None:
        if model is Proposal:
            raise NotFound("Proposal {id} not found.", {"id": record_id})
        raise NotFound("Contract {id} not found.", {"id": record_id})
    return row


def find_installment(session, contract_id, installment_id):
    row = session.get(Installment, installment_id) if is_id(installment_id) else None
    if row is None or row.contract_id != contract_id:
        raise NotFound("Invoice {id} of contract {contract_id} not found.",
                       {"id": installment_id, "contract_id": contract_id})
    return row


def check_version(row, version):
    if version is None:
        raise PreconditionRequired("State the version you read (If-Match header or "
                                   "`version`).", {"version": row.version})
    if version != row.version:
        raise Conflict("The record was changed since version {given} (now {version}); read it "
                       "again.", {"version": row.version, "given": version})


def contract_devices(session, contract_id):
    return session.scalars(select(ContractDevice).where(
        ContractDevice.contract_id == contract_id).order_by(ContractDevice.id)).all()


def proposal_devices(session, proposal_id):
    return session.scalars(select(ProposalDevice).where(
        ProposalDevice.proposal_id == proposal_id).order_by(ProposalDevice.id)).all()


class ContractWorkflow:
    def __init__(self, session, emit, settings):
        self.db, self.emit, self.settings = session, emit, settings

    def today(self):
        return domain.local_date(self.settings.clock.now())

    def _number(self, kind):
        year = domain.numbering_year(self.settings.clock.now())
        seq = self.db.execute(NEXT_NUMBER, {"kind": kind, "year": year}).scalar_one()
        return domain.format_number(kind, year, seq)

    # -- proposals ------------------------------------------------------------------------
    def propose(self, data, actor, customer, cards):
        """A proposal (TK-…) for `customer` (devices' answer) and its devices: existing cards
        (`cards` {id: devices' card}) of this customer, or new ones described."""
        self._check_devices(data, customer, cards)
        proposal = Proposal(
            number=self._number("TK"), status="open", version=1, **self._customer(customer),
            **self._terms(data), valid_until=data["valid_until"] or self.today() + timedelta(
                days=self.settings.proposal_valid_days),
            created_by_id=actor["id"], created_by_name=actor["name"])
        self._price(proposal, len(data["devices"]))
        self.db.add(proposal)
        self.db.flush()
        self._add_devices(proposal, data, cards)
        return proposal

    def revise(self, proposal_id, data, actor, customer, cards):
        """A new version of an open proposal (not decided yet): its devices and terms as
        given, its figures again; the customer stays (another customer: a new proposal)."""
        proposal = find(self.db, Proposal, proposal_id)
        check_version(proposal, data["version"])
        if proposal.status != "open":
            raise Conflict("The proposal is {state}: it cannot be changed.",
                           {"state": proposal.status})
        if data["customer_id"] != proposal.customer_id:
            raise invalid(customer_id=["A proposal's customer cannot change; make a new "
                                       "proposal."])
        self._check_devices(data, customer, cards)
        for name, value in {**self._customer(customer), **self._terms(data)}.items():
            setattr(proposal, name, value)
        if data["valid_until"]:
            proposal.valid_until = data["valid_until"]
        self._price(proposal, len(data["devices"]))
        for row in proposal_devices(self.db, proposal.id):
            self.db.delete(row)
        self.db.flush()
        self._add_devices(proposal, data, cards)
        proposal.version = data["version"] + 1
        self.db.flush()
        return proposal

    def _check_devices(self, data, customer, cards):
        """Each card is the customer's (409 naming the owner) and under no overlapping
        contract (409 naming it)."""
        start = data["start"]
        end = domain.period_end(start, data["months"])
        for i, d in enumerate(data["devices"]):
            if d["device_id"] is not None:
                card = cards[d["device_id"]]
                if card["customer_id"] != customer["id"]:
                    raise Conflict("Device {device_id} belongs to another customer "
                                   "(customer {owner_id}).",
                                   {"device_id": d["device_id"], "owner_id":
                                    card["customer_id"], "field": f"devices.{i}.device_id"})
        self.check_overlap([d["device_id"] for d in data["devices"] if d["device_id"]],
                           start, end)

    def _terms(self, data):
        start = data["start"]
        return dict(
            start=start, months=data["months"], end=domain.period_end(start, data["months"]),
            basis=data["basis"],
            visits_per_year=data["visits_per_year"] if data["basis"] == "visit" else None,
            unit_price=data["unit_price"], currency=data["currency"],
            rate=data["rate"] if data["currency"] != "TRY" else (data["rate"] or 1),
            discount_amount=data["discount_amount"], discount_percent=data["discount_percent"],
            vat_rate=self.settings.vat_rate if data["vat_rate"] is None else data["vat_rate"],
            stamp_duty_rate=self.settings.stamp_duty_rate if data["stamp_duty_rate"] is None
            else data["stamp_duty_rate"],
            pays_labour=data["pays"]["labour"], pays_parts=data["pays"]["parts"],
            pays_fee=data["pays"]["fee"],
            response_hours=data["service_levels"]["response_hours"],
            repair_hours=data["service_levels"]["repair_hours"], language=data["language"],
            note=data["note"])

    def _add_devices(self, proposal, data, cards):
        for d in data["devices"]:
            card = cards.get(d["device_id"]) or d
            self.db.add(ProposalDevice(proposal_id=proposal.id, device_id=d["device_id"],
                                       **{k: card.get(k) for k in CARD[1:]}))
        self.db.flush()

    @staticmethod
    def _customer(customer):
        rep = customer.get("rep") or {}
        return {"customer_id": customer["id"], "customer_name": customer["name"],
                "customer_email": customer.get("email"),
                "customer_language": customer.get("language") or "tr",
                "rep_name": rep.get("name"), "rep_email": rep.get("email"),
                "rep_language": rep.get("language") or "tr"}

    @staticmethod
    def _price(terms, devices):
        figures = domain.price_totals(
            terms.unit_price, devices, terms.months, terms.basis, terms.visits_per_year,
            terms.discount_amount, terms.discount_percent, terms.vat_rate,
            terms.stamp_duty_rate, terms.rate)
        for name, value in figures.items():
            setattr(terms, name, value)

    def check_overlap(self, device_ids, start, end, except_contract=None):
        """409 naming the other contract when a device is under one that overlaps."""
        if not device_ids:
            return
        stmt = select(ContractDevice.device_id, Contract).join(
            Contract, Contract.id == ContractDevice.contract_id).where(
            ContractDevice.device_id.in_(device_ids), Contract.status.in_(domain.LIVE),
            Contract.start <= end, Contract.end >= start)
        if except_contract is not None:
            stmt = stmt.where(Contract.id != except_contract)
        for device_id, other in self.db.execute(stmt.order_by(Contract.id)):
            end_other = other.cancelled_on or other.end
            if domain.overlaps(start, end, other.start, end_other):
                raise Conflict("Device {device_id} is already under contract {number} "
                               "({start} – {end}).",
                               {"device_id": device_id, "contract_id": other.id,
                                "number": other.number, "start": other.start.isoformat(),
                                "end": end_other.isoformat()})

    def decide(self, proposal_id, data, actor, registered=None):
        """Accept (a contract SZ-… in draft) or reject an open proposal within its validity.
        `registered` {proposal device row id: new card id}: new devices the service registered
        with devices before this write."""
        proposal = self.check_decidable(proposal_id, data)
        proposal.status = data["decision"]
        proposal.decided_at = utcnow()
        proposal.decided_by_id, proposal.decided_by_name = actor["id"], actor["name"]
        proposal.decision_note = data["note"]
        proposal.version = data["version"] + 1
        if data["decision"] == "accepted":
            proposal.contract_id = self._contract_from(proposal, actor, registered or {}).id
        self.db.flush()
        return proposal

    def check_decidable(self, proposal_id, data):
        """The proposal, if the version read is current and it is open within its validity
        (an expired or decided one is a 409)."""
        proposal = find(self.db, Proposal, proposal_id)
        check_version(proposal, data["version"])
        state = domain.proposal_state(proposal.status, proposal.valid_until, self.today())
        if state != "open":
            raise Conflict("The proposal is {state}: it cannot be decided.", {"state": state})
        return proposal

    def _contract_from(self, proposal, actor, registered):
        rows = proposal_devices(self.db, proposal.id)
        for row in rows:
            if row.device_id is None and row.id in registered:
                row.device_id = registered[row.id]
        self.check_overlap([r.device_id for r in rows if r.device_id], proposal.start,
                           proposal.end)
        contract = Contract(number=self._number("SZ"), status=domain.DRAFT, version=1,
                            proposal_id=proposal.id,
                            **{k: getattr(proposal, k) for k in TERMS},
                            renewal_due_on=domain.renewal_due_on(
                                proposal.end, self.settings.renewal_notice_days),
                            created_by_id=actor["id"], created_by_name=actor["name"])
        self.db.add(contract)
        self.db.flush()
        for row in rows:
            self.db.add(ContractDevice(contract_id=contract.id,
                                       **{k: getattr(row, k) for k in CARD}))
        self._history(contract, None, domain.DRAFT, actor, f"{proposal.number}")
        if proposal.renews_contract_id:
            old = self.db.get(Contract, proposal.renews_contract_id)
            self._move(old, domain.RENEWED, SYSTEM_ACTOR, f"{contract.number}")
            old.renewed_by_contract_id = contract.id
            old.version += 1
        return contract

    # -- the contract's moves --------------------------------------------------------------
    def _move(self, contract, to, actor, note=None):
        domain.check_transition(contract.status, to, actor.get("role"))
        self._history(contract, contract.status, to, actor, note)
        contract.status = to

    def _history(self, contract, from_status, to, actor, note=None):
        self.db.add(ContractHistory(contract_id=contract.id, from_status=from_status,
                                    to_status=to, by_id=actor.get("id"),
                                    by_name=actor.get("name"), note=note))

    def _device_ids(self, contract):
        return [d.device_id for d in contract_devices(self.db, contract.id) if d.device_id]

    def cancel(self, contract_id, data, actor):
        """Cancel with a reason and an end date: an active contract's cover ends that day
        (contract_expired with that end); a draft one never started."""
        contract = find(self.db, Contract, contract_id)
        check_version(contract, data["version"])
        was = contract.status
        domain.check_transition(was, domain.CANCELLED, actor.get("role"))
        if was == domain.ACTIVE and not contract.start <= data["end"] <= contract.end:
            raise invalid(end=[("The end date must lie within the contract ({start} – {end}).",
                                {"start": contract.start.isoformat(),
                                 "end": contract.end.isoformat()})])
        self._move(contract, domain.CANCELLED, actor, data["reason"])
        contract.cancelled_on, contract.cancel_reason = data["end"], data["reason"]
        contract.version = data["version"] + 1
        if was == domain.ACTIVE:
            self.emit("contract_expired", events.contract_expired(
                contract, self._device_ids(contract), end=data["end"]))
        # a draft's visits all lie ahead of a cover that never starts
        end_visits(self.db, contract, None if was == domain.DRAFT else data["end"],
                   data["reason"], actor)
        self.db.flush()
        return contract

    def renew(self, contract_id, data, actor):
        """A new proposal for the next period: the same customer, devices and terms, the unit
        price raised by `increase_percent`, starting the day after the end."""
        contract = find(self.db, Contract, contract_id)
        check_version(contract, data["version"])
        if contract.status not in domain.RENEWABLE:
            raise Conflict("A contract in {status} cannot be renewed.",
                           {"status": contract.status})
        pending = self.db.scalar(select(Proposal.number).where(
            Proposal.renews_contract_id == contract.id, Proposal.status == "open"))
        if pending:
            raise Conflict("Renewal proposal {number} is already open.", {"number": pending})
        months = data["months"] or contract.months
        start = contract.end + timedelta(days=1)
        proposal = Proposal(
            number=self._number("TK"), status="open", version=1,
            **{k: getattr(contract, k) for k in TERMS},
            valid_until=data["valid_until"] or self.today() + timedelta(
                days=self.settings.proposal_valid_days),
            renews_contract_id=contract.id, increase_percent=data["increase_percent"],
            created_by_id=actor["id"], created_by_name=actor["name"])
        proposal.start, proposal.months = start, months
        proposal.end = domain.period_end(start, months)
        proposal.unit_price = domain.raised(contract.unit_price, data["increase_percent"])
        if data["rate"] is not None:
            proposal.rate = data["rate"]
        devices = contract_devices(self.db, contract.id)
        self._price(proposal, len(devices))
        self.db.add(proposal)
        self.db.flush()
        for d in devices:
            self.db.add(ProposalDevice(proposal_id=proposal.id,
                                       **{k: getattr(d, k) for k in CARD}))
        contract.version = data["version"] + 1
        self.db.flush()
        return proposal

    # -- the invoice schedule ----------------------------------------------------------------
    def schedule_invoices(self, contract_id, data, actor):
        """The contract's invoices (its total over monthly, quarterly, yearly or one invoice);
        a schedule not yet invoiced is replaced, one with an invoice is a 409."""
        contract = find(self.db, Contract, contract_id)
        check_version(contract, data["version"])
        if contract.status not in (domain.DRAFT, domain.ACTIVE):
            raise Conflict("A contract in {status} gets no invoice schedule.",
                           {"status": contract.status})
        # the page bills' installments (meters.py) are not the price's: they stay
        old = self.db.scalars(select(Installment).where(
            Installment.contract_id == contract.id, Installment.kind == "fee")).all()
        if any(i.status != "scheduled" for i in old):
            raise Conflict("Contract {number} has invoices already; its schedule stays.",
                           {"number": contract.number})
        first = data["first_due"]
        if first is not None and not contract.start <= first <= contract.end:
            raise invalid(first_due=[("The first due date must lie within the contract "
                                      "({start} – {end}).", {"start": contract.start.isoformat(),
                                                            "end": contract.end.isoformat()})])
        for row in old:
            self.db.delete(row)
        self.db.flush()
        after = self.db.scalar(select(func.max(Installment.seq)).where(
            Installment.contract_id == contract.id)) or 0  # numbers stay unique
        for seq, (due, amount) in enumerate(domain.installments(
                contract.total, contract.start, contract.months, data["frequency"], first),
                after + 1):
            self.db.add(Installment(contract_id=contract.id, customer_id=contract.customer_id,
                                    seq=seq, due_on=due, amount=amount,
                                    currency=contract.currency, status="scheduled", version=1,
                                    paid=False))
        contract.invoice_frequency = data["frequency"]
        contract.version = data["version"] + 1
        self.db.flush()
        return contract

    def mark_invoiced(self, contract_id, installment_id, data, actor):
        row = self._installment(contract_id, installment_id, data, "scheduled")
        if row.currency != "TRY" and data["rate"] is None:
            raise invalid(rate=["A currency other than TRY needs its rate."])
        rate = data["rate"] if row.currency != "TRY" else Decimal(1)
        row.status, row.invoice_no, row.invoiced_on = ("invoiced", data["invoice_no"],
                                                       data["invoiced_on"])
        row.rate, row.amount_try = rate, domain.money(row.amount * rate)
        self.db.flush()
        return row

    def mark_paid(self, contract_id, installment_id, data, actor):
        row = self._installment(contract_id, installment_id, data, "invoiced")
        row.status, row.paid_on, row.paid = "paid", data["paid_on"], True
        self.db.flush()
        return row

    def _installment(self, contract_id, installment_id, data, expected):
        row = find_installment(self.db, contract_id, installment_id)
        check_version(row, data["version"])
        if row.status != expected:
            raise Conflict("Invoice {seq} is {status}.", {"seq": row.seq, "status": row.status})
        row.version = data["version"] + 1
        return row

    # -- the due-date scanner's work ---------------------------------------------------------
    def due(self, today):
        """The WHERE clause of contracts with something due on `today`: a draft whose start
        has come, an active one past its end, a reminder not yet sent."""
        invoice_due = Contract.id.in_(select(Installment.contract_id).where(
            Installment.status == "scheduled", Installment.notified.is_(False),
            Installment.due_on <= today))
        return (invoice_due | ((Contract.status == domain.DRAFT) & (Contract.start <= today))
                | ((Contract.status == domain.ACTIVE) & (Contract.end < today))
                | ((Contract.status == domain.ACTIVE) & (Contract.renewal_notified.is_(False))
                   & (Contract.renewal_due_on <= today)))

    def fire(self, contract, today):
        """What is due on one contract (the system actor): activate on the start date
        (contract_activated), remind of the renewal (contract_renewal_due), expire after the
        end (contract_expired). Each happens once: the status or the flag moves with it."""
        if contract.status == domain.DRAFT and contract.start <= today:
            self._move(contract, domain.ACTIVE, SYSTEM_ACTOR)
            contract.activated_at = utcnow()
            contract.version += 1
            self.emit("contract_activated", events.contract_activated(
                contract, self._device_ids(contract)))
        if (contract.status == domain.ACTIVE and not contract.renewal_notified
                and contract.renewal_due_on is not None and contract.renewal_due_on <= today
                and contract.end >= today):
            contract.renewal_notified = True
            if recipients := self._renewal_recipients(contract):
                self.emit("contract_renewal_due", events.renewal_due(contract, recipients))
        for row in self.db.scalars(select(Installment).where(
                Installment.contract_id == contract.id, Installment.status == "scheduled",
                Installment.notified.is_(False), Installment.due_on <= today)).all():
            row.notified = True
            if recipients := self._renewal_recipients(contract):
                self.emit("contract_invoice_due", {"contract_id": contract.id, "plan_id": None,
                                                   "due_date": row.due_on.isoformat(),
                                                   "recipients": recipients})
        if contract.status == domain.ACTIVE and contract.end < today:
            self._move(contract, domain.EXPIRED, SYSTEM_ACTOR)
            contract.version += 1
            self.emit("contract_expired", events.contract_expired(
                contract, self._device_ids(contract)))
            end_visits(self.db, contract, None, visit_rules.CONTRACT_EXPIRED, SYSTEM_ACTOR)
        self.db.flush()

    def _renewal_recipients(self, contract):
        out = [{"name": name or address, "email": address, "language": "tr"}
               for name, address in self.settings.contracts_emails]
        if contract.rep_email:
            out.append({"name": contract.rep_name or contract.rep_email,
                        "email": contract.rep_email, "language": contract.rep_language})
        return out

    def scan(self, today=None):
        """Everything due on `today` (default: the clock's today), in this session: what the
        scanner does in claimed batches, for an operator or a test with time injected."""
        today = today or self.today()
        fired = []
        for contract in self.db.scalars(select(Contract).where(self.due(today)).order_by(
                Contract.id)).all():
            self.fire(contract, today)
            fired.append(contract.id)
        return fired


def end_visits(session, contract, after, reason, actor):
    """The contract ended (cancelled from `after` on, or expired: `after` None): its open
    maintenance visits dated after `after` (all, for None) are cancelled with `reason`, so none
    reads as overdue for a cover that no longer exists. A due visit whose maintenance form is
    open is left to that form (delivered: done — the work was done; cancelled: the visit is
    cancelled, no new attempt)."""
    v = MaintenanceVisit
    stmt = select(v).where(v.contract_id == contract.id, v.is_open.is_(True))
    if after is not None:
        stmt = stmt.where(v.scheduled_on > after)
    for visit in session.scalars(stmt.order_by(v.id)).all():
        if visit.status == visit_rules.DUE and visit.form_id is not None:
            continue
        session.add(VisitHistory(visit_id=visit.id, action=visit_rules.CANCELLED,
                                 attempt=visit.attempt, by_id=actor.get("id"),
                                 by_name=actor.get("name"), note=reason,
                                 from_status=visit.status, to_status=visit_rules.CANCELLED))
        visit.status, visit.reason, visit.is_open = visit_rules.CANCELLED, reason, False
        visit.version += 1
