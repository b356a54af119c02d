"""The API tokens page: making a token needs a fresh password; the secret is shown once; revoking is one click."""

from __future__ import annotations

import pytest
from django.urls import reverse

from haven.accounts.models import Role
from haven.accounts.tests.personas import PASSWORD, World
from haven.api.models import ApiToken, Scope
from haven.api.tests.helpers import call
from haven.audit.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return World()


def test_making_a_token_needs_reauthentication_then_shows_the_secret_once(client, world: World) -> None:  # type: ignore[no-untyped-def]
    analyst = world.users[Role.ANALYST]
    client.force_login(analyst)
    page = client.get(reverse("api_tokens:list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert Scope.SEARCH in html and Scope.RECORDS_WRITE not in html  # only scopes the role allows are offered
    form = {"name": "estimates script", "scopes": [Scope.RECORDS_READ, Scope.SEARCH], "expires_in_days": "30"}
    response = client.post(reverse("api_tokens:create"), form)
    assert response.status_code == 302 and "reauthenticate" in response.url
    assert not ApiToken.objects.exists()
    assert AuditEntry.objects.filter(
        action=AuditAction.REAUTHENTICATION_REQUIRED, target_type="api.apitoken"
    ).exists()
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(reverse("api_tokens:create"), form)
    assert response.status_code == 200
    token = ApiToken.objects.get()
    html = response.content.decode()
    secret = html.split('id="token-secret" type="text" readonly value="', 1)[1].split('"', 1)[0]
    assert secret.startswith(token.prefix) and response["Cache-Control"].startswith("no-store")
    assert call(client, "GET", "/api/v1/me/", secret).json()["token"]["scopes"] == [
        Scope.RECORDS_READ,
        Scope.SEARCH,
    ]
    again = client.get(reverse("api_tokens:list")).content.decode()
    assert secret not in again and token.prefix in again


def test_the_form_refuses_scopes_outside_the_role_and_revoking_works_for_the_owner_only(
    client, world: World
) -> None:  # type: ignore[no-untyped-def]
    analyst = world.users[Role.ANALYST]
    client.force_login(analyst)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    bad = client.post(
        reverse("api_tokens:create"), {"name": "x", "scopes": [Scope.RECORDS_WRITE], "expires_in_days": "30"}
    )
    assert bad.status_code == 400 and not ApiToken.objects.exists()
    client.post(
        reverse("api_tokens:create"), {"name": "ok", "scopes": [Scope.SEARCH], "expires_in_days": "7"}
    )
    token = ApiToken.objects.get()
    viewer = world.users[Role.VIEWER]
    client.force_login(viewer)
    assert client.post(reverse("api_tokens:revoke", args=[token.pk])).status_code == 404
    client.force_login(analyst)
    assert client.post(reverse("api_tokens:revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.state == "revoked"


def test_the_page_needs_a_login_and_an_auditor_is_told_the_role_has_no_use_for_it(
    client, world: World
) -> None:  # type: ignore[no-untyped-def]
    assert client.get(reverse("api_tokens:list")).status_code == 302
    client.force_login(world.users[Role.AUDITOR])
    assert "no use for the API" in client.get(reverse("api_tokens:list")).content.decode()
