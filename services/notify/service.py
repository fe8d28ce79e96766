"""notify: every event that needs an e-mail becomes messages in the delivery log (one per
recipient, in the recipient's language), written in the same transaction as the processed-event
row; the sender (sender.py) delivers them, with retries. Never lost: the event is acked only
after that commit. Never twice: the message id is stable per (event, recipient) and unique in
the log. The application layer is deliveries.py."""
import uuid

from nameko.timer import timer

from services.common.db import Database
from services.common.erasure import settle
from services.common.handlers import handles
from services.common.heartbeat import Heartbeat
from services.common.outbox import Outbox
from services.common.personal import Subject
from services.common.rpc import rpc
from services.common.schemas import load
from services.common.settings import Settings
from services.notify.deliveries import (DeliveryLog, drop_old_bodies, erase_contact,
                                        erase_customer, personal_data)
from services.notify.mailer import Mailer
from services.notify.models import Base
from services.common.models import utcnow
from services.notify.schemas import DeliveryOut, DeliveryQuery, PasswordResetIn
from services.notify.sender import Sender
from services.notify.settings import NotifySettings


RETENTION_CHECK_SECONDS = 3600


class NotifyService:
    name = "notify"
    heartbeat = Heartbeat()  # the container's liveness (deploy/probe.py)

    db = Database(Base.metadata)
    outbox = Outbox("db")
    mailer = Mailer()
    sender = Sender()
    settings = Settings(NotifySettings)

    @property
    def log(self):
        return DeliveryLog(self.db, self.settings)

    @rpc
    def ping(self):
        return "notify"

    # -- the delivery log ------------------------------------------------------------------
    @rpc
    def deliveries_for_form(self, form_id):
        return self.log.for_form(form_id)

    @rpc
    def list_deliveries(self, query=None):
        return self.log.page(load(DeliveryQuery, query))

    @rpc
    def personal_data(self, subject):
        """The delivery log's messages about a customer (KVKK export): `subject` names the
        customer, their forms, contracts and addresses (services/common/personal.py)."""
        return personal_data(self.db, load(Subject, subject))

    @rpc
    def resend(self, delivery_id):
        delivery = self.log.resend(delivery_id)
        self.db.commit()
        self.sender.wake()
        return DeliveryOut().dump(delivery)

    @rpc
    def send_password_reset(self, data):
        """A reset-by-e-mail link (the gateway's accounts): one message in the delivery log,
        sent like every other. The link is a secret: it lives in this message only."""
        data = load(PasswordResetIn, data)
        kind = data.pop("kind")
        self.log.log_event({"event_id": str(uuid.uuid4()),
                            "event_type": "password_reset_requested" if kind == "reset"
                            else "portal_invitation_requested",
                            "occurred_at": utcnow(), **data})
        self.db.commit()
        self.sender.wake()
        return {"queued": True}

    # -- events: each becomes its messages -------------------------------------------------
    def _log(self, event):
        self.log.log_event(event)
        self.sender.wake()  # when this worker ends, after the commit

    @timer(interval=RETENTION_CHECK_SECONDS)
    def drop_old_bodies(self):
        """The retention setting, hourly: sent messages older than MAIL_BODY_RETENTION_DAYS
        lose their bytes (services/notify/deliveries.py)."""
        dropped = drop_old_bodies(self.db, self.settings.body_retention_days, utcnow())
        self.db.commit()
        if dropped:
            settle(self.db)
        return dropped

    @handles("devices", "customer_erased")
    def handle_customer_erased(self, event):
        erase_customer(self.db, event)  # KVKK: services/notify/deliveries.py
        self.db.commit()
        settle(self.db)

    @handles("devices", "contact_erased")
    def handle_contact_erased(self, event):
        """KVKK: the messages to the contact person's address lose their bytes, their strings
        are scrubbed (services/notify/deliveries.py)."""
        erase_contact(self.db, event)
        self.db.commit()
        settle(self.db)

    @handles("forms", "form_created")
    def handle_form_created(self, event):
        self._log(event)

    @handles("forms", "form_assigned")
    def handle_form_assigned(self, event):
        self._log(event)

    @handles("forms", "price_approval_requested")
    def handle_price_approval_requested(self, event):
        self._log(event)

    @handles("forms", "price_approval_decided")
    def handle_price_approval_decided(self, event):
        self._log(event)

    @handles("forms", "satisfaction_low")
    def handle_satisfaction_low(self, event):
        self._log(event)

    @handles("forms", "form_completed")
    def handle_form_completed(self, event):
        self._log(event)

    @handles("forms", "form_closed")
    def handle_form_closed(self, event):
        self._log(event)

    @handles("forms", "form_reopened")
    def handle_form_reopened(self, event):
        self._log(event)

    @handles("forms", "damage_report_issued")
    def handle_damage_report_issued(self, event):
        self._log(event)

    @handles("forms", "periodic_report_issued")
    def handle_periodic_report_issued(self, event):
        self._log(event)

    @handles("contracts", "insurance_notice_issued")
    def handle_insurance_notice_issued(self, event):
        self._log(event)

    @handles("contracts", "proposal_sent")
    def handle_proposal_sent(self, event):
        self._log(event)

    @handles("contracts", "contract_renewal_due")
    def handle_contract_renewal_due(self, event):
        self._log(event)

    @handles("contracts", "contract_invoice_due")
    def handle_contract_invoice_due(self, event):
        self._log(event)

    @handles("contracts", "maintenance_due")
    def handle_maintenance_due(self, event):
        self._log(event)
