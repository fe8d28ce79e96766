"""devices' settings (config.yaml, each `${ENV:default}`), parsed once at start."""
from dataclasses import dataclass

from services.common.settings import setting


@dataclass(frozen=True)
class DevicesSettings:
    import_batch_size: int = 100  # staged rows applied per transaction
    import_poll_seconds: float = 2.0  # the import runner looks for queued jobs this often
    import_mode: str = "bulk"  # bulk (set-based) or rows (the reference path, row by row)

    @classmethod
    def from_config(cls, config):
        return cls(
            import_batch_size=setting(config, "IMPORT_BATCH_SIZE", 100, int),
            import_poll_seconds=setting(config, "IMPORT_POLL_SECONDS", 2.0, float),
            import_mode=setting(config, "IMPORT_MODE", "bulk", _mode))


def _mode(value):
    if value not in ("bulk", "rows"):
        raise ValueError(f"IMPORT_MODE is bulk or rows, not {value!r}")
    return value
