"""contracts' entrypoints of periodic maintenance (periyodik bakım): plans, visits (reschedule,
skip, cancel), the scanner's pass at once, the maintenance report, and forms' events that move
a visit (a maintenance form opened, delivered, cancelled). A base class of ContractsService
(as forms' papers are of FormsService): the entrypoints load the input, call the application
layer (maintenance.py), commit, and answer."""
import base64

from services.common.handlers import handles
from services.common.rpc import rpc
from services.common.schemas import load
from services.contracts import maintenance_domain as rules
from services.contracts.documents import Contexts
from services.contracts.maintenance import Maintenance, MaintenanceQueries
from services.contracts.maintenance_schedule import MaintenanceScanner
from services.contracts.maintenance_schemas import (FormRef, MaintenanceReportQuery,
                                                    MaintenanceScanIn, PageBillIn, PageTermsIn,
                                                    PlanChangeIn, PlanIn, PlanQuery,
                                                    ReadingIn, ReasonIn,
                                                    RescheduleIn, VisitQuery)
from services.contracts.meters import Meters, device_readings
from services.contracts.models import Contract
from services.contracts.schemas import Actor
from services.contracts.workflow import find


class MaintenanceEntrypoints:
    maintenance_scanner = MaintenanceScanner()

    @property
    def maintenance(self):
        return Maintenance(self.db, self.outbox.emitter(self.db), self.settings)

    @property
    def maintenance_queries(self):
        return MaintenanceQueries(self.db, self.settings)

    @rpc
    def create_maintenance_plan(self, data, actor):
        """A plan of one contract device and its visits; `team` the technicians' snapshots
        (the gateway checked their role)."""
        data, actor = load(PlanIn, data), load(Actor, actor)
        customer, cards = None, None
        if data["device_ids"]:  # a group plan: the site and where each device stands
            contract = find(self.db, Contract, data["contract_id"])
            customer_id = contract.customer_id
            self.db.close()  # no transaction open while devices answers
            customer = self.devices.call("get_customer", customer_id)
            cards = {i: self.devices.call("get_device", i) for i in data["device_ids"]}
        plan = self.maintenance.create_plan(data, actor, customer, cards)
        self.db.commit()
        return self.maintenance_queries.plan(plan.id)

    @rpc
    def change_maintenance_plan(self, plan_id, data, actor):
        """Only what is sent changes (team, rule, window, lead, holidays, note) with the
        version read; the planned visits from `from` on are made again."""
        data, actor = load(PlanChangeIn, data), load(Actor, actor)
        plan = self.maintenance.change_plan(plan_id, data, actor)
        self.db.commit()
        return self.maintenance_queries.plan(plan.id)

    @rpc
    def cancel_maintenance_plan(self, plan_id, data, actor):
        """The plan cancelled with its reason: its visits not under way are cancelled too."""
        data, actor = load(ReasonIn, data), load(Actor, actor)
        plan = self.maintenance.cancel_plan(plan_id, data, actor)
        self.db.commit()
        return self.maintenance_queries.plan(plan.id)

    @rpc
    def get_maintenance_plan(self, plan_id):
        return self.maintenance_queries.plan(plan_id)

    @rpc
    def list_maintenance_plans(self, query=None):
        return self.maintenance_queries.plans(load(PlanQuery, query))

    @rpc
    def get_maintenance_visit(self, visit_id):
        return self.maintenance_queries.visit(visit_id)

    @rpc
    def list_maintenance_visits(self, query=None):
        return self.maintenance_queries.visits(load(VisitQuery, query))

    @rpc
    def reschedule_visit(self, visit_id, data, actor):
        data, actor = load(RescheduleIn, data), load(Actor, actor)
        visit = self.maintenance.reschedule(visit_id, data, actor)
        self.db.commit()
        return self.maintenance_queries.visit(visit.id)

    @rpc
    def skip_visit(self, visit_id, data, actor):
        data, actor = load(ReasonIn, data), load(Actor, actor)
        visit = self.maintenance.close(visit_id, rules.SKIPPED, data, actor)
        self.db.commit()
        return self.maintenance_queries.visit(visit.id)

    @rpc
    def cancel_visit(self, visit_id, data, actor):
        data, actor = load(ReasonIn, data), load(Actor, actor)
        visit = self.maintenance.close(visit_id, rules.CANCELLED, data, actor)
        self.db.commit()
        return self.maintenance_queries.visit(visit.id)

    @rpc
    def record_meter_reading(self, visit_id, data, actor):
        """A counter reading of the visit's device (lower than the previous only as a meter
        replacement); answers with the device's readings."""
        data, actor = load(ReadingIn, data), load(Actor, actor)
        self.maintenance.record_reading(visit_id, data, actor)
        self.db.commit()
        return self.maintenance_queries.readings(visit_id)

    @rpc
    def meter_readings(self, visit_id):
        return self.maintenance_queries.readings(visit_id)

    @rpc
    def record_form_reading(self, form, data, actor):
        """A counter reading from a service form (`form` as forms has it: id, number,
        device_id, maintenance): on its visit, else under the contract covering the device;
        answers with the device's readings."""
        form, data, actor = load(FormRef, form), load(ReadingIn, data), load(Actor, actor)
        Meters(self.db, self.settings).record_from_form(form, data, actor)
        self.db.commit()
        return device_readings(self.db, form["device_id"])

    @rpc
    def device_meter_readings(self, device_id):
        return device_readings(self.db, device_id)

    # -- pages over the allowance -------------------------------------------------------------
    @rpc
    def page_terms(self, contract_id):
        return Meters(self.db, self.settings).page_terms(contract_id)

    @rpc
    def set_page_terms(self, contract_id, data, actor):
        """The contract's page terms replaced (the contract's version read)."""
        data, actor = load(PageTermsIn, data), load(Actor, actor)
        meters = Meters(self.db, self.settings)
        contract = meters.set_page_terms(contract_id, data, actor)
        self.db.commit()
        return meters.page_terms(contract.id)

    @rpc
    def bill_pages(self, contract_id, data, actor):
        """A period's pages over the allowances, as an installment of the invoice schedule."""
        data, actor = load(PageBillIn, data), load(Actor, actor)
        meters = Meters(self.db, self.settings)
        bill = meters.bill_pages(contract_id, data, actor)
        self.db.commit()
        # `version`: the contract's, which the bill raised (the next write states it)
        return {**meters.bill(bill.id), "version": data["version"] + 1}

    @rpc
    def page_bills(self, contract_id):
        return Meters(self.db, self.settings).bills(contract_id)

    @rpc
    def scan_maintenance(self, data=None):
        """What the maintenance scanner does, at once (today: the clock's, or the one given)."""
        data = load(MaintenanceScanIn, data)
        fired = self.maintenance.scan(data["today"])
        self.db.commit()
        return {"visits": fired}

    @rpc
    def maintenance_report(self, query=None):
        return self.maintenance_queries.report(load(MaintenanceReportQuery, query))

    @rpc
    def maintenance_report_pdf(self, query=None, language="tr"):
        """The maintenance report as a PDF in `language` (tr, en): its summary and the visits
        it counts (the first REPORT_PDF_VISITS), rendered now on the documents' template
        machinery and PDF pool — a report is a read, so nothing is stored."""
        query = load(MaintenanceReportQuery, query)
        language = language if language in ("tr", "en") else "tr"
        queries = self.maintenance_queries
        report = queries.report(query)
        visits = queries.report_visits(query, rules.REPORT_PDF_VISITS)
        number = f"{rules.REPORT_STATE_SLUGS[language][query['state']]}-{report['today']}"
        context = {"report": report, "visits": visits, "more": report["total"] > len(visits),
                   "state_name": rules.REPORT_STATE_NAMES[query["state"]],
                   "group_name": rules.REPORT_GROUP_NAMES[query["group_by"]],
                   "period_from": query["month_from"], "period_to": query["month_to"],
                   "days": query["days"],
                   **Contexts(self.settings).common(number, None, language,
                                                    "maintenance_report")}
        self.db.rollback()  # no transaction open while the PDF renders
        html = self.documents.templates.render("maintenance_report", context, language)
        pdf, pages = self.documents.pdf.render(html)
        return {"filename": f"bakim-raporu-{number}.pdf" if language == "tr"
                else f"maintenance-report-{number}.pdf", "pages": pages,
                "content_type": "application/pdf",
                "content_b64": base64.b64encode(pdf).decode()}

    # -- forms' events ------------------------------------------------------------------------
    @handles("forms", "form_created")
    def handle_form_created(self, event):
        if event["form"]["kind"] == "maintenance":
            self.maintenance.form_opened(event["form"])

    @handles("forms", "form_completed")
    def handle_form_completed(self, event):
        self.maintenance.form_completed(event["form"])

    @handles("forms", "form_status_changed")
    def handle_form_status_changed(self, event):
        if event["to"] == "CANCELLED":
            self.maintenance.form_cancelled(event["form"], event.get("note"))
