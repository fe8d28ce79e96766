"""portal: the customer's side of Servis — service requests (with photos) waiting for staff
review, and the customer-visible timeline of their forms (a projection fed by forms' events,
answering with forms stopped).

The nameko entrypoints only load the input, ask devices or forms what the write needs (with
no transaction open), call the application layer (workflow.py for requests, timeline.py for
the projection, queries.py for reads — each through the customer scope), commit, and
answer."""
from services.common.db import Database
from services.common.handlers import handles
from services.common.heartbeat import Heartbeat
from services.common.outbox import Outbox
from services.common.rpc import ServiceClient, rpc
from services.common.schemas import load
from services.common.settings import Settings
from services.common.erasure import settle
from services.common.exceptions import NotFound
from services.common.personal import checked_id
from services.portal.domain import NO_TRACKING, TOKEN_LONGEST
from services.common.erasure import erase_strings
from services.portal.erasure import erase_customer, remove_files
from services.portal.models import Base
from services.portal.photos import PhotoStore
from services.portal.queries import PortalQueries, personal_data
from services.portal.schemas import (AcceptIn, Actor, DeclineIn, FormsQuery, RequestIn,
                                     RequestQuery)
from services.portal.settings import PortalSettings
from services.portal.timeline import Timeline
from services.portal.workflow import (RequestWorkflow, own_card, request_customer,
                                     staff_actor)


class PortalService:
    name = "portal"
    heartbeat = Heartbeat()  # the container's liveness (deploy/probe.py)

    db = Database(Base.metadata)
    outbox = Outbox("db")
    settings = Settings(PortalSettings)
    storage = PhotoStore()
    devices = ServiceClient("devices", "DEVICES_RPC_TIMEOUT")
    forms = ServiceClient("forms", "FORMS_RPC_TIMEOUT", default=15.0)

    @property
    def workflow(self):
        return RequestWorkflow(self.db, self.outbox.emitter(self.db), self.storage)

    @property
    def queries(self):
        return PortalQueries(self.db, self.storage)

    @property
    def timeline(self):
        return Timeline(self.db)

    @rpc
    def ping(self):
        return "portal"

    # -- service requests ----------------------------------------------------------------------
    @rpc
    def submit_request(self, data, actor):
        """A customer's request (their own customer whatever the body says): one of their
        cards (another customer's: 404) or a new device as typed, photos checked first."""
        data, actor = load(RequestIn, data), load(Actor, actor)
        customer_id = request_customer(data, actor)
        card = None
        if data["device_id"] is not None:
            card = own_card(self.devices, customer_id, data["device_id"])
        stored = self.workflow.store_photos(customer_id, data["photos"])
        row = self.workflow.submit(customer_id, data, actor, stored, card)
        self.db.commit()
        return self.queries.request(row.id, actor)

    @rpc
    def get_request(self, request_id, actor):
        return self.queries.request(request_id, load(Actor, actor))

    @rpc
    def list_requests(self, query, actor):
        return self.queries.requests(load(RequestQuery, query), load(Actor, actor))

    @rpc
    def get_photo(self, request_id, photo_id, actor):
        return self.queries.photo(request_id, photo_id, load(Actor, actor))

    @rpc
    def accept_request(self, request_id, data, actor):
        """Staff accept: forms opens the form (source portal) and the request shows its
        number; forms' refusal (e.g. a serial of another customer's card) puts it back."""
        data, actor = load(AcceptIn, data), load(Actor, actor)
        spec = self.workflow.claim(request_id, data, actor)
        self.db.commit()
        try:
            form = self.forms.call("create_form", spec, staff_actor(actor))
        except Exception:
            self.workflow.release(request_id)
            self.db.commit()
            raise
        self.workflow.accepted(request_id, form, actor)
        self.db.commit()
        return self.queries.request(request_id, actor)

    @rpc
    def decline_request(self, request_id, data, actor):
        data, actor = load(DeclineIn, data), load(Actor, actor)
        self.workflow.decline(request_id, data, actor)
        self.db.commit()
        return self.queries.request(request_id, actor)

    # -- the customer's forms (the projection) -------------------------------------------------
    @rpc
    def my_forms(self, query, actor):
        return self.queries.forms(load(FormsQuery, query), load(Actor, actor))

    @rpc
    def my_form(self, form_id, actor):
        return self.queries.form(form_id, load(Actor, actor))

    @rpc
    def tracking(self, token):
        """The form behind a tracking link (no account: the link is the key), as portal's
        projection shows it to the customer. forms says which form a token opens (forged,
        revoked and expired: 404); a form not yet in the projection answers the same 404."""
        if not isinstance(token, str) or not 0 < len(token) <= TOKEN_LONGEST:
            raise NotFound(NO_TRACKING)  # never one of forms' tokens: not asked
        try:
            form_id = self.forms.call("tracked_form", token)["form_id"]
            return self.queries.form(form_id, None)
        except NotFound:
            raise NotFound(NO_TRACKING)

    @rpc
    def personal_data(self, customer_id):
        """What portal holds about the customer (KVKK export)."""
        return personal_data(self.db, checked_id(customer_id))

    @rpc
    def get_photo_file(self, photo_id):
        """A photo's bytes by its id alone, for the KVKK export (the gateway asks for the
        photos `personal_data` listed; admin only there)."""
        return self.queries.photo_file(photo_id)

    @handles("devices", "customer_erased")
    def handle_customer_erased(self, event):
        keys = erase_customer(self.db, event)  # KVKK: services/portal/erasure.py
        self.db.commit()
        settle(self.db)
        remove_files(self.storage, keys)

    @handles("devices", "contact_erased")
    def handle_contact_erased(self, event):
        """KVKK: a contact person's strings scrubbed from every table
        (services/common/erasure.py)."""
        erase_strings(self.db, Base.metadata, event)
        self.db.commit()
        settle(self.db)

    @handles("forms", "form_created")
    def handle_form_created(self, event):
        self.timeline.form_created(event)

    @handles("forms", "form_status_changed")
    def handle_form_status_changed(self, event):
        self.timeline.status_changed(event)

    @handles("forms", "price_approval_requested")
    def handle_price_approval_requested(self, event):
        self.timeline.price_requested(event)

    @handles("forms", "price_approval_decided")
    def handle_price_approval_decided(self, event):
        self.timeline.price_decided(event)

    @handles("forms", "form_completed")
    def handle_form_completed(self, event):
        self.timeline.completed(event)

    @handles("forms", "form_closed")
    def handle_form_closed(self, event):
        self.timeline.closed(event)

    @handles("forms", "form_reopened")
    def handle_form_reopened(self, event):
        self.timeline.reopened(event)
