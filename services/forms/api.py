"""What the gateway may import from forms: the schemas of its HTTP inputs, and the codes and
their TR/EN names it shows (lists as CSV, the status-code catalogue). Nothing else of forms'
internals: the gateway reaches forms only through these and its RPCs."""
from services.forms.approvals import LINK_NOT_VALID
from services.forms.domain import (APPROVAL_STATE_NAMES, COVERAGE_NAMES, DOCUMENT_KINDS,
                                   KIND_NAMES, LOCAL_TZ, NEEDS_NOTE, STATUS_NAMES, TRANSITIONS)
from services.forms.schemas import (AssignHttp, CallsQuery, CatalogueIn, CataloguePatch,
                                    CustomerSurveyIn,
                                    DamageReportIn, DecisionIn, EstimateIn, FinalCheckIn, FormIn,
                                    FormQuery, HistoryQuery, PartIn, PeriodicReportIn,
                                    PhoneDecisionIn, PreviewIn,
                                    QuestionIn, QuestionPatch, RevenueQuery, SatisfactionQuery,
                                    SubStatusIn, SurveyIn, TemplateIn, TimerIn, TransitionIn,
                                    Versioned, WorkIn, WorkLogIn)

__all__ = [
    "APPROVAL_STATE_NAMES", "LINK_NOT_VALID", "COVERAGE_NAMES", "DOCUMENT_KINDS", "KIND_NAMES", "LOCAL_TZ", "NEEDS_NOTE", "STATUS_NAMES", "TRANSITIONS",
    "AssignHttp", "CallsQuery", "CustomerSurveyIn", "CatalogueIn", "CataloguePatch", "DamageReportIn",
    "DecisionIn", "EstimateIn", "PhoneDecisionIn",
    "PeriodicReportIn", "PreviewIn", "TemplateIn", "FinalCheckIn", "FormIn",
    "FormQuery", "HistoryQuery", "PartIn", "QuestionIn", "QuestionPatch", "RevenueQuery",
    "SatisfactionQuery", "SubStatusIn", "SurveyIn", "TimerIn", "TransitionIn", "Versioned",
    "WorkIn", "WorkLogIn",
]
