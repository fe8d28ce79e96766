"""Document templates: HTML + CSS (Jinja2) files in the repository, one per kind of document
and both languages (`t("Müşteri", "Customer")` picks the reader's), over one layout
(`templates/_base.html.j2`: the company header, the QR code, page numbers). An admin may
override a kind's template through the API; the override is checked before it is stored
(`check`: compiled and rendered with sample data in TR and EN, to HTML and to PDF), so a
template that fails is refused with the error and its line, and the one in use stays.

Templates run in Jinja's sandbox (an override is text from a user) and get plain data only.
The formats are services/common/formats.py's, as filters in the reader's language:
`{{ amount|money(currency) }}`, `|quantity`, `|day`, `|moment`, `|percent`, `|number`,
`|minutes`."""
import hashlib
import os
import sys

from jinja2 import (ChoiceLoader, DictLoader, FileSystemLoader, StrictUndefined,
                    TemplateError, TemplateSyntaxError, pass_context)
from jinja2.sandbox import SandboxedEnvironment

from services.common import formats

COMMON_TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
SUFFIX = ".html.j2"
OVERRIDE = "override" + SUFFIX  # the name an override is compiled under


class TemplateRefused(Exception):
    """A template that does not render: `line` (or None) and `error` (Jinja's or
    WeasyPrint's own text)."""

    def __init__(self, line, error):
        super().__init__(f"line {line}: {error}" if line else error)
        self.line, self.error = line, error


def _lang(ctx):
    return formats.lang(ctx.get("lang"))


def _filters():
    @pass_context
    def money(ctx, value, currency="TRY"):
        return "" if value is None else formats.money(value, currency, _lang(ctx))

    @pass_context
    def number(ctx, value, decimals=None):
        return "" if value is None else formats.number(value, _lang(ctx), decimals)

    def simple(fn):
        @pass_context
        def filt(ctx, value):
            return "" if value is None else fn(value, _lang(ctx))
        return filt

    return {"money": money, "number": number, "quantity": simple(formats.quantity),
            "day": simple(formats.day), "moment": simple(formats.moment),
            "percent": simple(formats.percent), "minutes": simple(formats.minutes)}


@pass_context
def _t(ctx, tr, en=None):
    """The reader's language of a pair: `t("Müşteri", "Customer")`, or of a {tr, en} dict."""
    if isinstance(tr, dict):
        return tr.get(_lang(ctx)) or tr.get("tr") or ""
    return tr if _lang(ctx) == "tr" or en is None else en


class DocumentTemplates:
    def __init__(self, directory):
        self.directory = directory  # the owning service's built-in templates
        self._compiled = {}

    def _env(self, overrides=None):
        env = SandboxedEnvironment(
            loader=ChoiceLoader([DictLoader(overrides or {}), FileSystemLoader(
                [self.directory, COMMON_TEMPLATES])]),
            autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        env.filters.update(_filters())
        env.globals["t"] = _t
        return env

    def kinds(self):
        return sorted(n[:-len(SUFFIX)] for n in os.listdir(self.directory)
                      if n.endswith(SUFFIX) and not n.startswith("_"))

    def builtin_source(self, kind):
        with open(os.path.join(self.directory, kind + SUFFIX), encoding="utf-8") as f:
            return f.read()

    def builtin_version(self, kind):
        """`builtin-<sha256 prefix>`: which file rendered a document (files change with
        releases)."""
        return "builtin-" + hashlib.sha256(self.builtin_source(kind).encode()).hexdigest()[:12]

    def template(self, kind, source=None):
        """The compiled template: the built-in file, or `source` (an override)."""
        key = (kind, hashlib.sha256(source.encode()).hexdigest() if source else None)
        if key not in self._compiled:
            if source is None:
                self._compiled[key] = self._env().get_template(kind + SUFFIX)
            else:
                self._compiled[key] = self._env({OVERRIDE: source}).get_template(OVERRIDE)
        return self._compiled[key]

    def render(self, kind, context, language, source=None):
        """The document's HTML in `language`."""
        return self.template(kind, source).render({**context, "lang": formats.lang(language)})

    def check(self, kind, source, contexts, to_pdf=None):
        """Refuse (TemplateRefused, with the line) a source that does not compile, or does
        not render with each of `contexts` [(context, language)], or whose HTML `to_pdf`
        (when given) fails on. Returns the HTML of the first context."""
        try:
            template = self.template(kind, source)
        except TemplateSyntaxError as exc:
            raise TemplateRefused(exc.lineno, exc.message) from None
        except TemplateError as exc:
            raise TemplateRefused(None, str(exc)) from None
        first = None
        for context, language in contexts:
            try:
                html = template.render({**context, "lang": formats.lang(language)})
            except Exception as exc:  # an undefined name, a filter on the wrong value …
                raise TemplateRefused(_template_line(exc), f"{type(exc).__name__}: {exc}") \
                    from None
            if to_pdf is not None:
                try:
                    to_pdf(html)
                except Exception as exc:
                    raise TemplateRefused(None, str(exc)) from None
            first = first if first is not None else html
        return first


def _template_line(exc):
    """The override's line where rendering failed (Jinja rewrites the traceback so the
    template's frames carry its file name and line)."""
    tb, line = sys.exc_info()[2], None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in (OVERRIDE, "<template>"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
