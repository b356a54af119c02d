"""A search shown before it is counted, in a real browser: the page comes with its first events and "more than",
then htmx brings the facets and puts the counted total in the heading (an out-of-band swap)."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from haven.accounts.models import Role
from haven.accounts.tests.personas import PASSWORD
from haven.web import search
from haven.web.tests.recounts import DeferredRecounts
from haven.web.tests.stories import story

pytestmark = pytest.mark.slow


def test_a_page_shown_before_its_search_is_counted_gets_its_total_and_facets(  # type: ignore[no-untyped-def]
    browser_for, settings, monkeypatch
) -> None:
    settings.HAVEN_COUNTS_REFRESH = "background"
    # Six events in the story: pages of two, a window of four, so the first page is found before any counting.
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    monkeypatch.setattr(search, "WINDOW", 4)
    recounts = DeferredRecounts(monkeypatch)
    doc = story().world.users[Role.DOCUMENTER]
    Authenticator.objects.filter(user=doc).delete()
    secret = generate_totp_secret()
    TOTP.activate(doc, secret)
    b = browser_for()
    b.login(doc.username, PASSWORD, secret)
    page = b.page

    # The page asks for the facets again after a second: that request is held until the page has been looked
    # at, then the recount runs before it goes on (the thread and the live server never write to the test
    # database at the same time).
    held: list[object] = []
    page.route(re.compile(r".*/search/facets/.*"), lambda route: held.append(route))  # type: ignore[attr-defined]
    b.go("/search/?q=")
    heading = page.locator("#events-h")  # type: ignore[attr-defined]
    assert heading.inner_text() == "More than 2 events (counting them)"
    assert page.locator("nav.pager").inner_text().split() == ["Page", "1", "Next"]  # type: ignore[attr-defined]
    b.screenshot("search-before-counted")
    while not held:
        page.wait_for_timeout(100)  # type: ignore[attr-defined]
    recounts.run()
    held.pop().continue_()  # type: ignore[attr-defined]
    page.locator("#search-facets h3").first.wait_for()  # type: ignore[attr-defined]
    assert heading.inner_text() == "6 events"
    assert page.locator("#events-h").count() == 1  # type: ignore[attr-defined]
    assert page.locator("[aria-live] #events-h").count() == 1  # type: ignore[attr-defined]  # announced
    assert page.locator("nav.pager").inner_text().split() == ["Page", "1", "of", "3", "Next"]  # type: ignore[attr-defined]
    assert "Arrest" in page.locator("#search-facets").inner_text()  # type: ignore[attr-defined]
    b.screenshot("search-counted")
