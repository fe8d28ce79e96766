"""devices' settings (config.yaml, each `${ENV:default}`), parsed once at start."""
from dataclasses import dataclass

from services.common.settings import setting


@dataclass(frozen=True)
class DevicesSettings:
    # staged rows applied per transaction; None: by the backend (BATCH_SIZE_BY_BACKEND)
    import_batch_size: int | None = None
    import_poll_seconds: float = 2.0  # the import runner looks for queued jobs this often
    import_mode: str = "bulk"  # bulk (set-based) or rows (the reference path, row by row)

    @classmethod
    def from_config(cls, config):
        return cls(
            import_batch_size=setting(config, "IMPORT_BATCH_SIZE", None, int),
            import_poll_seconds=setting(config, "IMPORT_POLL_SECONDS", 2.0, float),
            import_mode=setting(config, "IMPORT_MODE", "bulk", _mode))


def _mode(value):
    if value not in ("bulk", "rows"):
        raise ValueError(f"IMPORT_MODE is bulk or rows, not {value!r}")
    return value


# SQLite: a batch's transaction holds the service's one connection and the process, so RPCs
# wait for it: 200 rows. PostgreSQL: RPCs have their own connections and every statement is
# a round trip: 500 rows (docs/benchmarks.md, "Import").
BATCH_SIZE_BY_BACKEND = {"sqlite": 200, "postgresql": 500}
