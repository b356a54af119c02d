"""Dashboard: acts by type, year, province, victim's sex and facility; policy-filtered, small counts as "<5".

The expected counts are literals worked out by hand from :func:`corpus`, so the SQLite run and the
PostgreSQL run check the very same figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.db import connection
from django.urls import reverse

from haven.accounts.models import Role
from haven.audit.models import AuditAction, AuditEntry
from haven.records.models import Confidentiality, Event, Person
from haven.records.tests import factories as f
from haven.web.tests.stories import Story, act, event, place, story

pytestmark = pytest.mark.django_db

INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    re.compile(r"<style\b", re.IGNORECASE),
    re.compile(r"\sstyle\s*=", re.IGNORECASE),
    re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    re.compile(r"javascript:", re.IGNORECASE),
]


@dataclass
class Corpus:
    story: Story
    hoeryong: list[Event]
    detention: Event


def _victim(org: str, sex: str, n: int) -> Person:
    p = f.person(org, hangul=f"김{'가나다라마바사아자차'[n % 10]}{n}", roman=f"Kim Ga{n}", sex=sex)
    Person.objects.filter(pk=p.pk).update(confidentiality=Confidentiality.INTERNAL)
    return p


def corpus() -> Corpus:
    """The web story plus enough acts for counts of five and more, in compartment A and (hidden) in B.

    What a documenter or analyst of compartment A may see (a viewer sees neither person_a's acts, which are
    confidential through their victim, nor the World's act, which is confidential itself):

    - 21 acts. Arrests (030101): story 3 + World 1 + Hoeryong 6 = 10; detention (030102): story 1 + facility
      7 = 8; abduction (030104): story 1 + Yanji 2 = 3. Viewer (15 acts): arrests 6, detention 7, abduction 2.
    - years: 2009: 1 + 2 = 3, 2010: 2, 2011: 1 + 1 + 7 = 9, 2012: 6, no date: 1.
    - provinces: North Hamgyong (KP-09) 1 + 1 + 7 + 6 = 15, Jilin (CN-JL) 2 + 2 = 4, no place 2. Viewer: KP-09
      13, CN-JL 2.
    - victims' sex: F 6 + 6 + 4 = 16, M 3, X (other) 2. Viewer: F 10, M 3, X 2.
    - facility KP-09-ONSONG-MSS-DETENTION: 7 acts with the facility recorded, 14 at none (the map also counts
      there the story's act whose own place is the facility: 8).
    - compartment B adds six Hoeryong events and acts that nobody here may see.

    The small-cell rules (haven.analytics.disclosure.protect_partition) then decide what is shown: two or more
    small counts adding up to at least 5 are "<5"; a lone small count is withheld with the smallest count of 5
    or more; fewer than 10 in all are not broken down.
    """
    s = story()
    w = s.world
    hoeryong = []
    for i in range(6):
        e = event(w, f"회령 체포 {i}", "Arrested in Hoeryong.", "2012", "KP-09-HOERYONG")
        act(e, _victim("alpha", "F", i), "030101", "2012", age=30)
        hoeryong.append(e)
    for i in range(6):
        e = event(w, f"Beta Hoeryong {i}", "Beta's record.", "2012", "KP-09-HOERYONG", org="beta")
        act(e, _victim("beta", "M", 20 + i), "030101", "2012")
    abduction = event(w, "옌지 납치", "Taken in Yanji.", "2009", "CN-JL-YANBIAN-YANJI")
    for i in range(2):
        act(abduction, _victim("alpha", "X", 30 + i), "030104", "2009")
    detention = event(w, "온성 구금", "Held in Onsong.", "2011", "KP-09-ONSONG")
    facility = place("KP-09-ONSONG-MSS-DETENTION")
    for i in range(7):
        a = act(detention, _victim("alpha", "F" if i < 4 else "M", 10 + i), "030102", "2011")
        a.facility = facility
        a.save(update_fields=["facility"])
    return Corpus(s, hoeryong, detention)


@pytest.fixture
def c() -> Corpus:
    return corpus()


def _get(client, user, **params):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client.get(reverse("web:dashboard"), params)


def _table(html: str, slug: str) -> dict[str, str]:
    """Return the chart's data table as {row label: shown count}."""
    section = html.split(f'id="{slug}-h"')[1].split("</section>")[0]
    body = section.split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(
        r'<th scope="row">(?:<a href="[^"]*">)?([^<]+)(?:</a>)?</th>(?:<td>[^<]*</td>)?<td class="num">([^<]+)</td>',
        body,
    )
    return dict(rows)


def test_it_counts_what_a_documenter_may_see(client, c: Corpus) -> None:
    html = _get(client, c.story.world.users[Role.DOCUMENTER]).content.decode()
    # A lone small count (abduction, 3) is withheld with the smallest count of 5 or more (detention, 8).
    assert _table(html, "types") == {
        "Arrest": "10",
        "Abduction; kidnapping": "withheld",
        "Detention, imprisonment": "withheld",
    }
    # Three small counts (3, 2 and the undated 1) add up to 6: each is "<5", none can be worked out.
    assert _table(html, "years") == {"2009": "&lt;5", "2010": "&lt;5", "2011": "9", "2012": "6"}
    assert _table(html, "places") == {"North Hamgyong": "15", "Jilin": "&lt;5"}
    assert _table(html, "sex") == {"Female": "16", "Male": "&lt;5", "Other": "&lt;5"}
    assert list(_table(html, "facilities").values()) == ["7"]
    assert "Acts with no known date: &lt;5" in html
    assert "Acts with no recorded place: &lt;5" in html


def test_it_leaves_out_what_the_role_may_not_see(client, c: Corpus) -> None:
    # The viewer's clearance stops at "internal": person_a (confidential) and the World's act drop out.
    html = _get(client, c.story.world.users[Role.VIEWER]).content.decode()
    assert _table(html, "types") == {
        "Detention, imprisonment": "7",
        "Abduction; kidnapping": "withheld",
        "Arrest": "withheld",
    }
    assert _table(html, "places") == {"Jilin": "withheld", "North Hamgyong": "withheld"}
    assert _table(html, "sex") == {"Female": "10", "Male": "&lt;5", "Other": "&lt;5"}
    # Compartment B's six Hoeryong acts are counted for nobody here (the analyst sees what the documenter sees).
    analyst = _get(client, c.story.world.users[Role.ANALYST]).content.decode()
    assert _table(analyst, "types")["Arrest"] == "10"


def test_it_refuses_roles_without_records_and_asks_strangers_to_log_in(client, c: Corpus) -> None:
    assert _get(client, c.story.world.users[Role.AUDITOR]).status_code == 404
    client.logout()
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_draws_accessible_charts_with_no_bar_for_a_small_count(client, c: Corpus) -> None:
    html = _get(client, c.story.world.users[Role.DOCUMENTER]).content.decode()
    for slug in ("types", "years", "places", "sex", "facilities"):
        section = html.split(f'id="{slug}-h"')[1].split("</section>")[0]
        svg = section.split("<svg")[1].split("</svg>")[0]
        assert 'role="img"' in svg and "<title" in svg and "<desc" in svg, slug
        assert "<table" in section and "<caption>" in section, slug
    sex = html.split('id="sex-h"')[1].split("</svg>")[0]
    # One bar (women); the two small counts are printed as "<5" where their bars would be, with no bar drawn.
    assert sex.count('<rect class="bar"') == 1
    assert sex.count("&lt;5") >= 2
    types = html.split('id="types-h"')[1].split("</svg>")[0]
    assert types.count('<rect class="bar"') == 1 and types.count(">withheld<") == 2
    for pattern in INLINE:
        assert not pattern.search(html), pattern.pattern


def test_it_lists_large_counts_first_then_small_ones_by_label(client, c: Corpus) -> None:
    html = _get(client, c.story.world.users[Role.DOCUMENTER]).content.decode()
    # The shown count first; the withheld ones by label (their order must not tell which is larger).
    assert list(_table(html, "types")) == ["Arrest", "Abduction; kidnapping", "Detention, imprisonment"]


def test_it_filters_by_type_period_and_place(client, c: Corpus) -> None:
    doc = c.story.world.users[Role.DOCUMENTER]
    html = _get(client, doc, act_type=f.term("act-types", "030101").pk).content.decode()
    assert _table(html, "types") == {"Arrest": "10"}
    html = _get(client, doc, year_from=2011, year_to=2012).content.decode()
    assert _table(html, "years") == {"2011": "9", "2012": "6"}
    html = _get(client, doc, place=place("KP-09").pk).content.decode()
    assert _table(html, "types") == {"Detention, imprisonment": "8", "Arrest": "7"}
    # Four acts in China: too few for any breakdown; only their number is given, itself as "<5".
    html = _get(client, doc, place=place("CN").pk).content.decode()
    assert "Jilin" not in html.split('id="places-h"')[1].split("</section>")[0]
    assert "&lt;5 acts: too few to break down" in html


def test_it_links_each_category_to_the_search_for_it(client, c: Corpus) -> None:
    html = _get(client, c.story.world.users[Role.DOCUMENTER], year_from=2011).content.decode()
    arrest = f.term("act-types", "030101")
    assert f'href="/search/?year_from=2011&amp;act_type={arrest.pk}"' in html
    assert f'href="{reverse("web:place", args=[place("KP-09-ONSONG-MSS-DETENTION").pk])}"' in html


def test_it_explains_bad_filters_and_shows_no_figures(client, c: Corpus) -> None:
    response = _get(client, c.story.world.users[Role.DOCUMENTER], year_from=2015, year_to=2010)
    html = response.content.decode()
    assert response.status_code == 200
    assert "The period ends (2010) before it starts (2015)." in html
    assert 'id="types-h"' not in html
    html = _get(client, c.story.world.users[Role.DOCUMENTER], year_from="soon").content.decode()
    assert "Enter a whole number." in html


def test_it_audits_each_view_with_its_filters(client, c: Corpus) -> None:
    doc = c.story.world.users[Role.DOCUMENTER]
    _get(client, doc, year_from=2011, act_type=f.term("act-types", "030101").pk)
    entry = AuditEntry.objects.filter(action=AuditAction.RECORD_SEARCHED).latest("seq")
    assert entry.actor == doc
    assert entry.details == {
        "via": "dashboard",
        "filters": {"act_type": "030101", "year_from": 2011, "certain": True},
    }


def test_it_shows_nothing_but_empty_charts_to_a_user_without_compartments(client, c: Corpus) -> None:
    from haven.accounts.models import User

    lonely = User.objects.create_user("lonely-analyst", password="x" * 20, role=Role.ANALYST)
    html = _get(client, lonely).content.decode()
    assert html.count("No acts you may see match these filters.") == 5


def test_it_renders_in_korean(client, c: Corpus) -> None:
    user = c.story.world.users[Role.ANALYST]
    user.preferred_language = "ko"
    user.save(update_fields=["preferred_language"])
    html = _get(client, user).content.decode()
    assert "유형별 행위" in html and "함경북도" in html and 'xml:lang="ko"' in html


def test_it_reads_in_a_fixed_number_of_queries(client, c: Corpus, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    doc = c.story.world.users[Role.DOCUMENTER]
    client.force_login(doc)
    client.get(reverse("web:dashboard"))  # warm the session
    # Session, user, two-factor and compartments (4); the records' version (1); the shared cache's read (1), the
    # counts (one statement) and the cache's write (5, Django's database cache); the term and place look-ups (2);
    # the audit entry (2, and on PostgreSQL the chain's advisory lock); the filter form's choices (2). No session
    # save: it is pushed back at most once a minute.
    with django_assert_num_queries(18 + (connection.vendor == "postgresql")):
        assert client.get(reverse("web:dashboard"), {"year_from": 2010}).status_code == 200


def test_it_shares_counts_within_a_visibility_class_until_a_record_changes(client, c: Corpus) -> None:
    from django.test.utils import CaptureQueriesContext

    from haven.accounts.models import CompartmentGrant, User
    from haven.lib.dates import ImpreciseDate
    from haven.records.services import ActInput, act_create

    w = c.story.world
    # A second analyst of compartment A sees exactly what the first sees: the first one's counts serve both.
    other = User.objects.create_user("analyst-two", password="x" * 20, role=Role.ANALYST)
    CompartmentGrant.objects.create(user=other, compartment=w.comp_a)
    assert _table(_get(client, w.users[Role.ANALYST]).content.decode(), "types")["Arrest"] == "10"
    client.force_login(other)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("web:dashboard")).content.decode()
    assert _table(html, "types")["Arrest"] == "10"
    assert not [q for q in queries.captured_queries if "GROUP BY" in q["sql"]]
    # A documenter records one more arrest through the service (which writes its audit entry): counted at once.
    act_create(
        actor=w.users[Role.DOCUMENTER],
        event=c.hoeryong[0],
        act=ActInput(
            event=0,
            victim=w.person_a,
            act_type=f.term("act-types", "030101"),
            date=ImpreciseDate.parse("2012"),
        ),
    )
    html = _get(client, other).content.decode()
    assert _table(html, "types")["Arrest"] == "11"
    assert _table(html, "years")["2012"] == "7"


def test_it_counts_afresh_each_time_when_the_cache_is_off(client, c: Corpus, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_COUNTS_CACHE_SECONDS = 0
    doc = c.story.world.users[Role.DOCUMENTER]
    assert _table(_get(client, doc).content.decode(), "types")["Arrest"] == "10"
    # Written around the services (no audit entry): seen only because nothing is cached.
    for i in range(2):
        act(c.hoeryong[i], _victim("alpha", "F", 40 + i), "030101", "2012")
    assert _table(_get(client, doc).content.decode(), "types")["Arrest"] == "12"


def test_after_a_change_it_shows_the_kept_counts_marked_as_such_while_a_thread_counts_afresh(
    client, settings, committed_db
) -> None:  # type: ignore[no-untyped-def]
    """The background recount: the thread has its own database connection, so the test commits (committed_db)."""
    from haven.lib.dates import ImpreciseDate
    from haven.records.services import ActInput, act_create
    from haven.web import recount

    settings.HAVEN_COUNTS_REFRESH = "background"
    c = corpus()
    other = c.story.world.users[Role.ANALYST]
    first = _get(client, other).content.decode()
    assert _table(first, "types")["Arrest"] == "10" and "being counted again" not in first
    act_create(
        actor=c.story.world.users[Role.DOCUMENTER],
        event=c.hoeryong[0],
        act=ActInput(
            event=0, victim=c.hoeryong[1].acts.first().victim, act_type=f.term("act-types", "030101"),
            date=ImpreciseDate.parse("2012"),
        ),
    )  # fmt: skip
    # At once: the kept counts, said to be from before the change, and no count made while the reader waits.
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        stale = _get(client, other).content.decode()
    assert _table(stale, "types")["Arrest"] == "10" and "being counted again" in stale
    assert not [q for q in queries.captured_queries if "GROUP BY" in q["sql"]]
    recount.wait_for_recounts()
    fresh = _get(client, other).content.decode()
    assert _table(fresh, "types")["Arrest"] == "11" and "being counted again" not in fresh
    # A write around the services leaves the version as it is: once the kept counts are older than the cache's
    # age, the next reader still gets them at once (not marked: nothing recorded has changed), and a thread
    # recounts; the reader after that sees the write.
    import time

    settings.HAVEN_COUNTS_CACHE_SECONDS = 1
    act(c.hoeryong[2], _victim("alpha", "F", 60), "030101", "2012")
    time.sleep(1.1)
    aged = _get(client, other).content.decode()
    assert _table(aged, "types")["Arrest"] == "11" and "being counted again" not in aged
    recount.wait_for_recounts()
    assert _table(_get(client, other).content.decode(), "types")["Arrest"] == "12"
