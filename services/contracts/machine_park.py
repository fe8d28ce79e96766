"""Machine-park (makine parkı) checks of a customer site: the form listing every device the
archive has at the site (serial, model, location, under contract or not, condition boxes,
notes, signature lines) for the on-site check, and its results entered back — present,
missing, and devices found that the archive did not have (registered with devices by the
service before the write) — with the differences listed."""
from sqlalchemy import select

from services.common.exceptions import Conflict, NotFound, invalid
from services.common.models import utcnow
from services.common.schemas import is_id
from services.contracts import domain
from services.contracts.models import (Contract, ContractDevice, MachineParkCheck,
                                       MachineParkItem)
from services.contracts.workflow import check_version


def find_check(session, check_id):
    row = session.get(MachineParkCheck, check_id) if is_id(check_id) else None
    if row is None:
        raise NotFound("Machine-park check {id} not found.", {"id": check_id})
    return row


def items_of(session, check_id):
    return session.scalars(select(MachineParkItem).where(
        MachineParkItem.check_id == check_id).order_by(MachineParkItem.id)).all()


def check_out(check, items):
    out = {"id": check.id, "version": check.version, "status": check.status,
           "customer": {"id": check.customer_id, "name": check.customer_name},
           "site": {"id": check.site_id, "name": check.site_name}, "language": check.language,
           "created_at": check.created_at.isoformat(),
           "done_at": check.done_at.isoformat() if check.done_at else None,
           "items": [{"id": i.id, "device_id": i.device_id, "brand": i.brand, "model": i.model,
                      "serial": i.serial, "under_contract": i.under_contract,
                      "result": i.result, "condition": i.condition, "note": i.note}
                     for i in items]}
    out["differences"] = {
        "missing": [i for i in out["items"] if i["result"] == "missing"],
        "new": [i for i in out["items"] if i["result"] == "new"],
        "unchecked": [i for i in out["items"] if i["result"] is None]}
    return out


class MachinePark:
    def __init__(self, session, settings, desk):
        self.db, self.settings, self.desk = session, settings, desk

    def open(self, data, actor, customer, cards):
        """A check of `customer`'s site `data.site_id` over `cards` (devices' cards of the
        customer); its form (PDF) asked for in the same transaction."""
        site = next((s for s in customer.get("sites") or [] if s["id"] == data["site_id"]),
                    None)
        if site is None:
            raise invalid(site_id=[("Customer {customer_id} has no site {site_id}.",
                                    {"customer_id": customer["id"],
                                     "site_id": data["site_id"]})])
        at_site = [c for c in cards if c.get("site_id") == site["id"]]
        check = MachineParkCheck(customer_id=customer["id"], customer_name=customer["name"],
                                 site_id=site["id"], site_name=site["name"], status="open",
                                 version=1, language=data["language"],
                                 created_by_name=actor.get("name"))
        self.db.add(check)
        self.db.flush()
        live = self._under_contract([c["id"] for c in at_site])
        for c in at_site:
            self.db.add(MachineParkItem(check_id=check.id, device_id=c["id"], brand=c["brand"],
                                        model=c.get("model"), serial=c["serial"],
                                        under_contract=live.get(c["id"])))
        self.db.flush()
        self.desk.request(self.db, subject="machine_park", subject_id=check.id,
                          kind="machine_park", occasion="form",
                          number=f"MP-{check.customer_id}-{check.site_id}-{check.id}",
                          language=check.language, actor=actor)
        return check

    def _under_contract(self, device_ids):
        """{device id: the number of its active contract today}."""
        if not device_ids:
            return {}
        today = domain.local_date(self.settings.clock.now())
        rows = self.db.execute(select(ContractDevice.device_id, Contract.number).join(
            Contract, Contract.id == ContractDevice.contract_id).where(
            ContractDevice.device_id.in_(device_ids), Contract.status == domain.ACTIVE,
            Contract.start <= today, Contract.end >= today)).all()
        return dict(rows)

    def check_results(self, check_id, data):
        """The check, if it is open and the version read is current, and every device named
        is one of its own (422 naming the line otherwise) — before anything is registered."""
        check = find_check(self.db, check_id)
        check_version(check, data["version"])
        if check.status != "open":
            raise Conflict("Machine-park check {id} is done already.", {"id": check.id})
        own = {i.device_id for i in items_of(self.db, check.id)}
        bad = {str(n): {"device_id": ["Not a device of this check."]}
               for n, r in enumerate(data["items"]) if r["device_id"] not in own}
        if bad:
            raise invalid(items=bad)
        return check

    def record(self, check_id, data, registered):
        """The results: each device present or missing (with its condition and a note);
        `registered` [(card, note)] the devices found that the archive did not have."""
        check = self.check_results(check_id, data)
        by_device = {i.device_id: i for i in items_of(self.db, check.id)}
        for r in data["items"]:
            item = by_device[r["device_id"]]
            item.result = "present" if r["present"] else "missing"
            item.condition, item.note = r["condition"], r["note"]
        for card, note in registered:
            self.db.add(MachineParkItem(check_id=check.id, device_id=card["id"],
                                        brand=card["brand"], model=card.get("model"),
                                        serial=card["serial"], result="new", note=note))
        check.status, check.done_at = "done", utcnow()
        check.version = data["version"] + 1
        self.db.flush()
        return check

    def context(self, check_id):
        check = self.db.get(MachineParkCheck, check_id)
        out = check_out(check, items_of(self.db, check.id))
        return {"check": {"customer_name": check.customer_name,
                          "site_name": check.site_name}, "items": out["items"]}
