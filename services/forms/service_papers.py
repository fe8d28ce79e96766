"""forms' entrypoints for its papers: a form's and a customer's documents, the damage and
periodic reports, the tracking link, the document templates. A part of FormsService (which
inherits it; nameko finds inherited entrypoints), kept apart so service.py stays a page of
entrypoints; the same shape rules hold (services/tests/unit/test_shape.py reads service*.py)."""
from services.common.exceptions import NotFound
from services.common.personal import checked_id
from services.common.rpc import rpc
from services.common.schemas import load
from services.forms.documents import TemplateDesk, tracked_form_id
from services.forms.queries import personal_data
from services.forms.workflow import customers_form
from services.forms.schemas import Actor, DamageReportIn, PeriodicReportIn, PreviewIn, TemplateIn

CUSTOMER_KINDS = ("intake_slip", "delivery_receipt")  # what a customer downloads of a form


def customer_document(doc):
    """A document as its customer reads it: no one of the staff, no error text."""
    return {k: doc[k] for k in ("id", "kind", "number", "language", "issued_at", "filename",
                                "size", "pages")}


class FormPapers:
    @rpc
    def list_documents(self, form_id):
        self.queries.form(form_id)  # 404 for an unknown form
        return self.papers.listing("form", form_id)

    @rpc
    def get_form_document(self, form_id, document_id):
        return self.papers.download(document_id, "form", form_id)

    @rpc
    def customer_form_documents(self, form_id, actor):
        """The papers a customer downloads of their own form (the portal): the intake slip and
        the delivery receipts, issued; another customer's form, or none, is a 404."""
        customers_form(self.db, form_id, load(Actor, actor))
        return self._customer_papers(form_id)

    @rpc
    def customer_form_document(self, form_id, document_id, actor):
        """One of those papers as its bytes; any other document (a damage report, another
        form's) is the same 404."""
        customers_form(self.db, form_id, load(Actor, actor))
        if document_id not in {d["id"] for d in self._customer_papers(form_id)}:
            raise NotFound("No such {record}.", {"record": "document"})
        got = self.papers.download(document_id, "form", form_id)
        return {**customer_document(got), "content_type": got["content_type"],
                "content_b64": got["content_b64"]}

    def _customer_papers(self, form_id):
        return [customer_document(d) for d in self.papers.listing(
            "form", form_id, CUSTOMER_KINDS) if d["status"] == "issued"]

    @rpc
    def get_document(self, document_id):
        """A document's bytes by its id alone (notify attaches it): {filename, content_type,
        content_b64, …}; not issued yet is a 409 (notify tries again later)."""
        return self.papers.download(document_id)

    @rpc
    def issue_damage_report(self, form_id, data, actor):
        data, actor = load(DamageReportIn, data), load(Actor, actor)
        return self._issued(self.workflow.damage_report(form_id, data, actor))

    @rpc
    def customer_documents(self, customer_id):
        return self.papers.listing("customer", customer_id)

    @rpc
    def get_customer_document(self, customer_id, document_id):
        return self.papers.download(document_id, "customer", customer_id)

    @rpc
    def personal_data(self, customer_id):
        """What forms holds about the customer (KVKK export)."""
        return personal_data(self.db, checked_id(customer_id))

    @rpc
    def issue_periodic_report(self, customer_id, data, actor):
        data, actor = load(PeriodicReportIn, data), load(Actor, actor)
        papers = self.papers
        return self._issued(papers.periodic_report(
            papers.customer(customer_id), data["date_from"], data["date_to"], actor,
            data["send"]))

    @rpc
    def revoke_tracking(self, form_id, actor):
        url = self.workflow.revoke_tracking(form_id, load(Actor, actor))
        self.db.commit()
        return {"form_id": form_id, "tracking_url": url}

    @rpc
    def tracked_form(self, token):
        """The form behind a tracking link ({form_id}); forged, revoked or expired: 404."""
        form_id = tracked_form_id(self.db, token, self.settings.clock.now(),
                                  self.settings.tracking_days)
        self.db.rollback()
        return {"form_id": form_id}

    @rpc
    def document_templates(self):
        return self.papers.templates()

    @rpc
    def document_template(self, kind):
        return self.papers.template(kind)

    @rpc
    def preview_template(self, kind, data):
        return TemplateDesk(self.db, self.settings, self.documents).preview(
            kind, load(PreviewIn, data))

    @rpc
    def save_template(self, kind, data, actor):
        data, actor = load(TemplateIn, data), load(Actor, actor)
        TemplateDesk(self.db, self.settings, self.documents).save(kind, data, actor)
        self.db.commit()
        return self.papers.template(kind)
