"""contracts' settings (config.yaml, each `${ENV:default}`), parsed once at start."""
from dataclasses import dataclass, field
from decimal import Decimal

from services.common.clock import Clock
from services.common.settings import CompanySettings, SettingError, setting


@dataclass(frozen=True)
class ContractsSettings:
    vat_rate: Decimal = Decimal("20")
    stamp_duty_rate: Decimal = Decimal("0.948")  # damga vergisi, per cent of the net amount
    proposal_valid_days: int = 30  # a proposal's default validity
    renewal_notice_days: int = 60  # contract_renewal_due this many days before the end
    contracts_emails: tuple = ()  # ((name or None, address), …): the contracts officers
    clock: Clock = field(default_factory=Clock)  # CLOCK_OFFSET_FILE: tests move time
    company: CompanySettings = field(default_factory=CompanySettings)  # on the proposal PDF

    @classmethod
    def from_config(cls, config):
        from services.common.settings import addresses
        return cls(
            vat_rate=_percent(setting(config, "VAT_RATE", Decimal("20"), Decimal), "VAT_RATE"),
            stamp_duty_rate=_percent(setting(config, "STAMP_DUTY_RATE", Decimal("0.948"),
                                             Decimal), "STAMP_DUTY_RATE"),
            proposal_valid_days=setting(config, "PROPOSAL_VALID_DAYS", 30, int),
            renewal_notice_days=setting(config, "RENEWAL_NOTICE_DAYS", 60, int),
            contracts_emails=addresses(config, "CONTRACTS_EMAILS"),
            clock=Clock(setting(config, "CLOCK_OFFSET_FILE", None)),
            company=CompanySettings.from_config(config))


def _percent(value, name):
    if not value.is_finite() or not 0 <= value <= 100:
        raise SettingError(f"setting {name}={value!r}: a percent from 0 to 100")
    return value
