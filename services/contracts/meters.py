"""Meter readings and pages over the allowance (sayaç okuma, sayfa aşımı): copiers and printers
are billed by the page. contracts owns the readings (DESIGN.md): a reading is recorded on a
maintenance visit, or from a service form (its maintenance visit when it is one; otherwise the
contract that covers the device on the day read); a contract prices each device's meter with a
monthly allowance and a price per page over it (`page_terms`); a period's page bill counts the
pages each meter went through and puts what is owed on the contract's invoice schedule as an
installment of kind `pages`. `emit` is unused: nothing here is an event (the schedule's
`contract_invoice_due` goes out from the contracts scanner as for every installment)."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select

from services.common.exceptions import Conflict, NotFound, invalid
from services.common.schemas import MAX_MONEY, is_id
from services.contracts import domain
from services.contracts import maintenance_domain as rules
from services.contracts.models import (Contract, ContractDevice, Installment, MaintenanceVisit,
                                       MeterReading, PageBill, PageBillLine, PageTerms)
from services.contracts.workflow import check_version, find

TERMS_OPEN = (domain.DRAFT, domain.ACTIVE)  # page terms change while the contract runs
# a contract's periods are billed once it has started, until after its end
BILLABLE = (domain.ACTIVE, domain.EXPIRED, domain.RENEWED, domain.CANCELLED)


def reading_out(r, pages=None):
    return {"id": r.id, "device_id": r.device_id, "contract_id": r.contract_id,
            "visit_id": r.visit_id, "meter": r.meter, "value": r.value,
            "replacement": r.replacement, "read_on": r.read_on.isoformat(), "pages": pages,
            "form": {"id": r.form_id, "number": r.form_number} if r.form_id else None,
            "note": r.note, "by": {"id": r.by_id, "name": r.by_name},
            "at": r.at.isoformat() if r.at else None}


def device_readings(session, device_id):
    """A device's readings (every meter, oldest first), each with the pages counted since the
    meter's previous reading (a new meter counts from zero)."""
    if not is_id(device_id):  # names no card (2**63 would overflow the driver: a 500)
        return []
    rows = session.scalars(select(MeterReading).where(
        MeterReading.device_id == device_id).order_by(MeterReading.id)).all()
    last, out = {}, []
    for r in rows:
        out.append(reading_out(r, rules.pages_between(last.get(r.meter), r.value,
                                                      r.replacement)))
        last[r.meter] = r.value
    return out


def terms_out(t):
    return {"device_id": t.device_id, "meter": t.meter, "monthly_allowance": t.monthly_allowance,
            "page_price": str(t.page_price)}


def bill_out(b, lines, installment=None):
    return {"id": b.id, "contract_id": b.contract_id, "from": b.period_start.isoformat(),
            "to": b.period_end.isoformat(), "months": b.months, "currency": b.currency,
            "total": str(b.total),
            "installment": {"id": installment.id, "seq": installment.seq,
                            "due_on": installment.due_on.isoformat(),
                            "status": installment.status} if installment else None,
            "at": b.at.isoformat() if b.at else None, "by": {"id": b.by_id, "name": b.by_name},
            "lines": [{"device_id": ln.device_id, "meter": ln.meter,
                       "opening": {"reading_id": ln.opening_reading_id,
                                   "value": ln.opening_value},
                       "closing": {"reading_id": ln.closing_reading_id,
                                   "value": ln.closing_value},
                       "unread": ln.closing_reading_id is None
                       or ln.closing_reading_id == ln.opening_reading_id,
                       "pages": ln.pages, "allowance": ln.allowance,
                       "extra_pages": ln.extra_pages, "page_price": str(ln.page_price),
                       "amount": str(ln.amount)} for ln in lines]}


class Meters:
    def __init__(self, session, settings):
        self.db, self.settings = session, settings

    def today(self):
        return domain.local_date(self.settings.clock.now())

    # -- readings ---------------------------------------------------------------------------
    def record_on_visit(self, visit_id, data, actor, form=None):
        """A counter reading of the visit's device; not on a skipped or cancelled visit."""
        visit = self.db.get(MaintenanceVisit, visit_id)
        if visit is None:
            raise NotFound("Maintenance visit {id} not found.", {"id": visit_id})
        if visit.status in (rules.SKIPPED, rules.CANCELLED):
            raise Conflict("A visit that is {status} takes no reading.",
                           {"status": visit.status})
        return self._add(visit.device_id, visit.contract_id, visit.id, data, actor, form)

    def record_from_form(self, form, data, actor):
        """A reading recorded on a service form: on its maintenance visit when it is a
        maintenance form, else under the contract covering the form's device on the day read
        (a device under no contract that day: 409 — readings are kept for page billing)."""
        ref = form.get("maintenance")
        if ref:
            return self.record_on_visit(ref["visit_id"], data, actor, form)
        read_on = data["read_on"] or self.today()
        contract = self.covering(form["device_id"], read_on)
        if contract is None:
            raise Conflict("Device {device_id} is under no maintenance contract on {day}: "
                           "meter readings are kept for a contract's page billing.",
                           {"device_id": form["device_id"], "day": read_on.isoformat()})
        return self._add(form["device_id"], contract.id, None, data, actor, form)

    def covering(self, device_id, day):
        """The contract (not a draft) whose period covers `device_id` on `day` (a cancelled
        one until its cancel date), the latest if several."""
        c = Contract
        stmt = select(c).join(ContractDevice, ContractDevice.contract_id == c.id).where(
            ContractDevice.device_id == device_id, c.start <= day, c.end >= day,
            c.status.in_(BILLABLE)).order_by(c.start.desc(), c.id.desc())
        for contract in self.db.scalars(stmt):
            if contract.status != domain.CANCELLED or (contract.cancelled_on or day) >= day:
                return contract
        return None

    def _add(self, device_id, contract_id, visit_id, data, actor, form):
        today = self.today()
        read_on = data["read_on"] or today
        if read_on > today:
            raise invalid(read_on=[("A reading may not be dated in the future (today is "
                                    "{today}).", {"today": today.isoformat()})])
        previous = self.db.scalar(select(MeterReading).where(
            MeterReading.device_id == device_id, MeterReading.meter == data["meter"]).order_by(
            MeterReading.id.desc()).limit(1))
        if previous is not None:
            rules.check_reading_date(previous.read_on, read_on)
        rules.check_reading(previous.value if previous else None, data["value"],
                            data["replacement"])
        row = MeterReading(device_id=device_id, contract_id=contract_id, visit_id=visit_id,
                           meter=data["meter"], value=data["value"],
                           replacement=data["replacement"], read_on=read_on, note=data["note"],
                           by_id=actor.get("id"), by_name=actor.get("name"),
                           form_id=form["id"] if form else None,
                           form_number=form.get("number") if form else None)
        self.db.add(row)
        self.db.flush()
        return row

    # -- the contract's page terms ----------------------------------------------------------
    def page_terms(self, contract_id):
        contract = find(self.db, Contract, contract_id)
        rows = self.db.scalars(select(PageTerms).where(
            PageTerms.contract_id == contract.id).order_by(PageTerms.device_id,
                                                           PageTerms.meter)).all()
        return {"contract_id": contract.id, "version": contract.version,
                "currency": contract.currency, "items": [terms_out(t) for t in rows]}

    def set_page_terms(self, contract_id, data, actor):
        """The contract's page terms replaced, with the contract's version: per device and
        meter a monthly allowance and a price per page over it (the contract's currency). Bills
        made already keep the terms they used."""
        contract = find(self.db, Contract, contract_id)
        check_version(contract, data["version"])
        if contract.status not in TERMS_OPEN:
            raise Conflict("A contract in {status} gets no page terms.",
                           {"status": contract.status})
        on_contract = set(self.db.scalars(select(ContractDevice.device_id).where(
            ContractDevice.contract_id == contract.id)).all())
        seen, errors = set(), {}
        for i, t in enumerate(data["terms"]):
            if t["device_id"] not in on_contract:
                errors[str(i)] = {"device_id": [(
                    "Device {device_id} is not under contract {number}.",
                    {"device_id": t["device_id"], "number": contract.number})]}
            elif (t["device_id"], t["meter"]) in seen:
                errors[str(i)] = {"meter": [("The meter '{meter}' of device {device_id} is "
                                             "priced twice.", {"meter": t["meter"],
                                                               "device_id": t["device_id"]})]}
            seen.add((t["device_id"], t["meter"]))
        if errors:
            raise invalid(terms=errors)
        for row in self.db.scalars(select(PageTerms).where(
                PageTerms.contract_id == contract.id)).all():
            self.db.delete(row)
        self.db.flush()
        for t in data["terms"]:
            self.db.add(PageTerms(contract_id=contract.id, device_id=t["device_id"],
                                  meter=t["meter"], monthly_allowance=t["monthly_allowance"],
                                  page_price=t["page_price"]))
        contract.version = data["version"] + 1
        self.db.flush()
        return contract

    # -- a period's page bill ---------------------------------------------------------------
    def bill_pages(self, contract_id, data, actor):
        """The pages of months `from`–`to` (an ended period inside the contract's months) per
        priced device and meter, over the allowances, as an installment of kind `pages` due
        the day after the period (or today). Periods follow one another (`_check_contiguous`).
        A period billed already is a 409 — unless it is the same, latest period and its
        installment is not invoiced yet: then it is made again (late readings)."""
        contract = find(self.db, Contract, contract_id)
        check_version(contract, data["version"])
        if contract.status not in BILLABLE:
            raise Conflict("A contract in {status} has no pages to bill.",
                           {"status": contract.status})
        start, end, months = rules.month_span(data["month_from"],
                                              data["month_to"] or data["month_from"])
        first_month = contract.start.replace(day=1)
        last_day = rules.month_span(rules.month_of(contract.end), rules.month_of(
            contract.end))[1]
        if start < first_month or end > last_day:
            raise invalid(**{"from": [("The period lies within the contract's months "
                                       "({start} – {end}).", {
                                           "start": rules.month_of(contract.start),
                                           "end": rules.month_of(contract.end)})]})
        today = self.today()
        if end >= today:
            raise invalid(to=[("A period is billed once it is over: it ends on {end} (today is "
                               "{today}).", {"end": end.isoformat(),
                                             "today": today.isoformat()})])
        terms = self.db.scalars(select(PageTerms).where(
            PageTerms.contract_id == contract.id).order_by(PageTerms.device_id,
                                                           PageTerms.meter)).all()
        if not terms:
            raise Conflict("Contract {number} prices no pages: set its page terms first.",
                           {"number": contract.number})
        replaced = self._replaceable(contract, start, end)
        self._check_contiguous(contract, terms, start, replaced)
        # counted, and checked, before anything is written (a bill made again is replaced
        # after): an amount past Numeric(12,2) was PostgreSQL's DataError, a 500
        lines = [self._line(contract, t, start, end, months) for t in terms]
        for line in lines:
            self._check_amount(line.amount, line.device_id, line.meter)
        total = domain.money(sum((line.amount for line in lines), Decimal(0)))
        self._check_amount(total, None, None)
        notified = self._drop(replaced)
        bill = PageBill(contract_id=contract.id, period_start=start, period_end=end,
                        months=months, currency=contract.currency, total=total,
                        by_id=actor.get("id"), by_name=actor.get("name"))
        self.db.add(bill)
        self.db.flush()
        for line in lines:
            line.bill_id = bill.id
            self.db.add(line)
        if bill.total > 0:
            seq = self.db.scalar(select(func.max(Installment.seq)).where(
                Installment.contract_id == contract.id)) or 0
            installment = Installment(
                contract_id=contract.id, customer_id=contract.customer_id, seq=seq + 1,
                due_on=max(end + timedelta(days=1), today), amount=bill.total,
                currency=contract.currency, status="scheduled", version=1, paid=False,
                kind="pages", notified=notified)  # a bill made again: no second e-mail
            self.db.add(installment)
            self.db.flush()
            bill.installment_id = installment.id
        contract.version = data["version"] + 1
        self.db.flush()
        return bill

    def _replaceable(self, contract, start, end):
        """The bill of this very period when it may be made again (its installment not
        invoiced), else None; a bill overlapping the period otherwise is a 409."""
        same = None
        for old in self.db.scalars(select(PageBill).where(
                PageBill.contract_id == contract.id, PageBill.period_start <= end,
                PageBill.period_end >= start)).all():
            installment = self.db.get(Installment, old.installment_id) \
                if old.installment_id else None
            if (old.period_start, old.period_end) != (start, end) or (
                    installment is not None and installment.status != "scheduled"):
                raise Conflict("The pages of {start} – {end} are billed already on contract "
                               "{number}.", {"start": old.period_start.isoformat(),
                                             "end": old.period_end.isoformat(),
                                             "number": contract.number, "bill_id": old.id})
            same = old
        return same

    def _check_contiguous(self, contract, terms, start, replaced):
        """A contract's bills follow one another with no gap and no overlap: a period starts
        the day after the contract's latest bill ends (its first bill: on or after the
        contract's start, and after every bill of its priced devices on another contract).
        Billed out of order or with a gap, a period would count from a reading that another
        bill counted to already: pages charged twice. A 409 naming `from` with the date the
        next period starts on. (A device priced again after a while counts from its last
        bill's closing reading: the pages it went through unbilled, once.)"""
        ends = select(func.max(PageBill.period_end))
        if replaced is not None:
            ends = ends.where(PageBill.id != replaced.id)
        here = self.db.scalar(ends.where(PageBill.contract_id == contract.id))
        if here is not None:
            if start != here + timedelta(days=1):
                expected = (here + timedelta(days=1)).isoformat()
                raise Conflict("The pages of contract {number} are billed up to {billed_to}: "
                               "its next period starts on {expected}.", {
                                   "number": contract.number, "billed_to": here.isoformat(),
                                   "expected": expected, "from": expected})
            return
        for device_id in sorted({t.device_id for t in terms}):
            elsewhere = self.db.scalar(ends.join(
                PageBillLine, PageBillLine.bill_id == PageBill.id).where(
                PageBillLine.device_id == device_id, PageBill.contract_id != contract.id))
            if elsewhere is not None and start <= elsewhere:
                expected = (elsewhere + timedelta(days=1)).isoformat()
                raise Conflict("Device {device_id}'s pages are billed up to {billed_to}: its "
                               "next period starts on {expected}.", {
                                   "device_id": device_id, "billed_to": elsewhere.isoformat(),
                                   "expected": expected, "from": expected})

    @staticmethod
    def _check_amount(amount, device_id, meter):
        """An amount of the bill fits its column (Numeric(12,2)): else a 409 naming `amount`
        (readings up to 10^12 pages at up to 99,999,999.9999 a page can come to more)."""
        if amount > MAX_MONEY:
            if device_id is None:
                raise Conflict("The period's pages come to {amount}, more than a bill can "
                               "hold ({max}): check the readings and the page prices.",
                               {"amount": str(amount), "max": str(MAX_MONEY)})
            raise Conflict("The pages of device {device_id}'s meter '{meter}' come to "
                           "{amount}, more than a bill can hold ({max}): check its readings "
                           "and its page price.", {"amount": str(amount), "max": str(MAX_MONEY),
                                                   "device_id": device_id, "meter": meter})

    def _drop(self, old):
        """The bill replaced (its lines and installment deleted); whether its installment's
        e-mail had gone out already, to carry over to the new one."""
        if old is None:
            return False
        installment = self.db.get(Installment, old.installment_id) \
            if old.installment_id else None
        for line in self.db.scalars(select(PageBillLine).where(
                PageBillLine.bill_id == old.id)).all():
            self.db.delete(line)
        self.db.flush()  # no relationships: the unit of work orders nothing by itself
        self.db.delete(old)
        self.db.flush()
        notified = False
        if installment is not None:
            notified = bool(installment.notified)
            self.db.delete(installment)
        self.db.flush()
        return notified

    def _line(self, contract, terms, start, end, months):
        """One meter's line: from the opening reading (the previous bill's closing one — on
        this contract, or on another contract of the device whose bill ended the day before;
        else the last reading before the period; else the period's first) to the closing one
        (the last on or before the period's end). With no previous bill, only readings of this
        contract or dated from its start count: pages read before it are not its to bill."""
        r = MeterReading
        of_meter = scoped = (r.device_id == terms.device_id, r.meter == terms.meter)
        opening = None
        last_line = self.db.scalar(select(PageBillLine).join(
            PageBill, PageBill.id == PageBillLine.bill_id).where(
            PageBillLine.device_id == terms.device_id, PageBillLine.meter == terms.meter,
            PageBill.period_end < start, or_(PageBill.contract_id == contract.id,
                                             PageBill.period_end == start - timedelta(days=1)),
            PageBillLine.closing_reading_id.is_not(None)).order_by(
            PageBill.period_end.desc(), PageBillLine.id.desc()).limit(1))
        if last_line is not None:
            opening = self.db.get(MeterReading, last_line.closing_reading_id)
        else:
            scoped += (or_(r.contract_id == contract.id, r.read_on >= contract.start),)
        if opening is None:
            opening = self.db.scalar(select(r).where(*scoped, r.read_on < start).order_by(
                r.id.desc()).limit(1))
        closing = self.db.scalar(select(r).where(*scoped, r.read_on <= end).order_by(
            r.id.desc()).limit(1))
        if opening is None and closing is not None:  # the first reading is the baseline
            opening = self.db.scalar(select(r).where(*scoped, r.read_on >= start,
                                                     r.id <= closing.id).order_by(r.id)
                                     .limit(1))
        if closing is None or (opening is not None and closing.id <= opening.id):
            closing = opening  # nothing read in the period: no pages counted
        pages = 0
        if opening is not None and closing is not None:
            between = self.db.execute(select(r.value, r.replacement).where(
                *of_meter, r.id > opening.id, r.id <= closing.id).order_by(r.id)).all()
            pages = rules.pages_counted(opening.value, between)
        allowance, extra, amount = rules.page_charge(pages, terms.monthly_allowance, months,
                                                     terms.page_price)
        return PageBillLine(
            device_id=terms.device_id, meter=terms.meter,
            opening_reading_id=opening.id if opening else None,
            closing_reading_id=closing.id if closing else None,
            opening_value=opening.value if opening else None,
            closing_value=closing.value if closing else None, pages=pages, allowance=allowance,
            extra_pages=extra, page_price=terms.page_price, amount=amount)

    # -- reads ------------------------------------------------------------------------------
    def bill(self, bill_id):
        b = self.db.get(PageBill, bill_id)
        lines = self.db.scalars(select(PageBillLine).where(
            PageBillLine.bill_id == b.id).order_by(PageBillLine.id)).all()
        installment = self.db.get(Installment, b.installment_id) if b.installment_id else None
        return bill_out(b, lines, installment)

    def bills(self, contract_id):
        contract = find(self.db, Contract, contract_id)
        ids = self.db.scalars(select(PageBill.id).where(
            PageBill.contract_id == contract.id).order_by(PageBill.period_start,
                                                          PageBill.id)).all()
        return {"items": [self.bill(i) for i in ids], "next_cursor": None}
