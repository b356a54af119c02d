"""The intake in a real browser (Chromium, headless): comboboxes by keyboard, parts added in place, autosave.

Uses the browser harness (haven.lib.testing.browser; skipped when Chromium is missing). The session is opened with the
test client (the harness's 2FA log-in is tested there) and handed to the browser as its cookie.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from haven.accounts.models import Role
from haven.records.models import Act, Event, Involvement
from haven.web.models import IntakeDraft
from haven.web.tests.stories import story

pytestmark = pytest.mark.slow


def _session_for(b, user) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    b.page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": b.server}]
    )


def _choose(page, control_id: str, text: str, option_text: str) -> None:  # type: ignore[no-untyped-def]
    """Type into a combobox, wait for the option, pick it with the keyboard."""
    # The test database is SQLite in memory, shared between the live server's threads: a table being
    # written (every request updates the user's session) is locked, not waited for. Let the autosave and
    # namesake checks of the previous step finish before the type-ahead asks.
    page.wait_for_load_state("networkidle")
    box = page.locator(f"#{control_id}")
    listbox = page.locator(f"#{box.get_attribute('aria-controls')}")
    # The live server's in-memory SQLite test database refuses a request that meets another's write lock
    # (a real instance waits for it); a user would type again, and so does the test, up to three times.
    for attempt in range(3):
        box.fill("")
        box.fill(text)
        try:
            listbox.locator("[role=option]", has_text=option_text).first.wait_for(timeout=10_000)
            break
        except Exception:
            if attempt == 2:
                raise
            page.wait_for_load_state("networkidle")
    options = listbox.get_by_role("option")
    names = [options.nth(i).inner_text() for i in range(options.count())]
    index = next(i for i, n in enumerate(names) if option_text in n)
    for _ in range(index + 1):
        box.press("ArrowDown")
    box.press("Enter")


def test_a_documenter_enters_a_testimony_with_two_acts_by_keyboard(browser_for) -> None:  # type: ignore[no-untyped-def]
    s = story()
    doc = s.world.users[Role.DOCUMENTER]
    b = browser_for()
    _session_for(b, doc)
    b.go("/intake/")
    page = b.page
    assert page.locator("html.js").count() == 1
    # 1. Source
    _choose(page, "id_src-connection-combo", "피해자", "Victim him/herself")
    page.locator("#id_src-date").fill("2015-06")
    _choose(page, "id_src-language-combo", "Korean", "Korean")
    page.locator("#id_src-person-name").fill("한소망")
    page.locator("#id_src-person-name_alt").fill("Han So-mang")
    page.locator("#id_src-person-sex").select_option("F")
    # 2. The event and its first act
    page.locator("#id_event-0-title").fill("연길 체포")
    page.locator("#id_event-0-description").fill("두만강을 건너 연길에서 체포되었다. 심문을 받았다.")
    page.locator("#id_event-0-date").fill("spring 2010?")
    _choose(page, "id_event-0-location-combo", "Yanji", "Yanji")
    _choose(page, "id_act-0-act_type-combo", "arrest", "Arrest")
    _choose(page, "id_act-0-methods-combo", "beat", "Beating")
    assert page.locator("#id_act-0-methods-chosen li").count() == 1
    # The draft is saved as we go, and the address names it.
    page.locator("#draft-message", has_text="Draft saved").wait_for()
    page.wait_for_url(re.compile(r"/intake/\d+/$"))
    # A second act, added in place; its first field gets the focus.
    page.locator("#event-0-add-act").click()
    page.locator("#act-1-section").wait_for()
    _choose(page, "id_act-1-act_type-combo", "Detention", "Detention")
    _choose(page, "id_act-1-facility-combo", "Onsong", "Onsong")
    # A perpetrator of the first act: a group, not a person.
    page.locator("#act-0-add-inv").click()
    page.locator("#inv-0-section").wait_for()
    page.locator("#id_inv-0-perp-name").fill("연길시 공안국")
    page.locator("#id_inv-0-perp-group").check()
    _choose(page, "id_inv-0-degree-combo", "Directly", "Directly carried out")
    page.locator("#draft-message", has_text="Draft saved").wait_for()
    page.wait_for_load_state("networkidle")
    b.screenshot("intake-form")
    with page.expect_navigation():
        page.locator("#submit-testimony").click()
    assert "/records/events/" in page.url, page.url
    event = Event.objects.get(title="연길 체포")
    assert [a.act_type.code for a in Act.objects.filter(event=event).order_by("pk")] == ["030101", "030102"]
    assert Involvement.objects.get(event=event).perpetrator.counting_unit.code == "03"
    assert not IntakeDraft.objects.exists()
    b.screenshot("intake-submitted")


def test_the_person_picker_finds_a_recorded_person_by_a_romanization(browser_for) -> None:  # type: ignore[no-untyped-def]
    s = story()
    b = browser_for()
    _session_for(b, s.world.users[Role.DOCUMENTER])
    b.go("/intake/")
    page = b.page
    page.locator("#id_act-0-victim-mode_2").check()  # "A person already recorded"
    assert page.locator("#id_act-0-victim-q").is_visible()
    assert not page.locator("#id_act-0-victim-name").is_visible()
    _choose(page, "id_act-0-victim-q", "Lee Seol", "리설주")
    assert page.locator("#id_act-0-victim-person").input_value() == str(s.source.pk)
    assert "리설주" in page.locator("#act-0-victim-chosen").inner_text()
    # A new person typed like a recorded one: the warning offers the recorded person.
    page.locator("#id_act-0-victim-mode_1").check()
    page.locator("#id_act-0-victim-name").fill("Ri Sol Ju")
    page.locator("#id_act-0-victim-name").press("Tab")
    page.locator(f"#act-0-victim-dup-{s.source.pk}").wait_for()
    b.screenshot("intake-duplicate-warning")
