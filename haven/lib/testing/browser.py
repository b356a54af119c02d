"""Browser tests (a pytest plugin, loaded by the root conftest): Playwright for Python driving Debian's
Chromium against a live Haven server. Tests anywhere use the ``browser_for`` fixture.

Every request the browser makes is recorded; a test fails if any of them leaves the Haven server (no CDN,
font, tile or analytics request may ever go out). Screenshots go to test-artifacts/screenshots/.

Chromium comes from Debian (`apt-get install chromium`, /usr/bin/chromium); Playwright's own browser download
is not used. Without it these tests are skipped with that reason, unless HAVEN_CI=1 (CI), when
they fail instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in the test's thread; the test's own ORM calls are still
# synchronous and safe, so Django's async guard is lifted for these tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("HAVEN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"


def _chromium_or_skip() -> str:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return CHROMIUM
    reason = f"Chromium not found at {CHROMIUM} (install Debian's package: apt-get install chromium)"
    if os.environ.get("HAVEN_CI") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def _browser() -> Iterator[object]:
    # One browser for the whole run: Playwright's sync API allows one instance per thread at a time.
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@dataclass
class RequestLog:
    server: str
    urls: list[str] = field(default_factory=list)

    def outside(self) -> list[str]:
        host = urlsplit(self.server).netloc
        return [
            u
            for u in self.urls
            if urlsplit(u).scheme not in {"data", "blob", "about"} and urlsplit(u).netloc != host
        ]


@dataclass
class Browser:
    """One browser context (its own cookies) on the live server, with helpers the stories share."""

    page: object
    server: str
    requests: RequestLog

    def go(self, path: str) -> None:
        self.page.goto(self.server + path)  # type: ignore[attr-defined]

    def login(self, username: str, password: str, totp_secret: str | None = None) -> None:
        page = self.page
        self.go("/accounts/login/")
        page.get_by_label("Username").fill(username)  # type: ignore[attr-defined]
        page.get_by_label("Password").fill(password)  # type: ignore[attr-defined]
        page.get_by_label("Password").press("Enter")  # type: ignore[attr-defined]
        if totp_secret:
            page.wait_for_url("**/2fa/authenticate/**")  # type: ignore[attr-defined]
            page.get_by_label("Code").fill(totp_now(totp_secret))  # type: ignore[attr-defined]
            # Enter, not "the last button": the page's last form is "Cancel", which logs out.
            page.get_by_label("Code").press("Enter")  # type: ignore[attr-defined]
        page.wait_for_load_state()  # type: ignore[attr-defined]
        if "/accounts/login" in page.url or "/2fa/" in page.url:  # type: ignore[attr-defined]
            self.screenshot(f"login-failed-{username}")
        assert "/accounts/login" not in page.url and "/2fa/" not in page.url, page.url  # type: ignore[attr-defined]

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path


def totp_now(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    return format_hotp_value(hotp_value(secret, next(iter(yield_hotp_counters_from_time()))))


@pytest.fixture
def browser_for(_browser, live_server, committed_db) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """Make browser contexts (one per user) on the live server; all their requests are checked at the end."""
    contexts = []
    logs: list[RequestLog] = []

    def make(locale: str = "en-GB") -> Browser:
        context = _browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        contexts.append(context)
        page = context.new_page()
        log = RequestLog(live_server.url)
        page.on("request", lambda request: log.urls.append(request.url))
        logs.append(log)
        return Browser(page=page, server=live_server.url, requests=log)

    yield make
    for context in contexts:
        context.close()
    outside = [u for log in logs for u in log.outside()]
    assert not outside, f"the browser made requests outside the Haven server: {outside}"
    assert all(log.urls for log in logs), "no request was recorded: the request log is not working"
