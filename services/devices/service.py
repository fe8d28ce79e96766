"""devices: the installed base — customers, device cards (cihaz kartı), their coverage and
history, the device-type catalogue, reports and CSV import.

The nameko entrypoints only load the input, call the application layer (archive.py for every
write to customers, cards and coverage; queries.py and reports.py for reads; catalogues.py;
importing.py for import jobs), commit, and answer."""
import eventlet

from services.common import access
from services.common.db import Database, Reader
from services.common.erasure import (ContactErasureIn, ErasureIn, erase_strings, needles_of,
                                     scrub, settle)
from services.common.handlers import handles
from services.common.heartbeat import Heartbeat
from services.common.outbox import Outbox
from services.common.rpc import rpc
from services.common.schemas import load
from services.devices.archive import Archive
from services.devices.erasure import erase_contact, erase_customer
from services.devices.catalogues import DeviceTypes, device_type_out, seed_catalogue
from services.devices.importing import ImportJobs, ImportRunner, job_out
from services.devices.models import Base
from services.devices.queries import DeviceQueries, customer_out, personal_data
from services.devices.reports import DeviceReports
from services.devices.schemas import (ByCoverageQuery, ByCustomerQuery, ByModelQuery,
                                      CoverageIn, CoverageQuery, CustomerIn, CustomerPatch,
                                      CustomerQuery, DeviceIn, DevicePatch, DeviceQuery,
                                      DeviceTypeIn, DeviceTypePatch, HistoryQuery, IntakeIn,
                                      MoveIn)


class DevicesService:
    name = "devices"
    heartbeat = Heartbeat()  # the container's liveness (deploy/probe.py)

    db = Database(Base.metadata, seed=seed_catalogue)
    # what only reads, on connections of its own on SQLite: a lookup during an import does not
    # wait for the batch holding the writing connection (services/common/db.py Reader)
    reads = Reader("db")
    outbox = Outbox("db")
    importer = ImportRunner("db", "outbox")

    @property
    def archive(self):
        return Archive(self.db, self.outbox.emitter(self.db))

    @property
    def queries(self):
        return DeviceQueries(self.db)

    @property
    def lookups(self):
        return DeviceQueries(self.reads)

    def _written(self, device):
        """Commit the write (a card changed by another worker since this one read it is a
        409: services/common/rpc.py stale_is_conflict); answer with the card as a reader
        sees it now."""
        self.db.commit()
        return self.queries.card_of(device)

    @rpc
    def ping(self):
        return "devices"

    # -- device-type catalogue -------------------------------------------------------------
    @rpc
    def list_device_types(self, include_inactive=False):
        return DeviceTypes(self.db).entries(include_inactive)

    @rpc
    def create_device_type(self, data):
        t = DeviceTypes(self.db).create(load(DeviceTypeIn, data))
        self.db.commit()
        return device_type_out(t)

    @rpc
    def update_device_type(self, code, data):
        t = DeviceTypes(self.db).update(code, load(DeviceTypePatch, data))
        self.db.commit()
        return device_type_out(t)

    # -- customers -------------------------------------------------------------------------
    @rpc
    def create_customer(self, data):
        customer = self.archive.create_customer(load(CustomerIn, data))
        self.db.commit()
        return customer_out(customer)

    @rpc
    def update_customer(self, customer_id, data, actor=None):
        archive = self.archive
        customer = archive.customer(customer_id)  # an unknown customer is a 404 before a 422
        archive.edit_customer(customer, load(CustomerPatch, data),
                              access.actor_of(actor))
        self.db.commit()
        return customer_out(customer)

    @rpc
    def get_customer(self, customer_id):
        return self.lookups.customer(customer_id)

    @rpc
    def find_customers(self, query=None):
        return self.lookups.customers(load(CustomerQuery, query or {}))

    @rpc
    def personal_data(self, customer_id):
        """What devices holds about the customer (KVKK export)."""
        return personal_data(self.db, customer_id)

    @rpc
    def erase_customer(self, customer_id, data, actor=None):
        """KVKK erasure: the customer's data replaced here, `customer_erased` to the others."""
        out = erase_customer(self.db, self.outbox.emitter(self.db), customer_id,
                             load(ErasureIn, data), access.actor_of(actor))
        self.db.commit()
        settle(self.db)
        return out

    @rpc
    def erase_contact(self, customer_id, contact_id, data, actor=None):
        """KVKK erasure of one contact person: their row here, `contact_erased` to the
        others; the customer's own data stays."""
        out = erase_contact(self.db, self.outbox.emitter(self.db), customer_id, contact_id,
                            load(ContactErasureIn, data or {}),
                            access.actor_of(actor))
        self.db.commit()
        settle(self.db)
        return out

    # -- device cards ----------------------------------------------------------------------
    @rpc
    def register_device(self, data, actor=None):
        return self._written(self.archive.register_card(load(DeviceIn, data), actor))

    @rpc
    def update_device(self, device_id, data, actor=None):
        archive = self.archive
        device = archive.device(device_id)  # an unknown card is a 404 before a 422
        return self._written(archive.update_card(device, load(DevicePatch, data), actor))

    @rpc
    def move_device(self, device_id, data, actor=None):
        return self._written(self.archive.move_card(device_id, load(MoveIn, data), actor))

    @rpc
    def get_device(self, device_id):
        return self.lookups.device(device_id)

    @rpc
    def device_history(self, device_id, query=None):
        return self.lookups.history(device_id, load(HistoryQuery, query or {}))

    @rpc
    def find_devices(self, query=None):
        return self.lookups.devices(load(DeviceQuery, query or {}))

    # -- coverage --------------------------------------------------------------------------
    @rpc
    def coverage(self, device_id, query=None):
        return self.lookups.coverage(device_id, load(CoverageQuery, query or {})["on"])

    @rpc
    def add_coverage(self, device_id, data, actor=None):
        device = self.archive.add_coverage(device_id, load(CoverageIn, data),
                                           access.actor_of(actor))
        self.db.commit()
        return self.queries.coverage(device.id)

    # -- intake (forms) --------------------------------------------------------------------
    @rpc
    def resolve_intake(self, data):
        """The customer, the device and its coverage today for a new service form: a card
        picked by id, or found by (brand, serial), or registered now. A device of another
        customer is a 409 naming the owner; an existing card is never overwritten."""
        data = load(IntakeIn, data)
        customer, device, registered = self.archive.intake(data)
        self.db.commit()
        return self.queries.intake(customer, device, registered, data["on"])

    # -- reports ---------------------------------------------------------------------------
    @rpc
    def report_by_customer(self, query=None):
        return DeviceReports(self.reads).by_customer(load(ByCustomerQuery, query or {}))

    @rpc
    def report_by_model(self, query=None):
        return DeviceReports(self.reads).by_model(load(ByModelQuery, query or {}))

    @rpc
    def report_by_coverage(self, query=None):
        return DeviceReports(self.reads).by_coverage(load(ByCoverageQuery, query or {}))

    # -- import ----------------------------------------------------------------------------
    @rpc
    def create_import(self, data, actor=None):
        """A new import job, receiving rows (add_import_rows) until start_import."""
        job = ImportJobs(self.db).create(data, actor)
        self.db.commit()
        return job_out(job)

    @rpc
    def add_import_rows(self, job_id, rows):
        received = ImportJobs(self.db, pause=eventlet.sleep).add_rows(job_id, rows)
        self.db.commit()
        return {"received": received}

    @rpc
    def discard_import(self, job_id):
        """Drop a job still receiving rows (its upload failed part-way)."""
        discarded = ImportJobs(self.db).discard(job_id)
        self.db.commit()
        return {"discarded": discarded}

    @rpc
    def start_import(self, job_id):
        jobs = ImportJobs(self.db)
        job = jobs.job(job_id)
        if jobs.queue(job):
            self.db.commit()
            self.importer.wake()
        return job_out(job)

    @rpc
    def get_import(self, job_id, query=None, actor=None):
        return ImportJobs(self.reads).progress(job_id, query or {},
                                            access.actor_of(actor))

    # -- events: coverage from contracts and forms -----------------------------------------
    @handles("contracts", "contract_activated")
    def handle_contract_activated(self, event):
        self.archive.coverage_from_event(event)

    @handles("contracts", "contract_expired")
    def handle_contract_expired(self, event):
        self.archive.coverage_from_event(event)

    @handles("forms", "form_completed")
    def handle_form_completed(self, event):
        self.archive.coverage_from_event(event)

    @handles("devices", "customer_erased")
    def handle_customer_erased(self, event):
        """Its own event, once published: the outbox row that carried it is scrubbed too."""
        scrub(self.db, Base.metadata, needles_of(event["personal"], event["marker"]))
        self.db.commit()
        settle(self.db)

    @handles("devices", "contact_erased")
    def handle_contact_erased(self, event):
        """Its own event, once published: the outbox row that carried it is scrubbed too."""
        erase_strings(self.db, Base.metadata, event)
        self.db.commit()
        settle(self.db)
