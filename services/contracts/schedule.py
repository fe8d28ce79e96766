"""The contracts' due-date scanner (services/common/scanner.py) over contracts with something
due: a draft whose start date has come is activated (contract_activated), an active one is
reminded of its renewal N days before its end (contract_renewal_due) and expires after its end
(contract_expired). The system actor acts; "once" is the claim plus the status or flag that
moves in the same transaction as the event written to the outbox. Today is the settings'
clock's (CLOCK_OFFSET_FILE moves it in tests)."""
from services.common.outbox import add_event
from services.common.scanner import Scanner
from services.contracts.models import Contract
from services.contracts.settings import ContractsSettings
from services.contracts.workflow import ContractWorkflow


class ContractScanner(Scanner):
    model = Contract
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

    def _workflow(self, session):
        producer = self.container.service_name
        return ContractWorkflow(session, lambda t, p: add_event(session, producer, t, p),
                                self.settings)

    def due(self, now):
        with self.Session() as s:
            workflow = self._workflow(s)
            return workflow.due(workflow.today())

    def process(self, claim):
        for contract_id in claim.ids:
            with self.Session() as s, s.begin():
                contract = s.get(Contract, contract_id)
                if contract is None or contract.claimed_by != claim.token:
                    continue
                workflow = self._workflow(s)
                workflow.fire(contract, workflow.today())
                contract.claimed_by, contract.claimed_until = None, None
        self.provider(self.outbox_attr).wake()
