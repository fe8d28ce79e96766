"""The pages' texts in Turkish and English: one catalogue with the API's errors
(gateway/locale/tr/LC_MESSAGES/messages.po, gateway/i18n.py), the pages' entries under the
context "page". English text is the msgid, so English needs no lookup; a text with no Turkish
entry shows in English (gateway/tests/test_web.py fails on it)."""
from flask import g

from gateway.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalogue, from_accept_language

LOCALES = {"tr": "tr_TR", "en": "en"}  # Babel's locale for each language


def language():
    """The page's language (gateway/web/shell.py chooses it per request)."""
    return g.get("lang") or DEFAULT_LANGUAGE


def N_(text):
    """Marks a text for the catalogue that is translated later (gettext of a variable)."""
    return text


# Texts the pages translate from a value (`_(user.role)`, `_(form.survey.status)`, a delivery's
# status, a history entry's action): marked here so the catalogue test finds them.
VALUES = (
    N_("admin"), N_("desk"), N_("manager"), N_("technician"), N_("final_checker"), N_("rep"),
    N_("contracts"), N_("customer"),
    N_("pending"), N_("done"), N_("unreachable"), N_("declined"), N_("expired"),
    N_("sent"), N_("failed"),
    N_("assigned"), N_("part_added"), N_("part_removed"), N_("status"), N_("sub_status"),
    N_("survey"), N_("timer_started"), N_("timer_stopped"), N_("work"), N_("work_log"),
    N_("price_approval_sent"),
    N_("registered"), N_("updated"), N_("moved"), N_("coverage"),  # a device card's history
    N_("created"), N_("edited"), N_("published"), N_("archived"), N_("draft"),  # revisions
)


def gettext(text, **values):
    """`text` (English) in the page's language, `%(name)s` placeholders filled."""
    if language() != "en":
        text = catalogue().pages.get(text, text)
    return text % values if values else text


def ngettext(singular, plural, n, **values):
    values.setdefault("num", n)
    return gettext(singular if n == 1 else plural, **values)


def name_of(names):
    """A {tr, en} name (statuses, catalogues, coverage reasons) in the page's language."""
    if not isinstance(names, dict):
        return names
    return names.get(language()) or names.get(DEFAULT_LANGUAGE) or next(iter(names.values()),
                                                                        "")


def error_text(exc):
    """A service's or the gateway's error (ServisError) as the user reads it."""
    return catalogue().translate(exc.template, exc.details, language(), exc.code)


def field_errors(exc):
    """A 422's field messages, translated, as [(field, message)] for a list on the page."""
    if exc.code != "validation_error":
        return []
    out = []

    def walk(prefix, value):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list):
            for v in value:
                walk(prefix, v)
        else:
            out.append((prefix, str(value)))
    walk("", catalogue().translate_fields(exc.details, language()))
    return out


def choose(session_language, cookie, accept_language):
    """The signed-in session's language, else the language cookie, else Accept-Language,
    else Turkish."""
    for candidate in (session_language, cookie, from_accept_language(accept_language)):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE
