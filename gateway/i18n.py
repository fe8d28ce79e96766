"""Error messages in the user's language (Turkish first, English second).

One catalogue: `gateway/locale/tr/LC_MESSAGES/messages.po`, read with Babel when the gateway
starts (no compiled .mo, no build step). English text is the msgid; the generic message of
each error code is the entry whose context is "error code" and whose msgid is the code; the
web pages' texts (gateway/web) are the entries whose context is "page".

What is translated:
- a service's or the gateway's error: its message is an English template whose placeholders
  name keys of its details (`"Service form {form_id} not found."`); the Turkish entry is
  formatted with the same details. A message already formatted (an import row's reason kept
  by devices, a service's message stored as text) is matched against the catalogue's
  templates (below), else passes through in English;
- field-level messages (marshmallow, webargs, our schemas): already formatted when we see
  them ("Length must be between 1 and 200."), so each catalogued template with placeholders is
  compiled to a regular expression that recovers its values, and the Turkish text is formatted
  with them. Templates with more literal text are tried first ("Must be greater than or equal
  to {min} and less than or equal to {max}." before "Must be greater than or equal to {min}.").
  Chosen over overriding every field's error_messages: the services' schemas stay as they are,
  and marshmallow's own messages need no per-field setup.

The language: `Accept-Language` (tr or en, q-values respected; region tags such as tr-TR count
as tr), else the signed-in account's language, else Turkish.
"""
import re
import string
from pathlib import Path

from babel.messages.pofile import read_po
from flask import g, request
from marshmallow import ValidationError

from services.common.exceptions import ServisError, format_message, validation_failed

LANGUAGES = ("tr", "en")
DEFAULT_LANGUAGE = "tr"
CATALOGUE = Path(__file__).resolve().parent / "locale" / "tr" / "LC_MESSAGES" / "messages.po"
CODE_CONTEXT = "error code"
PAGE_CONTEXT = "page"  # the web pages' texts (gateway/web): English msgid, Turkish msgstr

# The generic message of every error code, in English (Turkish: the catalogue's "error code"
# entries). validation_error's lives once, in services.common.exceptions.validation_failed.
GENERIC = {
    "error": "The request failed.",
    "bad_request": "The request could not be read.",
    "unauthorized": "Sign in first.",
    "forbidden": "You may not do this.",
    "not_found": "Not found.",
    "method_not_allowed": "This method is not allowed here.",
    "conflict": "The request conflicts with the record's current state.",
    "too_large": "The request is too large.",
    "unsupported_media_type": "This content type is not accepted here.",
    "validation_error": validation_failed(ValidationError({})).message,
    "precondition_required": "State the version you read.",
    "rate_limited": "Too many requests; try again later.",
    "internal_error": "Internal error; it has been logged.",
    "service_unavailable": "A service is not running; try again shortly.",
    "gateway_timeout": "A service did not answer in time.",
    "gone": "This is no longer available.",
}

_FORMATTER = string.Formatter()
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")


AS_TYPED = {"value", "input"}  # what the user typed, echoed: shown as typed, date or not


def turkish_values(values):
    """A message's values as a Turkish reader reads them: a date 2027-02-15 as 15.02.2027, a
    moment (ISO, with its zone) as Türkiye's 15.02.2027 09:30 — but a value the user typed
    (AS_TYPED) as typed. Only the message's text: the error's `details` keep the ISO values
    for programs."""
    out = {}
    for key, value in (values or {}).items():
        if key in AS_TYPED:
            pass
        elif isinstance(value, str) and _ISO_DATE.fullmatch(value):
            value = f"{value[8:10]}.{value[5:7]}.{value[0:4]}"
        elif isinstance(value, str) and _ISO_MOMENT.fullmatch(value):
            from datetime import datetime
            from zoneinfo import ZoneInfo
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
            else:
                value = moment.astimezone(ZoneInfo("Europe/Istanbul")).strftime("%d.%m.%Y %H:%M")
        out[key] = value
    return out


class Catalogue:
    def __init__(self, path=CATALOGUE):
        with open(path, "rb") as f:
            catalog = read_po(f, locale="tr")
        self.messages, self.codes, self.pages = {}, {}, {}
        for message in catalog:
            if not message.id or not message.string or message.fuzzy:
                continue
            if message.context == CODE_CONTEXT:
                self.codes[message.id] = message.string
            elif message.context == PAGE_CONTEXT:
                self.pages[message.id] = message.string
            elif message.context is None:
                self.messages[message.id] = message.string
        patterns = [(_pattern(msgid), msgid) for msgid in self.messages]
        self.patterns = sorted(((p, m, n) for (p, n), m in patterns if p is not None),
                               key=lambda item: -item[2])

    def turkish(self, template, values=None):
        """The Turkish text of an English template (or formatted message), or None."""
        values = values or {}
        english = format_message(template, values)
        text = self.messages.get(english) if values else None
        if text is not None:  # the message as formatted has its own entry: "No such photo."
            return text       # rather than "No such {record}." with the English word in it
        text = self.messages.get(template)
        if text is not None:
            return format_message(text, turkish_values(values))
        text = self.messages.get(english)
        if text is not None:
            return text
        for regex, msgid, _ in self.patterns:
            match = regex.fullmatch(english)
            if match:  # a formatted message (a field's, an import row's): its values too
                return format_message(self.messages[msgid],
                                      turkish_values({**values, **match.groupdict()}))
        return None

    def translate(self, template, values, language, code=None):
        """`template` formatted with `values` in `language` (English when no entry)."""
        if language != "en":
            if code is not None and template == GENERIC.get(code) and code in self.codes:
                return self.codes[code]
            text = self.turkish(template, values)
            if text is not None:
                return text
        return format_message(template, values or {})

    def translate_fields(self, messages, language):
        """{field: [messages]} (nested for nested schemas) with each message translated."""
        if isinstance(messages, dict):
            return {k: self.translate_fields(v, language) for k, v in messages.items()}
        if isinstance(messages, list):
            return [self.translate_fields(m, language) for m in messages]
        if isinstance(messages, str):
            return self.translate(messages, {}, language)
        return messages


def _pattern(msgid):
    """(a regex recovering the values of msgid's placeholders, its literal length), or
    (None, 0) when msgid has no placeholder."""
    try:
        parts = list(_FORMATTER.parse(msgid))
    except ValueError:
        return None, 0
    regex, seen, literal = [], set(), 0
    for text, name, spec, conversion in parts:
        regex.append(re.escape(text))
        literal += len(text)
        if name is None:
            continue
        if not name.isidentifier():  # "{brand, serial}" in a message is text
            written = "{" + name + (f"!{conversion}" if conversion else "") + \
                (f":{spec}" if spec else "") + "}"
            regex.append(re.escape(written))
            literal += len(written)
        elif name in seen:
            regex.append(f"(?P={name})")
        else:
            seen.add(name)
            regex.append(f"(?P<{name}>.+?)")
    if not seen:
        return None, 0
    return re.compile("".join(regex), re.DOTALL), literal


_catalogue = None


def catalogue():
    global _catalogue
    if _catalogue is None:
        _catalogue = Catalogue()
    return _catalogue


# -- the request's language --------------------------------------------------------------------
def from_accept_language(header):
    """The best of LANGUAGES in an Accept-Language header, or None (no header, `*` only, or
    nothing we speak)."""
    best, best_q = None, 0.0
    for item in (header or "").split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:
            best, best_q = primary, q
    return best


def account_language():
    """The signed-in account's language, when the request carries a valid token."""
    from gateway.auth import current_user  # auth raises ServisError subclasses defined here
    user = g.get("user")
    if user is None:
        try:
            user = current_user()
        except ServisError:
            return None
    return user.get("language")


def request_language():
    """tr or en: Accept-Language, else the account's language, else Turkish."""
    if not request:
        return DEFAULT_LANGUAGE
    if request.blueprint == "web" and g.get("lang") in LANGUAGES:
        return g.lang  # a console page: the page's language (gateway/web/shell.py)
    language = from_accept_language(request.headers.get("Accept-Language"))
    if language is None:
        language = account_language()
    return language if language in LANGUAGES else DEFAULT_LANGUAGE
