"""A service's settings, parsed once: `Settings(FormsSettings)` is a dependency that turns the
container's config (config.yaml with `${ENV:default}`) into a frozen dataclass at setup, so a
bad value stops the start naming the setting, and workers read typed attributes instead of
config strings. Each service declares its dataclass with a `from_config(config)` classmethod;
the application layer takes the object, so tests build one directly."""
import json
import re
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


# -- settings several services read ------------------------------------------------------------
def addresses(config, name):
    """A comma-separated list of e-mail addresses, each bare (`genel@example.com`) or with a
    display name (`Genel Müdür <genel@example.com>`, `"Kaya, Ali" <ali@example.com>`), as
    ((display name or None, address), ...). One that does not read as an address stops the
    start, naming the setting and the entry."""
    from email.utils import getaddresses
    value = config.get(name)
    if value is None or not str(value).strip():
        return ()
    out = []
    for display, address in getaddresses([str(value)]):
        if not address and not display:
            continue
        if not _EMAIL.fullmatch(address or ""):
            raise SettingError(f"setting {name}={value!r}: {(display or address)!r} is not an "
                               "e-mail address (write `name@example.com` or "
                               "`Display Name <name@example.com>`, comma-separated)")
        out.append((display.strip() or None, address.strip()))
    return tuple(out)


def url(config, name, default=None):
    """An http(s) URL without a trailing slash; anything else stops the start."""
    from urllib.parse import urlsplit
    value = setting(config, name, default)
    if value is None:
        return None
    parts = urlsplit(str(value).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingError(f"setting {name}={value!r} is not an http:// or https:// URL")
    return str(value).strip().rstrip("/")


def digits(config, name, lengths, default=None):
    """A number written as digits (a tax number, MERSİS): blanks allowed in the setting, the
    digit count one of `lengths`."""
    value = setting(config, name, default)
    if value is None:
        return None
    compact = "".join(str(value).split())
    if not compact.isdigit() or len(compact) not in lengths:
        raise SettingError(f"setting {name}={value!r} must be "
                           f"{' or '.join(map(str, lengths))} digits")
    return compact


_EMAIL = re.compile(r"[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"'.]+")


class CompanySettings:
    """The company on every document and e-mail: name, address, tax office and number, phone,
    MERSİS number, logo (COMPANY_LOGO_PATH, a PNG/JPEG/SVG file read once at start; PDFs
    embed it, e-mails link COMPANY_LOGO_URL), and PUBLIC_BASE_URL (the gateway as customers
    reach it: tracking links and their QR codes). Parsed once; a bad value stops the start."""

    FIELDS = ("name", "address", "tax_office", "tax_no", "phone", "mersis", "logo_path",
              "logo_url", "public_base_url")

    def __init__(self, name="Servis Teknik Servis", address=None, tax_office=None, tax_no=None,
                 phone=None, mersis=None, logo_path=None, logo_url=None,
                 public_base_url="http://127.0.0.1:8000"):
        self.name, self.address, self.tax_office, self.tax_no = name, address, tax_office, tax_no
        self.phone, self.mersis, self.logo_path, self.logo_url = phone, mersis, logo_path, logo_url
        self.public_base_url = public_base_url
        self.logo = None  # the logo as a data: URI (read once)
        if logo_path:
            self.logo = _logo_uri(logo_path)

    @classmethod
    def from_config(cls, config):
        import os
        port = os.environ.get("GATEWAY_PORT") or "8000"
        return cls(
            name=setting(config, "COMPANY_NAME", "Servis Teknik Servis"),
            address=setting(config, "COMPANY_ADDRESS", None),
            tax_office=setting(config, "COMPANY_TAX_OFFICE", None),
            tax_no=digits(config, "COMPANY_TAX_NO", (10, 11)),
            phone=setting(config, "COMPANY_PHONE", None),
            mersis=digits(config, "COMPANY_MERSIS", (16,)),
            logo_path=setting(config, "COMPANY_LOGO_PATH", None),
            logo_url=url(config, "COMPANY_LOGO_URL"),
            public_base_url=url(config, "PUBLIC_BASE_URL", f"http://127.0.0.1:{port}"))

    def as_dict(self):
        return {**{k: getattr(self, k) for k in self.FIELDS}, "logo": self.logo}


def _logo_uri(path):
    import base64
    import mimetypes
    kind = mimetypes.guess_type(path)[0]
    if kind not in ("image/png", "image/jpeg", "image/svg+xml"):
        raise SettingError(f"setting COMPANY_LOGO_PATH={path!r}: a .png, .jpg or .svg file is "
                           "needed")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise SettingError(f"setting COMPANY_LOGO_PATH={path!r} cannot be read: {exc}")
    return f"data:{kind};base64," + base64.b64encode(data).decode()
