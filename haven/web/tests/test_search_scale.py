"""Search at scale: counts computed in one statement, kept for everyone with the same access, kept fresh.

The answers are literals, so the SQLite run and the PostgreSQL run check the very same results.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from io import StringIO

import pytest
from django import forms
from django.core.management import call_command
from django.db import connection, transaction
from django.forms.renderers import DjangoTemplates
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.timezone import now

from haven.accounts.models import CompartmentGrant, Role, User
from haven.audit.models import AuditAction, AuditEntry
from haven.audit.services import audit_record
from haven.lib.dates import ImpreciseDate
from haven.records.models import Act, Confidentiality, Event
from haven.records.tests import factories as f
from haven.web import search, searchcache, textsearch
from haven.web.models import EventText, SearchCounts, SearchState
from haven.web.tests.recounts import DeferredRecounts
from haven.web.tests.stories import Story, event, place, story

pytestmark = pytest.mark.django_db


@pytest.fixture
def s() -> Story:
    return story()


@pytest.fixture
def recounts(settings, monkeypatch) -> DeferredRecounts:  # type: ignore[no-untyped-def]
    settings.HAVEN_COUNTS_REFRESH = "background"
    return DeferredRecounts(monkeypatch)


def _run(user: User, q: str = "", *, page: int = 1, **filters: object) -> search.SearchResult:
    return search.run_search(user, q, search.Filters(**filters), page=page)[1]  # type: ignore[arg-type]


def _facets(result: search.SearchResult) -> dict[str, dict[str, str]]:
    return {fc.name: {label: count for _v, label, count in fc.values} for fc in result.facets}


def _titles(result: search.SearchResult) -> list[str]:
    return [e.title for e in result.page]


def _counting_statements(queries: list[dict[str, str]]) -> int:
    return sum('"matches"' in q["sql"] for q in queries)


ALL_SIX = [  # date order; the event of unknown date last, on both databases
    "두만강 도강",
    "연길에서 체포",
    "강제북송",
    "Arrest at the border",
    "온성 집결소 구금",
    "Interrogation",
]


def test_it_lists_events_in_date_order_with_unknown_dates_last(s: Story) -> None:
    result = _run(s.world.users[Role.DOCUMENTER])
    assert result.count == 6 and _titles(result) == ALL_SIX
    assert list(result.events.values_list("title", flat=True)) == ALL_SIX


def test_it_gives_the_same_counts_as_counting_each_facet_directly(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    for q, filters in [("", {}), ("arrest", {}), ("", {"place": place("KP")}), ("강", {"year_from": 2010})]:
        parsed = textsearch.parse_query(q)
        events = search.filter_events(doc, parsed, search.Filters(**filters))  # type: ignore[arg-type]
        direct = {
            fc.name: {label: n for _v, label, n in fc.values}
            for fc in search.facets(doc, events, search.Filters(**filters))  # type: ignore[arg-type]
        }
        computed = _run(doc, q, **filters)
        kept = _run(doc, q, **filters)
        assert _facets(computed) == _facets(kept) == direct
        assert computed.count == kept.count == events.count()
        assert _titles(computed) == _titles(kept)


def test_it_counts_a_search_in_one_statement_then_reuses_the_counts(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    with CaptureQueriesContext(connection) as first:
        _run(doc, "arrest")
    with CaptureQueriesContext(connection) as second:
        result = _run(doc, "arrest")
    assert _counting_statements(first.captured_queries) == 1
    assert _counting_statements(second.captured_queries) == 0
    assert result.count == 2 and SearchCounts.objects.count() == 1


def test_it_really_answers_from_the_kept_counts(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    _run(doc)
    SearchCounts.objects.update(data={"rows": [["e", 1999, None, s.world.org_a.pk, "internal", 41]]})
    result = _run(doc)
    assert result.count == 41 and _facets(result)["year"] == {"1999": "41"}


def test_it_never_uses_counts_older_than_their_maximum_age(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    _run(doc)
    SearchCounts.objects.update(
        data={"rows": [["e", 1999, None, s.world.org_a.pk, "internal", 41]]},
        created_at=now() - searchcache.MAX_AGE - timedelta(seconds=1),
    )
    assert _run(doc).count == 6


def test_counts_past_their_age_are_shown_while_a_thread_counts_again(committed_db, recounts) -> None:  # type: ignore[no-untyped-def]
    """With HAVEN_COUNTS_REFRESH "background" the reader of aged counts (same data version) is not kept waiting;
    the thread's own database connection needs committed data (committed_db)."""
    s = story()
    doc = s.world.users[Role.DOCUMENTER]
    assert _run(doc).count == 6
    aged = now() - searchcache.MAX_AGE - timedelta(seconds=1)
    SearchCounts.objects.update(
        data={"rows": [["e", 1999, None, s.world.org_a.pk, "internal", 41]]}, created_at=aged
    )
    assert _run(doc).count == 41  # kept, shown at once
    recounts.run()
    assert _run(doc).count == 6  # counted again by the thread
    assert SearchCounts.objects.get().created_at > aged
    # Past the longest keep, kept counts are never shown, even in the background mode.
    SearchCounts.objects.update(
        data={"rows": [["e", 1999, None, s.world.org_a.pk, "internal", 41]]},
        created_at=now() - searchcache.KEEP - timedelta(seconds=1),
    )
    assert _run(doc).count == 6


def test_it_counts_again_once_a_change_is_committed(committed_db) -> None:  # type: ignore[no-untyped-def]
    s = story()
    doc = s.world.users[Role.DOCUMENTER]
    assert _facets(_run(doc))["act_type"]["Arrest"] == "4"
    version = searchcache.data_version()
    with transaction.atomic():
        detention = s.acts[0]
        detention.act_type = f.term("act-types", "030101")
        detention.save()
        for a in s.acts[1:]:
            a.save()
        assert searchcache.data_version() == version  # nothing before the commit
    assert SearchState.objects.get(pk=1).version == int(version.split("|")[0]) + 1  # once per transaction
    assert _facets(_run(doc))["act_type"] == {"Arrest": "5", "Abduction; kidnapping": "1"}


def test_it_counts_again_after_a_write_the_audit_log_records(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    assert _facets(_run(doc))["act_type"]["Arrest"] == "4"
    # As an import does: rows changed in bulk (no signal), one audit entry in the same transaction.
    Act.objects.filter(pk=s.acts[0].pk).update(act_type=f.term("act-types", "030101"))
    assert _facets(_run(doc))["act_type"]["Arrest"] == "4"  # kept: nothing said the records changed
    audit_record(actor=doc, action=AuditAction.IMPORTED, details={"via": "test"})
    assert _facets(_run(doc))["act_type"] == {"Arrest": "5", "Abduction; kidnapping": "1"}


def test_it_counts_again_after_a_bulk_insert(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    assert _run(doc, "bulkword").count == 0
    e = Event(
        organisation=s.world.org_a,
        compartment=s.world.comp_a,
        confidentiality=Confidentiality.INTERNAL,
        title="Bulk",
        description="bulkword",
    )
    e.date = ImpreciseDate.parse("2014")
    Event.objects.bulk_create([e])  # no signal: the highest event id changes the key
    textsearch.event_texts_fill()
    assert _run(doc, "bulkword").count == 1


def test_it_never_shares_counts_between_readers_of_different_compartments(s: Story) -> None:
    doc_a = s.world.users[Role.DOCUMENTER]
    doc_b = User.objects.create_user("documenter-b", role=Role.DOCUMENTER)
    CompartmentGrant.objects.create(user=doc_b, compartment=s.world.comp_b)
    assert _run(doc_a).count == 6
    assert _run(doc_b).count == 2
    assert _run(doc_a).count == 6 and _run(doc_b).count == 2
    assert SearchCounts.objects.count() == 2


def test_it_finds_nothing_for_a_reader_granted_no_compartment(client, s: Story) -> None:  # type: ignore[no-untyped-def]
    ungranted = User.objects.create_user("viewer-nowhere", role=Role.VIEWER)
    result = _run(ungranted, "arrest")
    assert result.count == 0 and list(result.page) == [] and all(not fc.values for fc in result.facets)
    client.force_login(ungranted)
    response = client.get(reverse("web:search"), {"q": "arrest"})
    assert response.status_code == 200 and "0 events" in response.content.decode()


def test_it_masks_small_counts_of_people_for_each_reader_even_from_kept_counts(s: Story) -> None:
    analyst = s.world.users[Role.ANALYST]
    for _ in range(2):
        facets = _facets(_run(analyst))
        assert facets["victim_sex"] == {"Female": "<5"} and facets["age"] == {"18-29": "<5"}
    kept = SearchCounts.objects.get().data
    assert ["s", None, "F", None, None, 1] in kept["rows"]  # kept as counted; masked when shown


def test_it_never_shows_a_kept_event_its_reader_may_no_longer_see(s: Story) -> None:
    analyst = s.world.users[Role.ANALYST]
    assert "연길에서 체포" in _titles(_run(analyst))
    # A bulk update sends no signal, so the kept counts stay; the page is still fetched through the policy.
    Event.objects.filter(pk=s.arrest.pk).update(confidentiality=Confidentiality.SECRET)
    assert "연길에서 체포" not in _titles(_run(analyst))


def test_it_keeps_nothing_identifying(s: Story) -> None:
    _run(s.world.users[Role.DOCUMENTER], "Ri Sol-ju")
    row = SearchCounts.objects.get()
    assert "sol" not in row.key.lower() and "sol" not in str(row.data).lower()


def test_it_pages_through_kept_counts_and_clamps_a_page_past_the_end(s: Story) -> None:
    for i in range(search.PAGE_SIZE + 3):
        event(s.world, f"Extra {i:02d}", "paged", "2013", None)
    doc = s.world.users[Role.DOCUMENTER]
    first = _run(doc, "paged")
    second = _run(doc, "paged", page=2)
    past = _run(doc, "paged", page=9)
    assert first.count == second.count == past.count == search.PAGE_SIZE + 3
    assert _titles(first) == [f"Extra {i:02d}" for i in range(search.PAGE_SIZE)]
    assert _titles(second) == _titles(past) == ["Extra 20", "Extra 21", "Extra 22"]
    assert past.page.number == 2 and not past.page.has_next() and second.page.start_index() == 21


def test_it_pages_the_same_when_the_second_page_is_counted_first(s: Story) -> None:
    for i in range(search.PAGE_SIZE + 3):
        event(s.world, f"Extra {i:02d}", "paged", "2013", None)
    doc = s.world.users[Role.DOCUMENTER]
    assert _titles(_run(doc, "paged", page=2)) == ["Extra 20", "Extra 21", "Extra 22"]
    assert _titles(_run(doc, "paged")) == [f"Extra {i:02d}" for i in range(search.PAGE_SIZE)]


def test_it_searches_in_few_queries_counted_or_kept(client, s: Story, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client.force_login(s.world.users[Role.DOCUMENTER])
    client.get(
        reverse("web:search"), {"q": "warm"}
    )  # warm: the full check of the search table, the FTS check
    params = {"q": "arrest 리설주", "place": place("CN").pk}
    # 28 and 26 on SQLite (two of them ask FTS5 whether each term is rare), 28 and 25 on PostgreSQL: about
    # half are the session, two-factor check, form choices and audit entry of any page; one statement counts
    # everything, however many rows.
    with django_assert_max_num_queries(28) as counted:
        assert client.get(reverse("web:search"), params).status_code == 200
    with django_assert_max_num_queries(26) as kept:
        assert client.get(reverse("web:search"), params).status_code == 200
    assert _counting_statements(counted.captured_queries) == 1
    assert _counting_statements(kept.captured_queries) == 0
    for _ in range(search.PAGE_SIZE + 3):
        event(s.world, "Arrest", "arrest in Yanji", "2013", "CN-JL-YANBIAN-YANJI")
    with django_assert_max_num_queries(len(counted.captured_queries)):
        assert client.get(reverse("web:search"), params).status_code == 200  # more rows, no more queries


def test_it_indexes_events_created_in_bulk_before_searching(client, s: Story) -> None:
    e = Event(
        organisation=s.world.org_a,
        compartment=s.world.comp_a,
        confidentiality=Confidentiality.INTERNAL,
        title="Imported",
        description="벌크로 들어온 사건",
    )
    e.date = ImpreciseDate.parse("2014")
    Event.objects.bulk_create([e])
    assert not EventText.objects.filter(event=e).exists()
    client.force_login(s.world.users[Role.DOCUMENTER])
    html = client.get(reverse("web:search"), {"q": "벌크"}).content.decode()
    assert reverse("web:event", args=[e.pk]) in html


def test_it_indexes_again_events_changed_in_bulk(s: Story, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    Event.objects.filter(pk=s.border.pk).update(description="새로 고친 설명", updated_at=now())
    doc = s.world.users[Role.DOCUMENTER]
    assert _run(doc, "고친").count == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert textsearch.event_texts_refresh_stale() == 1  # and the kept counts are stale once it commits
    assert textsearch.event_texts_refresh_stale() == 0
    assert _titles(_run(doc, "고친")) == ["Interrogation"]


def test_it_catches_up_cheaply_and_checks_everything_now_and_then(s: Story, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    Event.objects.filter(pk=s.border.pk).update(description="새로 고친 설명", updated_at=now())
    monkeypatch.setattr(textsearch, "_last_full_check", None)
    assert textsearch.event_texts_catch_up() == 1  # first call: the full check
    Event.objects.filter(pk=s.border.pk).update(description="또 고친 설명", updated_at=now())
    assert textsearch.event_texts_catch_up() == 0  # a bulk update is only seen by the full check
    # The last full check longer ago than its period (not 0.0: the monotonic clock may start at the boot).
    monkeypatch.setattr(textsearch, "_last_full_check", time.monotonic() - textsearch.FULL_CHECK_SECONDS - 1)
    assert textsearch.event_texts_catch_up() == 1
    assert "또 고친" in EventText.objects.get(event=s.border).text


def test_the_index_command_adds_missing_texts_and_refreshes_stale_ones(s: Story) -> None:
    EventText.objects.filter(event=s.arrest).delete()
    Event.objects.filter(pk=s.border.pk).update(description="새로 고친 설명", updated_at=now())
    out = StringIO()
    call_command("web_search_index", stdout=out)
    assert out.getvalue().strip() == "1 events indexed, 1 changed events indexed again"
    assert EventText.objects.count() == Event.objects.count()
    out = StringIO()
    call_command("web_search_index", "--rebuild", stdout=out)
    assert out.getvalue().strip() == f"{Event.objects.count()} events indexed"


@pytest.mark.parametrize("value", ["", "2", None])
def test_the_quick_select_writes_the_same_html_as_djangos(value: str | None) -> None:
    choices = [("", "Any"), ("1", 'A <b>&"x"'), ("2", "— 두만강"), ("3", "it's")]
    attrs = {"id": "id_x", "aria-describedby": "x-help", "required": True, "disabled": False}

    def squeeze(html: str) -> str:
        return re.sub(r">\s+<", "><", html).strip()

    # Django's own templates (the project's renderer writes options inline: haven/templates/django/forms/).
    django_html = forms.Select(choices=choices, attrs=attrs).render("x", value, renderer=DjangoTemplates())
    assert squeeze(forms.Select(choices=choices, attrs=attrs).render("x", value)) == squeeze(django_html)
    assert squeeze(search.QuickSelect(choices=choices, attrs=attrs).render("x", value)) == squeeze(
        django_html
    )


def test_the_search_form_writes_its_long_selects_as_django_would(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    data = {"act_type": f.term("act-types", "030101").pk, "place": place("CN").pk}
    form = search.SearchForm(data, user=doc)
    for name in ("act_type", "perpetrator_type", "place", "organisation"):
        bound = form[name]
        attrs = bound.build_widget_attrs({"id": bound.auto_id})
        django_html = forms.Select(choices=list(form.fields[name].choices)).render(
            bound.html_name, bound.value(), attrs=attrs, renderer=DjangoTemplates()
        )
        assert re.sub(r">\s+<", "><", str(bound)) == re.sub(r">\s+<", "><", django_html)
    assert f'<option value="{data["place"]}" selected>' in str(form["place"])


# ---- the page's facets, counted in the background ---------------------------------------------------------------


def _aside(html: str) -> str:
    return html[html.index('<aside aria-label="Counts by filter"') : html.index("</aside>")]


def test_a_new_search_shows_its_results_at_once_and_its_facets_when_counted(
    client, committed_db, recounts
) -> None:  # type: ignore[no-untyped-def]
    """The thread has its own database connection, so the test commits (committed_db)."""
    s = story()
    doc = s.world.users[Role.DOCUMENTER]
    inline = _facets(_run(doc, "", year_from=2010))  # the page's facets must equal these, once counted
    SearchCounts.objects.all().delete()
    client.force_login(doc)
    params = {"q": "", "year_from": "2010"}
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("web:search"), params).content.decode()
    # Results and total at once, found in the window of the first events (it holds all of this story's): nothing
    # was counted while the reader waited, the acts and perpetrators were not read.
    assert "4 events" in html and "Arrest at the border" in html
    assert _counting_statements(queries.captured_queries) == 0
    assert not [q for q in queries.captured_queries if '"acts" AS MATERIALIZED' in q["sql"]]
    aside = _aside(html)
    assert "Counting the matching events by filter" in aside and 'aria-busy="true"' in aside
    asked = re.search(r'hx-get="([^"]+)"', aside).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert asked.startswith(reverse("web:search_facets")) and "attempt=1" in asked
    recounts.run()
    searched = AuditEntry.objects.filter(action=AuditAction.RECORD_SEARCHED).count()
    fragment = client.get(asked).content.decode()
    assert "hx-get" not in fragment and "Counting" not in fragment
    # Counts given are audited like a search (the address can be asked for without the page).
    assert AuditEntry.objects.filter(action=AuditAction.RECORD_SEARCHED).count() == searched + 1
    assert AuditEntry.objects.order_by("-seq").first().details["via"] == "facets"  # type: ignore[union-attr]
    for facet in inline.values():
        for label, count in facet.items():
            assert re.search(
                rf">{re.escape(label)}</a> <span class=\"count\">{re.escape(count)}</span>", fragment
            )
    # Now kept: the page shows them itself.
    again = client.get(reverse("web:search"), params).content.decode()
    assert _aside(again) == _aside(fragment + "</aside>") and "Counting" not in again


def test_the_facets_are_asked_for_a_limited_number_of_times(client, s: Story, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from haven.web import recount, views

    settings.HAVEN_COUNTS_REFRESH = "background"
    monkeypatch.setattr(recount, "recount_in_background", lambda key, fn: None)  # never counted
    client.force_login(s.world.users[Role.DOCUMENTER])
    url = reverse("web:search_facets")
    html = client.get(url, {"q": "arrest", "attempt": "3"}).content.decode()
    assert 'hx-get="' in html and "attempt=4" in html
    last = client.get(url, {"q": "arrest", "attempt": str(views.FACET_ATTEMPTS)}).content.decode()
    assert "hx-get" not in last and "taking long" in last
    link = re.search(r'<a href="([^"]+)"', last).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert link == reverse("web:search") + "?q=arrest&facets=now"
    # That link (also the one shown without JavaScript) counts them while the reader waits.
    page = client.get(link).content.decode()
    assert "Counting" not in _aside(page) and "Arrest" in _aside(page) and "facets=now" not in _aside(page)


def test_the_facets_fragment_counts_at_once_when_counts_are_not_recounted_in_the_background(
    client, s: Story
) -> None:  # type: ignore[no-untyped-def]
    doc = s.world.users[Role.DOCUMENTER]
    client.force_login(doc)
    html = client.get(reverse("web:search_facets"), {"q": "arrest"}).content.decode()
    assert "Counting" not in html
    for label, count in _facets(_run(doc, "arrest"))["act_type"].items():
        assert f'>{label}</a> <span class="count">{count}</span>' in html


def test_the_facets_fragment_is_refused_like_the_search(client, s: Story) -> None:  # type: ignore[no-untyped-def]
    client.force_login(s.world.users[Role.AUDITOR])
    assert client.get(reverse("web:search_facets"), {"q": "arrest"}).status_code == 404
    client.force_login(s.world.users[Role.DOCUMENTER])
    assert client.get(reverse("web:search_facets"), {"year_from": "abc"}).status_code == 400


def test_until_its_facets_are_counted_a_new_search_is_not_counted_again(client, s: Story, recounts) -> None:  # type: ignore[no-untyped-def]
    # The thread is busy: the recounts asked for are not handed to it.
    client.force_login(s.world.users[Role.DOCUMENTER])
    first = client.get(reverse("web:search"), {"q": "arrest"}).content.decode()
    with CaptureQueriesContext(connection) as queries:
        second = client.get(reverse("web:search"), {"q": "arrest"}).content.decode()
    assert _counting_statements(queries.captured_queries) == 0  # the total and first page were kept
    assert "2 events" in first and "2 events" in second and "Counting the matching events" in second
    asked = recounts.asked
    assert len(asked) == 2 and len(set(asked)) == 1  # asked again (a lost recount is made again), same key
    # The API wants the facets now: it does not take the partial entry for counts.
    doc = s.world.users[Role.DOCUMENTER]
    assert _facets(_run(doc, "arrest"))["act_type"]


def _run_later(user: User, q: str = "", *, page: int = 1, **filters: object) -> search.SearchResult:
    return search.run_search(user, q, search.Filters(**filters), page=page, facets_later=True)[1]  # type: ignore[arg-type]


def test_a_page_found_in_the_window_is_the_page_counting_finds(s: Story, recounts, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Whatever the window's size, the word and the period, each page is the same as when counted whole."""
    doc = s.world.users[Role.DOCUMENTER]
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    searches = [
        ("", {}),
        ("강", {}),
        ("arrest", {}),
        ("-arrest", {}),
        ("", {"year_from": 2010}),
        ("", {"year_from": 2010, "certain": False}),
        ("Interrogation", {}),
        ("", {"victim_sex": "F"}),
    ]
    for window in (2, 3, 5, 100):
        monkeypatch.setattr(search, "WINDOW", window)
        for q, filters in searches:
            counted = [_run(doc, q, page=n, **filters) for n in (1, 2, 3)]
            SearchCounts.objects.all().delete()
            for n in (2, 1, 3):  # page 2 first: no first page kept yet
                found = _run_later(doc, q, page=n, **filters)
                assert _titles(found) == _titles(counted[n - 1]), (window, q, filters, n)
                assert found.count in (None, counted[0].count)
                if found.count is None:  # open: at least one more event than the page shows
                    assert found.page.has_next() and found.page.end_index() < counted[0].count
            SearchCounts.objects.all().delete()


def test_a_common_word_shows_its_first_page_before_it_is_counted(
    client, s: Story, recounts, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    monkeypatch.setattr(search, "WINDOW", 4)
    client.force_login(s.world.users[Role.DOCUMENTER])
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("web:search"), {"q": ""}).content.decode()
    assert _counting_statements(queries.captured_queries) == 0  # the window held more than a page
    assert "More than 2 events" in html and "(counting them)" in html
    assert '<span id="page-count">Page 1</span>' in html
    assert 'rel="next" href="?q=&amp;page=2"' in html and "Page 1 of" not in html
    assert ALL_SIX[0] in html and ALL_SIX[1] in html and ALL_SIX[2] not in html
    entry = AuditEntry.objects.filter(action=AuditAction.RECORD_SEARCHED).order_by("-seq").first()
    assert (
        entry is not None and entry.details["events_at_least"] == 3
    )  # not counted yet: what the reader knows
    assert "events" not in entry.details
    # Asked again before the thread is done: the same page, nothing searched again.
    monkeypatch.setattr(search, "_page_from_window", lambda *args: pytest.fail("searched the window again"))
    with CaptureQueriesContext(connection) as again:
        assert "More than 2 events" in client.get(reverse("web:search"), {"q": ""}).content.decode()
    assert _counting_statements(again.captured_queries) == 0
    assert len(recounts.asked) == 2 and len(set(recounts.asked)) == 1  # not counted yet: asked again


def test_a_rare_word_is_counted_at_once_when_the_window_does_not_hold_its_page(
    client, s: Story, recounts, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(search, "WINDOW", 4)  # the event of unknown date, last in list order, is outside it
    client.force_login(s.world.users[Role.DOCUMENTER])
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("web:search"), {"q": "Interrogation"}).content.decode()
    assert _counting_statements(queries.captured_queries) == 1
    assert "1 event<" in html and "Interrogation" in html and "counting them" not in html


def test_the_counted_total_replaces_the_heading_of_a_page_shown_before(
    client, committed_db, recounts, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    monkeypatch.setattr(search, "WINDOW", 4)
    s = story()
    SearchCounts.objects.all().delete()
    client.force_login(s.world.users[Role.DOCUMENTER])
    html = client.get(reverse("web:search"), {"q": ""}).content.decode()
    assert "More than 2 events" in html
    asked = re.search(r'hx-get="([^"]+)"', _aside(html)).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    recounts.run()
    fragment = client.get(asked).content.decode()
    assert '<h2 id="events-h" hx-swap-oob="true">6 events</h2>' in fragment
    assert (
        "open_page=1" in asked and '<span id="page-count" hx-swap-oob="true">Page 1 of 3</span>' in fragment
    )
    entry = AuditEntry.objects.filter(action=AuditAction.RECORD_SEARCHED).order_by("-seq").first()
    assert entry is not None and entry.details["via"] == "facets" and entry.details["events"] == 6
    again = client.get(reverse("web:search"), {"q": ""}).content.decode()
    assert "6 events" in again and "Page 1 of 3" in again and "hx-swap-oob" not in again
    assert 'id="page-count"' not in again  # counted: no page count to replace
    # A page counted at once is not told to replace any (and a bad number is no number).
    for wrong in ("x", "0", "4"):  # not a number, or past the last page: no page count is replaced
        counted = client.get(asked.replace("open_page=1", f"open_page={wrong}")).content.decode()
        assert "6 events" in counted and "page-count" not in counted
    carried = client.get(reverse("web:search"), {"q": "", "open_page": "3"}).content.decode()
    assert "open_page" not in _aside(carried)  # never carried into the search's own links
    assert "open_page" not in carried.split('<nav class="pager"')[1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's parallel workers")
def test_a_count_made_in_the_background_takes_one_core_only(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    events = search.filter_events(doc, textsearch.parse_query("arrest"), search.Filters())
    for background, workers in ((True, "0"), (False, None)):
        with CaptureQueriesContext(connection) as queries:
            rows = search._rows(doc, events, (search.PAGE_SIZE, 0), background=background)
        assert sum(n for kind, *_keys, n in rows if kind == "e") == 2  # counted all the same
        told = [q["sql"] for q in queries.captured_queries if "max_parallel_workers_per_gather" in q["sql"]]
        assert bool(told) == (workers is not None)


def test_with_words_the_period_only_filters_the_events_the_words_find(s: Story) -> None:
    """SQLite must not read every event of the period by its date index (the texts are the better way in)."""
    doc = s.world.users[Role.DOCUMENTER]
    worded = search.filter_events(doc, textsearch.parse_query("강"), search.Filters(year_from=2010))
    unworded = search.filter_events(doc, textsearch.parse_query(""), search.Filters(year_from=2010))
    plus = '+"records_event"."date_start"' if connection.vendor == "sqlite" else "+"
    assert (plus in str(worded.query)) == (connection.vendor == "sqlite")
    assert plus not in str(unworded.query) or connection.vendor != "sqlite"
    any_time = set(
        search.filter_events(doc, textsearch.parse_query("강"), search.Filters()).values_list("pk", flat=True)
    )
    assert [e.title for e in worded] == [e.title for e in unworded if e.pk in any_time] == ["강제북송"]
