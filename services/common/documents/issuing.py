"""Issuing documents, the same way for every service that owns some.

1. **Request** (`request(session, …)`), in the transaction of the change it belongs to (a
   form opened, a form delivered): a `pending` row, unique per (subject, kind, occasion),
   whose id the change's event carries as `document {service, id}`. So a document is asked
   for exactly when its occasion commits — never for a change rolled back, never twice.
2. **Render** — after the commit, outside any transaction: the row is claimed (the due-date
   scanner's claim, services/common/scanner.py), its context read in a short read, the
   template in use rendered to HTML in the service, the HTML to PDF in a child process
   (pdf.py), the bytes stored (storage.py), and the row marked `issued` with the template
   version, SHA-256, size and pages — only while the claim is still ours. The worker that
   requested it renders it at once (`issue_now()`: the intake slip is ready when the
   client's POST returns); the `Documents` loop renders whatever is still pending — a
   process killed between the commit and the render, a render that failed (retried 10 s,
   20 s … later, `failed` after DOCUMENT_ATTEMPTS). A crash after the file is written and
   before the row is marked renders it again into a new file: the row names one file, the
   other is an orphan, nothing is lost and nothing is issued twice.
"""
import base64
import hashlib
import json
import logging
from datetime import timedelta

from sqlalchemy import func, or_, select, update

from services.common.documents.pdf import PdfPool
from services.common.documents.storage import storage_for
from services.common.documents.templates import DocumentTemplates
from services.common.exceptions import Conflict, NotFound
from services.common.schemas import is_id
from services.common.loop import WorkerHandle
from services.common.models import utcnow
from services.common.scanner import Scanner, claim_rows

log = logging.getLogger(__name__)
ATTEMPTS = 5
FIRST_RETRY = 10.0


class DocumentDesk:
    """The issuing of one service's documents, without nameko: `Session` (a sessionmaker),
    the two models, `templates` (DocumentTemplates), `pdf` (an object with render(html) ->
    (bytes, pages)), `storage`, and `build(session, document) -> context`."""

    def __init__(self, service, Session, model, template_model, templates, pdf, storage, build,
                 lease_seconds=120.0, attempts=ATTEMPTS):
        self.service, self.Session, self.model = service, Session, model
        self.template_model, self.templates, self.pdf = template_model, templates, pdf
        self.storage, self.build = storage, build
        self.lease_seconds, self.attempts = lease_seconds, attempts

    # -- 1. request ------------------------------------------------------------------------
    def request(self, session, *, subject, subject_id, kind, occasion, number, language="tr",
                actor=None, data=None):
        """A pending document in `session`'s transaction (flushed: its id is known)."""
        doc = self.model(subject=subject, subject_id=subject_id, kind=kind, occasion=occasion,
                         number=number, language=language, status="pending",
                         data=json.dumps(data, ensure_ascii=False, default=str) if data
                         else None, requested_by_id=(actor or {}).get("id"),
                         requested_by_name=(actor or {}).get("name"), attempts=0)
        session.add(doc)
        session.flush()
        return doc

    @staticmethod
    def ref(service, doc):
        """What an event carries: {service, id}."""
        return {"service": service, "id": doc.id}

    # -- 2. render -------------------------------------------------------------------------
    def due(self, now):
        return self.model.status == "pending"

    def issue(self, ids):
        """Claim and render these pending documents now (those another process holds, or
        that wait for a retry, are left to it)."""
        if not ids:
            return
        claim = claim_rows(self.Session, self.model, self.due, (self.model.id,), len(ids),
                           self.lease_seconds, ids=ids)
        self.render_claimed(claim)

    def render_claimed(self, claim):
        for doc_id in claim.ids:
            with self.Session() as s, s.begin():
                if not claim.renew_if_old(s, doc_id):
                    continue
            self._render_one(doc_id, claim)

    def _render_one(self, doc_id, claim):
        model = self.model
        try:
            with self.Session() as s:  # a read; closed before rendering
                doc = s.get(model, doc_id)
                context = self.build(s, doc)
                version, source = self.active_template(s, doc.kind)
                kind, language, key_base = doc.kind, doc.language, \
                    f"{doc.subject}/{doc.subject_id}/{doc.id}"
            html = self.templates.render(kind, context, language, source)
            pdf, pages = self.pdf.render(html)
            sha = hashlib.sha256(pdf).hexdigest()
            key = f"{key_base}-{sha[:16]}.pdf"
            self.storage.put(key, pdf)
            values = {"status": "issued", "sha256": sha, "size": len(pdf), "pages": pages,
                      "storage_key": key, "template_version": version, "issued_at": utcnow(),
                      "last_error": None, "claimed_by": None, "claimed_until": None}
        except Exception as exc:  # recorded on the row, retried by the loop
            log.warning("document %s: %s", doc_id, exc)
            values = self._failure(doc_id, f"{type(exc).__name__}: {exc}"[:2000])
        with self.Session() as s, s.begin():
            done = s.execute(update(model).where(model.id == doc_id, claim.mine(
                model.claimed_by)).values(**values), execution_options={
                    "synchronize_session": False})
            kept = s.scalar(select(model.storage_key).where(model.id == doc_id))
        if done.rowcount == 0 and values.get("storage_key") and kept != values["storage_key"]:
            # the claim was lost meanwhile — to a KVKK erasure (the row says `erased`: the
            # file must not stay) or to another renderer (whose own file the row names)
            self.storage.delete(values["storage_key"])

    def _failure(self, doc_id, error):
        with self.Session() as s:
            attempts = (s.scalar(select(self.model.attempts).where(self.model.id == doc_id))
                        or 0) + 1
        values = {"attempts": attempts, "last_error": error, "claimed_by": None}
        if attempts >= self.attempts:
            values.update(status="failed", claimed_until=None)
        else:  # not free again until then
            values["claimed_until"] = utcnow() + timedelta(
                seconds=FIRST_RETRY * 2 ** (attempts - 1))
        return values

    # -- templates in use ------------------------------------------------------------------
    def active_template(self, session, kind):
        """(version label, source or None for the file) of the template in use for `kind`."""
        t = self.template_model
        row = session.scalars(select(t).where(t.kind == kind).order_by(t.version.desc())
                              .limit(1)).first()
        if row is None or row.source is None:
            return self.templates.builtin_version(kind), None
        return f"v{row.version}", row.source

    def save_template(self, session, kind, source, actor, note=None):
        """A new version of `kind`'s template (`source` None: back to the file), in use from
        the commit on. The caller checks the source first (outside the transaction)."""
        t = self.template_model
        last = session.scalar(select(func.max(t.version)).where(t.kind == kind)) or 0
        row = t(kind=kind, version=last + 1, source=source, note=note,
                created_by_id=(actor or {}).get("id"),
                created_by_name=(actor or {}).get("name"))
        session.add(row)
        session.flush()
        return row

    # -- reading ---------------------------------------------------------------------------
    def content(self, doc):
        """The stored bytes, checked against the SHA-256 on the row."""
        if doc.status == ERASED:
            raise Conflict(ERASED_FILE, {"document_id": doc.id, "status": doc.status})
        if doc.status != "issued":
            raise Conflict("Document {document_id} is not issued yet ({status}).",
                           {"document_id": doc.id, "status": doc.status})
        data = self.storage.get(doc.storage_key)
        if hashlib.sha256(data).hexdigest() != doc.sha256:
            raise Conflict("Document {document_id}'s file does not match its checksum.",
                           {"document_id": doc.id})
        return data

    def find(self, session, doc_id, subject=None, subject_id=None):
        doc = session.get(self.model, doc_id) if is_id(doc_id) else None  # 2**63: no row
        if doc is None or (subject is not None and (doc.subject, doc.subject_id) != (
                subject, subject_id)):
            raise NotFound("Document {document_id} not found.", {"document_id": doc_id})
        return doc

    def download(self, session, doc_id, subject=None, subject_id=None):
        """{filename, content_type, content_b64, …metadata}: the stored bytes, as issued
        (the session's transaction ended before the file is read)."""
        doc = self.find(session, doc_id, subject, subject_id)
        session.rollback()
        return {**document_out(doc), "content_type": "application/pdf",
                "content_b64": base64.b64encode(self.content(doc)).decode()}


def document_out(doc):
    """A document's metadata as clients see it."""
    return {"id": doc.id, "kind": doc.kind, "number": doc.number, "occasion": doc.occasion,
            "language": doc.language, "status": doc.status,
            "subject": {"kind": doc.subject, "id": doc.subject_id},
            "template_version": doc.template_version, "sha256": doc.sha256, "size": doc.size,
            "pages": doc.pages, "filename": filename(doc),
            "requested_by": {"user_id": doc.requested_by_id, "name": doc.requested_by_name},
            "requested_at": doc.requested_at.isoformat() if doc.requested_at else None,
            "issued_at": doc.issued_at.isoformat() if doc.issued_at else None,
            "error": doc.last_error if doc.status != "issued" else None}


def filename(doc):
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in doc.number)
    return f"{safe}.pdf"


ERASED = "erased"
ERASED_NOTE = "KVKK: the file was deleted when the customer's personal data was erased."
ERASED_FILE = ("Document {document_id}'s file was deleted when the customer's personal data "
               "was erased (KVKK).")


def erase_documents(session, model, *about):
    """KVKK erasure: the documents matching any of `about` (a customer's forms' papers, their
    proposals …) become `erased` — the row keeps its kind, number, dates and SHA-256 (what was
    issued, and when), loses its file's key, and says why; one pending or being rendered is
    not rendered (its claim is taken: a render in flight deletes its own file). The storage
    keys, for the caller to delete once committed."""
    docs = session.execute(select(model.id, model.storage_key).where(
        or_(*about), model.status != ERASED)).all()
    ids = [d.id for d in docs]
    for start in range(0, len(ids), 500):
        session.execute(update(model).where(model.id.in_(ids[start:start + 500])).values(
            status=ERASED, storage_key=None, last_error=ERASED_NOTE, claimed_by=None,
            claimed_until=None), execution_options={"synchronize_session": False})
    return [d.storage_key for d in docs if d.storage_key]


def remove_files(storage, keys):
    """After the commit: the erased documents' files (a file already gone is no error)."""
    for key in keys:
        storage.delete(key)


class DeskHandle(WorkerHandle):
    """A worker's view of the desk: `request(session, …)` remembers what this worker asked
    for, `issue_now()` (after the commit) renders it."""

    def __init__(self, desk):
        super().__init__()
        self.desk, self.requested = desk, []

    def request(self, session, **fields):
        doc = self.desk.request(session, **fields)
        self.requested.append(doc.id)
        self.woken = True  # whatever issue_now leaves, the loop takes when the worker ends
        return doc

    def issue_now(self):
        """Render what this worker asked for — unless every renderer is busy: then the RPC
        does not queue behind other documents (a burst of intakes would make each wait for
        all before it); the loop, woken as this worker ends, renders it moments later."""
        ids, self.requested = self.requested, []
        available = getattr(self.desk.pdf, "available", None)
        if available is not None and not available():
            return
        self.desk.issue(ids)

    def __getattr__(self, name):  # the desk's reads and templates
        return getattr(self.desk, name)


class Documents(Scanner):
    """The dependency: `self.documents` in a worker is a DeskHandle; the loop renders what is
    pending. Settings: PDF_WORKERS (child processes, default 1), PDF_TIMEOUT (60 s),
    DOCUMENTS_DIR (default DATA_DIR/documents/<service>), DOCUMENT_POLL_SECONDS (5)."""
    batch = 4
    lease_seconds = 120.0
    poll_seconds = 5.0
    lease_setting = "DOCUMENT_CLAIM_SECONDS"
    poll_setting = "DOCUMENT_POLL_SECONDS"

    def __init__(self, model, template_model, templates_dir, builder_factory, db="db"):
        super().__init__(db)
        self.model, self.template_model = model, template_model
        self.templates_dir, self.builder_factory = templates_dir, builder_factory
        self.desk = None

    def setup(self):
        super().setup()
        config = self.container.config
        self.pool = PdfPool(int(config.get("PDF_WORKERS") or 1),
                            float(config.get("PDF_TIMEOUT") or 60))
        self.storage = storage_for(config, self.container.service_name)
        self.templates = DocumentTemplates(self.templates_dir)
        self.build = self.builder_factory(config)

    def start(self):
        super().start()
        self.desk = DocumentDesk(self.container.service_name, self.Session, self.model,
                                 self.template_model, self.templates, self.pool, self.storage,
                                 self.build, self.lease_seconds)
        self.pool.start()

    def stop(self):
        super().stop()
        self.pool.stop()

    def kill(self):
        super().kill()
        for child in list(self.pool.children):
            child.kill()

    def due(self, now):
        return self.model.status == "pending"

    def process(self, claim):
        self.desk.render_claimed(claim)

    def get_dependency(self, worker_ctx):
        handle = self._handles[worker_ctx] = DeskHandle(self.desk)
        return handle
