"""Pages in a real browser: Debian's chromium driven by playwright (its driver ships in the
wheel; `executable_path` points at the installed chromium — `playwright install` is never run),
headless, at 1280 px. Screenshots go to artifacts/screenshots/ (gitignored; the path is printed
at the end of the run), axe-core (vendored, gateway/web/static/vendor/axe-core) checks each
page, and a page that breaks its Content-Security-Policy fails the test.

Used by tests/e2e (the short walk: one test per screen's main write) and tests/slow (the long
walk)."""
import contextlib
import os
import re
import sys

import pytest

from tests.conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "deploy"))
from ensure_os_packages import chromium_path, missing, what_to_install  # noqa: E402

SCREENSHOTS = os.path.join(ROOT, "artifacts", "screenshots")
AXE = os.path.join(ROOT, "gateway", "web", "static", "vendor", "axe-core", "axe.min.js")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTH, HEIGHT = 1280, 900
TAKEN = []  # screenshots of this run (tests/conftest.py prints where they are)


@contextlib.contextmanager
def chromium():
    """A headless chromium; the test fails (saying what to install) when there is none."""
    executable = chromium_path()
    if executable is None:
        pytest.fail(what_to_install(missing() or ["chromium"]), pytrace=False)
    from playwright.sync_api import expect, sync_playwright
    expect.set_options(timeout=15000)  # a shared 2-core machine: 5 s was short under load
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Person:
    """One signed-in person in their own browser context (cookies of their own)."""

    def __init__(self, browser, system, username, password, check_sign_in=None):
        self.system, self.username = system, username
        self.context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT},
                                           locale="tr-TR", timezone_id="Europe/Istanbul")
        self.context.set_default_timeout(15000)
        self.page = self.context.new_page()
        self.csp_violations, self.errors = [], []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.goto(system.url("/"))
        if check_sign_in:
            self.check(check_sign_in)
        self.page.get_by_label("Kullanıcı adı").fill(username)
        self.page.get_by_label("Parola").fill(password)
        self.page.get_by_role("button", name="Oturum aç").click()
        self.page.get_by_role("heading", name="Panel", level=1).wait_for()

    def _console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append(message.text)

    def go(self, path):
        self.page.goto(self.system.url(path))
        self.page.wait_for_load_state("networkidle")
        return self.page

    def settle(self):
        """Wait until htmx has no request in flight (boosted posts, lazy parts)."""
        self.page.wait_for_load_state("networkidle")
        self.page.wait_for_function(
            "() => !document.querySelector('.htmx-request')", timeout=15000)

    def check(self, name):
        """The page as it is: a screenshot at 1280 px, axe-core's serious and critical
        violations (none allowed), and no Content-Security-Policy violation."""
        self.settle()
        path = screenshot(self.page, name)
        problems = axe(self.page)
        assert not problems, f"{name}: accessibility violations (axe-core): {problems}"
        assert not self.csp_violations, f"{name}: CSP violations: {self.csp_violations}"
        assert not self.errors, f"{name}: script errors: {self.errors}"
        return path

    def close(self):
        self.context.close()


def screenshot(page, name):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    path = os.path.join(SCREENSHOTS, re.sub(r"[^\w.-]+", "-", name) + ".png")
    page.screenshot(path=path, full_page=True)
    TAKEN.append(path)
    return path


def axe(page):
    """axe-core's violations of impact serious or critical on the page, as 'rule: nodes'.
    The script is evaluated through the DevTools protocol, not added as a <script>, so the
    page's CSP (no inline script) stays in force."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        with open(AXE, encoding="utf-8") as f:
            page.evaluate(f.read() + "\n;0")
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [f"{v['id']} ({v['impact']}): {v['nodes']}" for v in result
            if v["impact"] in ("serious", "critical")]
