"""The periodic service report's schedule: a due-date scanner (services/common/scanner.py)
over forms' customer copies whose next report day has come. A claimed customer gets, in one
transaction, the report of the last whole month or quarter (a pending document whose
occasion — `monthly-2027-01`, `quarterly-2027-Q1` — is unique per customer),
`periodic_report_issued` in the outbox (notify e-mails it with the PDF), and its next report
day; then the report is rendered. So it fires once across replicas and restarts: a claim
taken by one process, an occasion that exists already is skipped, and the day moves on with
the document it made."""
from services.common.models import utcnow
from services.common.outbox import add_event
from services.common.scanner import Scanner
from services.forms import domain
from services.forms.documents import FormDocuments
from services.forms.models import CustomerCopy
from services.forms.settings import FormsSettings


class ReportSchedule(Scanner):
    model = CustomerCopy
    batch = 20
    lease_seconds = 120.0
    poll_seconds = 300.0
    poll_setting = "REPORT_POLL_SECONDS"

    def __init__(self, db="db", documents="documents", outbox="outbox"):
        super().__init__(db)
        self.documents_attr, self.outbox_attr = documents, outbox

    def setup(self):
        super().setup()
        self.settings = FormsSettings.from_config(self.container.config, quiet=True)

    def due(self, now):
        return (CustomerCopy.report_frequency != "none") & (
            CustomerCopy.next_report_on <= domain.local_date(now))

    def process(self, claim):
        desk = self.provider(self.documents_attr).desk
        issued = fire(self.Session, desk, self.settings, claim, self.container.service_name)
        if issued:
            self.provider(self.outbox_attr).wake()
            desk.issue(issued)


def fire(Session, desk, settings, claim, producer="forms", today=None):
    """The reports of the claimed customers (ids); returns the new documents' ids."""
    issued = []
    for customer_id in claim.ids:
        with Session() as s, s.begin():
            copy = s.get(CustomerCopy, customer_id)
            if copy is None or copy.claimed_by != claim.token:
                continue
            day = today or domain.local_date(utcnow())
            start, end = domain.last_period(copy.report_frequency, day)
            papers = FormDocuments(s, lambda t, p: add_event(s, producer, t, p), settings, desk)
            doc = papers.periodic_report(
                {"id": copy.id, "name": copy.name, "email": copy.email,
                 "language": copy.language}, start, end, send=True,
                occasion=f"{copy.report_frequency}-"
                         f"{domain.period_key(copy.report_frequency, start)}")
            copy.next_report_on = domain.next_report_day(copy.report_frequency, day)
            copy.claimed_by, copy.claimed_until = None, None
            if doc is not None:
                issued.append(doc.id)
    return issued
