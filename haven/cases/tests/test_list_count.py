"""The case list counts up to a limit: past it, "more than N cases" and pages numbered without a last one."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from haven.audit.models import AuditAction, AuditEntry
from haven.cases import access, selectors
from haven.cases.models import Case
from haven.cases.tests.world import CaseWorld
from haven.lib.paging import UncountedPage, count_up_to, page_counted_up_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> CaseWorld:
    world = CaseWorld()
    for i in range(11):  # twelve cases in compartment A with the world's own
        CaseWorld.new_case(world.worker_a, world.comp_a, (f"김하나{i}", f"Kim Ha-na {i}"))
    return world


def _listing(client, **params) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse("cases:list"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_count_up_to_stops_one_row_past_the_limit(w: CaseWorld) -> None:
    visible = access.cases_visible_to(w.worker_a)
    assert visible.count() == 12
    assert count_up_to(visible, 20) == 12
    assert count_up_to(visible, 12) == 12
    assert count_up_to(visible, 5) == 6
    with CaptureQueriesContext(connection) as queries:
        count_up_to(visible, 5)
    assert "LIMIT 6" in queries.captured_queries[-1]["sql"].upper()


def test_a_page_past_the_limit_is_not_numbered_against_a_total(w: CaseWorld) -> None:
    visible = access.cases_visible_to(w.worker_a).order_by("pk")
    page, total = page_counted_up_to(visible, 5, "3", limit=20)
    assert total == 12 and page.paginator.num_pages == 3 and len(page.object_list) == 2
    page, total = page_counted_up_to(visible, 5, "3", limit=10)
    assert total is None and isinstance(page, UncountedPage)
    assert page.number == 3 and len(page.object_list) == 2 and not page.has_next()
    page, _ = page_counted_up_to(visible, 5, "x", limit=10)
    assert page.number == 1 and page.has_next()


def test_the_list_says_more_than_the_limit_and_pages_on(client, w: CaseWorld, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(selectors, "LIST_COUNTED_UP_TO", 10)
    monkeypatch.setattr(selectors, "LIST_PAGE_SIZE", 5)
    client.force_login(w.worker_a)
    first = _listing(client)
    assert "More than 10 cases you can see." in first
    assert "Page 1<" in first and "page=2" in first and "Page 1 of" not in first
    last = _listing(client, page=3)
    assert "Page 3<" in last and "page=2" in last and "page=4" not in last
    assert last.count('href="/cases/') - last.count('href="/cases/?') >= 2
    searched = AuditEntry.objects.filter(action=AuditAction.CASE_SEARCHED).latest("seq")
    assert searched.details["cases"] is None and searched.details["cases_counted_up_to"] == 10
    assert searched.details["page"] == 3
    # A page number no database could skip to gives an empty page, not an error.
    assert "page=" in _listing(client, page=10**20)
    # Only my cases (a query with DISTINCT) is counted the same way.
    assert "More than 10 cases you can see." in _listing(client, mine="on")


def test_under_the_limit_the_list_gives_the_total_and_the_number_of_pages(
    client, w: CaseWorld, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(selectors, "LIST_PAGE_SIZE", 5)
    client.force_login(w.worker_a)
    first = _listing(client)
    assert "12 cases you can see." in first and "Page 1 of 3" in first
    searched = AuditEntry.objects.filter(action=AuditAction.CASE_SEARCHED).latest("seq")
    assert searched.details["cases"] == 12
    # A filter narrows the count as it narrows the list.
    Case.objects.filter(pk=w.case_a.pk).update(risk_level="high")
    assert "1 case you can see." in _listing(client, risk_level="high")


def test_more_than_the_limit_in_korean(client, w: CaseWorld, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(selectors, "LIST_COUNTED_UP_TO", 3)
    w.worker_a.preferred_language = "ko"
    w.worker_a.save()
    client.force_login(w.worker_a)
    html = _listing(client)
    assert "볼 수 있는 사례 3건 넘게." in html


def test_the_list_links_each_case_as_reverse_would(client, w: CaseWorld) -> None:  # type: ignore[no-untyped-def]
    make = selectors.case_url_maker()
    for reference in ("HV-2024-00001", "AB12", "A B", "가나-1", "x?y#z%"):
        assert make(reference) == reverse("cases:detail", args=[reference]), reference
    client.force_login(w.worker_a)
    html = _listing(client)
    for case in access.cases_visible_to(w.worker_a):
        assert f'<a href="{reverse("cases:detail", args=[case.reference])}">{case.reference}</a>' in html
        assert f"<td>{case.opened_on.isoformat()}</td>" in html
