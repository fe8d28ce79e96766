"""portal's reads — every one through the customer scope (services/common/scope.py): a customer
reads only rows of their customer id, and another customer's id answers 404 as if it did not
exist; staff (the gateway admitted the role) read every customer's. Outputs are dumped by the
customer-safe schemas."""
import base64
from datetime import datetime

from sqlalchemy import and_, or_, select

from services.common.exceptions import NotFound, invalid
from services.common.schemas import INVALID_CURSOR, decode_cursor, is_id, page_of
from services.common.scope import scope_of
from services.portal import domain
from services.portal.models import RequestPhoto, ServiceRequest, TimelineEntry, TimelineForm
from services.portal.schemas import EntryOut, FormOut, PhotoOut, RequestOut

_REQUEST, _FORM, _ENTRY, _PHOTO = RequestOut(), FormOut(), EntryOut(), PhotoOut()


def _moment(text):
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise invalid(cursor=[INVALID_CURSOR])
    return at


class PortalQueries:
    def __init__(self, session, storage=None):
        self.db, self.storage = session, storage

    # -- requests ---------------------------------------------------------------------------
    def _request_out(self, row, language):
        photos = self.db.scalars(select(RequestPhoto).where(
            RequestPhoto.request_id == row.id).order_by(RequestPhoto.position)).all()
        out = _REQUEST.dump(row)
        out["status_name"] = domain.REQUEST_STATUS_NAMES[row.status][
            domain.language_of(language)]
        out["photos"] = _PHOTO.dump(photos, many=True)
        return out

    def request(self, request_id, actor):
        row = scope_of(actor).get(self.db, ServiceRequest, request_id, "request")
        return self._request_out(row, (actor or {}).get("language"))

    def requests(self, query, actor):
        """Newest first; staff filter `status` (the review queue: submitted) and
        `customer_id`; a customer's own only."""
        stmt = scope_of(actor).limit(select(ServiceRequest), ServiceRequest)
        if query.get("status"):
            stmt = stmt.where(ServiceRequest.status == query["status"])
        if query.get("customer_id"):
            stmt = stmt.where(ServiceRequest.customer_id == query["customer_id"])
        if query.get("cursor"):
            (last,) = decode_cursor(query["cursor"], int)
            stmt = stmt.where(ServiceRequest.id < last)
        rows = self.db.scalars(stmt.order_by(ServiceRequest.id.desc())
                               .limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"], lambda r: [r.id])
        language = (actor or {}).get("language")
        return {"items": [self._request_out(r, language) for r in page], "next_cursor": cursor}

    def photo(self, request_id, photo_id, actor):
        scope = scope_of(actor)
        scope.get(self.db, ServiceRequest, request_id, "request")
        photo = scope.get(self.db, RequestPhoto, photo_id, "photo")
        if photo.request_id != request_id:
            raise NotFound("No such {record}.", {"record": "photo"})
        key, name, kind = photo.storage_key, photo.filename, photo.content_type
        self.db.rollback()
        return {"filename": name, "content_type": kind,
                "content_b64": base64.b64encode(self.storage.get(key)).decode()}

    def photo_file(self, photo_id):
        """A photo by its id alone (the KVKK export: the gateway has checked the admin)."""
        photo = self.db.get(RequestPhoto, photo_id) if is_id(photo_id) else None
        if photo is None:
            raise NotFound("No such {record}.", {"record": "photo"})
        key, name, kind = photo.storage_key, photo.filename, photo.content_type
        self.db.rollback()
        return {"filename": name, "content_type": kind,
                "content_b64": base64.b64encode(self.storage.get(key)).decode()}

    # -- the timeline -----------------------------------------------------------------------
    def _form_out(self, form):
        out = _FORM.dump(form)
        out["status_name"] = domain.status_name(form.status, form.language)
        return out

    def forms(self, query, actor):
        """The customer's forms, the latest change first; cursor pages."""
        stmt = scope_of(actor).limit(select(TimelineForm), TimelineForm)
        if query.get("cursor"):
            at, form_id = decode_cursor(query["cursor"], str, int)
            at = _moment(at)
            stmt = stmt.where(or_(TimelineForm.updated_at < at, and_(
                TimelineForm.updated_at == at, TimelineForm.form_id < form_id)))
        rows = self.db.scalars(stmt.order_by(TimelineForm.updated_at.desc(),
                                             TimelineForm.form_id.desc())
                               .limit(query["limit"] + 1)).all()
        page, cursor = page_of(rows, query["limit"],
                               lambda f: [f.updated_at.isoformat(), f.form_id])
        return {"items": [self._form_out(f) for f in page], "next_cursor": cursor}

    def form(self, form_id, actor):
        """One form with its customer-visible timeline, oldest first, in the customer's
        language."""
        form = scope_of(actor).get(self.db, TimelineForm, form_id, "form")
        entries = self.db.scalars(select(TimelineEntry).where(
            TimelineEntry.form_id == form.form_id).order_by(TimelineEntry.at,
                                                             TimelineEntry.id)).all()
        timeline = []
        for entry in entries:
            out = _ENTRY.dump(entry)
            out["title"] = domain.entry_title(entry.kind, form.language)
            out["status_name"] = (domain.status_name(entry.status, form.language)
                                  if entry.status else None)
            timeline.append(out)
        return {**self._form_out(form), "timeline": timeline}


def personal_data(session, customer_id):
    """What portal holds about a customer (KVKK export): their requests with the photos'
    details (the files come with the export: `photo_files`), and their forms as the portal
    shows them, with the timeline."""
    from services.common.personal import rows
    return {
        "requests": rows(session, ServiceRequest, ServiceRequest.customer_id == customer_id,
                         exclude=("claimed_until",)),
        "photos": rows(session, RequestPhoto, RequestPhoto.customer_id == customer_id),
        "forms": rows(session, TimelineForm, TimelineForm.customer_id == customer_id),
        "timeline": rows(session, TimelineEntry, TimelineEntry.customer_id == customer_id),
    }
