"""Writing records through the API: services, policy, optimistic locking (409), audit without clear text."""

from __future__ import annotations

import json

import pytest

from haven.accounts.models import Role
from haven.accounts.tests.personas import World
from haven.api.models import Scope
from haven.api.tests.helpers import call, token_for
from haven.audit.models import AuditAction, AuditEntry
from haven.lib.testing.leaks import shows
from haven.records.models import Act, Event, Information, Person
from haven.records.services import persons_find_by_name
from haven.records.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def doc(world: World) -> str:
    return token_for(world.users[Role.DOCUMENTER])


def _person_body(world: World, **extra: object) -> dict[str, object]:
    return {
        "compartment": world.comp_a.code,
        "names": [
            {"full_name": "한가람", "kind": "hangul"},
            {"full_name": "Han Ga-ram", "kind": "romanized"},
        ],
        "sex": "F",
        "birth_date": "c. 1990",
        "sensitive_notes": "met in Bangkok",
        "external_id": "P-77",
        **extra,
    }


def test_a_documenter_creates_a_person_found_by_name_and_audited_without_the_name(
    client, world: World, doc: str
) -> None:  # type: ignore[no-untyped-def]
    response = call(client, "POST", "/api/v1/persons/", doc, _person_body(world))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["label"] == "한가람" and body["birth_date"] == "c. 1990" and body["version"] == 1
    person = Person.objects.get(pk=body["id"])
    assert person.sensitive_notes == "met in Bangkok" and person.created_by == world.users[Role.DOCUMENTER]
    assert person.pk in persons_find_by_name("Han Garam")  # blind indexes written with the person
    entry = AuditEntry.objects.filter(action=AuditAction.RECORD_CREATED, target_id=str(person.pk)).get()
    assert entry.details["via"] == "api"
    text = json.dumps(entry.details, ensure_ascii=False)
    for secret in ("한가람", "Han Ga-ram", "Bangkok", "1990"):
        assert not shows(secret, text), secret
    again = call(client, "POST", "/api/v1/persons/", doc, _person_body(world))
    assert again.status_code == 400 and "external_id" in again.json()["field_errors"]


def test_writes_are_refused_outside_the_grant_the_clearance_or_the_scope(
    client, world: World, doc: str
) -> None:  # type: ignore[no-untyped-def]
    response = call(
        client, "POST", "/api/v1/persons/", doc, _person_body(world, compartment=world.comp_b.code)
    )
    assert response.status_code == 400 and "compartment" in response.json()["field_errors"]
    missing = call(client, "POST", "/api/v1/persons/", doc, _person_body(world, compartment="nope"))
    assert missing.json()["field_errors"] == response.json()["field_errors"]  # missing and forbidden alike
    read_only = token_for(world.users[Role.DOCUMENTER], [Scope.RECORDS_READ], name="ro")
    refused = call(client, "POST", "/api/v1/persons/", read_only, _person_body(world))
    assert refused.status_code == 403 and "records:write" in refused.json()["detail"]
    analyst = token_for(world.users[Role.ANALYST])
    assert (
        call(
            client, "POST", "/api/v1/events/", analyst, {"compartment": world.comp_a.code, "title": "x"}
        ).status_code
        == 403
    )
    assert not Person.objects.filter(external_id="P-77").exists()
    assert AuditEntry.objects.filter(
        action=AuditAction.ACCESS_REFUSED, details__scopes=["records:write"]
    ).exists()


def test_bad_input_says_what_and_where_and_stores_nothing(client, world: World, doc: str) -> None:  # type: ignore[no-untyped-def]
    body = _person_body(
        world, sex="Q", birth_date="yesterday-ish", exit_year=1800, names=[{"full_name": " "}]
    )
    response = call(client, "POST", "/api/v1/persons/", doc, body)
    assert response.status_code == 400
    errors = response.json()["field_errors"]
    assert {"sex", "birth_date", "exit_year", "names"} <= errors.keys()
    assert call(client, "POST", "/api/v1/persons/", doc, None).status_code == 400
    raw = client.post(
        "/api/v1/persons/", "{not json", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {doc}"
    )
    assert raw.status_code == 400 and raw.json()["code"] in {"parse_error", "invalid"}
    assert not Person.objects.filter(external_id="P-77").exists()


def test_an_update_with_the_version_read_succeeds_and_a_stale_one_gets_409_with_both_versions(
    client, world: World, doc: str
) -> None:  # type: ignore[no-untyped-def]
    url = f"/api/v1/events/{world.event_a.pk}/"
    read = call(client, "GET", url, doc).json()
    first = call(
        client,
        "PATCH",
        url,
        doc,
        {"version": read["version"], "title": "Arrest at Namyang", "date": "2011-05"},
    )
    assert first.status_code == 200, first.content
    assert first.json()["version"] == read["version"] + 1 and first.json()["date"]["precision"] == "month"
    stale = call(client, "PATCH", url, doc, {"version": read["version"], "title": "Someone else's title"})
    assert stale.status_code == 409
    conflict = stale.json()
    assert conflict["your_version"] == read["version"] and conflict["current_version"] == read["version"] + 1
    assert conflict["current"]["title"] == "Arrest at Namyang"
    assert conflict["submitted"]["title"] == "Someone else's title"
    event = Event.objects.get(pk=world.event_a.pk)
    assert event.title == "Arrest at Namyang" and event.version == read["version"] + 1
    changed = AuditEntry.objects.filter(action=AuditAction.RECORD_CHANGED, target_id=str(event.pk)).get()
    assert changed.details["changes"]["title"] == {"old": "Arrest at the border", "new": "Arrest at Namyang"}
    same = call(client, "PATCH", url, doc, {"version": event.version, "title": "Arrest at Namyang"})
    assert (
        same.status_code == 200 and same.json()["version"] == event.version
    )  # nothing changed, no new version
    assert call(client, "PATCH", url, doc, {"title": "no version"}).status_code == 400


def test_a_person_update_replaces_names_reindexes_and_audits_only_fingerprints(
    client, world: World, doc: str
) -> None:  # type: ignore[no-untyped-def]
    person = world.person_a
    url = f"/api/v1/persons/{person.pk}/"
    names = [
        {"full_name": "최예린", "kind": "hangul", "is_primary": True},
        {"full_name": "Choe Ye-rin", "kind": "romanized"},
    ]
    response = call(
        client, "PATCH", url, doc, {"version": person.version, "names": names, "birth_date": "1985-02"}
    )
    assert response.status_code == 200, response.content
    assert {n["full_name"] for n in response.json()["names"]} == {"최예린", "Choe Ye-rin"}
    assert person.pk in persons_find_by_name("Choe Ye-rin")
    entry = AuditEntry.objects.filter(action=AuditAction.RECORD_CHANGED, target_id=str(person.pk)).get()
    assert entry.details["changes"]["names"]["changed"] is True
    assert entry.details["changes"]["birth_date"]["changed"] is True
    text = json.dumps(entry.details, ensure_ascii=False)
    assert not any(shows(secret, text) for secret in ("Choe", "1985", "최예린"))


def test_an_update_may_not_raise_the_level_above_clearance_or_touch_another_compartment(
    client, world: World, doc: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from haven.accounts import policy

    hidden = call(client, "PATCH", f"/api/v1/events/{world.event_b.pk}/", doc, {"version": 1, "title": "x"})
    assert hidden.status_code == 404
    assert Event.objects.get(pk=world.event_b.pk).title == "Arrest at the border"
    # A documenter cleared only up to "confidential" may not make a record secret.
    monkeypatch.setitem(policy.CLEARANCE, Role.DOCUMENTER, frozenset({"public", "internal", "confidential"}))
    url = f"/api/v1/events/{world.event_a.pk}/"
    response = call(client, "PATCH", url, doc, {"version": 1, "confidentiality": "secret"})
    assert response.status_code == 400 and "confidentiality" in response.json()["field_errors"]
    assert call(client, "PATCH", url, doc, {"version": 1, "confidentiality": "public"}).status_code == 200
    assert Event.objects.get(pk=world.event_a.pk).confidentiality == "public"


def test_acts_and_information_are_created_through_the_records_services(
    client, world: World, doc: str
) -> None:  # type: ignore[no-untyped-def]
    act_type = f.term("act-types", "030102")
    degree = f.term("involvement-degrees", "0101")
    perpetrator = f.person("alpha", hangul="김정훈", roman="Kim Jung-hun", sex="M")
    body = {
        "event": world.event_a.pk,
        "victim": world.person_a.pk,
        "act_type": act_type.pk,
        "date": "2011-04",
        "victim_age": 27,
        "involvements": [{"perpetrator": perpetrator.pk, "degree": degree.pk}],
    }
    response = call(client, "POST", "/api/v1/acts/", doc, body)
    assert response.status_code == 201, response.content
    act = Act.objects.get(pk=response.json()["id"])
    assert act.involvements.get().perpetrator == perpetrator and act.compartment == world.comp_a
    forbidden = call(
        client, "POST", "/api/v1/acts/", doc, {**body, "victim": world.person_b.pk, "involvements": []}
    )
    assert forbidden.status_code == 400 and "victim" in forbidden.json()["field_errors"]
    wrong_vocab = call(client, "POST", "/api/v1/acts/", doc, {**body, "act_type": degree.pk})
    assert wrong_vocab.status_code == 400 and "act_type" in wrong_vocab.json()["field_errors"]
    info = {
        "event": world.event_a.pk,
        "source": world.person_a.pk,
        "connection": f.term("source-connections").pk,
        "consent": "anonymous",
    }
    created = call(client, "POST", "/api/v1/information/", doc, info)
    assert created.status_code == 201, created.content
    assert Information.objects.get(pk=created.json()["id"]).consent == "anonymous"
    other_event = call(client, "POST", "/api/v1/information/", doc, {**info, "event": world.event_b.pk})
    assert other_event.status_code == 400 and "event" in other_event.json()["field_errors"]
    update = call(
        client,
        "PATCH",
        f"/api/v1/acts/{act.pk}/",
        doc,
        {"version": act.version, "methods": [f.term("methods").pk]},
    )
    assert update.status_code == 200 and len(update.json()["methods"]) == 1
