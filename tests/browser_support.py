"""Live-server and Playwright helpers for the browser tests (Debian's Chromium, no downloads)."""

from __future__ import annotations

import contextlib
import os
import threading

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--lang=uk-UA",  # the browser's own controls (file and date inputs) in Ukrainian, as in the office
]
ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test-artifacts")


def chromium_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


@contextlib.contextmanager
def live_server(app):
    """Serve ``app`` on a free local port from a thread; yields the base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextlib.contextmanager
def browser_page(browser, locale: str = "uk-UA"):
    """A fresh page in its own context of the session's browser (the ``chromium`` fixture)."""
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
    finally:
        context.close()


def login(page, base_url: str, username: str, password: str) -> None:
    """Log in through the real form."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def screenshot(page, name: str) -> str:
    """Save a full-page screenshot under test-artifacts/ and return its path."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, name)
    page.screenshot(path=path, full_page=True)
    return path


# --- page checks of the journey and crawl tests -------------------------------------------------

AXE_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vendor", "axe.min.js")
VIEWPORT = {"width": 1280, "height": 800}

# Visible words in Latin letters, as the user sees them; codes (with digits or punctuation),
# abbreviations in capitals, e-mail addresses, paths and text marked translate="no" or with
# another lang are left out: what remains should have been Ukrainian.
LATIN_WORDS_JS = """
() => {
  const words = new Set();
  const shown = el => el && el.checkVisibility && el.checkVisibility({visibilityProperty: true});
  const skipped = el => {
    const lang = el.closest('[lang]');
    return (lang && !lang.getAttribute('lang').startsWith('uk')) || el.closest('[translate="no"]');
  };
  const add = (text, el) => {
    if (skipped(el)) return;
    for (const token of text.split(/[\\s,;()«»"'\\[\\]|·—–]+/)) {
      const word = token.replace(/^[.:!?…]+|[.:!?…]+$/g, '');
      if (!/[A-Za-z]/.test(word) || /[\u0400-\u04ff]/.test(word)) continue;  // Ukrainian with a Latin code: IP-адреса
      if (/[0-9@\\/._:=&%#+\\\\]/.test(word)) continue;   // codes, addresses, paths, numbers
      if (/^[A-Z]{2,}(-[A-Z]+)?$/.test(word)) continue;    // abbreviations: XLSX, IP, ISO
      words.add(word);
    }
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const el = node.parentElement;
    if (!el || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'OPTION', 'TEMPLATE'].includes(el.tagName)) continue;
    if (el.closest('code, kbd, samp')) continue;  // commands and codes
    if (shown(el)) add(node.textContent, el);
  }
  for (const el of document.querySelectorAll('[placeholder], [title], [aria-label], input[type=submit]')) {
    if (!shown(el)) continue;
    for (const attr of ['placeholder', 'title', 'aria-label', 'value']) {
      if (attr === 'value' && el.type !== 'submit') continue;
      if (el.getAttribute(attr)) add(el.getAttribute(attr), el);
    }
  }
  for (const el of document.querySelectorAll('select')) {
    if (shown(el) && el.selectedOptions[0]) add(el.selectedOptions[0].text, el);
  }
  return [...words];
}
"""


class PageWatch:
    """Collects what goes wrong on a page: JS errors, failed requests, axe violations, non-Ukrainian text."""

    def __init__(self, page, names: set[str] | frozenset[str] = frozenset()):
        self.page, self.names, self.problems = page, {n.lower() for n in names}, []
        self.allowed_statuses: set[int] = set()
        page.on("pageerror", lambda exc: self.problems.append(f"{page.url}: JS error {exc}"))
        page.on(
            "console",
            lambda msg: (
                msg.type == "error"
                and "status of" not in msg.text  # a failed request is reported below, with its address
                and self.problems.append(f"{page.url}: console error {msg.text}")
            ),
        )
        page.on("requestfailed", self._failed)
        page.on("response", self._response)
        with open(AXE_SCRIPT, encoding="utf-8") as fh:
            self.axe = fh.read()

    def _failed(self, request):
        if "ERR_ABORTED" in (request.failure or ""):
            return  # a load cut short by the next navigation (a favicon while a form is sent)
        self.problems.append(f"{self.page.url}: request failed {request.url} ({request.failure})")

    def _response(self, response):
        if response.status >= 400 and response.status not in self.allowed_statuses:
            self.problems.append(f"{self.page.url}: {response.status} for {response.request.method} {response.url}")

    def check(self, label: str = "", axe: bool = True) -> None:
        """Run axe-core (WCAG 2 A and AA, unless ``axe`` is False) and the language check on the page as it is now."""
        import time

        page = self.page
        page.wait_for_load_state("load")
        started = time.perf_counter()
        where = label or page.url
        violations = []
        if axe:
            if not page.evaluate("() => typeof window.axe !== 'undefined'"):
                page.add_script_tag(content=self.axe)
            result = page.evaluate(
                "() => axe.run(document, {runOnly: ['wcag2a', 'wcag2aa'], resultTypes: ['violations']})"
            )
            violations = result["violations"]
        for violation in violations:
            targets = [" ".join(map(str, n["target"])) for n in violation["nodes"][:3]]
            self.problems.append(f"{where}: axe {violation['id']} on {len(violation['nodes'])} element(s) {targets}")
        if page.evaluate("() => document.documentElement.lang") != "uk":
            self.problems.append(f"{where}: <html lang> is not uk")
        words = [w for w in page.evaluate(LATIN_WORDS_JS) if w.lower() not in self.names]
        if words:
            self.problems.append(f"{where}: not Ukrainian: {sorted(words)[:20]}")
        if os.environ.get("PORTAL_BROWSER_TIMING"):
            print(f"{time.perf_counter() - started:.2f}s checks {where}")

    def step(self, name: str) -> None:
        """Check the page and save its screenshot as ``name``.png."""
        self.check(name)
        screenshot(self.page, f"{name}.png")
