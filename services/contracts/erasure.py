"""KVKK erasure in contracts (`customer_erased`): proposals and contracts keep their numbers,
periods, prices and invoices; their copies of the customer's name and address and the
machine-park checks' name are replaced; every other text column is scrubbed of the person's
strings (services/common/erasure.py)."""
from sqlalchemy import and_, select, update

from services.common.documents.issuing import erase_documents

from services.common.erasure import needles_of, scrub
from services.contracts.models import Base, Contract, Document, MachineParkCheck, Proposal

SUBJECTS = (("proposal", Proposal), ("contract", Contract), ("machine_park", MachineParkCheck))


def erase_customer(session, event):
    """The storage keys of the customer's documents (a proposal, an insurance notice, a
    machine-park check name the person: deleted after the commit, the rows say `erased`)."""
    marker, customer_id = event["marker"], event["customer_id"]
    for model in (Proposal, Contract):
        session.execute(update(model).where(model.customer_id == customer_id).values(
            customer_name=marker, customer_email=None))
    session.execute(update(MachineParkCheck).where(
        MachineParkCheck.customer_id == customer_id).values(customer_name=marker))
    keys = erase_documents(session, Document, *[and_(
        Document.subject == subject, Document.subject_id.in_(
            select(model.id).where(model.customer_id == customer_id)))
        for subject, model in SUBJECTS])
    scrub(session, Base.metadata, needles_of(event["personal"], marker))
    return keys
