"""Rate limits per token (or per user, or per address for requests without a valid token).

The counters live in Django's cache. With the default local-memory cache each server process counts on its
own; an installation running several processes should configure a shared cache (e.g. Redis or the database
cache) so that a limit holds across them.
"""

from __future__ import annotations

from typing import Any

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from haven.api.models import ApiToken


class _Rates(SimpleRateThrottle):
    """Read the rate from the settings on each request (DRF copies them once, at import)."""

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


def _ident(throttle: SimpleRateThrottle, request: Any) -> str:
    token = getattr(request, "auth", None)
    if isinstance(token, ApiToken):
        return f"token:{token.pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"addr:{throttle.get_ident(request)}"


class TokenRateThrottle(_Rates):
    """Every request to the API: ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api"]``."""

    scope = "api"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": _ident(self, request)}


class WriteRateThrottle(TokenRateThrottle):
    """Requests that change records: a lower limit of their own."""

    scope = "api_write"

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)


class SearchRateThrottle(TokenRateThrottle):
    """Searches (each one scans and counts): a lower limit of their own."""

    scope = "api_search"


class AuthFailureThrottle(_Rates):
    """Failed token checks per client address: past the limit, even a right token is refused for a while.

    It guards against guessing tokens; it is consulted by the authentication class, before and after a check.
    """

    scope = "api_auth_failure"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def blocked(self, request: Any) -> float | None:
        """Return the seconds to wait if the address is over its limit, else None (records nothing)."""
        if self.rate is None:
            return None
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.wait()
        return None

    def record_failure(self, request: Any) -> None:
        if self.rate is None:
            return
        if self.blocked(request) is None:
            self.history.insert(0, self.now)
            self.cache.set(self.key, self.history, self.duration)
