"""API tokens: made once with re-authentication, stored as a hash, narrowed by scopes, never above the role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from haven.accounts.models import Role
from haven.accounts.tests.personas import World
from haven.api import tokens
from haven.api.models import ApiToken, Scope
from haven.api.tests.helpers import call, token_for
from haven.audit.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return World()


def test_it_stores_only_a_hash_and_shows_the_secret_once(world: World) -> None:
    doc = world.users[Role.DOCUMENTER]
    new = tokens.token_create(actor=doc, name="sync", scopes=[Scope.RECORDS_READ], expires_in_days=30)
    assert new.secret.startswith("hvn_") and len(new.secret) == tokens.TOKEN_LENGTH
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM api_apitoken")
        row_text = " ".join(str(v) for v in cur.fetchone())
    assert new.secret not in row_text and new.secret[12:] not in row_text
    assert tokens.token_for_secret(new.secret).pk == new.token.pk
    entry = AuditEntry.objects.filter(action=tokens.TOKEN_CREATED, target_type="api.apitoken").latest("seq")
    assert entry.actor == doc and entry.details["scopes"] == [Scope.RECORDS_READ]
    assert new.secret not in str(entry.details)


def test_it_refuses_scopes_the_role_does_not_have(world: World) -> None:
    analyst = world.users[Role.ANALYST]
    with pytest.raises(ValidationError) as info:
        tokens.token_create(actor=analyst, name="x", scopes=[Scope.RECORDS_WRITE], expires_in_days=30)
    assert "scopes" in info.value.message_dict
    with pytest.raises(ValidationError):
        tokens.token_create(actor=analyst, name="", scopes=[], expires_in_days=3)
    assert not ApiToken.objects.exists()


def test_a_role_that_shrank_after_the_token_was_made_narrows_it(client, world: World) -> None:  # type: ignore[no-untyped-def]
    doc = world.users[Role.DOCUMENTER]
    secret = token_for(doc, [Scope.RECORDS_READ, Scope.RECORDS_WRITE])
    doc.role = Role.VIEWER  # viewers may read but not edit, and see public/internal records only
    doc.save()
    token = tokens.token_for_secret(secret)
    assert tokens.effective_scopes(token) == {Scope.RECORDS_READ}
    body = {"version": 1, "title": "changed"}
    response = call(client, "PATCH", f"/api/v1/events/{world.event_a.pk}/", secret, body)
    assert response.status_code in (403, 404)
    response = call(
        client, "POST", "/api/v1/events/", secret, {"compartment": world.comp_a.code, "title": "x"}
    )
    assert response.status_code == 403
    assert "role does not allow" in response.json()["detail"]


def test_expired_and_revoked_tokens_are_refused_and_the_failure_is_audited(client, world: World) -> None:  # type: ignore[no-untyped-def]
    doc = world.users[Role.DOCUMENTER]
    secret = token_for(doc)
    assert call(client, "GET", "/api/v1/me/", secret).status_code == 200
    token = tokens.token_for_secret(secret)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = call(client, "GET", "/api/v1/me/", secret)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Bearer")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + timedelta(days=1))
    tokens.token_revoke(actor=doc, token_id=token.pk)
    assert call(client, "GET", "/api/v1/me/", secret).status_code == 401
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, details__via="api").count() == 2
    assert AuditEntry.objects.filter(action=tokens.TOKEN_REVOKED, target_id=str(token.pk)).exists()


def test_a_user_revokes_only_their_own_tokens(world: World) -> None:
    doc, analyst = world.users[Role.DOCUMENTER], world.users[Role.ANALYST]
    token = tokens.token_for_secret(token_for(doc))
    from django.http import Http404

    with pytest.raises(Http404):
        tokens.token_revoke(actor=analyst, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_deactivated_user_or_one_without_two_factor_cannot_use_a_token(client, world: World) -> None:  # type: ignore[no-untyped-def]
    doc = world.users[Role.DOCUMENTER]
    secret = token_for(doc)
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=doc).delete()
    response = call(client, "GET", "/api/v1/me/", secret)
    assert response.status_code == 401 and "two-factor" in response.json()["detail"]
    analyst = world.users[Role.ANALYST]
    other = token_for(analyst)
    analyst.is_active = False
    analyst.save()
    assert call(client, "GET", "/api/v1/me/", other).status_code == 401


def test_no_token_or_a_malformed_header_gets_401_not_a_login_redirect(client, world: World) -> None:  # type: ignore[no-untyped-def]
    for header in (None, "Bearer", "Bearer a b", "Bearer hvn_short", "Basic dXNlcjpwYXNz"):
        extra = {"HTTP_AUTHORIZATION": header} if header else {}
        response = client.get("/api/v1/persons/", **extra)
        assert response.status_code == 401, header
        assert response["Content-Type"] == "application/json"
