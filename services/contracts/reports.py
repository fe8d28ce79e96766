"""contracts' reports: the renewal list (contracts ending in a window of months)."""
from datetime import date

from sqlalchemy import select

from services.common.schemas import decode_cursor, page_of
from services.contracts import domain
from services.contracts.models import Contract
from services.contracts.queries import contract_out


def month_range(first, last):
    y1, m1 = map(int, first.split("-"))
    y2, m2 = map(int, (last or first).split("-"))
    start = date(y1, m1, 1)
    end = domain.add_months(date(y2, m2, 1), 1)
    return start, end  # [start, end)


class ContractReports:
    def __init__(self, session, settings):
        self.db, self.settings = session, settings

    def renewals(self, query):
        """Active or expired contracts (not renewed, not cancelled) whose end falls in the
        months from `end_from` to `end_to`, by end date then id; paged."""
        start, end = month_range(query["end_from"], query["end_to"])
        stmt = select(Contract).where(Contract.end >= start, Contract.end < end,
                                      Contract.status.in_(domain.RENEWABLE))
        if query["cursor"]:
            day, after = decode_cursor(query["cursor"], str, int)
            day = date.fromisoformat(day)
            stmt = stmt.where((Contract.end > day) | ((Contract.end == day)
                                                      & (Contract.id > after)))
        rows = self.db.scalars(stmt.order_by(Contract.end, Contract.id).limit(
            query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda c: [c.end.isoformat(), c.id])
        return {"items": [contract_out(c) for c in page], "next_cursor": cursor}
