"""The application layer of service devices: the archive's write rules over one database
session, shared by the RPC entrypoints, the event handlers and the import job — customers,
cards, coverage periods, history, and intake for a new service form. Events go through
`emit(event_type, payload)` (the outbox, in the same transaction). The caller commits."""
import json
import logging
from datetime import timedelta

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from services.common import access
from services.common.exceptions import (Conflict, NotFound, PreconditionRequired,
                                        ValidationFailed, field_message, invalid)
from services.common.erasure import MARKER
from services.common.models import utcnow
from services.common.schemas import is_id
from services.common.text import fold, sort_key
from services.devices import domain
from services.devices.catalogues import DeviceTypes
from services.devices.models import Contact, CoveragePeriod, Customer, Device, DeviceHistory, Site

ERASED_CUSTOMER = ("Customer {customer_id}'s personal data was erased (KVKK): no new form can "
                   "be opened for them.")

log = logging.getLogger(__name__)
CUSTOMER_FIELDS = ("name", "tax_no", "address", "city", "district", "phone", "email", "language",
                   "rep_user_id", "rep_name", "rep_email", "rep_language", "report_frequency")
IMPORT_BLANKS = ("tax_no", "phone", "email", "address", "city", "district")  # a file fills them
CARD_FIELDS = ("brand", "serial", "model", "device_type", "site_id", "price", "currency",
               "purchase_date", "vendor", "insured", "insurer", "policy_no", "notes")


class RowError(Exception):
    """An import row that cannot go in: {field: [messages]}."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


def _who(actor):
    return (actor or {}).get("id"), (actor or {}).get("name")


def find_customer(session, customer_id):
    customer = session.get(Customer, customer_id) if is_id(customer_id) else None
    if customer is None:
        raise NotFound("Customer {customer_id} not found.", {"customer_id": customer_id})
    return customer


def find_device(session, device_id):
    device = session.get(Device, device_id) if is_id(device_id) else None
    if device is None:
        raise NotFound("Device {device_id} not found.", {"device_id": device_id})
    return device


def periods_of(session, device_id):
    return [domain.Period(p.kind, p.start, p.end, p.source_id, p.source_ref,
                          json.loads(p.terms) if p.terms else None)
            for p in session.scalars(select(CoveragePeriod).where(
                CoveragePeriod.device_id == device_id).order_by(CoveragePeriod.start,
                                                                CoveragePeriod.id))]


def kind_is_contract(event_type):
    return event_type in ("contract_activated", "contract_expired")


class Archive:
    def __init__(self, session, emit):
        self.db = session
        self.emit = emit
        self.types = DeviceTypes(session)
        self._customers = {}  # import: customers matched in this unit of work

    # -- lookups -------------------------------------------------------------------------
    def customer(self, customer_id):
        return find_customer(self.db, customer_id)

    def device(self, device_id):
        return find_device(self.db, device_id)

    def device_by_key(self, brand, serial):
        brand_key, serial_key = domain.device_key(brand, serial)
        return self.db.scalars(select(Device).where(Device.brand_key == brand_key,
                                                    Device.serial_key == serial_key)).first()

    def already_registered(self, device):
        owner = self.db.get(Customer, device.customer_id)
        return Conflict("Device {brand} {serial} is already registered to customer "
                        "{owner_name} (#{owner_id}).", domain.owner_conflict_details(device, owner))

    def check_site(self, customer_id, site_id):
        if site_id is None:
            return
        site = self.db.get(Site, site_id)
        if site is None or site.customer_id != customer_id:
            raise invalid(site_id=[("Customer {customer_id} has no site {site_id}.",
                                    {"customer_id": customer_id, "site_id": site_id})])

    def periods(self, device_id):
        return periods_of(self.db, device_id)

    # -- customers -----------------------------------------------------------------------
    def check_tax_no(self, tax_no, customer_id=None):
        """A tax number names one customer: a second one is a 409 naming the first."""
        if not tax_no:
            return
        other = self.db.scalars(select(Customer).where(Customer.tax_no == tax_no,
                                                       Customer.id != (customer_id or 0))).first()
        if other is not None:
            raise Conflict("Tax number {tax_no} belongs to customer {owner_name} (#{owner_id}).",
                           {"tax_no": tax_no, **domain.owner_details(other)})

    def create_customer(self, data):
        self.check_tax_no(data.get("tax_no"))
        sites, contacts = data.pop("sites", []), data.pop("contacts", [])
        customer = Customer(**data, name_folded=fold(data["name"]),
                            name_sort=sort_key(data["name"]), version=1)
        customer.sites = [Site(**s) for s in sites]
        customer.contacts = [Contact(**c) for c in contacts]
        self.db.add(customer)
        self.db.flush()
        self.emit("customer_created", domain.customer_event(customer))
        return customer

    def edit_customer(self, customer, data, actor=None):
        """A client's change to a customer; `version` (the one read) is required: a customer
        changed since is a 409 instead of a silent overwrite. The representative and the
        e-mail addresses (the customer's and its contacts') change only by a manager or an
        admin (services/common/access.py); `actor` None: the system itself."""
        version = data.pop("version", None)
        if version is None:
            raise PreconditionRequired("State the version of the customer you read (`version`).",
                                       {"version": customer.version})
        if version != customer.version:
            raise Conflict("Customer {customer_id} was changed since version {given} (now "
                           "{version}); read it again.", {"customer_id": customer.id,
                                                          "version": customer.version,
                                                          "given": version})
        if actor is not None:
            access.check_customer_fields(actor, self._guarded_changes(customer, data))
        return self.update_customer(customer, data)

    @staticmethod
    def _guarded_changes(customer, data):
        changed = [k for k in access.CUSTOMER_GUARDED_FIELDS
                   if k in data and data[k] != getattr(customer, k)]
        if "contacts" in data and sorted(c.get("email") or "" for c in data["contacts"]) != \
                sorted(c.email or "" for c in customer.contacts):
            changed.append("contacts.email")
        return changed

    def update_customer(self, customer, data):
        """Change the fields given; True when something changed (customer_updated goes out
        and the version goes up by one). The import fills blanks through here too."""
        changed = False
        values = {k: v for k, v in data.items() if k in CUSTOMER_FIELDS}
        if "tax_no" in values:
            self.check_tax_no(values["tax_no"], customer.id)
        if domain.diff(customer, values):
            for k, v in values.items():
                setattr(customer, k, v)
            customer.name_folded, customer.name_sort = fold(customer.name), sort_key(customer.name)
            changed = True
        if "sites" in data:
            changed |= self._replace_sites(customer, data["sites"])
        if "contacts" in data:
            new = [(c["name"], c.get("title"), c.get("phone"), c.get("email"))
                   for c in data["contacts"]]
            if new != [(c.name, c.title, c.phone, c.email) for c in customer.contacts]:
                customer.contacts = [Contact(**c) for c in data["contacts"]]
                changed = True
        if changed:
            customer.updated_at = utcnow()
            customer.version += 1
            self.db.flush()
            self.emit("customer_updated", domain.customer_event(customer))
        return changed

    def _replace_sites(self, customer, sites):
        """Sites matched by name (folded) keep their id, so the cards at them stay put; a site
        that cards still stand at cannot go."""
        old = {fold(s.name): s for s in customer.sites}
        keep, changed = [], False
        for spec in sites:
            site = old.pop(fold(spec["name"]), None)
            if site is None:
                site, changed = Site(**spec), True
            elif (site.name, site.address, site.city) != (spec["name"], spec.get("address"),
                                                         spec.get("city")):
                site.name, site.address, site.city = spec["name"], spec.get("address"), spec.get(
                    "city")
                changed = True
            keep.append(site)
        for gone in old.values():
            used = self.db.scalars(select(Device.id).where(Device.site_id == gone.id)).first()
            if used is not None:
                raise Conflict("Site '{site}' still has devices (e.g. #{device_id}); move them "
                               "first.", {"site_id": gone.id, "site": gone.name, "device_id": used})
            changed = True
        customer.sites = keep
        return changed

    def site_named(self, customer, name, new_customer=False):
        """The customer's site of that name (folded), added when new — a change of an existing
        customer like any other: its version goes up and customer_updated goes out (a
        customer created for this very row is announced with its site already)."""
        for site in customer.sites:
            if fold(site.name) == fold(name):
                return site
        site = Site(name=name)
        customer.sites.append(site)
        if not new_customer:
            customer.updated_at = utcnow()
            customer.version += 1
        self.db.flush()
        if not new_customer:
            self.emit("customer_updated", domain.customer_event(customer))
        return site

    # -- cards -----------------------------------------------------------------------------
    def register_card(self, data, actor=None):
        """A new card for a customer; a (brand, serial) already in the archive is a 409 naming
        its owner (also when another worker registered it at the same moment)."""
        customer = self.customer(data.pop("customer_id"))
        existing = self.device_by_key(data["brand"], data["serial"])
        if existing is not None:
            raise self.already_registered(existing)
        device, registered = self.register(customer, data, actor)
        if not registered:
            raise self.already_registered(device)
        return device

    def update_card(self, device, data, actor=None):
        """Change a card; `version` (the one read) is required: a card changed since is a 409
        instead of a silent overwrite."""
        self.stated(device, data.get("version"))
        self.update_device(device, data, actor)
        return device

    def stated(self, device, version):
        """A write to a card states the version it read: missing 428, stale 409."""
        if version is None:
            raise PreconditionRequired("State the version of the card you read (`version`).",
                                       {"version": device.version})
        if version != device.version:
            raise Conflict("Device {device_id} was changed since version {given} (now "
                           "{version}); read it again.",
                           {"device_id": device.id, "version": device.version, "given": version})

    def move_card(self, device_id, data, actor=None):
        """Move a card to another customer (and site); its history records it."""
        device = self.device(device_id)
        self.stated(device, data.get("version"))
        self.move(device, self.customer(data["customer_id"]), data["site_id"], data["note"],
                  actor, domain.local_today())
        return device

    def register(self, customer, spec, actor=None, race_safe=True):
        """A new card (and its manufacturer warranty, when given); returns (device, True), or
        (the card a concurrent worker registered first, False)."""
        values = {k: spec.get(k) for k in CARD_FIELDS if k in spec}
        values["device_type"] = self.types.code(values.get("device_type"))
        self.check_site(customer.id, values.get("site_id"))
        brand_key, serial_key = domain.device_key(spec["brand"], spec["serial"])
        device = Device(customer_id=customer.id, brand_key=brand_key, serial_key=serial_key,
                        model_key=domain.model_key(values.get("model")), version=1,
                        **{k: v for k, v in values.items() if v is not None})
        if not race_safe:  # the caller's savepoint handles a duplicate (import rows)
            self.db.add(device)
            self.db.flush()
            return self._registered(device, values, spec, actor), True
        try:
            with self.db.begin_nested():  # a failed insert rolls back alone
                self.db.add(device)
                self.db.flush()
        except IntegrityError:  # registered concurrently by another worker?
            existing = self.device_by_key(spec["brand"], spec["serial"])
            if existing is None:  # another constraint: not a duplicate card
                raise
            return existing, False
        return self._registered(device, values, spec, actor), True

    def _registered(self, device, values, spec, actor):
        self.history(device, "registered", {k: [None, domain.jsonable(v)]
                                            for k, v in values.items() if v is not None}, actor)
        self.emit("device_registered", {"device": domain.device_snapshot(device)})
        if spec.get("warranty_end"):
            self.add_period(device, domain.MANUFACTURER_WARRANTY,
                            spec.get("warranty_start") or spec["purchase_date"],
                            spec["warranty_end"], actor=actor, new_card=True)
        return device

    def update_device(self, device, values, actor=None):
        """Change the card's fields given; the changes (field -> [old, new]) go to history."""
        version = values.pop("version", None)
        if version is not None:
            self.stated(device, version)
        if "device_type" in values:
            values["device_type"] = self.types.code(values["device_type"],
                                                    current=device.device_type)
        if "site_id" in values:
            self.check_site(device.customer_id, values["site_id"])
        changes = domain.diff(device, values)
        if not changes:
            return changes
        if "brand" in changes or "serial" in changes:
            brand, serial = values.get("brand", device.brand), values.get("serial", device.serial)
            other = self.device_by_key(brand, serial)
            if other is not None and other.id != device.id:
                raise self.already_registered(other)
            device.brand_key, device.serial_key = domain.device_key(brand, serial)
        for field, value in values.items():
            setattr(device, field, value)
        device.model_key = domain.model_key(device.model)
        self.history(device, "updated", changes, actor)
        self.db.flush()
        return changes

    def move(self, device, customer, site_id, note, actor, today):
        """Move a card to another customer: the previous owner's maintenance contracts stop
        covering it (they end yesterday; ones not started yet are closed unused)."""
        self.check_site(customer.id, site_id)
        if device.customer_id == customer.id and device.site_id == site_id:
            return {}
        changes = domain.diff(device, {"customer_id": customer.id, "site_id": site_id})
        if note:
            changes["note"] = [None, note]
        moving_owner = device.customer_id != customer.id
        device.customer_id, device.site_id = customer.id, site_id
        self.history(device, "moved", changes, actor)
        self.emit("device_registered", {"device": domain.device_snapshot(device)})
        if moving_owner:
            for period in self.db.scalars(select(CoveragePeriod).where(
                    CoveragePeriod.device_id == device.id, CoveragePeriod.kind == domain.CONTRACT,
                    CoveragePeriod.end >= today)).all():
                if period.start >= today:  # not started yet: it never covers this card
                    self.remove_period(device, period, actor)
                else:
                    self.add_period(device, domain.CONTRACT, period.start,
                                    today - timedelta(days=1), period.source_id,
                                    period.source_ref, actor, close=True)
        return changes

    def history(self, device, action, changes, actor):
        by_id, by_name = _who(actor)
        self.db.add(DeviceHistory(device_id=device.id, action=action, by_id=by_id,
                                  by_name=by_name, changes=domain.history_json(changes)))

    # -- coverage --------------------------------------------------------------------------
    def add_coverage(self, device_id, data, actor=None):
        """Record a period by hand (e.g. an extended warranty bought later): a manager or an
        admin any kind, the contracts role `contract` periods only (access.py)."""
        device = self.device(device_id)
        if actor is not None:
            access.check_coverage_kind(actor, data["kind"])
        self.stated(device, data.get("version"))
        self.add_period(device, data["kind"], data["start"], data["end"], data["source_id"],
                        data["source_ref"], actor)
        return device

    def add_period(self, device, kind, start, end, source_id=None, source_ref=None, actor=None,
                   close=False, new_card=False, terms=None):
        """Record a period of cover. A source (contract, form) has one period per device:
        given again, its dates are updated (a contract's changed end); a warranty from the card
        (no source) with the same start is updated, otherwise added. `close` ends it for good
        (a contract expired): a closed period is only ever shortened after, so a late or
        redelivered activation cannot undo an early end. Returns True on a change."""
        stmt = select(CoveragePeriod).where(CoveragePeriod.device_id == device.id,
                                            CoveragePeriod.kind == kind)
        stmt = (stmt.where(CoveragePeriod.source_id == source_id) if source_id is not None
                else stmt.where(CoveragePeriod.source_id.is_(None),
                                CoveragePeriod.start == start))
        period = None if new_card else self.db.scalars(stmt).first()
        if terms is not None:  # a contract's terms: kept on its period (not a change of cover)
            terms = json.dumps(terms, sort_keys=True)
            if period is not None and period.terms != terms:
                period.terms = terms
        if period is not None and period.closed:
            if end >= period.end:
                return False  # never extended again
            start = period.start
        if period is not None and (period.start, period.end) == (start, end):
            if close and not period.closed:
                period.closed = True
            return False
        if period is None:
            period = CoveragePeriod(device_id=device.id, kind=kind, source_id=source_id,
                                    source_ref=source_ref, start=start, end=end, closed=close,
                                    terms=terms)
            self.db.add(period)
            change = {"kind": kind, "source_id": source_id, "start": [None, start.isoformat()],
                      "end": [None, end.isoformat()]}
        else:
            change = {"kind": kind, "source_id": source_id,
                      "start": [period.start.isoformat(), start.isoformat()],
                      "end": [period.end.isoformat(), end.isoformat()]}
            period.start, period.end = start, end
            period.source_ref = source_ref or period.source_ref
            period.closed = period.closed or close
        if new_card:  # its only period: no need to read them back
            setattr(device, domain.END_COLUMN[kind], end)
            self.history(device, "coverage", change, actor)
            self.emit("device_coverage_changed", {"device_id": device.id, "coverage": {
                "kind": kind, "source_id": source_id, "start": start, "end": end}})
            return True
        self.db.flush()
        self._after_coverage_change(device, change, actor, {
            "kind": kind, "source_id": source_id, "start": start, "end": end})
        return True

    def remove_period(self, device, period, actor):
        change = {"kind": period.kind, "source_id": period.source_id,
                  "start": [period.start.isoformat(), None], "end": [period.end.isoformat(), None]}
        self.db.delete(period)
        self.db.flush()
        self._after_coverage_change(device, change, actor, None)

    def _after_coverage_change(self, device, change, actor, coverage):
        for column, value in domain.derived_ends(self.periods(device.id)).items():
            setattr(device, column, value)
        device.updated_at = utcnow()
        self.history(device, "coverage", change, actor)
        self.emit("device_coverage_changed", {"device_id": device.id, "coverage": coverage})

    # -- intake (forms) --------------------------------------------------------------------
    def intake(self, data):
        """The customer and the device of a new service form: a card picked by id, or found
        by (brand, serial), or registered now; returns (customer, device, registered). A
        device of another customer is a 409 naming the owner; an existing card is never
        overwritten."""
        customer = self.customer(data["customer_id"])
        if customer.name == MARKER:  # KVKK: the erasure's commit is the line (docs)
            raise Conflict(ERASED_CUSTOMER, {"customer_id": customer.id})
        registered = False
        if data["device_id"] is not None:
            device = self.device(data["device_id"])
        else:
            device = self.device_by_key(data["device"]["brand"], data["device"]["serial"])
            if device is None:
                device, registered = self.register(customer, data["device"])
        if device.customer_id != customer.id:
            raise self.already_registered(device)
        return customer, device, registered

    # -- import ----------------------------------------------------------------------------
    def match_customer(self, spec):
        """An import row's customer: by tax number; else (and for a tax number not known yet)
        by name among the customers without a tax number — as the database stands after the
        rows before. Remembered for the batch (a file lists a customer's devices one after
        another) while it still answers the same: still in the database (a customer created
        by a row that was rolled back is not), and still holding that tax number, or still
        without one."""
        key = (spec.get("tax_no"), fold(spec["name"]))
        found = self._customers.get(key)
        if found is None or not inspect(found).persistent or not (
                (key[0] and found.tax_no == key[0])
                or (found.tax_no is None and found.name_folded == key[1])):
            found = self._customers[key] = self._match_customer(spec)
        return found

    def _match_customer(self, spec):
        if spec.get("tax_no"):
            found = self.db.scalars(select(Customer).where(
                Customer.tax_no == spec["tax_no"]).order_by(Customer.id)).first()
            if found is not None:
                return found
        return self.db.scalars(select(Customer).where(
            Customer.name_folded == fold(spec["name"]), Customer.tax_no.is_(None))
            .order_by(Customer.id)).first()

    def _import_customer(self, spec_c):
        """The row's customer, matched, created or with its blanks filled: (customer,
        'created' | 'updated' | 'unchanged')."""
        customer = self.match_customer(spec_c)
        if customer is None:
            customer = self.create_customer({k: v for k, v in spec_c.items() if v is not None})
            self._customers[(spec_c.get("tax_no"), fold(spec_c["name"]))] = customer
            return customer, "created"
        # the file fills what the customer card lacks; it never renames or overwrites
        blanks = {k: v for k, v in spec_c.items()
                  if k in IMPORT_BLANKS and v is not None and getattr(customer, k) is None}
        if blanks and self.update_customer(customer, blanks):
            return customer, "updated"
        return customer, "unchanged"

    def import_row(self, row, actor=None):
        """One parsed import row: its customer matched by tax number (else by name) and its
        card by (brand, serial). Returns 'created', 'updated' or 'unchanged'; RowError when it
        cannot go in (nothing of it is written: the caller rolls the row back). A customers
        import's row has no device."""
        customer, outcome = self._import_customer(row["customer"])
        if row.get("device") is None:
            return outcome
        spec_d = dict(row["device"])
        site = spec_d.pop("site", None)
        if site:  # a customer created for this very row is announced with its site already
            spec_d["site_id"] = self.site_named(customer, site, outcome == "created").id
        try:
            device = self.device_by_key(spec_d["brand"], spec_d["serial"])
            if device is None:
                self.register(customer, spec_d, actor, race_safe=False)
                return "created"
            if device.customer_id != customer.id:
                owner = self.db.get(Customer, device.customer_id)
                raise RowError({"serial": [field_message(
                    "{brand} {serial} is registered to customer {owner_name} (#{owner_id}); "
                    "move the device explicitly.", domain.owner_conflict_details(device, owner))]})
            values = {k: spec_d[k] for k in CARD_FIELDS if spec_d.get(k) is not None}
            values.pop("brand", None), values.pop("serial", None)  # matched; spelling stays
            changed = bool(self.update_device(device, values, actor))
            if spec_d.get("warranty_end"):
                changed |= self.add_period(device, domain.MANUFACTURER_WARRANTY,
                                           spec_d.get("warranty_start")
                                           or spec_d["purchase_date"],
                                           spec_d["warranty_end"], actor=actor)
        except ValidationFailed as exc:
            raise RowError(exc.details or {"_row": [exc.message]})
        return "updated" if changed else outcome

    def import_contact(self, row):
        """A contacts import's row: the contact person of a customer already in the archive
        (matched as a devices import matches it), matched by name (folded) among its contacts:
        added when new, its empty title, phone and e-mail filled; never blanked, never
        renamed. A change is a change of the customer (its version, customer_updated)."""
        customer = self.match_customer(row["customer"])
        if customer is None:
            raise RowError({"customer_name": [field_message(
                "No customer in the archive matches this row (by tax number, else by name); "
                "import the customer first.")]})
        spec = row["contact"]
        contact = next((c for c in customer.contacts if fold(c.name) == fold(spec["name"])),
                       None)
        if contact is None:
            customer.contacts.append(Contact(**spec))
            outcome = "created"
        else:
            blanks = {k: v for k, v in spec.items() if v is not None and getattr(contact, k) is None}
            if not blanks:
                return "unchanged"
            for k, v in blanks.items():
                setattr(contact, k, v)
            outcome = "updated"
        customer.updated_at = utcnow()
        customer.version += 1
        self.db.flush()
        self.emit("customer_updated", domain.customer_event(customer))
        return outcome

    # -- events ----------------------------------------------------------------------------
    def coverage_from_event(self, event):
        """A contract's or a repair's periods onto the cards it names (contract_activated,
        contract_expired, form_completed); each card locked while it changes."""
        event_type = event["event_type"]
        source = {"id": None, "name": f"{event['producer']}:{event_type}"}
        terms = domain.contract_terms(event) if kind_is_contract(event_type) else None
        for device_id, kind, source_id, ref, start, end in domain.coverage_from_event(event):
            device = self.db.get(Device, device_id, with_for_update=True)  # one writer per card
            if device is None:
                log.warning("%s names unknown device %s; skipped", event_type, device_id)
                continue
            self.add_period(device, kind, start, end, source_id, ref, source,
                            close=event_type == "contract_expired", terms=terms)
