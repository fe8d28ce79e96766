"""KVKK erasure of a customer in devices, the owner of customers: the card, its contacts and
sites lose name, e-mail, phone, address and tax number (a marker in place of the name); every
other copy in devices' tables (device history, import rows, the outbox's earlier events) is
scrubbed; `customer_erased` goes out through the outbox so every other service does the same
(services/common/erasure.py)."""
from services.common.erasure import MARKER, needles_of, scrub
from services.common.text import fold, sort_key
from services.devices.archive import find_customer
from services.devices.models import Base


def held_strings(customer):
    """The customer's own strings that identify the person."""
    out = [customer.name, customer.email, customer.phone, customer.address, customer.tax_no]
    for c in customer.contacts:
        out += [c.name, c.email, c.phone]
    out += [s.address for s in customer.sites]
    return [v for v in out if v]


def erase_customer(session, emit, customer_id, data, actor=None):
    """Erase the customer (404 when unknown); the strings replaced, for the event."""
    customer = find_customer(session, customer_id)
    personal = sorted(set(held_strings(customer)) | set(data["personal"]))
    customer.name, customer.name_folded, customer.name_sort = (
        MARKER, fold(MARKER), sort_key(MARKER))
    customer.email = customer.phone = customer.address = customer.tax_no = None
    for contact in customer.contacts:
        contact.name, contact.title, contact.email, contact.phone = MARKER, None, None, None
    for site in customer.sites:
        site.address = None
    customer.version += 1
    session.flush()
    scrub(session, Base.metadata, needles_of(personal))
    by = ({"user_id": actor["id"], "name": actor.get("name") or "?"}
          if actor and actor.get("id") else None)
    emit("customer_erased", {"customer_id": customer_id, "marker": MARKER,
                             "personal": personal, "form_ids": data["form_ids"],
                             "contract_ids": data["contract_ids"], "by": by})
    return {"customer_id": customer_id, "marker": MARKER, "version": customer.version}
