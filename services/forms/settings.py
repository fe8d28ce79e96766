"""forms' settings (config.yaml, each `${ENV:default}`), parsed once at start."""
from dataclasses import dataclass, field
import json
from decimal import Decimal

import logging

from services.common.clock import Clock
from services.common.settings import CompanySettings, SettingError, addresses, setting
from services.forms import domain

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FormsSettings:
    currency: str = "TRY"
    labour_hourly_rate: Decimal = Decimal("750")
    labour_rates: dict = field(default_factory=dict)  # role -> hourly rate (Decimal)
    vat_rate: Decimal = Decimal("20")
    coverage_pays: dict = field(default_factory=lambda: dict(domain.DEFAULT_COVERAGE_PAYS))
    repair_warranty_months: int = 3
    satisfaction_threshold: int = 60
    survey_expiry_days: int = 14
    management_emails: tuple = ()  # ((display name or None, address), …): low scores
    company: CompanySettings = field(default_factory=CompanySettings)  # on every document
    price_approval_days: int = 7  # how long a price approval's link works
    tracking_days: int = 365  # how long a form's tracking link works after it was made
    diagnosis_fee: Decimal = Decimal("0")  # all a device returned unrepaired is billed
    clock: Clock = field(default_factory=Clock)  # CLOCK_OFFSET_FILE: tests move time
    # a small shop: every technician reads and writes every form (services/common/access.py)
    technicians_see_all_forms: bool = False

    @classmethod
    def from_config(cls, config, quiet=False):
        """The settings; `quiet`: a second reader in the same process (the documents' and the
        schedule's) — the missing MANAGEMENT_EMAILS was said once, by the service's own."""
        rates = setting(config, "LABOUR_RATES", {}, dict_or_json)
        management = addresses(config, "MANAGEMENT_EMAILS")
        if not management and not quiet:
            log.warning("MANAGEMENT_EMAILS is not set: a low satisfaction score reopens the "
                        "form but is e-mailed to nobody in management")
        return cls(
            currency=setting(config, "CURRENCY", "TRY"),
            labour_hourly_rate=setting(config, "LABOUR_HOURLY_RATE", Decimal("750"), Decimal),
            labour_rates={role: Decimal(str(rate)) for role, rate in rates.items() if rate},
            vat_rate=setting(config, "VAT_RATE", Decimal("20"), Decimal),
            coverage_pays=setting(config, "COVERAGE_PAYS", None, dict_or_json)
            or dict(domain.DEFAULT_COVERAGE_PAYS),
            repair_warranty_months=setting(config, "REPAIR_WARRANTY_MONTHS", 3, int),
            satisfaction_threshold=setting(config, "SATISFACTION_THRESHOLD", 60, int),
            survey_expiry_days=setting(config, "SURVEY_EXPIRY_DAYS", 14, int),
            management_emails=management,
            company=CompanySettings.from_config(config),
            price_approval_days=_positive(setting(config, "PRICE_APPROVAL_DAYS", 7, int),
                                          "PRICE_APPROVAL_DAYS"),
            tracking_days=_positive(setting(config, "TRACKING_DAYS", 365, int),
                                    "TRACKING_DAYS"),
            diagnosis_fee=_money(setting(config, "DIAGNOSIS_FEE", Decimal("0"), Decimal),
                                 "DIAGNOSIS_FEE"),
            clock=Clock(setting(config, "CLOCK_OFFSET_FILE", None)),
            technicians_see_all_forms=setting(config, "TECHNICIANS_SEE_ALL_FORMS", False,
                                              bool))

    def rate(self, role):
        """The hourly labour rate of a worker's role."""
        return self.labour_rates.get(role) or self.labour_hourly_rate

    def pays(self, coverage_kind, terms=None):
        """What a coverage kind pays on a form: {labour, parts, fee}; a contract's own terms
        (the form's `coverage_terms`, JSON) before the global setting."""
        if isinstance(terms, str):
            terms = json.loads(terms)
        return domain.coverage_pays(coverage_kind, self.coverage_pays, terms)



def _positive(value, name):
    if not 1 <= value <= 365:
        raise SettingError(f"setting {name}={value!r}: from 1 to 365 days")
    return value


def _money(value, name):
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise SettingError(f"setting {name}={value!r}: an amount of at least 0 with at most "
                           "two decimals")
    return value


def dict_or_json(value):
    """A JSON object setting (given as text in the environment, or as a mapping in YAML)."""
    value = setting({"v": value}, "v", None, json)
    if not isinstance(value, dict):
        raise ValueError("a JSON object is needed")
    return value
