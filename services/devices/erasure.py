"""KVKK erasure of a customer in devices, the owner of customers: the card, its contacts and
sites lose name, e-mail, phone, address and tax number (a marker in place of the name); every
other copy in devices' tables (device history, import rows, the outbox's earlier events) is
scrubbed; `customer_erased` goes out through the outbox so every other service does the same
(services/common/erasure.py)."""
from services.common.erasure import MARKER, needles_of, scrub
from services.common.exceptions import NotFound
from services.common.text import fold, sort_key
from services.devices.archive import find_customer
from services.devices.models import Base

NO_CONTACT = "Contact person {contact_id} of customer {customer_id} not found."


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


def erase_contact(session, emit, customer_id, contact_id, data, actor=None):
    """Erase one contact person of the customer (404 when the customer has no such contact):
    their row keeps its id with the marker for a name and no title, e-mail or phone; their
    strings are scrubbed from devices' tables and `contact_erased` carries them to the others.
    A string that is also the customer's own (a shared e-mail or phone) is not searched for:
    the customer's data stays. The strings replaced, for the event."""
    customer = find_customer(session, customer_id)
    contact = next((c for c in customer.contacts if c.id == contact_id), None)
    if contact is None:
        raise NotFound(NO_CONTACT, {"customer_id": customer_id, "contact_id": contact_id})
    own = {v.strip() for v in (customer.name, customer.email, customer.phone,
                               customer.address, customer.tax_no) if v}
    own |= {v.strip() for c in customer.contacts if c.id != contact_id
            for v in (c.name, c.email, c.phone) if v}
    personal = sorted({v.strip() for v in (contact.name, contact.email, contact.phone,
                                           *data["personal"]) if v and v.strip()} - own)
    contact.name, contact.title, contact.email, contact.phone = MARKER, None, None, None
    customer.version += 1
    session.flush()
    scrub(session, Base.metadata, needles_of(personal))
    by = ({"user_id": actor["id"], "name": actor.get("name") or "?"}
          if actor and actor.get("id") else None)
    emit("contact_erased", {"customer_id": customer_id, "contact_id": contact_id,
                            "marker": MARKER, "personal": personal, "by": by})
    return {"customer_id": customer_id, "contact_id": contact_id, "marker": MARKER,
            "version": customer.version, "personal": len(personal)}
