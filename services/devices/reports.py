"""Reports over the installed base: cards by customer, customers by brand and model, cards by
what covers them on a date. Reads only, paged with cursors."""
from sqlalchemy import exists, func, select, tuple_

from services.common.schemas import decode_cursor, page_of
from services.common.text import fold
from services.devices import domain
from services.devices.models import CoveragePeriod, Customer, Device
from services.devices.queries import card, coverage_out


class DeviceReports:
    def __init__(self, session):
        self.db = session

    def by_customer(self, query):
        """Every card, by customer in Turkish alphabetical order (müşteri sıralı cihaz
        raporu)."""
        stmt = select(Device, Customer.name, Customer.name_sort).join(
            Customer, Customer.id == Device.customer_id)
        if query["customer_id"] is not None:
            stmt = stmt.where(Device.customer_id == query["customer_id"])
        if query["cursor"]:
            last_sort, last_customer, last_id = decode_cursor(query["cursor"], str, int, int)
            stmt = stmt.where(Customer.name_sort >= last_sort, tuple_(
                Customer.name_sort, Device.customer_id, Device.id) > tuple_(
                last_sort, last_customer, last_id))
        rows = self.db.execute(stmt.order_by(Customer.name_sort, Device.customer_id, Device.id)
                               .limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda r: [r[2], r[0].customer_id, r[0].id])
        return {"items": [card(d, name) for d, name, _ in page], "next_cursor": cursor}

    def by_model(self, query):
        """Which customers have which brand/model, and how many (cihaz modeli sıralı rapor)."""
        model_key = func.coalesce(Device.model_key, "")
        stmt = (select(Device.brand_key, model_key.label("mk"), Device.customer_id,
                       func.min(Device.brand), func.min(Device.model), Customer.name,
                       Customer.name_sort, func.count())
                .join(Customer, Customer.id == Device.customer_id)
                .group_by(Device.brand_key, model_key, Device.customer_id, Customer.name,
                          Customer.name_sort))
        if query["brand"]:
            stmt = stmt.where(Device.brand_key == fold(query["brand"]))
        if query["model"]:
            stmt = stmt.where(Device.model_key == fold(query["model"]))
        if query["cursor"]:
            b, m, s, c = decode_cursor(query["cursor"], str, str, str, int)
            stmt = stmt.where(Device.brand_key >= b, tuple_(
                Device.brand_key, model_key, Customer.name_sort, Device.customer_id) > tuple_(
                b, m, s, c))
        rows = self.db.execute(stmt.order_by(Device.brand_key, model_key, Customer.name_sort,
                                             Device.customer_id)
                               .limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda r: [r[0], r[1], r[6], r[2]])
        return {"items": [{"brand": r[3], "model": r[4], "customer_id": r[2],
                           "customer_name": r[5], "devices": r[7]} for r in page],
                "next_cursor": cursor}

    def by_coverage(self, query):
        """Cards by what covers them on a date — the coverage a service form opened that day
        would get (domain.PRECEDENCE): manufacturer warranty, repair warranty, contract, or none.
        Each card is in exactly one status; `also` lists the other covers that hold."""
        day = query["on"] or domain.local_today()
        holds = (select(CoveragePeriod.id).where(CoveragePeriod.device_id == Device.id,
                                                 CoveragePeriod.start <= day,
                                                 CoveragePeriod.end >= day))
        if query["status"] == domain.NONE:
            stmt = select(Device, Customer.name).where(~exists(holds))
        else:
            rank = domain.PRECEDENCE.index(query["status"])
            stmt = select(Device, Customer.name).where(
                exists(holds.where(CoveragePeriod.kind == query["status"])),
                *[~exists(holds.where(CoveragePeriod.kind == better))
                  for better in domain.PRECEDENCE[:rank]])
        stmt = stmt.join(Customer, Customer.id == Device.customer_id)
        if query["customer_id"] is not None:
            stmt = stmt.where(Device.customer_id == query["customer_id"])
        if query["cursor"]:
            (last_id,) = decode_cursor(query["cursor"], int)
            stmt = stmt.where(Device.id > last_id)
        rows = self.db.execute(stmt.order_by(Device.id).limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda r: [r[0].id])
        periods = {}
        ids = [d.id for d, _ in page]
        for p in (self.db.scalars(select(CoveragePeriod).where(
                CoveragePeriod.device_id.in_(ids))) if ids else ()):
            periods.setdefault(p.device_id, []).append(
                domain.Period(p.kind, p.start, p.end, p.source_id, p.source_ref))
        return {"on": day.isoformat(), "items": [
            {**card(d, name), "coverage": coverage_out(
                domain.coverage_on(periods.get(d.id, []), day))} for d, name in page],
            "next_cursor": cursor}
