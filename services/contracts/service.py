"""contracts: proposals (teklif) and maintenance contracts (bakım sözleşmesi) — the proposal and
its decision, the contract's lifecycle (activated on its start date by the due-date scanner,
renewal reminders, expiry, cancel), renewals, the renewal list.

The nameko entrypoints only load the input, ask devices what the write needs (with no
transaction open), call the application layer (workflow.py for every write, queries.py and
reports.py for reads), commit, and answer."""
from services.common.db import Database
from services.common.erasure import erase_strings, settle
from services.common.handlers import handles
from services.common.documents.issuing import Documents, document_out, remove_files
from services.common.heartbeat import Heartbeat
from services.common.outbox import Outbox
from services.common.personal import checked_id
from services.common.rpc import ServiceClient, rpc
from services.common.schemas import load
from services.common.settings import Settings
from services.contracts.erasure import erase_customer
from services.contracts.documents import TEMPLATES, ProposalPapers, make_builder
from services.contracts import maintenance_service
from services.contracts.machine_park import MachinePark, check_out, find_check, items_of
from services.contracts.models import Base, Document, DocumentTemplate
from services.contracts.queries import ContractQueries, personal_data
from services.contracts.reports import ContractReports
from services.contracts.schedule import ContractScanner
from services.contracts.schemas import (Actor, CancelIn, ContractQuery, DecisionIn,
                                        ProposalEdit, ProposalIn,
                                        InvoicedIn, InvoiceQuery, PaidIn, ProposalQuery,
                                        RenewalQuery, RenewIn, RevenueQuery, ScanIn,
                                        ScheduleIn, SendIn, SignedScanIn, ProposalTemplateIn,
                                        InsuranceNoticeIn, MachineParkIn, ParkResultsIn)
from services.contracts.settings import ContractsSettings
from services.contracts.workflow import ContractWorkflow


# maintenance_service is imported as a module: `nameko run` starts every class with entrypoints
# it finds in this module's namespace, and the maintenance entrypoints alone are no service
class ContractsService(maintenance_service.MaintenanceEntrypoints):
    name = "contracts"
    heartbeat = Heartbeat()  # the container's liveness (deploy/probe.py)

    db = Database(Base.metadata)
    outbox = Outbox("db")
    settings = Settings(ContractsSettings)
    devices = ServiceClient("devices", "DEVICES_RPC_TIMEOUT")
    scanner = ContractScanner()
    documents = Documents(Document, DocumentTemplate, TEMPLATES, make_builder)

    @property
    def workflow(self):
        return ContractWorkflow(self.db, self.outbox.emitter(self.db), self.settings)

    @property
    def papers(self):
        return ProposalPapers(self.db, self.outbox.emitter(self.db), self.settings,
                              self.documents)

    @property
    def queries(self):
        return ContractQueries(self.db, self.settings)

    @property
    def reports(self):
        return ContractReports(self.db, self.settings)

    @rpc
    def ping(self):
        return "contracts"

    # -- proposals ----------------------------------------------------------------------------
    @rpc
    def create_proposal(self, data, actor):
        data, actor = load(ProposalIn, data), load(Actor, actor)
        customer = self.devices.call("get_customer", data["customer_id"])
        cards = {d["device_id"]: self.devices.call("get_device", d["device_id"])
                 for d in data["devices"] if d["device_id"]}
        proposal = self.workflow.propose(data, actor, customer, cards)
        self.papers.request(proposal, actor, "created")  # its PDF, in the same transaction
        self.db.commit()
        self.documents.issue_now()
        return self.queries.proposal(proposal.id)

    @rpc
    def revise_proposal(self, proposal_id, data, actor):
        """A new version of an open proposal (the version contract); a new PDF of it."""
        data, actor = load(ProposalEdit, data), load(Actor, actor)
        customer = self.devices.call("get_customer", data["customer_id"])
        cards = {d["device_id"]: self.devices.call("get_device", d["device_id"])
                 for d in data["devices"] if d["device_id"]}
        proposal = self.workflow.revise(proposal_id, data, actor, customer, cards)
        self.papers.request(proposal, actor, f"revised-{proposal.version}")
        self.db.commit()
        self.documents.issue_now()
        return self.queries.proposal(proposal.id)

    @rpc
    def get_proposal(self, proposal_id):
        return self.queries.proposal(proposal_id)

    @rpc
    def list_proposals(self, query=None):
        return self.queries.proposals(load(ProposalQuery, query))

    @rpc
    def decide_proposal(self, proposal_id, data, actor):
        """Accept (the contract in draft) or reject; accepting registers the proposal's new
        devices with devices first."""
        data, actor = load(DecisionIn, data), load(Actor, actor)
        registered = {}
        if data["decision"] == "accepted":
            registered = self._register_new(proposal_id, data, actor)
        proposal = self.workflow.decide(proposal_id, data, actor, registered)
        self.db.commit()
        return self.queries.proposal(proposal.id)

    def _register_new(self, proposal_id, data, actor):
        self.workflow.check_decidable(proposal_id, data)  # nothing registered for a 409
        proposal = self.queries.proposal(proposal_id)
        self.db.close()  # no transaction open while devices answers
        return {row_id: self.devices.call("register_device", card, actor)["id"]
                for row_id, card in self.queries.new_devices(proposal)}

    # -- the proposal's documents and template -------------------------------------------------
    @rpc
    def send_proposal(self, proposal_id, data, actor):
        """E-mail the proposal's PDF (rendered now) to the customer, the PDF attached."""
        data, actor = load(SendIn, data), load(Actor, actor)
        doc = self.papers.send(proposal_id, data, actor)
        self.db.commit()
        self.documents.issue_now()
        return document_out(self.db.get(Document, doc.id, populate_existing=True))

    @rpc
    def attach_signed_scan(self, proposal_id, data, actor):
        """The signed scan of the decision: a PDF, JPEG or PNG by content, at most 10 MB."""
        data, actor = load(SignedScanIn, data), load(Actor, actor)
        proposal = self.papers.attach_scan(proposal_id, data, actor)
        self.db.commit()
        return self.queries.proposal(proposal.id)

    @rpc
    def get_signed_scan(self, proposal_id):
        return self.papers.signed_scan(proposal_id)

    @rpc
    def proposal_documents(self, proposal_id):
        return self.papers.listing(proposal_id)

    @rpc
    def get_proposal_document(self, proposal_id, document_id):
        return self.papers.download(document_id, "proposal", proposal_id)

    @rpc
    def contract_documents(self, contract_id):
        return self.papers.contract_listing(contract_id)

    @rpc
    def get_contract_document(self, contract_id, document_id):
        return self.papers.contract_download(contract_id, document_id)

    @rpc
    def issue_insurance_notice(self, contract_id, data, actor):
        """The insurance notification of the contract's insured devices, e-mailed (PDF)."""
        data, actor = load(InsuranceNoticeIn, data), load(Actor, actor)
        contract = self.queries.contract(contract_id)
        self.db.close()  # no transaction open while devices answers
        cards = [self.devices.call("get_device", d["device_id"])
                 for d in contract["devices"] if d["device_id"]]
        doc = self.papers.insurance_notice(contract_id, data, actor, cards)
        self.db.commit()
        self.documents.issue_now()
        return document_out(self.db.get(Document, doc.id, populate_existing=True))

    @rpc
    def get_document(self, document_id):
        """A document's bytes by its id alone (notify attaches it); 409 until issued."""
        return self.papers.download(document_id)

    @rpc
    def personal_data(self, customer_id):
        """What contracts holds about the customer (KVKK export)."""
        return personal_data(self.db, checked_id(customer_id))

    @handles("devices", "customer_erased")
    def handle_customer_erased(self, event):
        keys = erase_customer(self.db, event)  # KVKK: services/contracts/erasure.py
        self.db.commit()
        settle(self.db)
        remove_files(self.documents.storage, keys)

    @handles("devices", "contact_erased")
    def handle_contact_erased(self, event):
        """KVKK: a contact person's strings scrubbed from every table
        (services/common/erasure.py)."""
        erase_strings(self.db, Base.metadata, event)
        self.db.commit()
        settle(self.db)

    @rpc
    def proposal_template(self):
        return self.papers.template()

    @rpc
    def save_proposal_template(self, data, actor):
        """A new version of the proposal's template, checked in TR and EN first."""
        data, actor = load(ProposalTemplateIn, data), load(Actor, actor)
        self.papers.save_template(data, actor)
        self.db.commit()
        return self.papers.template()

    # -- contracts ----------------------------------------------------------------------------
    @rpc
    def get_contract(self, contract_id):
        return self.queries.contract(contract_id)

    @rpc
    def list_contracts(self, query=None):
        return self.queries.contracts(load(ContractQuery, query))

    @rpc
    def contract_history(self, contract_id):
        return self.queries.history(contract_id)

    @rpc
    def cancel_contract(self, contract_id, data, actor):
        data, actor = load(CancelIn, data), load(Actor, actor)
        contract = self.workflow.cancel(contract_id, data, actor)
        self.db.commit()
        return self.queries.contract(contract.id)

    @rpc
    def renew_contract(self, contract_id, data, actor):
        """The renewal proposal for the next period, the price raised by a percent."""
        data, actor = load(RenewIn, data), load(Actor, actor)
        proposal = self.workflow.renew(contract_id, data, actor)
        self.papers.request(proposal, actor, "created")
        self.db.commit()
        self.documents.issue_now()
        return self.queries.proposal(proposal.id)

    @rpc
    def scan_due(self, data=None):
        """What the scanner does, at once (today: the clock's, or the one given)."""
        data = load(ScanIn, data)
        fired = self.workflow.scan(data["today"])
        self.db.commit()
        return {"contracts": fired}

    # -- machine-park checks --------------------------------------------------------------------
    @property
    def park(self):
        return MachinePark(self.db, self.settings, self.documents)

    def _park_out(self, check_id):
        return check_out(find_check(self.db, check_id), items_of(self.db, check_id))

    @rpc
    def open_machine_park(self, data, actor):
        """The machine-park form of a customer site: every device the archive has there."""
        data, actor = load(MachineParkIn, data), load(Actor, actor)
        customer = self.devices.call("get_customer", data["customer_id"])
        cards = self._cards_of(data["customer_id"])
        check = self.park.open(data, actor, customer, cards)
        self.db.commit()
        self.documents.issue_now()
        return self._park_out(check.id)

    def _cards_of(self, customer_id):
        """Every card of the customer (devices' find_devices, page by page)."""
        cards, cursor = [], None
        while True:
            page = self.devices.call("find_devices", {"customer_id": customer_id,
                                                      "limit": 500, "cursor": cursor})
            cards += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return cards

    @rpc
    def machine_park_form(self, check_id):
        """The check's form as a PDF (409 while it is being rendered)."""
        find_check(self.db, check_id)
        return self.papers.park_form(check_id)

    @rpc
    def get_machine_park(self, check_id):
        return self._park_out(check_id)

    @rpc
    def record_machine_park(self, check_id, data, actor):
        """The on-site results; devices found that the archive lacked are registered."""
        data, actor = load(ParkResultsIn, data), load(Actor, actor)
        check = self.park.check_results(check_id, data)
        base = {"customer_id": check.customer_id, "site_id": check.site_id}
        self.db.close()
        registered = [(self.devices.call("register_device", {**base, **{
            k: v for k, v in d.items() if k != "note"}}, actor), d["note"])
            for d in data["new_devices"]]
        self.park.record(check_id, data, registered)
        self.db.commit()
        return self._park_out(check_id)

    # -- the invoice schedule -------------------------------------------------------------------
    @rpc
    def contract_invoices(self, contract_id):
        return self.queries.invoices(contract_id)

    @rpc
    def schedule_invoices(self, contract_id, data, actor):
        """The invoices of the contract's total: monthly, quarterly, yearly or single."""
        data, actor = load(ScheduleIn, data), load(Actor, actor)
        contract = self.workflow.schedule_invoices(contract_id, data, actor)
        self.db.commit()
        return self.queries.contract(contract.id)

    @rpc
    def mark_invoiced(self, contract_id, invoice_id, data, actor):
        data, actor = load(InvoicedIn, data), load(Actor, actor)
        row = self.workflow.mark_invoiced(contract_id, invoice_id, data, actor)
        self.db.commit()
        return self.queries.invoice(row.id)

    @rpc
    def mark_paid(self, contract_id, invoice_id, data, actor):
        data, actor = load(PaidIn, data), load(Actor, actor)
        row = self.workflow.mark_paid(contract_id, invoice_id, data, actor)
        self.db.commit()
        return self.queries.invoice(row.id)

    @rpc
    def invoice_list(self, query=None):
        """Invoices due (to be invoiced) or overdue (not paid past their due date)."""
        return self.queries.invoice_list(load(InvoiceQuery, query))

    # -- reports ------------------------------------------------------------------------------
    @rpc
    def revenue(self, query=None):
        return self.reports.revenue(load(RevenueQuery, query))

    @rpc
    def renewal_list(self, query=None):
        return self.reports.renewals(load(RenewalQuery, query))
