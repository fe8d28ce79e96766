"""devices' settings (config.yaml, each `${ENV:default}`), parsed once at start."""
from dataclasses import dataclass

from services.common.settings import setting


@dataclass(frozen=True)
class DevicesSettings:
    import_batch_size: int = 100  # staged rows applied per transaction
    import_poll_seconds: float = 2.0  # the import runner looks for queued jobs this often

    @classmethod
    def from_config(cls, config):
        return cls(
            import_batch_size=setting(config, "IMPORT_BATCH_SIZE", 100, int),
            import_poll_seconds=setting(config, "IMPORT_POLL_SECONDS", 2.0, float))
