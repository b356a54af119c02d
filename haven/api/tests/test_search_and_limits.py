"""Search with the web search's filters, aggregate counts, and rate limits with a clear 429."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from haven.accounts.models import Role
from haven.api.models import Scope
from haven.api.tests.helpers import call, token_for
from haven.audit.models import AuditAction, AuditEntry
from haven.records.tests import factories as f
from haven.web.tests.stories import Story, story

pytestmark = pytest.mark.django_db


@pytest.fixture
def s() -> Story:
    return story()


def test_search_finds_events_with_filters_and_audits_only_a_fingerprint_of_the_query(
    client, s: Story
) -> None:  # type: ignore[no-untyped-def]
    doc = token_for(s.world.users[Role.DOCUMENTER])
    response = call(client, "GET", "/api/v1/search/?q=체포", doc)
    assert response.status_code == 200, response.content
    body = response.json()
    ids = {e["id"] for e in body["events"]}
    assert s.arrest.pk in ids and s.hidden.pk not in ids  # the other compartment's "체포" stays hidden
    assert body["include"] == ["체포"] and body["page"] == 1
    arrest = f.term("act-types", "030101")
    filtered = call(
        client, "GET", f"/api/v1/search/?act_type={arrest.pk}&year_from=2010&year_to=2010", doc
    ).json()
    assert {e["id"] for e in filtered["events"]} == {s.arrest.pk, s.return_.pk}
    assert {facet["name"] for facet in filtered["facets"]} >= {"act_type", "year", "victim_sex"}
    entry = AuditEntry.objects.filter(action=AuditAction.RECORD_SEARCHED, details__via="api").first()
    assert entry is not None and "체포" not in str(entry.details) and len(entry.details["query"]) == 32
    names = call(client, "GET", "/api/v1/search/?q=Choi Ye-rin", doc).json()
    assert [p["id"] for p in names["persons"]] == [s.world.person_a.pk] and names["names_searched"] is True


def test_search_does_not_look_up_names_for_a_masked_role_and_hides_small_counts(client, s: Story) -> None:  # type: ignore[no-untyped-def]
    analyst = token_for(s.world.users[Role.ANALYST])
    body = call(client, "GET", "/api/v1/search/?q=Choi Ye-rin", analyst).json()
    assert body["persons"] == [] and body["names_searched"] is False
    everything = call(client, "GET", "/api/v1/search/", analyst).json()
    sexes = next(facet for facet in everything["facets"] if facet["name"] == "victim_sex")
    assert all(v["count"] == "<5" for v in sexes["values"])  # one victim: never a bare 1
    text = str(everything)
    for name in ("최예린", "Choi Ye-rin", "문하람"):
        assert name not in text


def test_search_rejects_bad_filters_with_their_names(client, s: Story) -> None:  # type: ignore[no-untyped-def]
    doc = token_for(s.world.users[Role.DOCUMENTER])
    response = call(client, "GET", "/api/v1/search/?year_from=19x5&victim_sex=Q&act_type=999999999", doc)
    assert response.status_code == 400
    errors = response.json()["field_errors"]
    assert {"year_from", "victim_sex"} <= errors.keys()
    unknown_term = call(client, "GET", "/api/v1/search/?act_type=999999999", doc)
    assert unknown_term.status_code == 400 and "act_type" in unknown_term.json()["field_errors"]
    beta = s.world.org_b
    other_org = call(client, "GET", f"/api/v1/search/?organisation={beta.pk}", doc)
    assert other_org.status_code == 400  # an organisation the user has no compartment of is not a choice


def test_aggregate_counts_suppress_small_cells_and_are_audited_as_an_export(client, s: Story) -> None:  # type: ignore[no-untyped-def]
    analyst = token_for(s.world.users[Role.ANALYST], [Scope.EXPORT_AGGREGATE])
    response = call(client, "GET", "/api/v1/export/aggregate/", analyst)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["compartments"] == [s.world.comp_a.code]
    assert body["acts"] and all(row["count"] in {"<5"} or int(row["count"]) >= 5 for row in body["acts"])
    assert AuditEntry.objects.filter(action=AuditAction.EXPORTED, details__level="aggregate").exists()
    other = call(client, "GET", f"/api/v1/export/aggregate/?compartment={s.world.comp_b.code}", analyst)
    assert other.status_code == 403


LOW_RATES = {
    "api": "3/minute",
    "api_write": "2/minute",
    "api_search": "2/minute",
    "api_auth_failure": "2/minute",
}


@override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": LOW_RATES})
def test_rate_limits_answer_429_with_the_wait_and_are_audited(client, s: Story) -> None:  # type: ignore[no-untyped-def]
    doc = token_for(s.world.users[Role.DOCUMENTER])
    statuses = [call(client, "GET", "/api/v1/me/", doc).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = call(client, "GET", "/api/v1/me/", doc)
    body = limited.json()
    assert body["code"] == "throttled" and body["wait_seconds"] > 0 and "Try again in" in body["detail"]
    assert int(limited["Retry-After"]) > 0
    assert AuditEntry.objects.filter(action=AuditAction.RATE_LIMITED, details__via="api").exists()
    # Guessing tokens: after two failures from one address, even a right token waits.
    other = token_for(s.world.users[Role.ANALYST], name="second")
    assert call(client, "GET", "/api/v1/me/", "hvn_" + "x" * 43).status_code == 401
    assert call(client, "GET", "/api/v1/me/", "hvn_" + "y" * 43).status_code == 401
    assert call(client, "GET", "/api/v1/me/", other).status_code == 429
    assert AuditEntry.objects.filter(
        action=AuditAction.RATE_LIMITED, details__limit="api_auth_failure"
    ).exists()
