"""The OpenAPI schema: served to a token or a session, valid, and declaring every answer an endpoint gives.

Property-based tests (Schemathesis) then generate requests from the schema, valid and invalid, and check
that the API never fails with a server error, always answers as the schema says, and never lets identifying
data out: a documenter granted compartment A never sees names planted in compartment B, and an analyst (who may
not see identifying data) sees no name at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from haven.accounts.models import Role
from haven.api.tests.helpers import call, token_for
from haven.cases.models import Case
from haven.cases.tests.world import CaseWorld
from haven.cases.tests.world import user as case_user
from haven.web.tests.stories import Story, story

pytestmark = pytest.mark.django_db

NAMES_B = ("문하람", "Moon Ha-ram")
NAMES_A = ("최예린", "Choi Ye-rin", "김정훈", "Kim Jung-hun", "리설주", "Ri Sol-ju", "최예나", "Choi Ye-na")
NOTE_B = "PLANTED-NOTE-OF-B"
CASE_NAMES_A = ("한소망", "Han So-mang")
CASE_NAMES_B = ("윤가온", "Yun Ga-on")
HIDING_B = "PLANTED-HIDING-PLACE-OF-B"


def test_the_schema_is_served_to_a_token_or_a_session_only(client) -> None:  # type: ignore[no-untyped-def]
    s = story()
    assert client.get("/api/v1/schema/").status_code == 401
    token = token_for(s.world.users[Role.VIEWER])
    response = call(client, "GET", "/api/v1/schema/?format=json", token)
    assert response.status_code == 200
    client.force_login(s.world.users[Role.ANALYST])
    assert client.get("/api/v1/schema/?format=json").status_code == 200


def test_the_schema_is_valid_and_every_operation_declares_its_errors_and_security() -> None:
    document = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(document)
    operations = [
        (path, method, op) for path, item in document["paths"].items() for method, op in item.items()
    ]
    assert len(operations) >= 20
    for path, method, op in operations:
        assert path.startswith("/api/v1/"), path
        assert op.get("security") == [{"bearerToken": []}], (path, method)
        codes = set(op["responses"])
        assert {"401", "429"} <= codes, (path, method, codes)
        if "{id}" in path:
            assert "404" in codes, (path, method)
        if method in ("post", "patch") or any(p["in"] == "query" for p in op.get("parameters", [])):
            assert "400" in codes, (path, method)
        if method == "patch":
            assert "409" in codes and "version" in _request_schema(document, op)["required"], path
        for code, answer in op["responses"].items():
            assert "application/json" in answer["content"], (path, method, code)
    assert document["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"


def _request_schema(document: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


# ---- Schemathesis --------------------------------------------------------------------------------------------


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """The real WSGI application, in the test's transaction (as Django's test client does it)."""
    from haven.config.wsgi import application

    # Django closes "old" connections at each request's start and end; in a test transaction that would end it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def planted() -> dict[str, Any]:
    """The story's records, with B's person given a sensitive note, and tokens with every scope of two roles."""
    s: Story = story()
    s.world.person_b.sensitive_notes = NOTE_B
    s.world.person_b.save()
    # An assistance case in each compartment, for the case worker of A (who must never see B's).
    worker_a = s.world.users[Role.CASE_WORKER]
    worker_b, _ = case_user("worker-b", Role.CASE_WORKER, [s.world.comp_b])
    CaseWorld.new_case(worker_a, s.world.comp_a, CASE_NAMES_A, hiding="Hidden-A")
    CaseWorld.new_case(worker_b, s.world.comp_b, CASE_NAMES_B, hiding=HIDING_B)
    references = [c.reference for c in Case.objects.order_by("pk")]
    ids = sorted(
        {
            *(x.pk for x in (s.world.person_a, s.world.person_b, s.source, s.sister, s.perpetrator)),
            *(x.pk for x in (s.arrest, s.hidden, s.world.event_b, s.world.act_b, s.acts[1], s.information)),
        }
    )
    return {
        "story": s,
        "ids": ids,
        "references": references,
        "documenter": token_for(s.world.users[Role.DOCUMENTER]),
        "analyst": token_for(s.world.users[Role.ANALYST]),
        "case_worker": token_for(worker_a),
    }


def _load(wsgi_app: Any, token: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app, headers=headers)


CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


def _no_breach(response: Any, forbidden: tuple[str, ...]) -> None:
    text = response.text
    decoded = json.dumps(json.loads(text), ensure_ascii=False) if text.startswith(("{", "[")) else text
    for value in forbidden:
        assert value not in text and value not in decoded, f"{value!r} leaked in {response.request.url}"


def _check(case: Any, planted: dict[str, Any]) -> None:
    for role, forbidden in (
        ("documenter", (*NAMES_B, NOTE_B, *CASE_NAMES_B, HIDING_B)),
        ("analyst", (*NAMES_A, *NAMES_B, NOTE_B, *CASE_NAMES_A, *CASE_NAMES_B, HIDING_B)),
        ("case_worker", (*NAMES_B, NOTE_B, *CASE_NAMES_B, HIDING_B)),
    ):
        response = case.call(headers={"Authorization": f"Bearer {planted[role]}"})
        assert response.status_code < 500, (
            f"{role}: {response.status_code} for {case.method} {case.formatted_path}"
        )
        case.validate_response(response, checks=CHECKS)
        _no_breach(response, forbidden)


def _fuzz(wsgi_app: Any, planted: dict[str, Any], examples: int) -> int:
    """Run ``examples`` generated requests per operation; return how many operations were run.

    (Schemathesis' own pytest integration needs a pytest it supports; this drives its strategies directly.)
    """
    api = _load(wsgi_app, planted["documenter"])
    failures: list[str] = []
    operations = 0
    for result in api.get_all_operations():
        operation = result.ok()
        operations += 1

        strategies = [
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        ]
        if "{id}" in operation.path:
            # Ids of the story's records (A's and B's alike): random ids would nearly always be missing ones.
            strategies += [operation.as_strategy(path_parameters={"id": pk}) for pk in planted["ids"]]
        if "{reference}" in operation.path:
            strategies += [
                operation.as_strategy(path_parameters={"reference": r}) for r in planted["references"]
            ]

        @given(case=st.one_of(strategies))
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            _check(case, planted)

        try:
            run()
        except Exception as exc:  # noqa: BLE001 (collected and reported below, with the operation)
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
    return operations


def test_generated_requests_find_no_server_error_no_schema_breach_and_no_leak(
    wsgi_app: Any, planted: dict[str, Any]
) -> None:
    assert _fuzz(wsgi_app, planted, examples=5) >= 20


@pytest.mark.slow
def test_many_generated_requests_find_no_server_error_and_no_leak(
    wsgi_app: Any, planted: dict[str, Any]
) -> None:
    assert _fuzz(wsgi_app, planted, examples=100) >= 20
