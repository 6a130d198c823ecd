"""Browser tests: Playwright for Python driving Debian's Chromium against the app on 127.0.0.1.

One Chromium and one live app per run of this package (package-scoped fixtures, so both stop
before the rest of the suite goes on). Each actor of a journey (an enterprise, a patentee, a point
operator, the bureau) gets a browser context of its own, i.e. its own cookies, and logs in through
the login form. A failed test leaves a full-page PNG of every page it had open under
$BROWSER_ARTIFACTS (default tests/browser/artifacts/, git-ignored) and prints the paths.

The browser tests run on SQLite only: the PostgreSQL pass of the harness (TEST_DATABASE_URL set)
skips them, since the journeys are the same UI over the same services and Chromium time is dear.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.server import LiveServer, build_app
from tests.services import chromium
from tests.services.required import service_url

HERE = Path(__file__).resolve().parent
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS") or HERE / "artifacts")
DEMO_PASSWORD = "demo-Passw0rd"
TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class Variant:
    name: str
    lang: str
    width: int
    height: int
    mobile: bool

    @property
    def context_args(self) -> dict:
        args = {"viewport": {"width": self.width, "height": self.height},
                "locale": "zh-CN" if self.lang == "zh" else "en-GB", "timezone_id": "Asia/Shanghai"}
        if self.mobile:
            args.update(is_mobile=True, has_touch=True, device_scale_factor=2)
        return args

    def t(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh


ZH_DESKTOP = Variant("zh-desktop", "zh", 1280, 800, False)
EN_DESKTOP = Variant("en-desktop", "en", 1280, 800, False)
ZH_PHONE = Variant("zh-phone", "zh", 390, 844, True)
EN_PHONE = Variant("en-phone", "en", 390, 844, True)
VARIANTS = {v.name: v for v in (ZH_DESKTOP, EN_DESKTOP, ZH_PHONE, EN_PHONE)}


def pytest_collection_modifyitems(config, items):
    if not os.environ.get("TEST_DATABASE_URL"):
        return
    skip = pytest.mark.skip(reason="browser tests run in the SQLite pass only (TEST_DATABASE_URL is set: "
                                   "the PostgreSQL pass does not repeat them)")
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


_timing = {"seconds": 0.0}  # from Chromium's launch to its close: the browser tests' share of a run


@pytest.fixture(scope="package")
def chromium_executable() -> str:
    yield from service_url("TEST_CHROMIUM", "Chromium", chromium.start)


@pytest.fixture(scope="package")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    with sync_playwright() as playwright:
        # Playwright gives each launch a fresh temporary profile (its own --user-data-dir).
        browser = playwright.chromium.launch(executable_path=chromium_executable, args=list(chromium.FLAGS),
                                             headless=True, timeout=chromium.START_TIMEOUT * 1000)
        yield browser
        browser.close()
    _timing["seconds"] += time.monotonic() - started


@pytest.fixture(scope="package")
def live_server(tmp_path_factory):
    """The demo as `make run` seeds it; each journey takes its own actors and patents from it."""
    started = time.monotonic()
    app = build_app(tmp_path_factory.mktemp("browser-instance"))
    server = LiveServer(app).start()
    print(f"\nbrowser tests: app seeded and served on {server.url} in {time.monotonic() - started:.1f}s")
    yield server
    server.stop()


class Actor:
    """One person in a browser context of their own."""

    def __init__(self, browser, server: LiveServer, variant: Variant, key: str | None) -> None:
        self.variant, self.key, self.server = variant, key, server
        self.context = browser.new_context(base_url=server.url, accept_downloads=True, **variant.context_args)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        # app.js asks before destructive actions (data-confirm); a person clicks OK.
        self.page.on("dialog", lambda dialog: dialog.accept())
        self.page.on("pageerror", lambda err: self.errors.append(f"page error: {err}"))
        self.page.on("console", self._console)
        self.page.on("response", self._response)

    def _console(self, message) -> None:
        # A CSP violation or a script error is a bug; failed loads are judged by _response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"console: {message.text}")

    def _response(self, response) -> None:
        # A server error anywhere, or a missing script, style or image (the browser asks for a
        # favicon the app does not have; that one is fine).
        missing_part = response.status >= 400 and response.request.resource_type != "document"
        if (response.status >= 500 or missing_part) and not response.url.endswith("/favicon.ico"):
            self.errors.append(f"{response.status} for {response.request.method} {response.url}")

    def t(self, zh: str, en: str) -> str:
        return self.variant.t(zh, en)

    @property
    def email(self) -> str:
        return f"{self.key}@demo.psm.test"

    def goto(self, path: str):
        response = self.page.goto(path)
        assert response is not None and response.ok, f"GET {path}: {response and response.status}"
        self._check_fits()
        return response

    def _check_fits(self) -> None:
        """On a phone nothing may push the page sideways (wide tables scroll inside .table-wrap)."""
        if not self.variant.mobile:
            return
        wide = self.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        if wide > 1:
            self.errors.append(f"{self.page.url} is {wide}px wider than the phone's screen")

    def login(self) -> "Actor":
        """Through the login form, in the variant's language (kept in the session across the login)."""
        self.goto(f"/login?lang={self.variant.lang}")
        self.page.locator("#f-email").fill(self.email)
        self.page.locator("#f-password").fill(DEMO_PASSWORD)
        with self.page.expect_navigation():
            self.page.locator(".auth-panel button[type=submit]").click()
        assert "/login" not in self.page.url, f"login of {self.email} failed: {self.flash_text()}"
        return self

    def flash_text(self) -> str:
        flashes = self.page.locator(".flash")
        return " | ".join(flashes.all_inner_texts()) if flashes.count() else ""

    def submit(self, button, *, expect_ok: bool = True):
        """Click a submit button and wait for the page the form leads to."""
        with self.page.expect_navigation() as navigation:
            button.click()
        response = navigation.value
        self._check_fits()
        if expect_ok:
            # Refusals come back as a 4xx page or as a redirect with an error message.
            refused = self.page.locator(".flash-error")
            assert response is not None and response.status < 400 and not refused.count(), (
                f"{response and response.status} after submitting to {self.page.url}: {self.flash_text()} "
                f"{self.page.locator('.error-summary, .field-error').all_inner_texts()}")
        return response

    def menu(self) -> None:
        """Open the account menu (the demand-side pages live there, also on phones)."""
        menu = self.page.locator("details.nav-menu")
        if menu.get_attribute("open") is None:
            menu.locator("summary").click()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def actors(request, browser, live_server):
    """actors(key) → a logged-in Actor in the test's variant; screenshots of every page on failure."""
    variant = request.getfixturevalue("variant") if "variant" in request.fixturenames else ZH_DESKTOP
    made: list[Actor] = []

    def make(key: str | None, *, login: bool = True) -> Actor:
        actor = Actor(browser, live_server, variant, key)
        made.append(actor)
        if key and login:
            actor.login()
        return actor

    yield make
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
        for i, actor in enumerate(made):
            path = ARTIFACTS / f"{stem}-{i}-{actor.key or 'anonymous'}.png"
            try:
                actor.page.screenshot(path=str(path), full_page=True)
                print(f"\nscreenshot of {actor.key or 'anonymous'} at {actor.page.url}: {path}")
            except Exception as err:  # a crashed page must not hide the test's own failure
                print(f"\nno screenshot of {actor.key}: {err}")
    errors = [f"{actor.key}: {e}" for actor in made for e in actor.errors]
    for actor in made:
        actor.close()
    if report is not None and report.passed:
        assert not errors, "the pages raised script or CSP errors:\n" + "\n".join(errors)


@pytest.fixture(params=list(VARIANTS), ids=list(VARIANTS))
def variant(request) -> Variant:
    return VARIANTS[request.param]


def pytest_terminal_summary(terminalreporter):
    if _timing["seconds"]:
        terminalreporter.write_line(f"browser tests: {_timing['seconds']:.1f}s in Chromium (journeys and launch)")
