"""notify's settings (config.yaml, each `${ENV:default}`), parsed once at start."""
from dataclasses import dataclass
from email.utils import parseaddr

from services.common.settings import SettingError, addresses, setting, url


@dataclass(frozen=True)
class NotifySettings:
    mail_from: str = "Servis <servis@localhost>"
    company_name: str = "Servis"
    logo_url: str | None = None
    management_recipients: tuple = ()  # [{name, email, language}] told of low scores
    retry_attempts: int = 5
    retry_first_delay: float = 5.0
    retry_max_delay: float = 600.0
    body_retention_days: int = 0  # a sent message's bytes are dropped after this; 0: kept

    @classmethod
    def from_config(cls, config):
        mail_from = setting(config, "MAIL_FROM", "Servis <servis@localhost>")
        if "@" not in parseaddr(mail_from)[1]:
            raise SettingError(f"setting MAIL_FROM={mail_from!r} has no e-mail address (write "
                               "`Name <name@example.com>`)")
        management = tuple({"name": name or address, "email": address, "language": "tr"}
                           for name, address in addresses(config, "MANAGEMENT_EMAILS"))
        return cls(
            mail_from=mail_from,
            company_name=setting(config, "COMPANY_NAME", "Servis"),
            logo_url=url(config, "COMPANY_LOGO_URL"),
            # who hears of a low score when the event names nobody: MANAGEMENT_EMAILS
            # (display names allowed), else the config's list of {name, email, language}
            management_recipients=management or tuple(
                config.get("MANAGEMENT_RECIPIENTS") or ()),
            retry_attempts=setting(config, "MAIL_RETRY_ATTEMPTS", 5, int),
            retry_first_delay=setting(config, "MAIL_RETRY_FIRST_DELAY", 5.0, float),
            retry_max_delay=setting(config, "MAIL_RETRY_MAX_DELAY", 600.0, float),
            body_retention_days=max(0, setting(config, "MAIL_BODY_RETENTION_DAYS", 0, int)))

    @property
    def envelope_from(self):
        return parseaddr(self.mail_from)[1] or "servis@localhost"
