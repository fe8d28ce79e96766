"""What the gateway may import from contracts: the schemas of its HTTP inputs, and the codes
and their TR/EN names it shows. Nothing else of contracts' internals."""
from services.contracts.domain import (MAX_SCAN_BYTES, PROPOSAL_STATUS_NAMES, READ,
                                       STATUS_NAMES, TRANSITIONS, WRITE, scan_type)
from services.contracts.schemas import (CancelIn, ContractQuery, DecisionIn, ProposalEdit,
                                        ProposalIn,
                                        InsuranceNoticeIn, InvoicedIn, InvoiceQuery,
                                        MachineParkIn, ParkResultsIn, PaidIn, ProposalQuery,
                                        RenewalQuery, RenewIn, RevenueQuery, ScheduleIn,
                                        SendIn, ProposalTemplateIn, Versioned)

__all__ = ["MAX_SCAN_BYTES", "scan_type", "PROPOSAL_STATUS_NAMES", "READ", "STATUS_NAMES",
           "TRANSITIONS", "WRITE", "CancelIn", "ContractQuery", "DecisionIn", "ProposalIn",
           "ProposalEdit",
           "ProposalQuery", "RenewalQuery", "RenewIn", "SendIn", "ProposalTemplateIn",
           "Versioned", "InvoicedIn", "InsuranceNoticeIn", "MachineParkIn", "ParkResultsIn",
           "InvoiceQuery", "PaidIn", "RevenueQuery", "ScheduleIn"]

# periodic maintenance (issue 18)
from services.contracts.maintenance_domain import (READ as MAINTENANCE_READ,  # noqa: E402
                                                   READINGS_WRITE, REPORT_GROUP_NAMES,
                                                   REPORT_STATE_NAMES, VISIT_STATUS_NAMES,
                                                   WRITE as MAINTENANCE_WRITE)
from services.contracts.maintenance_schemas import (MaintenanceReportQuery,  # noqa: E402
                                                    PageBillIn, PageTermsIn,
                                                    PlanChangeHttp, PlanHttp, PlanQuery,
                                                    ReadingIn, ReasonIn,
                                                    RescheduleIn, VisitQuery)

__all__ += ["MAINTENANCE_READ", "MAINTENANCE_WRITE", "READINGS_WRITE", "VISIT_STATUS_NAMES",
            "REPORT_GROUP_NAMES", "REPORT_STATE_NAMES",
            "ReadingIn", "PageBillIn", "PageTermsIn",
            "MaintenanceReportQuery", "PlanChangeHttp", "PlanHttp", "PlanQuery", "ReasonIn",
            "RescheduleIn",
            "VisitQuery"]
