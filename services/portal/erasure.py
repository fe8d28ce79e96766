"""KVKK erasure in portal (`customer_erased`): the customer's requests keep their ids, dates,
states and the form numbers they led to; who filed them is replaced by the marker, the photos
(pictures taken at the customer's place) are deleted from storage with their rows, and every
other text column — a complaint, a site, the timeline's copies — is scrubbed of the person's
strings (services/common/erasure.py)."""
from sqlalchemy import delete, select, update

from services.common.erasure import needles_of, scrub
from services.portal.models import Base, RequestPhoto, ServiceRequest


def erase_customer(session, event):
    """Rows changed; the photo files go after the commit (`remove_files`)."""
    marker, customer_id = event["marker"], event["customer_id"]
    session.execute(update(ServiceRequest).where(ServiceRequest.customer_id == customer_id)
                    .values(submitted_by_name=marker), execution_options={
                        "synchronize_session": False})
    keys = session.scalars(select(RequestPhoto.storage_key).where(
        RequestPhoto.customer_id == customer_id)).all()
    session.execute(delete(RequestPhoto).where(RequestPhoto.customer_id == customer_id))
    scrub(session, Base.metadata, needles_of(event["personal"], marker))
    return list(keys)


def remove_files(storage, keys):
    """Delete the photos' files (after the rows are gone: a file without a row is harmless,
    a row without its file would answer 404 for a photo it lists)."""
    for key in keys:
        storage.delete(key)  # a file already gone is no error
