"""The browser harness itself: 2FA log-in, a page, a screenshot, and the request log."""

from __future__ import annotations

from haven.accounts.models import Role
from haven.accounts.tests.personas import PASSWORD, make_user
from haven.lib.testing.browser import RequestLog


def test_a_documenter_logs_in_with_two_factors_and_nothing_leaves_the_server(browser_for) -> None:  # type: ignore[no-untyped-def]
    user, secret = make_user(Role.DOCUMENTER, [])
    assert secret, "documenters must have a second factor"
    b = browser_for()
    b.login(user.username, PASSWORD, secret)
    b.go("/search/")
    assert b.page.get_by_role("heading", level=1).count() >= 1
    assert b.screenshot("smoke-search").stat().st_size > 1000
    assert any(u.endswith(".css") for u in b.requests.urls)


def test_the_request_log_flags_outside_requests() -> None:
    log = RequestLog(
        "http://127.0.0.1:8000",
        ["http://127.0.0.1:8000/x", "data:image/png;base64,AA", "https://cdn.example/x.js"],
    )
    assert log.outside() == ["https://cdn.example/x.js"]
