"""Search: narratives in Korean, English and Chinese; persons by name; filters, facets, audit, query counts.

The expected answers are literals, so the SQLite run and the PostgreSQL run check the very same results.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from haven.accounts.models import Role
from haven.accounts.policy import MASK
from haven.audit.models import AuditAction, AuditEntry
from haven.crypto.keyring import audit_fingerprint
from haven.records.models import Sex
from haven.records.tests import factories as f
from haven.web import search
from haven.web.tests.stories import Story, place, story
from haven.web.textsearch import parse_query

pytestmark = pytest.mark.django_db


@pytest.fixture
def s() -> Story:
    return story()


def _titles(user, q: str, **filters) -> list[str]:  # type: ignore[no-untyped-def]
    events = search.filter_events(user, parse_query(q), search.Filters(**filters))
    return sorted(events.values_list("title", flat=True))


# (query, titles of the matching events visible to the documenter of compartment A), run on both databases.
SHARED_QUERIES: list[tuple[str, list[str]]] = [
    ("체포", ["연길에서 체포"]),  # two syllables
    ("강", ["강제북송", "두만강 도강"]),  # one syllable
    ("구타", ["온성 집결소 구금"]),
    ("집결소", ["온성 집결소 구금"]),  # three syllables: the trigram accelerators are used
    ("ARRESTED", ["연길에서 체포"]),
    ("arrest", ["Arrest at the border", "연길에서 체포"]),
    ("arrest -yanji", ["Arrest at the border"]),
    ('"forcibly returned"', ["강제북송"]),
    ('"returned forcibly"', []),
    ("遣返", ["강제북송"]),  # Chinese, two characters
    ("延吉", ["연길에서 체포"]),
    ("被", ["강제북송", "연길에서 체포"]),
    ("river night", ["두만강 도강"]),
    ("river -night", []),
    ("-강", ["Arrest at the border", "Interrogation", "연길에서 체포", "온성 집결소 구금"]),
    ("%", []),  # LIKE wildcards are plain characters
    ("_", []),
    ("secret", []),  # only in compartment B
    (
        '"',
        [
            "Arrest at the border",
            "Interrogation",
            "강제북송",
            "두만강 도강",
            "연길에서 체포",
            "온성 집결소 구금",
        ],
    ),
    ("ＡＲＲＥＳＴ", ["Arrest at the border", "연길에서 체포"]),  # full-width letters, NFKC
]


@pytest.mark.parametrize(("query", "expected"), SHARED_QUERIES)
def test_it_gives_the_expected_events_for_the_shared_queries(
    s: Story, query: str, expected: list[str]
) -> None:
    assert _titles(s.world.users[Role.DOCUMENTER], query) == expected


def test_it_finds_an_event_by_a_two_syllable_hangul_word_on_the_page(client, s: Story) -> None:
    client.force_login(s.world.users[Role.ANALYST])
    html = client.get(reverse("web:search"), {"q": "체포"}).content.decode()
    assert reverse("web:event", args=[s.arrest.pk]) in html
    assert reverse("web:event", args=[s.hidden.pk]) not in html


@pytest.mark.parametrize("spelling", ["Ri Sol-ju", "Lee Seol-ju", "리설주", "이설주", "ri sol ju"])
def test_it_finds_a_person_by_name_across_spellings(client, s: Story, spelling: str) -> None:
    client.force_login(s.world.users[Role.DOCUMENTER])
    html = client.get(reverse("web:search"), {"q": spelling}).content.decode()
    assert reverse("web:person", args=[s.source.pk]) in html


def test_it_finds_kim_jung_un_style_romanizations(client, s: Story) -> None:
    p = f.person("alpha", hangul="김정은", roman="Kim Jong-un", sex="M")
    client.force_login(s.world.users[Role.DOCUMENTER])
    for q in ("Kim Jung-un", "김정은", "kim jong un"):
        assert (
            reverse("web:person", args=[p.pk]) in client.get(reverse("web:search"), {"q": q}).content.decode()
        )


def test_it_does_not_look_names_up_for_roles_without_identifying_access(client, s: Story) -> None:
    client.force_login(s.world.users[Role.ANALYST])
    html = client.get(reverse("web:search"), {"q": "Ri Sol-ju"}).content.decode()
    assert reverse("web:person", args=[s.source.pk]) not in html and "리설주" not in html


def test_it_never_finds_persons_of_another_compartment(client, s: Story) -> None:
    client.force_login(s.world.users[Role.DOCUMENTER])
    html = client.get(reverse("web:search"), {"q": "Moon Ha-ram"}).content.decode()
    assert reverse("web:person", args=[s.world.person_b.pk]) not in html


def test_it_filters_by_act_type_with_its_subtree(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    liberty = f.term("act-types", "03")
    assert _titles(doc, "", act_type=liberty) == [
        "Arrest at the border",
        "Interrogation",
        "강제북송",
        "두만강 도강",
        "연길에서 체포",
        "온성 집결소 구금",
    ]
    assert _titles(doc, "", act_type=f.term("act-types", "030102")) == ["온성 집결소 구금"]
    assert _titles(doc, "", act_type=f.term("act-types", "01")) == []


def test_it_filters_by_period_certain_and_possible(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    assert _titles(doc, "", year_from=2010, year_to=2010) == ["강제북송", "연길에서 체포"]
    assert _titles(doc, "", year_from=2011, year_to=2011) == ["Arrest at the border", "온성 집결소 구금"]
    # c. 2011 is stored as 2011; the 2009 crossing lies wholly before 2010.
    assert _titles(doc, "", year_from=2009, year_to=2009, certain=False) == ["두만강 도강"]


def test_it_filters_by_place_including_everything_inside(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    assert _titles(doc, "", place=place("KP")) == ["강제북송", "온성 집결소 구금"]
    assert _titles(doc, "", place=place("CN")) == ["두만강 도강", "연길에서 체포"]
    assert _titles(doc, "", place=place("KP-09-ONSONG-MSS-DETENTION")) == ["온성 집결소 구금"]


def test_it_filters_by_perpetrator_type_sex_age_organisation_and_confidentiality(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    assert _titles(doc, "", perpetrator_type=f.term("perpetrator-types", "01")) == ["연길에서 체포"]
    assert _titles(doc, "", perpetrator_type=f.term("perpetrator-types", "010105")) == []
    assert _titles(doc, "", victim_sex=Sex.MALE) == []
    assert len(_titles(doc, "", victim_sex=Sex.FEMALE)) == 6
    assert _titles(doc, "", age_min=26, age_max=26) == ["강제북송", "연길에서 체포"]
    assert _titles(doc, "체포", age_min=27) == []  # one act must satisfy the text's event and the age
    assert _titles(doc, "", organisation=s.world.org_b) == []
    assert _titles(doc, "", confidentiality="internal") == [
        "Interrogation",
        "강제북송",
        "두만강 도강",
        "연길에서 체포",
        "온성 집결소 구금",
    ]


def _facets(user, q: str = "", **filters) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    parsed = parse_query(q)
    events = search.filter_events(user, parsed, search.Filters(**filters))
    return {
        fc.name: {label: count for _v, label, count in fc.values}
        for fc in search.facets(user, events, search.Filters(**filters))
    }


def test_it_counts_each_facet(s: Story) -> None:
    facets = _facets(s.world.users[Role.DOCUMENTER])
    assert facets["act_type"] == {"Arrest": "4", "Detention, imprisonment": "1", "Abduction; kidnapping": "1"}
    assert facets["year"] == {"2009": "1", "2010": "2", "2011": "2"}
    assert facets["place"] == {"North Korea": "2", "China": "2"} or facets["place"] == {
        "China": "2",
        "North Korea": "2",
    }
    assert facets["perpetrator_type"] == {"Police": "1"}
    assert facets["victim_sex"] == {"Female": "1"}  # one person, counted once
    assert facets["age"] == {"18-29": "1"}
    assert facets["organisation"] == {"Org alpha": "6"}
    assert facets["confidentiality"] == {
        "Confidential: named roles only": "1",
        "Internal: staff of the compartment": "5",
    }
    inside_kp = _facets(s.world.users[Role.DOCUMENTER], place=place("KP"))
    assert list(inside_kp["place"].values()) == ["2"]  # one level down: the province


def test_it_hides_small_counts_of_people_from_roles_without_identifying_access(s: Story) -> None:
    facets = _facets(s.world.users[Role.ANALYST])
    assert facets["victim_sex"] == {"Female": "<5"}
    assert facets["age"] == {"18-29": "<5"}
    assert facets["act_type"]["Arrest"] == "4"  # counts of events are not counts of people


def test_it_audits_a_search_with_the_query_fingerprint_and_filters_only(client, s: Story) -> None:
    client.force_login(s.world.users[Role.DOCUMENTER])
    client.get(reverse("web:search"), {"q": "Ri Sol-ju", "year_from": "2010", "victim_sex": "F"})
    entry = AuditEntry.objects.filter(action=AuditAction.RECORD_SEARCHED).latest("pk")
    assert entry.details["query"] == audit_fingerprint("Ri Sol-ju", "audit.search")
    assert entry.details["filters"] == {"year_from": 2010, "victim_sex": "F", "certain": True}
    assert "Sol" not in str(entry.details)


def test_it_paginates(client, s: Story) -> None:
    from haven.web.tests.stories import event

    for i in range(search.PAGE_SIZE + 3):
        event(s.world, f"Extra {i}", "paged", "2013", None)
    client.force_login(s.world.users[Role.DOCUMENTER])
    first = client.get(reverse("web:search"), {"q": "paged"}).content.decode()
    second = client.get(reverse("web:search"), {"q": "paged", "page": "2"}).content.decode()
    assert first.count("Extra ") == search.PAGE_SIZE and second.count("Extra ") == 3
    assert "page=2" in first


def test_it_searches_in_a_bounded_number_of_queries(client, s: Story, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client.force_login(s.world.users[Role.DOCUMENTER])
    client.get(reverse("web:search"), {"q": "x"})  # warm: fills the search table, caches the FTS check
    with django_assert_max_num_queries(30):
        response = client.get(reverse("web:search"), {"q": "arrest 리설주", "place": place("CN").pk})
    assert response.status_code == 200


def test_it_shows_masked_names_nowhere_in_search_for_an_analyst(client, s: Story) -> None:
    client.force_login(s.world.users[Role.ANALYST])
    html = client.get(reverse("web:search"), {"q": "최예린"}).content.decode()
    assert "최예린" in html.split('name="q"')[1].split(">")[0]  # only echoed back in the search box
    assert html.count("최예린") == 1 and MASK not in html


def test_it_refuses_the_search_page_to_roles_without_records(client, s: Story) -> None:
    client.force_login(s.world.users[Role.AUDITOR])
    assert client.get(reverse("web:search"), {"q": "체포"}).status_code == 404
