"""Reading records through the API: the web pages' policy, masking and audit, as JSON."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from haven.accounts.models import Role
from haven.accounts.policy import MASK
from haven.api.models import Scope
from haven.api.tests.helpers import call, token_for
from haven.audit.models import AuditAction, AuditEntry
from haven.lib.testing.leaks import shows
from haven.web.tests.stories import Story, story

pytestmark = pytest.mark.django_db

NAMES_A = ("최예린", "Choi Ye-rin", "김정훈", "리설주", "Ri Sol-ju", "최예나")
NAMES_B = ("문하람", "Moon Ha-ram")


@pytest.fixture
def s() -> Story:
    return story()


def _records(s: Story) -> list[tuple[str, int]]:
    return [
        ("persons", s.world.person_a.pk),
        ("events", s.arrest.pk),
        ("acts", s.acts[1].pk),
        ("information", s.information.pk),
    ]


def test_it_shows_names_to_a_documenter_and_masks_them_for_an_analyst(client, s: Story) -> None:  # type: ignore[no-untyped-def]
    doc = token_for(s.world.users[Role.DOCUMENTER])
    analyst = token_for(s.world.users[Role.ANALYST])
    person = call(client, "GET", f"/api/v1/persons/{s.world.person_a.pk}/", doc).json()
    assert person["identifying_shown"] is True
    assert {n["full_name"] for n in person["names"]} == {"최예린", "Choi Ye-rin"}
    assert person["birth_date"] == "1984" and person["label"] == "최예린"
    for kind, pk in _records(s):
        response = call(client, "GET", f"/api/v1/{kind}/{pk}/", analyst)
        assert response.status_code == 200, kind
        text = response.content.decode()
        for name in (*NAMES_A, *NAMES_B, "1984", "lives in Hoeryong"):
            assert not shows(name, text), (kind, name)
        assert response.json()["identifying_shown"] is False
    response = call(client, "GET", f"/api/v1/persons/{s.world.person_a.pk}/", analyst)
    assert response["Cache-Control"] == "no-store, private"
    masked = response.json()
    assert masked["birth_date"] == MASK and masked["label"] == MASK and masked["provenance"] is None
    assert all(n["full_name"] == MASK for n in masked["names"])


def test_missing_and_forbidden_records_get_the_same_404_and_both_are_audited(client, s: Story) -> None:  # type: ignore[no-untyped-def]
    doc = token_for(s.world.users[Role.DOCUMENTER])
    hidden = [
        ("persons", s.world.person_b.pk),
        ("events", s.hidden.pk),
        ("acts", s.world.act_b.pk),
    ]
    missing = call(client, "GET", "/api/v1/persons/999999/", doc)
    assert missing.status_code == 404
    for kind, pk in [*hidden, ("persons", "abc"), ("events", "99999999999999999999999"), ("acts", "-1")]:
        response = call(client, "GET", f"/api/v1/{kind}/{pk}/", doc)
        assert response.status_code == 404, (kind, pk)
        assert response.content == missing.content, (kind, pk)
    refusals = AuditEntry.objects.filter(
        action=AuditAction.ACCESS_REFUSED, details__reason="not found or not permitted"
    )
    assert refusals.count() >= 7


def test_a_viewer_does_not_see_confidential_persons_and_an_auditor_sees_nothing(client, s: Story) -> None:  # type: ignore[no-untyped-def]
    viewer = token_for(s.world.users[Role.VIEWER])
    assert call(client, "GET", f"/api/v1/persons/{s.world.person_a.pk}/", viewer).status_code == 404
    assert call(client, "GET", "/api/v1/persons/", viewer).json()["results"] == []
    events = call(client, "GET", "/api/v1/events/", viewer).json()["results"]
    assert s.arrest.pk in {e["id"] for e in events}  # internal events are the viewer's to see
    auditor = s.world.users[Role.AUDITOR]
    from haven.api import tokens

    assert tokens.scopes_allowed(auditor) == []


def test_related_records_the_user_may_not_see_are_null_not_even_an_id(client, s: Story) -> None:  # type: ignore[no-untyped-def]
    # An internal act whose victim is confidential: the viewer sees the act, not the victim.
    viewer = token_for(s.world.users[Role.VIEWER])
    act = call(client, "GET", f"/api/v1/acts/{s.acts[1].pk}/", viewer).json()
    assert act["victim"] is None and act["event"]["id"] == s.arrest.pk
    info = call(client, "GET", f"/api/v1/information/{s.information.pk}/", viewer).json()
    assert info["source"] is None and info["related_person"] is None
    assert str(s.source.pk) not in json.dumps(info["source"])


def test_lists_are_paged_by_cursor_filtered_audited_and_never_cross_compartments(client, s: Story) -> None:  # type: ignore[no-untyped-def]
    doc = token_for(s.world.users[Role.DOCUMENTER])
    seen: list[int] = []
    url = "/api/v1/events/?page_size=2"
    pages = 0
    while url:
        response = call(client, "GET", url, doc)
        assert response.status_code == 200
        body = response.json()
        assert len(body["results"]) <= 2
        seen += [e["id"] for e in body["results"]]
        url = body["next"]
        pages += 1
    assert pages >= 3 and len(seen) == len(set(seen))
    assert s.hidden.pk not in seen and s.arrest.pk in seen
    entries = AuditEntry.objects.filter(action=AuditAction.RECORD_VIEWED, details__list="records.event")
    assert sorted(i for e in entries for i in e.details["ids"]) == sorted(seen)
    only_beta = call(client, "GET", "/api/v1/events/?organisation=beta", doc).json()
    assert only_beta["results"] == []
    assert call(client, "GET", "/api/v1/events/?updated_since=yesterday", doc).status_code == 400
    assert call(client, "GET", "/api/v1/events/?cursor=garbage", doc).status_code == 404
    text = call(client, "GET", "/api/v1/persons/?page_size=200", doc).content.decode()
    for name in NAMES_B:
        assert name not in text


def test_list_queries_do_not_grow_with_the_page(client, s: Story) -> None:  # type: ignore[no-untyped-def]
    doc = token_for(s.world.users[Role.DOCUMENTER])
    call(client, "GET", "/api/v1/me/", doc)  # the token's first use records it (one write, once a minute)
    counts = {}
    for kind in ("persons", "events", "acts", "information"):
        for size in (1, 5):
            with CaptureQueriesContext(connection) as queries:
                assert call(client, "GET", f"/api/v1/{kind}/?page_size={size}", doc).status_code == 200
            counts[(kind, size)] = len(queries)
        assert counts[(kind, 1)] == counts[(kind, 5)], (kind, counts)


def test_reference_data_needs_a_reading_scope_and_places_are_audited_like_the_place_page(
    client, s: Story
) -> None:  # type: ignore[no-untyped-def]
    analyst = s.world.users[Role.ANALYST]
    search_only = token_for(analyst, [Scope.SEARCH])
    vocabularies = call(client, "GET", "/api/v1/vocabularies/", search_only)
    assert vocabularies.status_code == 200
    assert "act-types" in {v["code"] for v in vocabularies.json()}
    terms = call(client, "GET", "/api/v1/terms/?vocabulary=act-types&page_size=5", search_only).json()
    assert len(terms["results"]) == 5 and terms["next"]
    term = terms["results"][0]
    assert call(client, "GET", f"/api/v1/terms/{term['id']}/", search_only).json()["code"] == term["code"]
    places = call(client, "GET", "/api/v1/places/?kind=country", search_only).json()["results"]
    kp = next(p for p in places if p["code"] == "KP")
    assert call(client, "GET", f"/api/v1/places/{kp['id']}/", search_only).status_code == 200
    assert AuditEntry.objects.filter(action=AuditAction.RECORD_VIEWED, target_type="places.location").exists()
    export_only = token_for(analyst, [Scope.EXPORT_AGGREGATE], name="agg")
    response = call(client, "GET", "/api/v1/places/", export_only)
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert call(client, "GET", "/api/v1/persons/", search_only).status_code == 403
