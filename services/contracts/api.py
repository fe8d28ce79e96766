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
