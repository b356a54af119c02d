"""Calling the API in tests: tokens for the personas, and requests with a bearer token."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from haven.api import tokens
from haven.api.models import Scope

ALL_SCOPES = list(Scope.values)


def token_for(user: Any, scopes: list[str] | None = None, *, name: str = "test") -> str:
    """Return the secret of a new token of ``user`` with ``scopes`` (default: all the role allows)."""
    wanted = tokens.scopes_allowed(user) if scopes is None else scopes
    return tokens.token_create(actor=user, name=name, scopes=wanted, expires_in_days=30).secret


def call(client: Client, method: str, path: str, token: str | None, body: Any = None, **extra: Any) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    headers.update(extra)
    if body is not None:
        return client.generic(method, path, json.dumps(body), content_type="application/json", **headers)
    if method == "GET":
        return client.get(path, **headers)
    return client.generic(method, path, **headers)
