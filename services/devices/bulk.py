"""The import's bulk path: a batch of parsed rows applied with set-based statements.

The row path (archive.py `Archive.import_row`, one row per SAVEPOINT through the ORM) is the
reference; this module gives the same rows, errors and events
(services/devices/tests/application/test_bulk_import.py compares them on SQLite and
PostgreSQL). How:

1. Read what the batch needs in a few statements: the customers it names (by tax number; by
   folded name among those without one), their sites, the cards it names (by serial key) with
   their manufacturer-warranty periods, the owners of those cards, the device types.
2. Walk the rows in file order over that state, deciding each row fully before it changes
   anything (a row that fails leaves nothing behind, as its SAVEPOINT would): the customer it
   matches, creates or fills; the site; the card — new, unchanged, or refused (another
   customer's) — and its warranty. Each row sees the rows before it, as in the row path.
3. Write what was decided with multi-row statements: INSERT … RETURNING for customers, sites
   and cards (SQLAlchemy's "insertmanyvalues": one INSERT with many VALUES rows per 1,000 on
   SQLite and PostgreSQL), executemany UPDATEs for filled customers (guarded by the version
   read), multi-row INSERTs for periods, history and the outbox (events built and validated
   as the outbox validates them, in the order the row path emits them).

A row whose existing card would change (a re-import with new values) is handed to the row
path in the middle of the batch, in its own SAVEPOINT, after what was decided before it is
written: its rules (history of each field, versions, derived ends) are the archive's, and a
re-import that changes nothing never gets there. A customer changed by someone else since it
was read (its version moved) raises `Contended`: the runner redoes the batch row by row."""
import json
from types import SimpleNamespace

from sqlalchemy import bindparam, insert, select, update

from services.common.events import make_events
from services.common.exceptions import ServisError, ValidationFailed, field_message
from services.common.models import OutboxMessage, utcnow
from services.common.outbox import add_event
from services.common.text import fold, sort_key
from services.devices import domain
from services.devices.archive import CARD_FIELDS, Archive, RowError
from services.devices.catalogues import DeviceTypes
from services.devices.models import CoveragePeriod, Customer, Device, DeviceHistory, Site

IMPORT_ACTOR = {"id": None, "name": "import"}
PAUSE_EVERY = 20  # rows: ~6 ms of work between two pauses
CUSTOMER_COLUMNS = ("id", "name", "name_folded", "tax_no", "address", "phone", "email", "city",
                    "district", "language", "rep_user_id", "rep_name", "rep_email",
                    "rep_language", "report_frequency", "version")
DEVICE_COLUMNS = ("id", "customer_id", "site_id", "brand", "brand_key", "serial", "serial_key",
                  "model", "device_type", "price", "currency", "purchase_date", "vendor",
                  "insured", "insurer", "policy_no", "notes", "version")
BLANKS = ("tax_no", "phone", "email", "address", "city", "district")  # what a file may fill
OWNED_ELSEWHERE = ("{brand} {serial} is registered to customer {owner_name} (#{owner_id}); "
                   "move the device explicitly.")


# The batch's reads, built once; the lists go in as expanding parameters (an `in_()` of a
# Python list coerces each of its thousand values on every call).
_CUSTOMER = [getattr(Customer, c) for c in CUSTOMER_COLUMNS]
BY_TAX = select(*_CUSTOMER).where(
    Customer.tax_no.in_(bindparam("taxes", expanding=True))).order_by(Customer.id)
BY_NAME = select(*_CUSTOMER).where(
    Customer.tax_no.is_(None), Customer.name_folded.in_(bindparam("names", expanding=True))
).order_by(Customer.id)
SITES = select(Site.id, Site.customer_id, Site.name).where(
    Site.customer_id.in_(bindparam("ids", expanding=True))).order_by(Site.id)
CARDS = select(*[getattr(Device, c) for c in DEVICE_COLUMNS]).where(
    Device.serial_key.in_(bindparam("keys", expanding=True)))
WARRANTIES = select(CoveragePeriod.device_id, CoveragePeriod.start, CoveragePeriod.end,
                    CoveragePeriod.closed).where(
    CoveragePeriod.device_id.in_(bindparam("ids", expanding=True)),
    CoveragePeriod.kind == domain.MANUFACTURER_WARRANTY,
    CoveragePeriod.source_id.is_(None)).order_by(CoveragePeriod.id)
OWNERS = select(Customer.id, Customer.name).where(
    Customer.id.in_(bindparam("ids", expanding=True)))


class Contended(Exception):
    """A record this batch read was changed by another writer before the batch wrote it."""


class _Fallback(Exception):
    """This row goes through the row path."""


def _ns(row):
    return SimpleNamespace(**row._asdict())


def parts(rows, size, pause):
    """`rows` in slices of `size` (None: all in one), `pause()` called between two."""
    size = size or len(rows) or 1
    for i in range(0, len(rows), size):
        if i:
            pause()
        yield rows[i:i + size]


class BulkImport:
    """One batch over one session (the caller commits). `apply(batch)` takes
    [(row_no, (row, errors))] as importing.parse made them and returns
    [(row_no, outcome or None, errors or None)], outcome created/updated/unchanged."""

    def __init__(self, session, kind="devices", actor=IMPORT_ACTOR, pause=None, chunk=None):
        self.db = session
        self.kind = kind
        # called every PAUSE_EVERY rows and between statements: the runner lets the running
        # workers finish there (they read on connections of their own: db.Reader)
        self.pause = pause or (lambda: None)
        # rows per statement when writing (None: the whole batch in one): the runner cuts
        # the batch's writes into short ones with a pause between, so a lookup waits for one
        # short statement, not for the batch's (a statement never yields on SQLite, and
        # making a long one is CPU on both)
        self.chunk = chunk
        self.actor = actor
        self.types = DeviceTypes(session)
        self.by_tax, self.no_tax = {}, {}  # tax_no -> customer; folded name -> [customers]
        self.devices = {}  # (brand_key, serial_key) -> card as read (with .periods)
        self.owners = {}  # customer id -> name, for the refusal naming a card's owner
        self.created_keys = set()  # cards registered by this batch
        self._large = False  # what is being read or written is a batch's worth (_between)
        self._pending()

    def _pending(self):
        self.new_customers, self.changed_customers = [], {}
        self.new_sites, self.new_cards, self.events = [], [], []

    def _between(self):
        """A pause between two statements of a batch's reads or writes, when there is a
        batch's worth of them: a row handed to the row path reads and writes one row (a pause
        there, which waits for readers, would be paid several times per row)."""
        if self._large:
            self.pause()

    def _chunks(self, rows):
        """`rows` cut into the statements' chunks, with a pause between two."""
        return parts(rows, self.chunk, self.pause)

    def _insert(self, table, rows, returning=None):
        """A multi-row INSERT of `rows` in chunks; the ids in the rows' order when
        `returning` names the id column."""
        if returning is None:
            for part in self._chunks(rows):
                self.db.execute(insert(table), part)
            return None
        stmt = insert(table).returning(returning, sort_by_parameter_order=True)
        return [i for part in self._chunks(rows) for i in self.db.scalars(stmt, part).all()]

    # -- 1. read -------------------------------------------------------------------------
    def _read(self, rows):
        self._large = len(rows) >= PAUSE_EVERY
        taxes = {r["customer"].get("tax_no") for r in rows} - {None}
        names = {fold(r["customer"]["name"]) for r in rows}
        found = []
        if taxes:
            found += self.db.execute(BY_TAX, {"taxes": list(taxes)}).all()
        found += self.db.execute(BY_NAME, {"names": list(names)}).all()
        self._between()  # between the reads too: on SQLite none of them yields
        customers = {}
        for row in found:
            c = customers[row.id] = _ns(row)
            c.read_version, c.sites, c.new = c.version, [], False
            self._index(c)
        for site in self.db.execute(SITES, {"ids": list(customers)}) if customers else ():
            customers[site.customer_id].sites.append(SimpleNamespace(id=site.id, name=site.name))
        if self.kind != "devices":
            return
        keys = {domain.device_key(r["device"]["brand"], r["device"]["serial"]) for r in rows}
        self._between()
        cards = self.db.execute(CARDS, {"keys": list({s for _, s in keys})}).all()
        self._between()
        by_id = {}
        for row in cards:
            if (row.brand_key, row.serial_key) in keys:
                d = by_id[row.id] = _ns(row)
                d.periods = []
                self.devices[(row.brand_key, row.serial_key)] = d
        if by_id:
            for p in self.db.execute(WARRANTIES, {"ids": list(by_id)}):
                by_id[p.device_id].periods.append(p)
            self._between()
            owner_ids = {d.customer_id for d in by_id.values()}
            self.owners.update(self.db.execute(OWNERS, {"ids": list(owner_ids)}).all())

    def _index(self, c):
        if c.tax_no:
            self.by_tax.setdefault(c.tax_no, c)
        else:
            self.no_tax.setdefault(c.name_folded, []).append(c)

    # -- 2. decide -----------------------------------------------------------------------
    def apply(self, batch):
        good = [row for _, (row, errors) in batch if row is not None]
        if good:
            self._read(good)
        results = []
        for i, (row_no, (row, errors)) in enumerate(batch):
            if i % PAUSE_EVERY == PAUSE_EVERY - 1:
                self.pause()
            if row is None:
                results.append((row_no, None, errors))
                continue
            try:
                outcome = self._row(row)
            except RowError as exc:
                results.append((row_no, None, exc.errors))
                continue
            except _Fallback:
                outcome, errors = self._by_the_row_path(row)
                results.append((row_no, outcome, errors))
                continue
            results.append((row_no, outcome, None))
        self._write()
        return results

    def _match(self, spec):
        """The customer the row path's Archive.match_customer finds, as things stand."""
        found = self.by_tax.get(spec["tax_no"]) if spec.get("tax_no") else None
        if found is None:
            same = self.no_tax.get(fold(spec["name"]))
            found = same[0] if same else None
        return found

    def _row(self, row):
        spec_c = row["customer"]
        customer = self._match(spec_c)
        blanks = {}
        if customer is not None:
            blanks = {k: spec_c[k] for k in BLANKS
                      if spec_c.get(k) is not None and getattr(customer, k) is None}
            tax = blanks.get("tax_no")
            other = self.by_tax.get(tax) if tax else None
            if other is not None and other is not customer:
                raise RowError({"_row": [field_message(
                    "Tax number {tax_no} belongs to customer {owner_name} (#{owner_id}).",
                    {"tax_no": tax, **domain.owner_details(other)})]})
        if self.kind == "customers":
            return self._commit_customer(customer, spec_c, blanks)[1]
        spec_d = dict(row["device"])
        site_name = spec_d.pop("site", None)
        site = None
        if site_name and customer is not None:
            site = next((s for s in customer.sites if fold(s.name) == fold(site_name)), None)
        key = domain.device_key(spec_d["brand"], spec_d["serial"])
        if key in self.created_keys:
            raise _Fallback()
        card = self.devices.get(key)
        if card is None:
            values = {k: spec_d.get(k) for k in CARD_FIELDS if k in spec_d}
            try:
                values["device_type"] = self.types.code(values.get("device_type"))
            except ValidationFailed as exc:
                raise RowError(exc.details or {"_row": [exc.message]})
            customer, outcome = self._commit_customer(customer, spec_c, blanks)
            if site_name:
                if site is None:  # a change of the customer, unless this row created it
                    site = self._new_site(customer, site_name, announce=outcome != "created")
                values["site_id"] = site
            self._register(customer, values, spec_d, key)
            return "created"
        if customer is None or card.customer_id != customer.id:
            owner = SimpleNamespace(id=card.customer_id, name=self.owners[card.customer_id])
            raise RowError({"serial": [field_message(
                OWNED_ELSEWHERE, domain.owner_conflict_details(card, owner))]})
        if site_name and site is None:
            raise _Fallback()  # a new site: the card moves to it
        values = {k: spec_d[k] for k in CARD_FIELDS if spec_d.get(k) is not None}
        values.pop("brand", None), values.pop("serial", None)
        if site is not None:
            values["site_id"] = site.id
        if "device_type" in values:
            try:
                values["device_type"] = self.types.code(values["device_type"],
                                                        current=card.device_type)
            except ValidationFailed:
                raise _Fallback()
        if domain.diff(card, values) or self._warranty_changes(card, spec_d):
            raise _Fallback()
        return self._commit_customer(customer, spec_c, blanks)[1]

    def _warranty_changes(self, card, spec):
        if not spec.get("warranty_end"):
            return False
        start, end = spec.get("warranty_start") or spec["purchase_date"], spec["warranty_end"]
        period = next((p for p in card.periods if p.start == start), None)
        if period is None:
            return True
        if period.closed and end >= period.end:
            return False
        return (period.start, period.end) != (start, end)

    # -- what a decided row changes --------------------------------------------------------
    def _commit_customer(self, customer, spec, blanks):
        """The row's customer created or filled: (customer, the row's outcome so far)."""
        if customer is None:
            data = {k: v for k, v in spec.items() if v is not None}
            c = SimpleNamespace(id=None, name=data["name"], name_folded=fold(data["name"]),
                                language=data.get("language", "tr"), rep_user_id=None,
                                rep_name=None, rep_email=None, rep_language="tr",
                                report_frequency="none", version=1,
                                read_version=None, sites=[], new=True,
                                **{k: data.get(k) for k in BLANKS})
            self.new_customers.append(c)
            self._index(c)
            self.events.append(("customer_created", c, self._snapshot(c)))
            return c, "created"
        if not blanks:
            return customer, "unchanged"
        if blanks.get("tax_no"):
            same = self.no_tax.get(customer.name_folded, [])
            if customer in same:
                same.remove(customer)
        for k, v in blanks.items():
            setattr(customer, k, v)
        if blanks.get("tax_no"):
            self._index(customer)
        customer.version += 1
        if not customer.new:
            self.changed_customers[id(customer)] = customer
        self.events.append(("customer_updated", customer, self._snapshot(customer)))
        return customer, "updated"

    @staticmethod
    def _snapshot(c):
        return {k: getattr(c, k) for k in ("name", "email", "language", "tax_no", "rep_user_id",
                                           "rep_name", "rep_email", "rep_language",
                                           "report_frequency", "version")}

    def _new_site(self, customer, name, announce):
        """A site added to the customer; as Archive.site_named: for a customer this row did
        not create, its version goes up and customer_updated goes out."""
        site = SimpleNamespace(id=None, name=name, customer=customer)
        customer.sites.append(site)
        self.new_sites.append(site)
        if announce:
            customer.version += 1
            if not customer.new:
                self.changed_customers[id(customer)] = customer
            self.events.append(("customer_updated", customer, self._snapshot(customer)))
        return site

    def _register(self, customer, values, spec, key):
        card = SimpleNamespace(id=None, customer=customer, values=values, key=key,
                               warranty=None)
        if spec.get("warranty_end"):
            card.warranty = (spec.get("warranty_start") or spec["purchase_date"],
                             spec["warranty_end"])
        self.new_cards.append(card)
        self.created_keys.add(key)
        self.events.append(("device_registered", card, None))
        if card.warranty:
            self.events.append(("device_coverage_changed", card, None))

    # -- a row the row path applies -----------------------------------------------------------
    def _by_the_row_path(self, row):
        """Write what was decided so far, then the row through Archive.import_row in its own
        SAVEPOINT (its errors caught as the runner's row path catches them); then read its
        customer and card again."""
        self._write()
        archive = Archive(self.db, self._emit)
        errors = outcome = None
        try:
            with self.db.begin_nested():
                outcome = archive.import_row(row, self.actor)
        except RowError as exc:
            errors = exc.errors
        except ValidationFailed as exc:
            errors = exc.details or {"_row": [exc.message]}
        except ServisError as exc:
            errors = {"_row": [exc.message]}
        self.db.flush()
        # later reads come from the database: an object of the identity map would hold a
        # version a multi-row UPDATE of this batch has moved on
        self.db.expunge_all()
        self._forget(row)
        self._read([row])
        return outcome, errors

    def _forget(self, row):
        """Drop what this batch knew of the row's customer and card (read again after the row
        path changed them)."""
        spec = row["customer"]
        matched = self._match(spec)
        for tax in {spec.get("tax_no"), getattr(matched, "tax_no", None)} - {None}:
            self.by_tax.pop(tax, None)
        self.no_tax.pop(fold(spec["name"]), None)
        if row.get("device"):
            self.devices.pop(domain.device_key(row["device"]["brand"], row["device"]["serial"]),
                             None)

    def _emit(self, event_type, payload):
        add_event(self.db, "devices", event_type, payload)

    # -- 3. write ----------------------------------------------------------------------------
    def _write(self):
        now = utcnow()
        self._large = (len(self.new_customers) + len(self.changed_customers) + len(
            self.new_cards) + len(self.events)) >= PAUSE_EVERY
        if self.new_customers:
            ids = self._insert(Customer.__table__, [{
                "name": c.name, "name_folded": c.name_folded, "name_sort": sort_key(c.name),
                **{k: getattr(c, k) for k in BLANKS}, "language": c.language,
                "rep_language": "tr", "report_frequency": c.report_frequency,
                "version": c.version, "created_at": now,
                "updated_at": now} for c in self.new_customers], Customer.id)
            for c, new_id in zip(self.new_customers, ids):
                c.id, c.new, c.read_version = new_id, False, c.version
        if self.changed_customers:
            changed = list(self.changed_customers.values())
            result = self.db.execute(
                update(Customer.__table__).where(Customer.id == bindparam("b_id"),
                                                 Customer.version == bindparam("b_read"))
                .values(**{k: bindparam(k) for k in BLANKS}, version=bindparam("b_version"),
                        updated_at=now),
                [{"b_id": c.id, "b_read": c.read_version, "b_version": c.version,
                  **{k: getattr(c, k) for k in BLANKS}} for c in changed])
            if result.rowcount not in (len(changed), -1):
                raise Contended()
            for c in changed:
                c.read_version = c.version
        self._between()
        if self.new_sites:
            ids = self._insert(Site.__table__, [{"customer_id": s.customer.id, "name": s.name}
                                                for s in self.new_sites], Site.id)
            for s, new_id in zip(self.new_sites, ids):
                s.id = new_id
        if self.new_cards:
            self._write_cards(now)
            self._between()
        if self.events:
            rows = self._outbox_rows(now)
            self._between()
            self._insert(OutboxMessage.__table__, rows)
        self._pending()

    def _write_cards(self, now):
        rows = []
        for card in self.new_cards:
            v = dict(card.values)
            if isinstance(v.get("site_id"), SimpleNamespace):
                v["site_id"] = v["site_id"].id
            card.values = v
            brand_key, serial_key = card.key
            rows.append({
                "customer_id": card.customer.id, "site_id": v.get("site_id"),
                "brand": v["brand"], "brand_key": brand_key, "serial": v["serial"],
                "serial_key": serial_key, "model": v.get("model"),
                "model_key": domain.model_key(v.get("model")),
                "device_type": v.get("device_type"), "price": v.get("price"),
                "currency": v.get("currency") or "TRY", "purchase_date": v.get("purchase_date"),
                "vendor": v.get("vendor"), "insured": bool(v.get("insured")),
                "insurer": v.get("insurer"), "policy_no": v.get("policy_no"),
                "notes": v.get("notes"), "warranty_end": card.warranty[1] if card.warranty
                else None,
                # the row path writes the warranty's end in an UPDATE after the INSERT, which
                # raises the card's version: a card registered with a warranty is at 2
                "version": 2 if card.warranty else 1, "created_at": now, "updated_at": now})
        ids = self._insert(Device.__table__, rows, Device.id)
        self._between()
        by_id, by_name = self.actor.get("id"), self.actor.get("name")
        history, periods = [], []
        for card, new_id, row in zip(self.new_cards, ids, rows):
            card.id = new_id
            card.snapshot = {"id": new_id, "customer_id": row["customer_id"],
                             "brand": row["brand"], "model": row["model"],
                             "device_type": row["device_type"], "serial": row["serial"]}
            history.append({"device_id": new_id, "action": "registered", "by_id": by_id,
                            "by_name": by_name, "at": now, "changes": domain.history_json(
                                {k: [None, domain.jsonable(v)] for k, v in card.values.items()
                                 if v is not None})})
            if card.warranty:
                start, end = card.warranty
                periods.append({"device_id": new_id, "kind": domain.MANUFACTURER_WARRANTY,
                                "source_id": None, "source_ref": None, "start": start,
                                "end": end, "closed": False, "created_at": now})
                history.append({"device_id": new_id, "action": "coverage", "by_id": by_id,
                                "by_name": by_name, "at": now, "changes": domain.history_json(
                                    {"kind": domain.MANUFACTURER_WARRANTY, "source_id": None,
                                     "start": [None, start.isoformat()],
                                     "end": [None, end.isoformat()]})})
        if periods:
            self._insert(CoveragePeriod.__table__, periods)
            self._between()
        self._insert(DeviceHistory.__table__, history)

    def _outbox_rows(self, now):
        """The batch's events in the order the row path emits them, each validated strictly
        (make_events: one schema pass per event type over the batch)."""
        payloads = [(event_type, self._payload(event_type, subject, snap))
                    for event_type, subject, snap in self.events]
        made = {}
        for event_type in {t for t, _ in payloads}:
            of_type = [p for t, p in payloads if t == event_type]
            made[event_type] = iter([e for part in self._chunks(of_type)
                                     for e in make_events(event_type, "devices", part)])
            self._between()
        rows = []
        for event_type, _ in payloads:
            event = next(made[event_type])
            rows.append({"event_id": event["event_id"], "event_type": event_type,
                         "body": json.dumps(event), "created_at": now})
        return rows

    @staticmethod
    def _payload(event_type, subject, snap):
        if event_type in ("customer_created", "customer_updated"):
            return domain.customer_event(SimpleNamespace(id=subject.id, **snap))
        if event_type == "device_registered":
            return {"device": subject.snapshot}
        start, end = subject.warranty
        return {"device_id": subject.id, "coverage": {
            "kind": domain.MANUFACTURER_WARRANTY, "source_id": None, "start": start, "end": end}}
