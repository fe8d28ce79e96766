"""Reads of the device archive that page and sort: customers, device cards, a card's history,
what covers a card on a date, and the intake answer forms stores. Nothing here writes."""
import json

from sqlalchemy import or_, select, tuple_

from services.common.exceptions import invalid
from services.common.schemas import (INVALID_CURSOR, OTHER_SORT, decode_cursor, like_pattern,
                                     page_of)
from services.common.text import fold
from services.devices import domain
from services.devices.archive import find_customer, find_device, periods_of
from services.devices.catalogues import DeviceTypes
from services.common.personal import rows
from services.devices.models import (Contact, CoveragePeriod, Customer, Device, DeviceHistory,
                                     DeviceType, Site)
from services.devices.schemas import CustomerOut, DeviceOut

DEVICE_OUT, CUSTOMER_OUT, CUSTOMERS_OUT = DeviceOut(), CustomerOut(), CustomerOut(many=True)
TOP = chr(0x10FFFF)  # above every character: the end of a prefix range


def customer_out(customer):
    return CUSTOMER_OUT.dump(customer)


def card(device, customer_name=None):
    out = DEVICE_OUT.dump(device)
    out["customer_name"] = customer_name
    out["warranty_end_month"] = out["warranty_end"][:7] if out["warranty_end"] else None
    out["contract_end_month"] = out["contract_end"][:7] if out["contract_end"] else None
    return out


def coverage_out(answer):
    return {**{k: domain.jsonable(v) for k, v in answer.items() if k != "also"},
            "name": domain.KIND_NAMES[answer["kind"]],
            "also": [{k: domain.jsonable(v) for k, v in a.items()} for a in answer["also"]]}


class DeviceQueries:
    def __init__(self, session):
        self.db = session

    # -- customers -----------------------------------------------------------------------
    def customer(self, customer_id):
        return customer_out(find_customer(self.db, customer_id))

    def customers(self, query):
        stmt = select(Customer)
        if query["q"]:
            pattern = like_pattern(fold(query["q"]))
            stmt = stmt.where(or_(Customer.name_folded.like(pattern, escape="\\"),
                                  Customer.tax_no.like(pattern, escape="\\")))
        if query["cursor"]:
            last_sort, last_id = decode_cursor(query["cursor"], str, int)
            stmt = stmt.where(tuple_(Customer.name_sort, Customer.id) > tuple_(last_sort, last_id))
        rows = self.db.scalars(stmt.order_by(Customer.name_sort, Customer.id)
                               .limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda c: [c.name_sort, c.id])
        return {"items": CUSTOMERS_OUT.dump(page), "next_cursor": cursor}

    # -- device cards --------------------------------------------------------------------
    def device(self, device_id):
        return self.card_of(find_device(self.db, device_id))

    def card_of(self, device):
        return card(device, self.db.scalar(select(Customer.name).where(
            Customer.id == device.customer_id)))

    def history(self, device_id, query):
        """Every change to the card, newest first."""
        find_device(self.db, device_id)
        stmt = select(DeviceHistory).where(DeviceHistory.device_id == device_id)
        if query["cursor"]:
            (last_id,) = decode_cursor(query["cursor"], int)
            stmt = stmt.where(DeviceHistory.id < last_id)
        rows = self.db.scalars(stmt.order_by(DeviceHistory.id.desc())
                               .limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda h: [h.id])
        return {"items": [{"id": h.id, "action": h.action, "changes": json.loads(h.changes),
                           "by": {"id": h.by_id, "name": h.by_name}, "at": h.at.isoformat()}
                          for h in page], "next_cursor": cursor}

    def devices(self, query):
        """Cards filtered, sorted (id, serial, or a coverage end, ascending or with '-'
        descending) and paged with a cursor. Sorting by an end date lists the cards that have
        one."""
        stmt = select(Device, Customer.name).join(Customer, Customer.id == Device.customer_id)
        if query["serial"]:
            stmt = stmt.where(Device.serial_key == fold(query["serial"]))
        if query["serial_prefix"]:
            prefix = fold(query["serial_prefix"])
            stmt = stmt.where(Device.serial_key >= prefix, Device.serial_key < prefix + TOP)
        if query["customer_id"] is not None:
            stmt = stmt.where(Device.customer_id == query["customer_id"])
        if query["brand"]:
            stmt = stmt.where(Device.brand_key == fold(query["brand"]))
        if query["model"]:
            stmt = stmt.where(Device.model_key == fold(query["model"]))
        if query["device_type"]:
            stmt = stmt.where(Device.device_type == DeviceTypes(self.db).code(
                query["device_type"], allow_inactive=True))
        if query["insured"] is not None:
            stmt = stmt.where(Device.insured.is_(query["insured"]))
        for name in domain.END_COLUMN.values():
            column = getattr(Device, name)
            if query[f"{name}_from"]:
                stmt = stmt.where(column >= query[f"{name}_from"])
            if query[f"{name}_to"]:
                stmt = stmt.where(column <= query[f"{name}_to"])
        sort = query["sort"].lstrip("-")
        descending = query["sort"].startswith("-")
        key = {"id": Device.id, "serial": Device.serial_key}.get(sort) or getattr(Device, sort)
        if sort not in ("id", "serial"):
            stmt = stmt.where(key.is_not(None))
        if query["cursor"]:
            after = cursor_values(query["cursor"], query["sort"])
            columns = (Device.id,) if sort == "id" else (key, Device.id)
            stmt = stmt.where(tuple_(*columns) < tuple_(*after) if descending
                              else tuple_(*columns) > tuple_(*after))
        order = (key.desc(), Device.id.desc()) if descending else (key, Device.id)
        if sort == "id":
            order = order[:1]
        rows = self.db.execute(stmt.order_by(*order).limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda r: (
            [query["sort"], r[0].id] if sort == "id"
            else [query["sort"], domain.jsonable(getattr(r[0], key.key)), r[0].id]))
        return {"items": [card(d, name) for d, name in page], "next_cursor": cursor}

    # -- coverage ------------------------------------------------------------------------
    def coverage(self, device_id, day=None):
        """What covers the device on a date (default: today in Türkiye), and every period."""
        device = find_device(self.db, device_id)
        day = day or domain.local_today()
        periods = periods_of(self.db, device.id)
        return {"device_id": device.id, "version": device.version, "on": day.isoformat(),
                "coverage": coverage_out(domain.coverage_on(periods, day)),
                "periods": [{"kind": p.kind, "name": domain.KIND_NAMES[p.kind],
                             "source_id": p.source_id, "source_ref": p.source_ref,
                             "start": p.start.isoformat(), "end": p.end.isoformat(),
                             "terms": p.terms}
                            for p in periods]}

    def intake(self, customer, device, registered, day=None):
        """What forms stores on a new form: the customer, the device and its coverage on the
        day (default: today in Türkiye)."""
        answer = domain.coverage_on(periods_of(self.db, device.id),
                                    day or domain.local_today())
        kind = self.db.get(DeviceType, device.device_type) if device.device_type else None
        return {"customer": domain.customer_snapshot(customer),
                "device": {**domain.device_snapshot(device),
                           # names, not codes, on the form's papers and e-mails
                           "device_type_name": ({"tr": kind.name_tr, "en": kind.name_en}
                                                if kind else None),
                           "insured": bool(device.insured), "insurer": device.insurer,
                           "policy_no": device.policy_no},
                "registered": registered, "coverage": coverage_out(answer)}


def cursor_values(cursor, sort):
    """The values a cursor made for `sort` holds; one made for another sort is a 422."""
    column = sort.lstrip("-")
    types = (str, int) if column == "id" else (str, str, int)
    values = decode_cursor(cursor, *types)
    if values[0] != sort:
        raise invalid(cursor=[OTHER_SORT])
    if column not in ("id", "serial"):
        try:
            values[1] = domain.date.fromisoformat(values[1])
        except ValueError:
            raise invalid(cursor=[INVALID_CURSOR])
    return values[1:]


def personal_data(session, customer_id):
    """What devices holds about a customer (KVKK export): the card, its sites and contact
    persons, its device cards with their coverage and history. 404 for an unknown customer."""
    find_customer(session, customer_id)
    devices = select(Device.id).where(Device.customer_id == customer_id)
    return {"customer": rows(session, Customer, Customer.id == customer_id,
                             exclude=("name_folded", "name_sort"))[0],
            "sites": rows(session, Site, Site.customer_id == customer_id),
            "contacts": rows(session, Contact, Contact.customer_id == customer_id),
            "devices": rows(session, Device, Device.customer_id == customer_id,
                            exclude=("brand_key", "serial_key", "model_key")),
            "coverage_periods": rows(session, CoveragePeriod,
                                     CoveragePeriod.device_id.in_(devices)),
            "device_history": rows(session, DeviceHistory, DeviceHistory.device_id.in_(devices))}
