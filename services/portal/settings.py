"""portal's settings (config.yaml, each `${ENV:default}`), parsed once at start."""
from dataclasses import dataclass

from services.common.settings import setting


@dataclass(frozen=True)
class PortalSettings:
    forms_timeout: float = 8.0  # portal -> forms (open the accepted request's form)
    devices_timeout: float = 8.0  # portal -> devices (the customer's own card)

    @classmethod
    def from_config(cls, config):
        return cls(forms_timeout=setting(config, "FORMS_RPC_TIMEOUT", 8.0, float),
                   devices_timeout=setting(config, "DEVICES_RPC_TIMEOUT", 8.0, float))
