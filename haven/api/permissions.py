"""Scopes: a request needs a token carrying a scope the endpoint accepts, and a role that allows that scope."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from haven.api import tokens
from haven.api.models import ApiToken
from haven.audit.models import AuditAction
from haven.audit.services import audit_refusal

ANY = "*"  # any valid token will do (e.g. "who am I")


def accepted_scopes(view: Any, method: str) -> tuple[str, ...]:
    """Return the scopes of which the endpoint accepts any one for ``method`` (empty: the method is refused)."""
    wanted = getattr(view, "required_scopes", {}).get(method, ())
    return (wanted,) if isinstance(wanted, str) else tuple(wanted)


class TokenScope(BasePermission):
    """The token must carry one of the endpoint's scopes, and the user's role must still allow that scope."""

    message = ""

    def has_permission(self, request: Any, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return False  # DRF answers 401: no token was given
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        accepted = accepted_scopes(view, method)
        if ANY in accepted:
            return True
        effective = tokens.effective_scopes(token)
        if any(scope in effective for scope in accepted):
            return True
        on_token = [s for s in accepted if s in token.scopes]
        audit_refusal(
            actor=request.user,
            action=AuditAction.ACCESS_REFUSED,
            target=None,
            request=request,
            details={
                "via": "api",
                "scopes": list(accepted),
                "reason": "role does not allow the scope" if on_token else "scope not on the token",
                "token": token.prefix,
            },
        )
        names = " / ".join(accepted)
        if on_token:
            self.message = _("Your role does not allow %(scope)s, whatever the token says.") % {
                "scope": names
            }
        else:
            self.message = _("This token does not have the scope %(scope)s.") % {"scope": names}
        return False
