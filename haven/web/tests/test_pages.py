"""Record pages: names for documenters, the mask for analysts, the same 404 for missing and forbidden."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from haven.accounts.models import Role
from haven.accounts.policy import MASK
from haven.audit.models import AuditAction, AuditEntry
from haven.lib.testing.leaks import shows
from haven.web.tests.stories import Story, story

pytestmark = pytest.mark.django_db

NAMES_A = ("최예린", "Choi Ye-rin")


@pytest.fixture
def s() -> Story:
    return story()


def _get(client, user, name, pk):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client.get(reverse(f"web:{name}", args=[pk]))


def _normalized_404(response) -> str:  # type: ignore[no-untyped-def]
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    return re.sub(r'name="next" value="[^"]+"', "", html)


def _pages(s: Story) -> list[tuple[str, int]]:
    return [
        ("person", s.world.person_a.pk),
        ("event", s.arrest.pk),
        ("act", s.acts[1].pk),
        ("information", s.information.pk),
    ]


def test_it_shows_names_to_a_documenter_and_masks_them_for_an_analyst(client, s: Story) -> None:
    doc, analyst = s.world.users[Role.DOCUMENTER], s.world.users[Role.ANALYST]
    for name, pk in _pages(s):
        shown = _get(client, doc, name, pk)
        assert shown.status_code == 200, name
        masked = _get(client, analyst, name, pk)
        assert masked.status_code == 200, name
        body = masked.content.decode()
        for text in (*NAMES_A, "김정훈", "리설주", "Born during the famine", "lives in Hoeryong", "1984"):
            assert not shows(text, body), (name, text)
        if name in {"person", "event", "act"}:
            assert MASK in body
    person_html = _get(client, doc, "person", s.world.person_a.pk).content.decode()
    for text in (*NAMES_A, "최예나", "Born during the famine", "lives in Hoeryong"):
        assert text in person_html, text


def test_it_answers_an_outsider_compartment_exactly_like_a_missing_record(client, s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    hidden_pages = [("person", s.world.person_b.pk), ("event", s.hidden.pk), ("act", s.world.act_b.pk)]
    missing = _get(client, doc, "person", 999_999)
    assert missing.status_code == 404
    for name, pk in hidden_pages:
        forbidden = _get(client, doc, name, pk)
        assert forbidden.status_code == 404, name
        assert _normalized_404(forbidden) == _normalized_404(_get(client, doc, name, 999_999))
        assert "문하람" not in forbidden.content.decode()


def test_it_refuses_roles_without_clearance_or_records(client, s: Story) -> None:
    # person_a is confidential: a viewer (public/internal only) and an auditor (no records) get the 404.
    for role in (Role.VIEWER, Role.AUDITOR):
        assert _get(client, s.world.users[role], "person", s.world.person_a.pk).status_code == 404, role


def test_it_lists_the_journey_in_date_order_with_dates_in_their_precision(client, s: Story) -> None:
    html = _get(client, s.world.users[Role.DOCUMENTER], "person", s.world.person_a.pk).content.decode()
    journey = html.split('class="timeline"')[1].split("</ol>")[0]
    dates = re.findall(r'<span class="when">([^<]+)</span>', journey)
    assert dates == ["2009-03-02", "2010", "2010-11", "2011", "c. 2011", "date unknown"]
    assert "Yanji" in journey and "Onsong" in journey


def test_it_shows_the_event_with_its_acts_involvements_information_and_chain(client, s: Story) -> None:
    html = _get(client, s.world.users[Role.DOCUMENTER], "event", s.arrest.pk).content.decode()
    assert reverse("web:act", args=[s.acts[1].pk]) in html
    assert reverse("web:information", args=[s.information.pk]) in html
    assert reverse("web:event", args=[s.return_.pk]) in html  # chain: arrest → forced return
    assert "Kim Jung-hun" not in html and "김정훈" in html  # the primary (Hangul) name is listed


def test_it_shows_a_place_with_everything_inside_it(client, s: Story) -> None:
    from haven.web.tests.stories import place

    onsong = place("KP-09-ONSONG")
    html = _get(client, s.world.users[Role.ANALYST], "place", onsong.pk).content.decode()
    assert "강제북송" in html and "온성 집결소 구금" in html  # the detention centre lies inside Onsong
    assert "Secret transfer" not in html  # beta's event there is not visible
    assert _get(client, s.world.users[Role.ANALYST], "place", 999_999).status_code == 404


def test_it_audits_every_page_view(client, s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    before = AuditEntry.objects.filter(action=AuditAction.RECORD_VIEWED).count()
    for name, pk in _pages(s):
        _get(client, doc, name, pk)
    _get(client, doc, "place", s.arrest.location_id)
    assert AuditEntry.objects.filter(action=AuditAction.RECORD_VIEWED).count() == before + 5


@pytest.mark.parametrize("name", ["person", "event", "act", "information", "place"])
def test_it_reads_each_page_in_a_bounded_number_of_queries(
    client, s: Story, name: str, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    pk = dict(_pages(s)).get(name, s.arrest.location_id)
    client.force_login(s.world.users[Role.DOCUMENTER])
    url = reverse(f"web:{name}", args=[pk])
    # 27 on SQLite; PostgreSQL adds the audit chain's lock for the "viewed" entry, and the event page the
    # audit-history read of the record.
    with django_assert_max_num_queries(29):
        assert client.get(url).status_code == 200


def test_it_renders_in_korean(client, s: Story) -> None:
    user = s.world.users[Role.ANALYST]
    user.preferred_language = "ko"
    user.save(update_fields=["preferred_language"])
    client.force_login(user)
    html = client.get(reverse("web:person", args=[s.world.person_a.pk])).content.decode()
    assert "이동 경로" in html and "귀하의 역할에서는 신원 정보가 가려집니다." in html
    assert "2011경" in html  # an estimated date, in Korean
    html = client.get(reverse("web:search"), {"q": "체포"}).content.decode()
    assert "사건 1건" in html


def _count_queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_it_reads_the_same_number_of_queries_however_many_related_rows(client, s: Story) -> None:
    from haven.records.tests import factories as f
    from haven.web.tests.stories import act, event

    client.force_login(s.world.users[Role.DOCUMENTER])
    urls = [reverse("web:person", args=[s.world.person_a.pk]), reverse("web:event", args=[s.arrest.pk])]
    client.get(urls[0])  # the first request of a session records the session
    before = [_count_queries(client, u) for u in urls]
    for i in range(4):
        e = event(s.world, f"More {i}", "", f"201{i}", "KP-09-ONSONG")
        act(e, s.world.person_a, "030101", f"201{i}")
        act(s.arrest, f.person("alpha", hangul=f"김하나{i}", roman=f"Kim Ha-na {i}"), "030101", "2010")
    assert [_count_queries(client, u) for u in urls] == before


def test_a_perpetrator_page_lists_its_acts_a_page_at_a_time(client, s: Story, settings) -> None:  # type: ignore[no-untyped-def]
    from haven.records.models import Confidentiality, Involvement
    from haven.records.tests import factories as f
    from haven.web import pages
    from haven.web.tests.stories import act, event

    w = s.world
    group = s.perpetrator
    extra = 2 * pages.INVOLVEMENTS_PER_PAGE + 5  # three pages with the story's own involvement
    degree = f.term("involvement-degrees", "0101")
    for i in range(extra):
        e = event(w, f"Raid {i}", "", f"20{10 + i % 10}", "KP-09-ONSONG")
        a = act(e, w.person_a, "030101", f"20{10 + i % 10}")
        Involvement.objects.create(
            organisation=w.org_a,
            compartment=w.comp_a,
            act=a,
            event=e,
            perpetrator=group,
            degree=degree,
            confidentiality=Confidentiality.INTERNAL,
        )
    client.force_login(w.users[Role.DOCUMENTER])
    url = reverse("web:person", args=[group.pk])
    first = client.get(url).content.decode()
    total = extra + 1
    assert first.count('href="/records/acts/') == pages.INVOLVEMENTS_PER_PAGE  # the group is no one's victim
    assert f"Acts 1–{pages.INVOLVEMENTS_PER_PAGE} of {total}" in first and "?involvements=2" in first
    last = client.get(url, {"involvements": 3}).content.decode()
    assert f"Acts {2 * pages.INVOLVEMENTS_PER_PAGE + 1}–{total} of {total}" in last
    assert "?involvements=2" in last and "?involvements=4" not in last
    # A page number out of range or not a number shows the last or the first page, never an error.
    assert f"of {total}" in client.get(url, {"involvements": 99}).content.decode()
    assert (
        f"Acts 1–{pages.INVOLVEMENTS_PER_PAGE} of" in client.get(url, {"involvements": "x"}).content.decode()
    )
