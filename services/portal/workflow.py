"""The application layer of portal: every write to a service request over one database
session, with `emit(event_type, payload)` writing events into the outbox of the same
transaction; the caller commits. What needs another service (the customer's device card from
devices, the form from forms) is asked by the service with no transaction open and handed in.

Accepting is two steps around forms' RPC: `claim` takes the request for CLAIM_SECONDS
(`claimed_until`, committed, so a second reviewer gets a 409 instead of a second form), the
service asks forms to open the form, then `accepted` records its number — or `release` ends
the claim when forms refused (a serial of another customer's card: staff read forms' 409 and
decline). A claim left by a process that died in between lapses after CLAIM_SECONDS."""
import base64
import binascii
import hashlib
from datetime import timedelta

from sqlalchemy import or_, update

from services.common.exceptions import Conflict, NotFound, PreconditionRequired, invalid
from services.common.models import utcnow
from services.common.roles import CUSTOMER
from services.common.scope import scope_of
from services.portal import domain, events
from services.portal.models import RequestPhoto, ServiceRequest

CLAIM_SECONDS = 120
BEING_ACCEPTED = "Another reviewer is accepting this request at the moment."
NEEDS_CUSTOMER = "Name the customer the request is for."


def decode_photos(photos):
    """[(bytes, content type, extension, filename)] of the request's photos, each checked by
    its content (JPEG or PNG) and size; the first bad one is a 422 naming its index."""
    out = []
    for i, photo in enumerate(photos):
        try:
            raw = base64.b64decode(photo["content_b64"], validate=True)
        except (binascii.Error, ValueError):
            raise invalid(photos={i: ["Not a file (base64 expected)."]})
        content_type, ext = domain.check_photo(raw, i)
        out.append((raw, content_type, ext, photo.get("filename") or f"foto-{i + 1}.{ext}"))
    return out


def request_customer(data, actor):
    """A customer files for their own customer (whatever the body says); staff name one."""
    if actor.get("role") == CUSTOMER:
        return scope_of(actor).customer_id
    if data.get("customer_id") is None:
        raise invalid(customer_id=[NEEDS_CUSTOMER])
    return data["customer_id"]


def staff_actor(actor):
    """The reviewer as forms takes an actor (DESIGN.md: snapshots)."""
    return {k: actor.get(k) for k in ("id", "name", "email", "language", "role")}


def own_card(devices, customer_id, device_id):
    """The customer's device card from devices; another customer's card answers exactly as a
    card that does not exist (404), so an id is never confirmed."""
    try:
        card = devices.call("get_device", device_id)
    except NotFound:
        card = None
    if card is None or card.get("customer_id") != customer_id:
        raise NotFound("No such {record}.", {"record": "device"})
    return card


class RequestWorkflow:
    def __init__(self, session, emit, storage):
        self.db, self.emit, self.storage = session, emit, storage

    def store_photos(self, customer_id, photos):
        """Write the photos' files first (no transaction open): [(key, sha, size, type,
        filename)]. A crash before the row leaves an orphan file, never a row without one."""
        stored = []
        for raw, content_type, ext, filename in decode_photos(photos):
            sha = hashlib.sha256(raw).hexdigest()
            key = f"requests/{customer_id}/{sha[:32]}.{ext}"
            self.storage.put(key, raw)
            stored.append((key, sha, len(raw), content_type, filename))
        return stored

    def submit(self, customer_id, data, actor, stored, card=None):
        device = data.get("device") or {}
        row = ServiceRequest(
            customer_id=customer_id, status="submitted", complaint=data["complaint"],
            device_id=data.get("device_id"),
            brand=(card or device).get("brand"), model=(card or device).get("model"),
            serial=(card or device).get("serial"),
            device_type=(card or device).get("device_type"), site=device.get("site"),
            submitted_by_id=actor.get("id"), submitted_by_name=actor.get("name"),
            created_at=utcnow())
        self.db.add(row)
        self.db.flush()
        photos = [RequestPhoto(request_id=row.id, customer_id=customer_id, position=position,
                               filename=filename[:200], content_type=content_type, size=size,
                               sha256=sha, storage_key=key)
                  for position, (key, sha, size, content_type, filename) in enumerate(stored)]
        self.db.add_all(photos)
        self.db.flush()
        self.emit("service_request_submitted", events.submitted(row, [p.id for p in photos]))
        return row

    def _find(self, request_id, version, actor, to):
        row = scope_of(actor).get(self.db, ServiceRequest, request_id, "request")
        if version is None:
            raise PreconditionRequired("State the version you read (If-Match header or "
                                       "`version`).", {"version": row.version})
        domain.check_move(row.status, to, actor.get("role"))
        if version != row.version:
            raise Conflict("The record was changed since version {given} (now {version}); "
                           "read it again.", {"version": row.version, "given": version})
        if row.claimed_until is not None and row.claimed_until > utcnow():
            raise Conflict(BEING_ACCEPTED, {"version": row.version})
        return row

    def claim(self, request_id, data, actor):
        """Claim the request for CLAIM_SECONDS (one UPDATE that only an unclaimed row
        matches) and answer what forms needs to open its form."""
        row = self._find(request_id, data["version"], actor, "accepted")
        now = utcnow()
        taken = self.db.execute(
            update(ServiceRequest.__table__)
            .where(ServiceRequest.id == row.id, ServiceRequest.version == row.version,
                   ServiceRequest.status == "submitted",
                   or_(ServiceRequest.claimed_until.is_(None),
                       ServiceRequest.claimed_until <= now))
            .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))).rowcount
        if taken != 1:
            raise Conflict(BEING_ACCEPTED, {"version": row.version})
        spec = {"customer_id": row.customer_id, "complaint": row.complaint,
                "source": "portal"}
        if row.device_id is not None:
            spec["device_id"] = row.device_id
        else:
            spec["device"] = {"brand": row.brand, "serial": row.serial, "model": row.model,
                              "device_type": row.device_type}
        return spec

    def release(self, request_id):
        """forms refused: the claim ends, the request is as it was."""
        self.db.execute(update(ServiceRequest.__table__)
                        .where(ServiceRequest.id == request_id)
                        .values(claimed_until=None))

    def accepted(self, request_id, form, actor):
        row = self.db.get(ServiceRequest, request_id, populate_existing=True)
        row.status, row.reviewed_at, row.claimed_until = "accepted", utcnow(), None
        row.reviewed_by_id, row.reviewed_by_name = actor.get("id"), actor.get("name")
        row.form_id, row.form_number = form["id"], form["number"]
        self.db.flush()
        self.emit("service_request_accepted", events.accepted(row))
        return row

    def decline(self, request_id, data, actor):
        row = self._find(request_id, data["version"], actor, "declined")
        row.status, row.decline_reason, row.reviewed_at = "declined", data["reason"], utcnow()
        row.reviewed_by_id, row.reviewed_by_name = actor.get("id"), actor.get("name")
        self.db.flush()
        self.emit("service_request_declined", events.declined(row))
        return row
