"""``Authorization: Bearer hvn_…``: the API's authentication. Failures are audited and rate-limited."""

from __future__ import annotations

import math
from typing import Any

from allauth.mfa.utils import is_mfa_enabled
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header

from haven.accounts import policy
from haven.api import tokens
from haven.api.models import ApiToken
from haven.api.throttling import AuthFailureThrottle
from haven.audit.models import AuditAction
from haven.audit.services import audit_refusal

KEYWORD = b"bearer"


def _refuse_rate(request: Any, wait: float) -> None:
    audit_refusal(
        actor=None,
        action=AuditAction.RATE_LIMITED,
        request=request,
        details={"via": "api", "limit": "api_auth_failure", "wait_seconds": math.ceil(wait)},
    )
    raise exceptions.Throttled(
        wait=wait,
        detail=_("Too many failed token checks from this address. Try again in %(seconds)s seconds.")
        % {"seconds": math.ceil(wait)},
    )


class BearerTokenAuthentication(BaseAuthentication):
    """A personal API token (see haven.api.tokens). Returns (user, token); the token carries the scopes."""

    def authenticate(self, request: Any) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        throttle = AuthFailureThrottle()
        wait = throttle.blocked(request)
        if wait is not None:
            _refuse_rate(request, wait)
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _('Give the token as "Authorization: Bearer <token>", with no spaces in the token.')
            )
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raw = ""
        token = tokens.token_for_secret(raw)
        if token is None:
            throttle.record_failure(request)
            audit_refusal(
                actor=None,
                action=AuditAction.LOGIN_FAILED,
                request=request,
                details={"via": "api", "reason": "unknown, expired or revoked token"},
            )
            raise exceptions.AuthenticationFailed(_("The token is not valid: unknown, expired or revoked."))
        user = token.user
        if policy.requires_mfa(user) and not is_mfa_enabled(user):
            # The role needs two-factor authentication, and the user switched it off after making the token.
            audit_refusal(
                actor=user,
                action=AuditAction.ACCESS_REFUSED,
                request=request,
                details={"via": "api", "reason": "two-factor authentication not active"},
            )
            raise exceptions.AuthenticationFailed(
                _("Your role needs two-factor authentication: set it up again before using the API.")
            )
        tokens.token_touch(token)
        return user, token

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="haven"'


class SchemaSessionAuthentication(SessionAuthentication):
    """A logged-in browser session, accepted only where the API says so (the schema). CSRF is enforced."""
