"""contracts' reports: the renewal list (contracts ending in a window of months); contract
revenue by month, customer or contract — scheduled, invoiced, paid, in TRY."""
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, tuple_

from services.common.schemas import decode_cursor, page_of
from services.contracts import domain
from services.contracts.models import Contract, Installment


def month_range(first, last):
    y1, m1 = map(int, first.split("-"))
    y2, m2 = map(int, (last or first).split("-"))
    start = date(y1, m1, 1)
    end = domain.add_months(date(y2, m2, 1), 1)
    return start, end  # [start, end)


# a renewal list's line: the contract's number, customer, period, price and reminder — not
# its whole terms (the contract's page has them). Fifty whole contracts were 54 kB a page and
# the list's p95 10-14 ms above the invoice lists' (bench/contracts_bench.py, docs/benchmarks.md)
RENEWAL_COLUMNS = (Contract.id, Contract.number, Contract.version, Contract.status,
                   Contract.customer_id, Contract.customer_name, Contract.start,
                   Contract.months, Contract.end, Contract.cancelled_on, Contract.currency,
                   Contract.unit_price, Contract.total, Contract.total_try,
                   Contract.renewal_due_on, Contract.renewal_notified)


def renewal_out(c):
    return {"id": c.id, "number": c.number, "version": c.version, "status": c.status,
            "status_name": domain.STATUS_NAMES[c.status],
            "customer": {"id": c.customer_id, "name": c.customer_name},
            "start": c.start.isoformat(), "months": c.months, "end": c.end.isoformat(),
            "coverage_end": (c.cancelled_on or c.end).isoformat(), "currency": c.currency,
            "unit_price": str(c.unit_price), "total": str(c.total),
            "total_try": str(c.total_try),
            "renewal_due_on": c.renewal_due_on.isoformat() if c.renewal_due_on else None,
            "renewal_notified": c.renewal_notified}


class ContractReports:
    def __init__(self, session, settings):
        self.db, self.settings = session, settings

    def renewals(self, query):
        """Active or expired contracts (not renewed, not cancelled) whose end falls in the
        months from `end_from` to `end_to`, by end date then id; paged."""
        start, end = month_range(query["end_from"], query["end_to"])
        # On SQLite (no statistics) the status goes through coalesce, which no index serves:
        # given an indexable status it read every active contract by the status index and
        # sorted them (280 ms at 100k contracts); so the (end, id) index gives the order and
        # the page stops after 51 renewable rows. PostgreSQL, which knows how common the
        # statuses are, gets the plain IN: through coalesce it guessed 1 % renewable, read the
        # whole month by a bitmap and sorted it (1,800 rows, 3-11 ms at 100k, growing with
        # the data) instead of the same ordered scan (51 rows, 0.1 ms)
        renewable = Contract.status.in_(domain.RENEWABLE)
        if self.db.get_bind().dialect.name == "sqlite":
            renewable = func.coalesce(Contract.status, "").in_(domain.RENEWABLE)
        stmt = select(*RENEWAL_COLUMNS).where(Contract.end < end, renewable)
        if query["cursor"]:
            day, after = decode_cursor(query["cursor"], str, int)
            day = date.fromisoformat(day)
            # the cursor's day as the range's start and a row value after it: the index range
            # begins at the cursor (an OR of the two conditions began at the window's start
            # and walked, on SQLite, every contract before the cursor: deeper pages, slower)
            stmt = stmt.where(Contract.end >= max(start, day),
                              tuple_(Contract.end, Contract.id) > tuple_(day, after))
        else:
            stmt = stmt.where(Contract.end >= start)
        rows = self.db.execute(stmt.order_by(Contract.end, Contract.id).limit(
            query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda c: [c.end.isoformat(), c.id])
        return {"items": [renewal_out(c) for c in page], "next_cursor": cursor}

    def revenue(self, query):
        """Installments due from `from` to `to` (months), summed in TRY: `scheduled` (every
        installment: invoiced ones at their invoice's amount, the others at the contract's
        rate), `invoiced`, `paid`; grouped by due month, customer or contract."""
        start, end = month_range(query["date_from"], query["date_to"])
        rows = self.db.execute(select(
            Installment.due_on, Installment.amount, Installment.status,
            Installment.amount_try, Contract.id, Contract.number, Contract.customer_id,
            Contract.customer_name, Contract.rate).join(
            Contract, Contract.id == Installment.contract_id).where(
            Installment.due_on >= start, Installment.due_on < end)).all()
        groups = {}
        zero = Decimal("0.00")
        for due, amount, status, amount_try, cid, number, customer_id, name, rate in rows:
            key, label = {"month": (due.strftime("%Y-%m"), due.strftime("%Y-%m")),
                          "customer": (customer_id, name),
                          "contract": (cid, number)}[query["group_by"]]
            g = groups.setdefault(key, {"key": key, "label": label, "installments": 0,
                                        "scheduled": zero, "invoiced": zero, "paid": zero})
            value = amount_try if amount_try is not None else domain.money(amount * rate)
            g["installments"] += 1
            g["scheduled"] += value
            if status in ("invoiced", "paid"):
                g["invoiced"] += value
            if status == "paid":
                g["paid"] += value
        items = sorted(groups.values(), key=lambda g: (str(g["key"]) if query["group_by"]
                                                       == "month" else -g["scheduled"]))
        totals = {k: sum((g[k] for g in items), zero) for k in ("scheduled", "invoiced",
                                                                   "paid")}
        money = ("scheduled", "invoiced", "paid")
        return {"from": query["date_from"], "to": query["date_to"], "currency": "TRY",
                "group_by": query["group_by"],
                "items": [{**g, **{k: str(g[k]) for k in money}} for g in items],
                "totals": {k: str(v) for k, v in totals.items()}}
