"""forms: service forms (servis formu) from intake on."""
import os

import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy
from sqlalchemy import select, text

from services.common.db import Database
from services.common.exceptions import NotFound, ServiceUnavailable
from services.common.outbox import Outbox
from services.common.rpc import rpc
from services.common.schemas import decode_cursor, encode_cursor, is_id, load
from services.common.text import sort_key
from services.forms import domain
from services.forms.models import Base, Form, FormHistory
from services.forms.schemas import Actor, FormIn, FormOut, FormQuery

# forms -> devices: the wait for an answer and the life of the request in devices' queue, so a
# request given up on is dropped by the broker instead of running later.
DEVICES_RPC_TIMEOUT = float(os.environ.get("DEVICES_RPC_TIMEOUT", "8"))

FORM_OUT, FORMS_OUT = FormOut(), FormOut(many=True)  # built once: ~10% of get_form's CPU

NEXT_NUMBER = text(
    "INSERT INTO number_sequences (year, last) VALUES (:year, 1) "
    "ON CONFLICT (year) DO UPDATE SET last = number_sequences.last + 1 RETURNING last")


class FormsService:
    name = "forms"

    db = Database(Base.metadata)
    outbox = Outbox("db")
    devices = RpcProxy("devices", expiration=DEVICES_RPC_TIMEOUT)

    @rpc
    def ping(self):
        return "forms"

    @rpc
    def create_form(self, data, actor):
        data = load(FormIn(), data)
        actor = load(Actor(), actor)
        # Ask devices first, with no transaction open (no I/O inside a transaction).
        intake = self._call_devices("resolve_intake", {
            "customer_id": data["customer_id"], "device_id": data["device_id"],
            "device": data["device"]})
        customer, rep, device = intake["customer"], intake["customer"]["rep"], intake["device"]
        form = Form(
            kind=data["kind"], status="NEW", version=1, complaint=data["complaint"],
            customer_id=customer["id"], customer_name=customer["name"],
            customer_name_sort=sort_key(customer["name"]), customer_email=customer["email"],
            customer_language=customer["language"],
            rep_user_id=rep and rep["user_id"], rep_name=rep and rep["name"],
            rep_email=rep and rep["email"], rep_language=(rep or {}).get("language") or "tr",
            device_id=device["id"], device_brand=device["brand"], device_model=device["model"],
            device_type=device["device_type"], device_serial=device["serial"],
            **domain.coverage_columns(intake["coverage"]),
            opened_by_id=actor["id"], opened_by_name=actor["name"])
        year = domain.numbering_year()
        seq = self.db.execute(NEXT_NUMBER, {"year": year}).scalar_one()
        form.number = domain.format_number(year, seq)
        self.db.add(form)
        self.db.flush()
        self.db.add(FormHistory(form_id=form.id, from_status=None, to_status="NEW",
                                by_id=actor["id"], by_name=actor["name"]))
        self.outbox.add(self.db, "form_created", domain.form_created_payload(form))
        self.db.commit()
        return FORM_OUT.dump(form)

    @rpc
    def get_form(self, form_id):
        form = self.db.get(Form, form_id) if is_id(form_id) else None
        if form is None:
            raise NotFound(f"Service form {form_id} not found.", {"form_id": form_id})
        return FORM_OUT.dump(form)

    @rpc
    def list_forms(self, query=None):
        """Newest first, with a cursor."""
        query = load(FormQuery(), query or {})
        stmt = select(Form)
        if query["cursor"]:
            (last_id,) = decode_cursor(query["cursor"], int)
            stmt = stmt.where(Form.id < last_id)
        rows = self.db.scalars(stmt.order_by(Form.id.desc()).limit(query["limit"] + 1)).all()
        page = rows[:query["limit"]]
        next_cursor = encode_cursor([page[-1].id]) if len(rows) > query["limit"] else None
        return {"items": FORMS_OUT.dump(page), "next_cursor": next_cursor}

    def _call_devices(self, method, *args):
        try:
            reply = getattr(self.devices, method).call_async(*args)
            with eventlet.Timeout(DEVICES_RPC_TIMEOUT):
                return reply.result()
        except (UnknownService, eventlet.Timeout):
            raise ServiceUnavailable("The devices service is not answering.",
                                     {"service": "devices"})
