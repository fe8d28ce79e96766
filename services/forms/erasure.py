"""KVKK erasure in forms (`customer_erased`): the customer's forms keep their numbers, dates,
lines and totals; their copies of the customer's name and address, the price approvals' address,
the deciding person's name, address and browser, and forms' copy of the customer are replaced;
every other text column of forms' tables is scrubbed of the person's strings
(services/common/erasure.py)."""
from sqlalchemy import and_, select, update

from services.common.documents.issuing import erase_documents

from services.common.erasure import needles_of, scrub
from services.common.text import sort_key
from services.forms.models import Base, CustomerCopy, Document, Form, PriceApproval


def erase_customer(session, event):
    """The storage keys of the customer's documents (their papers name the person: deleted
    after the commit, the rows say `erased`)."""
    marker, customer_id = event["marker"], event["customer_id"]
    forms = select(Form.id).where(Form.customer_id == customer_id)
    session.execute(update(PriceApproval).where(PriceApproval.form_id.in_(forms)).values(
        customer_email=None, decided_ip=None, decided_user_agent=None))
    session.execute(update(PriceApproval).where(
        PriceApproval.form_id.in_(forms), PriceApproval.decided_by_name.is_not(None)).values(
        decided_by_name=marker))
    session.execute(update(Form).where(Form.customer_id == customer_id).values(
        customer_name=marker, customer_name_sort=sort_key(marker), customer_email=None))
    session.execute(update(CustomerCopy).where(CustomerCopy.id == customer_id).values(
        name=marker, email=None))
    keys = erase_documents(session, Document, and_(
        Document.subject == "form", Document.subject_id.in_(forms)), and_(
        Document.subject == "customer", Document.subject_id == customer_id))
    scrub(session, Base.metadata, needles_of(event["personal"], marker))
    return keys
