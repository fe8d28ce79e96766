"""forms: service forms (servis formu) from intake to the final check — lifecycle, assignment,
work, parts and fees, price approvals, completion and repair warranty, satisfaction call, final
check, lists and revenue.

The nameko entrypoints only load the input, call the application layer (workflow.py for every
write, queries.py and reports.py for reads, catalogues.py), commit, and answer."""
from services.common.db import Database
from services.common.erasure import erase_strings, settle
from services.common.documents.issuing import Documents, document_out, remove_files
from services.common.handlers import handles
from services.common.heartbeat import Heartbeat
from services.common.outbox import Outbox
from services.common.rpc import CallId, ServiceClient, rpc
from services.common.schemas import load
from services.common.settings import Settings
from services.forms.approvals import PriceApprovals, decision_out
from services.forms.catalogues import Catalogues, entry_out, model_of, question_out, seed_catalogue
from services.forms.erasure import erase_customer
from services.forms.documents import TEMPLATES, FormDocuments, make_builder
from services.forms.maintenance import open_maintenance_form
from services.forms.models import Base, Document, DocumentTemplate, SubStatus
from services.forms.queries import FormQueries
from services.forms.reports import FormReports
from services.forms.schedule import ReportSchedule
from services.forms.schemas import (AssignIn, CallsQuery, CatalogueIn, CataloguePatch, actor_of,
                                    Client, CustomerSurveyIn, DecisionIn, EstimateIn,
                                    FinalCheckIn, FormIn, FormQuery, HistoryQuery, PartIn,
                                    PhoneDecisionIn, QuestionIn, QuestionPatch, RevenueQuery,
                                    SatisfactionQuery, SubStatusIn, SurveyIn, TimerIn,
                                    TransitionIn, Versioned, WorkIn, WorkLogIn)
from services.forms import service_papers
from services.forms.settings import FormsSettings
from services.forms.workflow import FormWorkflow


# service_papers is imported as a module: `nameko run` starts every class with entrypoints it
# finds in this module's namespace, and the papers' class alone is no service
class FormsService(service_papers.FormPapers):
    name = "forms"
    heartbeat = Heartbeat()  # the container's liveness (deploy/probe.py)

    db = Database(Base.metadata, seed=seed_catalogue)
    outbox = Outbox("db")
    settings = Settings(FormsSettings)
    devices = ServiceClient("devices", "DEVICES_RPC_TIMEOUT")
    call_id = CallId()  # the RPC call served: create_form opens one form per call
    documents = Documents(Document, DocumentTemplate, TEMPLATES, make_builder)
    schedule = ReportSchedule()

    @property
    def workflow(self):
        return FormWorkflow(self.db, self.outbox.emitter(self.db), self.settings, self.documents)

    @property
    def queries(self):
        return FormQueries(self.db, self.settings)

    @property
    def papers(self):
        return FormDocuments(self.db, self.outbox.emitter(self.db), self.settings, self.documents)

    def _issued(self, doc):
        """Commit, render what this worker asked for (no transaction open), answer `doc`."""
        self.db.commit()
        self.documents.issue_now()
        if doc is None:
            return None
        return document_out(self.db.get(Document, doc.id, populate_existing=True))

    def _written(self, form):
        """Commit the write (and render the papers it asked for: a delivery's receipt);
        answer with the form as a reader sees it now."""
        self.db.commit()
        self.documents.issue_now()
        return self.queries.detail(form.id)

    @rpc
    def ping(self):
        return "forms"

    # -- intake and reading -------------------------------------------------------------------
    @rpc
    def create_form(self, data, actor):
        data, actor = load(FormIn, data), actor_of(actor)
        form_id = self.workflow.opened_by_call(self.call_id)  # this call, delivered again
        if form_id is None:  # devices first, no transaction open (no I/O inside one)
            intake = self.devices.call("resolve_intake", {
                key: data[key] for key in ("customer_id", "device_id", "device")})
            form_id = self.workflow.open_once(data, actor, intake, self.call_id)
            self.db.commit()
            self.documents.issue_now()  # the intake slip, ready when the client asks for it
        return self.queries.form(form_id)

    @rpc
    def get_form(self, form_id):
        return self.queries.form(form_id)

    @rpc
    def get_form_detail(self, form_id, actor=None):
        return self.queries.detail(form_id, None if actor is None else actor_of(actor))

    @rpc
    def check_form_access(self, form_id, actor, action="read"):
        """The record rule (services/common/access.py) for a route on a form that another
        service answers or that takes no actor: 403 (a customer: 404) when the actor may not
        touch it; `action` write: 409 when the form no longer changes."""
        return self.queries.check_access(form_id, actor_of(actor), action == "write")

    @rpc
    def form_history(self, form_id, query=None):
        return self.queries.history(form_id, load(HistoryQuery, query))

    @rpc
    def list_forms(self, query=None):
        return self.queries.list(load(FormQuery, query))

    # -- lifecycle, assignment and work -------------------------------------------------------
    @rpc
    def transition(self, form_id, data, actor):
        given = isinstance(data, dict) and "sub_status" in data
        data, actor = load(TransitionIn, data), actor_of(actor)
        return self._written(self.workflow.transition(form_id, data, actor, given))

    @rpc
    def assign(self, form_id, data, actor):
        data, actor = load(AssignIn, data), actor_of(actor)
        return self._written(self.workflow.assign(form_id, data, actor))

    @rpc
    def update_work(self, form_id, data, actor):
        data, actor = load(WorkIn, data), actor_of(actor)
        return self._written(self.workflow.update_work(form_id, data, actor))

    @rpc
    def add_work_log(self, form_id, data, actor):
        data, actor = load(WorkLogIn, data), actor_of(actor)
        return self._written(self.workflow.add_work_log(form_id, data, actor))

    @rpc
    def start_timer(self, form_id, data, actor):
        data, actor = load(TimerIn, data), actor_of(actor)
        return self._written(self.workflow.start_timer(form_id, data, actor))

    @rpc
    def stop_timer(self, form_id, data, actor):
        data, actor = load(TimerIn, data), actor_of(actor)
        return self._written(self.workflow.stop_timer(form_id, data, actor))

    @rpc
    def add_part(self, form_id, data, actor):
        data, actor = load(PartIn, data), actor_of(actor)
        return self._written(self.workflow.add_part(form_id, data, actor))

    @rpc
    def remove_part(self, form_id, part_id, data, actor):
        data, actor = load(Versioned, data), actor_of(actor)
        return self._written(self.workflow.remove_part(form_id, part_id, data, actor))

    # -- price approval (fiyat onay formu): sent with its estimate, decided by link or phone --
    @rpc
    def send_price_approval(self, form_id, data, actor):
        data, actor = load(EstimateIn, data), actor_of(actor)
        return self._written(PriceApprovals(self.workflow).send(form_id, data, actor))

    @rpc
    def record_price_decision(self, form_id, data, actor):
        data, actor = load(PhoneDecisionIn, data), actor_of(actor)
        return self._written(PriceApprovals(self.workflow).decide_by_phone(form_id, data, actor))

    @rpc
    def price_approvals(self, form_id):
        return self.queries.price_approvals(form_id)

    @rpc
    def price_approval_by_link(self, token):
        return PriceApprovals(self.workflow).public(token)

    @rpc
    def decide_price_approval(self, token, data, client):
        data, client = load(DecisionIn, data), load(Client, client)
        approval = PriceApprovals(self.workflow).decide_by_link(token, data, client)
        self.db.commit()
        return decision_out(approval)

    # -- satisfaction call and final check ----------------------------------------------------
    @rpc
    def satisfaction_calls(self, query=None):
        return self.queries.satisfaction_calls(load(CallsQuery, query),
                                               Catalogues(self.db).questions())

    @rpc
    def record_survey(self, form_id, data, actor):
        data, actor = load(SurveyIn, data), actor_of(actor)
        return self._written(self.workflow.record_survey(form_id, data, actor))

    @rpc
    def record_customer_survey(self, form_id, data, actor):
        """The customer's own survey from the portal: their form only (else 404)."""
        data, actor = load(CustomerSurveyIn, data), actor_of(actor)
        data = {**data, "outcome": "done", "version": None}
        return self._customers(self.workflow.record_survey(form_id, data, actor))

    @rpc
    def decide_price_as_customer(self, form_id, data, actor, client):
        """The customer's price decision from the portal: their form only (else 404)."""
        decide = PriceApprovals(self.workflow).decide_by_portal
        return self._customers(decide(form_id, load(DecisionIn, data), actor_of(actor),
                                      load(Client, client)))

    def _customers(self, form):
        """Commit a customer's write; answer what a customer may read of the form (never the
        staff's detail: notes, people, coverage internals)."""
        out = {"id": form.id, "number": form.number, "status": form.status}
        self.db.commit()
        self.documents.issue_now()
        return out

    @rpc
    def final_check(self, form_id):
        return self.queries.final_check(form_id)

    @rpc
    def decide_final_check(self, form_id, data, actor):
        data, actor = load(FinalCheckIn, data), actor_of(actor)
        return self._written(self.workflow.decide_final_check(
            form_id, data, actor, self.queries.checklist))

    # -- reports ------------------------------------------------------------------------------
    @rpc
    def revenue(self, query=None):
        return FormReports(self.db, self.settings).revenue(load(RevenueQuery, query))

    @rpc
    def satisfaction_report(self, query=None):
        return FormReports(self.db, self.settings).satisfaction(load(SatisfactionQuery, query))

    # -- catalogues ---------------------------------------------------------------------------
    @rpc
    def list_catalogue(self, name, include_inactive=False):
        return Catalogues(self.db).entries(name, include_inactive)

    @rpc
    def create_catalogue_entry(self, name, data):
        model = model_of(name)
        data = load(SubStatusIn() if model is SubStatus else CatalogueIn(), data)
        row = Catalogues(self.db).create_entry(model, data)
        self.db.commit()
        return entry_out(row)

    @rpc
    def update_catalogue_entry(self, name, code, data):
        model, data = model_of(name), load(CataloguePatch, data)
        row = Catalogues(self.db).update_entry(model, code, data)
        self.db.commit()
        return entry_out(row)

    @rpc
    def list_questions(self, include_inactive=False):
        return Catalogues(self.db).questions(include_inactive)

    @rpc
    def create_question(self, data):
        q = Catalogues(self.db).create_question(load(QuestionIn, data))
        self.db.commit()
        return question_out(q)

    @rpc
    def update_question(self, question_id, data):
        q = Catalogues(self.db).update_question(question_id, load(QuestionPatch, data))
        self.db.commit()
        return question_out(q)

    # -- events -------------------------------------------------------------------------------
    @handles("devices", "customer_created")
    def handle_customer_created(self, event):
        self.workflow.follow_customer(event["customer"])

    @handles("devices", "customer_updated")
    def handle_customer_updated(self, event):
        self.workflow.follow_customer(event["customer"])

    @handles("devices", "customer_erased")
    def handle_customer_erased(self, event):
        keys = erase_customer(self.db, event)  # KVKK: services/forms/erasure.py
        self.db.commit()
        settle(self.db)
        remove_files(self.documents.storage, keys)

    @handles("devices", "contact_erased")
    def handle_contact_erased(self, event):
        erase_strings(self.db, Base.metadata, event)  # KVKK: services/common/erasure.py
        self.db.commit()
        settle(self.db)

    @handles("contracts", "maintenance_visit_due")
    def handle_maintenance_visit_due(self, event):
        """One maintenance form per (visit, attempt): services/forms/maintenance.py."""
        open_maintenance_form(self.workflow, event)
        self.db.flush()
