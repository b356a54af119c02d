"""Making, revoking and checking API tokens. The token is shown once; only its SHA-256 hash is kept.

A token is ``hvn_`` followed by 43 characters of URL-safe base64 (256 random bits). Its hash needs no salt or
slow function: nobody can guess 256 random bits, so a copy of the table reveals no usable token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts import policy
from haven.api.models import SCOPE_CAPABILITY, ApiToken, Scope
from haven.audit.models import AuditAction
from haven.audit.services import audit_record

TOKEN_PREFIX = "hvn_"  # noqa: S105 (the public prefix of every token, not a secret)
TOKEN_LENGTH = len(TOKEN_PREFIX) + 43
EXPIRY_DAYS = (7, 30, 90, 365)
MAX_ACTIVE_TOKENS = 20
MAX_NAME = 100
# last_used_at is written at most this often per token, so that reads do not each cost a write.
TOUCH_EVERY = timedelta(minutes=1)

# The audit codes for tokens (the details also carry ``"grant": "api_token"``).
TOKEN_CREATED = AuditAction.API_TOKEN_CREATED
TOKEN_REVOKED = AuditAction.API_TOKEN_REVOKED


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def scopes_allowed(user: Any) -> list[str]:
    """Return the scopes ``user``'s role can use, in a stable order."""
    return [s for s in Scope.values if policy.has(user, SCOPE_CAPABILITY[s])]


def effective_scopes(token: ApiToken) -> frozenset[str]:
    """Return the token's scopes that its user's role still allows (a role can shrink after the token is made)."""
    return frozenset(
        s for s in token.scopes if s in SCOPE_CAPABILITY and policy.has(token.user, SCOPE_CAPABILITY[s])
    )


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown to the user once, never stored


def token_create(
    *, actor: Any, name: str, scopes: list[str], expires_in_days: int, request: Any = None
) -> NewToken:
    """Make a token for ``actor`` (who must have re-authenticated: the view asks for it) and audit it.

    Raises:
        ValidationError: a scope the role does not allow, no scope, a bad name or expiry, too many tokens.
    """
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors.setdefault("name", []).append(_("Give the token a name, e.g. what will use it."))
    elif len(name) > MAX_NAME:
        errors.setdefault("name", []).append(_("A name has at most %(n)s characters.") % {"n": MAX_NAME})
    allowed = scopes_allowed(actor)
    wanted = sorted(set(scopes))
    if not wanted:
        errors.setdefault("scopes", []).append(_("Choose at least one scope."))
    refused = [s for s in wanted if s not in allowed]
    if refused:
        errors.setdefault("scopes", []).append(
            _("Your role does not allow these scopes: %(scopes)s.") % {"scopes": ", ".join(refused)}
        )
    if expires_in_days not in EXPIRY_DAYS:
        errors.setdefault("expires_in_days", []).append(_("Choose one of the expiry periods offered."))
    if ApiToken.objects.filter(
        user=actor, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).count() >= (MAX_ACTIVE_TOKENS):
        errors.setdefault("__all__", []).append(
            _("You have %(n)s active tokens already; revoke one first.") % {"n": MAX_ACTIVE_TOKENS}
        )
    if errors:
        raise ValidationError(errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor,
            name=name,
            prefix=secret[:12],
            key_hash=hash_token(secret),
            scopes=wanted,
            expires_at=timezone.now() + timedelta(days=expires_in_days),
        )
        audit_record(
            actor=actor,
            action=TOKEN_CREATED,
            target=token,
            request=request,
            details={
                "grant": "api_token",
                "prefix": token.prefix,
                "scopes": wanted,
                "expires_at": token.expires_at.isoformat(),
            },
        )
    return NewToken(token=token, secret=secret)


def token_revoke(*, actor: Any, token_id: Any, request: Any = None) -> ApiToken:
    """Revoke one of ``actor``'s own tokens (another user's, or a missing one, is the same 404)."""
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
            if str(token_id).isdigit()
            else None
        )
        if token is None:
            raise Http404("No such token.")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(
                actor=actor,
                action=TOKEN_REVOKED,
                target=token,
                request=request,
                details={"grant": "api_token", "prefix": token.prefix},
            )
    return token


def token_for_secret(raw: str) -> ApiToken | None:
    """Return the active token whose secret is ``raw`` (with its user), or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) != TOKEN_LENGTH:
        return None
    digest = hash_token(raw)
    token = ApiToken.objects.select_related("user").filter(key_hash=digest).first()
    # compare_digest: the lookup matched on the hash; comparing again in constant time costs nothing.
    if token is None or not hmac.compare_digest(token.key_hash, digest):
        return None
    if not token.is_active or not token.user.is_active:
        return None
    return token


def token_touch(token: ApiToken) -> None:
    """Record that the token was used (at most once per TOUCH_EVERY)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def tokens_of(user: Any) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-pk"))
