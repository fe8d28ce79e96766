"""A service's settings, parsed once: `Settings(FormsSettings)` is a dependency that turns the
container's config (config.yaml with `${ENV:default}`) into a frozen dataclass at setup, so a
bad value stops the start naming the setting, and workers read typed attributes instead of
config strings. Each service declares its dataclass with a `from_config(config)` classmethod;
the application layer takes the object, so tests build one directly."""
import json
from decimal import Decimal, InvalidOperation

from nameko.extensions import DependencyProvider


class SettingError(ValueError):
    pass


def setting(config, name, default, kind=str):
    """config[name] as `kind` (str, int, float, Decimal, json, bool); blank or missing gives
    the default; a value that does not read as `kind` raises SettingError naming it."""
    value = config.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        if kind is json:
            return json.loads(value) if isinstance(value, str) else value
        if kind is bool:
            return value if isinstance(value, bool) else str(value).strip().lower() in (
                "1", "true", "yes", "on")
        if kind is Decimal:
            return Decimal(str(value).strip())
        return kind(value)
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise SettingError(f"setting {name}={value!r} is not a valid {kind.__name__}: {exc}")


class Settings(DependencyProvider):
    def __init__(self, settings_class):
        self.settings_class = settings_class
        self.value = None

    def setup(self):
        self.value = self.settings_class.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.value
