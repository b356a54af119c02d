"""Type-ahead: persons by any spelling of their name (masked and audited), places by any romanization, terms."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from haven.accounts.models import Role
from haven.accounts.policy import MASK
from haven.audit.models import AuditAction, AuditEntry
from haven.lib.testing.leaks import shows
from haven.records.tests import factories as f
from haven.web.intake.typeahead import persons_matching, places_matching, terms_matching
from haven.web.tests.stories import Story, place, story

pytestmark = pytest.mark.django_db


@pytest.fixture
def s() -> Story:
    return story()


def _values(html: str) -> list[str]:
    return re.findall(r'data-value="(\d+)"', html)


@pytest.mark.parametrize(
    "query", ["Ri", "Lee", "리", "이", "Yi", "Ri Sol", "이설", "Lee Seol-ju", "리설주", "ri sol ju"]
)
def test_it_finds_a_person_by_any_spelling_of_the_name(s: Story, query: str) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    assert s.source in persons_matching(doc, query)  # 리설주 / Ri Sol-ju


def test_it_does_not_find_persons_by_another_name_or_in_another_compartment(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    assert s.source not in persons_matching(doc, "Ri Ha")  # given name begins differently
    assert s.source not in persons_matching(doc, "Kim Sol-ju")
    assert persons_matching(doc, "Moon Ha-ram") == []  # person_b lies in compartment B
    assert persons_matching(doc, "문하람") == []
    assert persons_matching(doc, f"#{s.world.person_b.pk}") == []
    assert s.world.person_a in persons_matching(doc, "Choi Ye")


def test_it_answers_the_persons_endpoint_with_options_and_audits_it(client, s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    client.force_login(doc)
    before = AuditEntry.objects.filter(action=AuditAction.RECORD_SEARCHED).count()
    html = client.get(
        reverse("web:typeahead_persons"), {"q": "Lee", "list": "id_act-0-victim-q-listbox"}
    ).content.decode()
    assert f'id="id_act-0-victim-q-listbox-opt-{s.source.pk}"' in html and 'role="option"' in html
    assert "리설주 / Ri Sol-ju" in html and "born 1984" in html
    entry = AuditEntry.objects.filter(action=AuditAction.RECORD_SEARCHED).latest("seq")
    assert AuditEntry.objects.filter(action=AuditAction.RECORD_SEARCHED).count() == before + 1
    assert entry.details["via"] == "typeahead" and "Lee" not in str(entry.details)
    html = client.get(
        reverse("web:typeahead_persons"), {"q": "Nobody Here", "list": "<script>"}
    ).content.decode()
    assert "No recorded person matches." in html and "<script>" not in html


def test_it_masks_persons_and_refuses_name_lookups_for_roles_without_identifying_data(
    client, s: Story
) -> None:
    analyst = s.world.users[Role.ANALYST]
    client.force_login(analyst)
    html = client.get(reverse("web:typeahead_persons"), {"q": "Ri Sol-ju"}).content.decode()
    assert _values(html) == [] and "리설주" not in html and "type a record number" in html
    html = client.get(reverse("web:typeahead_persons"), {"q": f"#{s.source.pk}"}).content.decode()
    assert (
        _values(html) == [str(s.source.pk)]
        and MASK in html
        and "리설주" not in html
        and not shows("1984", html)
    )
    client.force_login(s.world.users[Role.AUDITOR])
    assert client.get(reverse("web:typeahead_persons"), {"q": "Ri"}).status_code == 404


@pytest.mark.parametrize(
    "query", ["Hoeryong", "hoeryŏng", "Hoeryeong", "회령", "회령시", "Hoer", "會寧", "Hoiryong"]
)
def test_it_finds_a_place_by_any_romanization(query: str) -> None:
    assert place("KP-09-HOERYONG") in places_matching(query)


def test_it_ranks_exact_places_first_and_filters_facilities() -> None:
    results = places_matching("Onsong")
    assert results[0] == place("KP-09-ONSONG")
    facilities = places_matching("Onsong", kinds={"detention_facility"})
    assert place("KP-09-ONSONG-MSS-DETENTION") in facilities and place("KP-09-ONSONG") not in facilities
    assert places_matching("") == [] and places_matching("zzzzqqq") == []


def test_it_answers_the_places_endpoint_in_the_users_language(client, s: Story) -> None:
    user = s.world.users[Role.ANALYST]
    client.force_login(user)
    html = client.get(
        reverse("web:typeahead_places"), {"q": "Hoeryong", "list": "id_event-0-location-listbox"}
    ).content.decode()
    assert f'data-value="{place("KP-09-HOERYONG").pk}"' in html and "North Hamgyong" in html
    user.preferred_language = "ko"
    user.save(update_fields=["preferred_language"])
    html = client.get(reverse("web:typeahead_places"), {"q": "Hoeryong"}).content.decode()
    assert "회령시" in html


@pytest.mark.parametrize(
    ("query", "code"),
    [("arrest", "030101"), ("체포", "030101"), ("Detention", "030102"), ("030104", "030104")],
)
def test_it_finds_terms_by_korean_or_english_label_or_code(query: str, code: str) -> None:
    assert f.term("act-types", code) in terms_matching("act-types", query)


def test_it_answers_the_terms_endpoint_for_the_intakes_vocabularies_only(client, s: Story) -> None:
    client.force_login(s.world.users[Role.DOCUMENTER])
    html = client.get(reverse("web:typeahead_terms"), {"vocab": "act-types", "q": "torture"}).content.decode()
    assert f'data-value="{f.term("act-types", "02011111").pk}"' in html
    assert client.get(reverse("web:typeahead_terms"), {"vocab": "sex", "q": "f"}).status_code == 404
    assert client.post(reverse("web:typeahead_terms"), {"vocab": "act-types"}).status_code == 405


@pytest.mark.parametrize("query", ["Kim J", "김ㅈ", "김저", "김정ㅎ", "Kim Jung-h", "Kim Jong H", "kim"])
def test_it_finds_a_person_while_the_given_name_is_being_typed(s: Story, query: str) -> None:
    assert s.perpetrator in persons_matching(s.world.users[Role.DOCUMENTER], query)  # 김정훈 / Kim Jung-hun


@pytest.mark.parametrize("query", ["김ㅁ", "Kim M", "Kim Jung-s", "Park J"])
def test_it_does_not_find_a_person_whose_name_begins_otherwise(s: Story, query: str) -> None:
    assert s.perpetrator not in persons_matching(s.world.users[Role.DOCUMENTER], query)
