"""The maintenance visits' due-date scanner (services/common/scanner.py) over visits with
something due: the reminder `maintenance_due` `lead_days` ahead, and on the visit's day the
visit due with its `maintenance_visit_due` (visit, attempt). The system actor acts; "once" is
the claim plus the flag (`reminded`, `dispatched_attempt`) that moves in the same transaction
as the event written to the outbox, so replicas and restarts never send it twice. Today is the
settings' clock's (CLOCK_OFFSET_FILE moves it in tests)."""
from services.common.outbox import add_event
from services.common.scanner import Scanner
from services.contracts.maintenance import Maintenance
from services.contracts.models import MaintenanceVisit
from services.contracts.settings import ContractsSettings


class MaintenanceScanner(Scanner):
    model = MaintenanceVisit
    batch = 50
    lease_seconds = 60.0
    poll_seconds = 60.0
    poll_setting = "CONTRACT_SCAN_SECONDS"

    def __init__(self, db="db", outbox="outbox"):
        super().__init__(db)
        self.outbox_attr = outbox

    def setup(self):
        super().setup()
        self.settings = ContractsSettings.from_config(self.container.config)

    def _maintenance(self, session):
        producer = self.container.service_name
        return Maintenance(session, lambda t, p: add_event(session, producer, t, p),
                           self.settings)

    def due(self, now):
        with self.Session() as s:
            return Maintenance.due(self._maintenance(s).today())

    def order(self):
        return (MaintenanceVisit.scheduled_on, MaintenanceVisit.id)

    def process(self, claim):
        for visit_id in claim.ids:
            with self.Session() as s, s.begin():
                visit = s.get(MaintenanceVisit, visit_id)
                if visit is None or visit.claimed_by != claim.token:
                    continue
                maintenance = self._maintenance(s)
                maintenance.fire(visit, maintenance.today())
                visit.claimed_by, visit.claimed_until = None, None
        self.provider(self.outbox_attr).wake()
