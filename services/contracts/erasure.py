"""KVKK erasure in contracts (`customer_erased`): proposals and contracts keep their numbers,
periods, prices and invoices; their copies of the customer's name and address and the
machine-park checks' name are replaced; every other text column is scrubbed of the person's
strings (services/common/erasure.py)."""
from sqlalchemy import update

from services.common.erasure import needles_of, scrub
from services.contracts.models import Base, Contract, MachineParkCheck, Proposal


def erase_customer(session, event):
    marker, customer_id = event["marker"], event["customer_id"]
    for model in (Proposal, Contract):
        session.execute(update(model).where(model.customer_id == customer_id).values(
            customer_name=marker, customer_email=None))
    session.execute(update(MachineParkCheck).where(
        MachineParkCheck.customer_id == customer_id).values(customer_name=marker))
    return scrub(session, Base.metadata, needles_of(event["personal"], marker))
