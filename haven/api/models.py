"""Personal API tokens: what a program presents instead of a password, narrowed to a few scopes.

A token belongs to one user and never grants more than that user's role (haven.accounts.policy): its scopes
only narrow what the role allows, and both are checked on every request. Only a SHA-256 hash of the token is
stored; the token itself is shown once, when it is made. Tokens expire, can be revoked, and are never deleted,
so the record of who held which token stays.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from haven.accounts.policy import Capability


class Scope(models.TextChoices):
    RECORDS_READ = "records:read", _("Read records (persons, events, acts, sources, places, vocabularies)")
    RECORDS_WRITE = "records:write", _("Create and change records")
    SEARCH = "search", _("Search records")
    CASES_READ = "cases:read", _("Read assistance cases")
    EXPORT_AGGREGATE = "export:aggregate", _("Aggregate counts (small cells suppressed)")


# The capability of the user's role each scope needs: a scope the role lacks grants nothing.
SCOPE_CAPABILITY: dict[str, Capability] = {
    Scope.RECORDS_READ: Capability.VIEW_RECORDS,
    Scope.RECORDS_WRITE: Capability.EDIT_RECORDS,
    Scope.SEARCH: Capability.VIEW_RECORDS,
    Scope.CASES_READ: Capability.VIEW_CASES,
    Scope.EXPORT_AGGREGATE: Capability.EXPORT_AGGREGATE,
}


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,  # users are deactivated, never deleted
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for."))
    # The first characters of the token, to recognise it in lists and logs; not enough to use it.
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_revoked")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.expires_at > timezone.now() else "expired"


class RateCount(models.Model):
    """Requests counted against one rate limit (a scope and a token, user or address), per fixed window.

    One row per limit, updated by one statement per request (``haven.api.throttling``): the requests of the
    current window and of the one before, from which the limit estimates a sliding window.
    """

    key = models.BigIntegerField(primary_key=True)  # a hash of the limit's name (throttling.limit_key)
    window_start = models.BigIntegerField()  # seconds since the epoch, a multiple of the window's length
    count = models.PositiveIntegerField()
    previous = models.PositiveIntegerField()  # requests in the window before, if it is the one just before

    def __str__(self) -> str:
        return f"{self.key}: {self.count} (+{self.previous} before)"
