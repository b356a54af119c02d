"""Rate limits per token (or per user, or per address for requests without a valid token).

The limits on requests (``api``, ``api_write``, ``api_search``) count in the database, one row per limit
(:class:`haven.api.models.RateCount`), so that they hold across all server processes. Each request costs one
statement: an upsert that counts it in the current fixed window and returns that count and the previous
window's. The limit is on a sliding window estimated from the two: ``previous * (share of the window still to
come) + count``. DRF's own throttles keep a list of timestamps in Django's cache instead, and with the database
cache each check and record was six statements and a transaction; an API search was checked against two limits.

A refused request counts too, in every limit it was checked against (DRF checks them all): a client that ignores
Retry-After stays refused until it waits, and a script hammering the search uses up its token's general limit
as well.

Failed token checks (``api_auth_failure``) are rare and stay on Django's cache.
"""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

from django.db import connection, transaction
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from haven.api.models import ApiToken, RateCount

# Rows of limits not used for this long are deleted, every PRUNE_EVERY counted requests of a process. Two days:
# twice the longest window DRF's rates can name ("N/day"), so that a row is never pruned while it still counts.
STALE_SECONDS = 2 * 86_400
PRUNE_EVERY = 1000
_counted = itertools.count(1)


# The same SQL on both databases (SQLite 3.35+ and PostgreSQL both have upserts with RETURNING). In an upsert's
# SET, every column on the right is the row's value before the update.
#
# A request that read the clock just before a window ended can reach the database after one of the next window:
# it is then counted in the stored (newer) window, which is kept, so that a late request never rewinds a limit.
_COUNT_SQL = """
INSERT INTO "api_ratecount" ("key", "window_start", "count", "previous") VALUES (%s, %s, 1, 0)
ON CONFLICT ("key") DO UPDATE SET
    "previous" = CASE
        WHEN "api_ratecount"."window_start" >= excluded."window_start" THEN "api_ratecount"."previous"
        WHEN "api_ratecount"."window_start" = excluded."window_start" - %s THEN "api_ratecount"."count"
        ELSE 0 END,
    "count" = CASE
        WHEN "api_ratecount"."window_start" >= excluded."window_start" THEN "api_ratecount"."count" + 1
        ELSE 1 END,
    "window_start" = CASE
        WHEN "api_ratecount"."window_start" > excluded."window_start" THEN "api_ratecount"."window_start"
        ELSE excluded."window_start" END
RETURNING "window_start", "count", "previous"
"""


def limit_key(name: str) -> int:
    """Return the row key of the limit ``name`` ("throttle_api_token:12"): 64 bits of its BLAKE2b hash.

    An integer, not the name: a text key would be a second index to write on PostgreSQL (its pattern index), and
    the table need not hold client addresses in clear. Two names sharing a key is a 1 in 2**64 chance per pair.
    """
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def count_request(name: str, window_start: int, duration: int) -> tuple[int, int, int]:
    """Count one request against the limit ``name`` in the window starting at ``window_start``.

    Return (the window it was counted in, the requests counted in that window, those of the window just before).
    One statement, atomic on both databases: two processes counting at once are both counted.
    """
    key = limit_key(name)
    with connection.cursor() as cursor:
        if connection.features.can_return_rows_from_bulk_insert:  # RETURNING: PostgreSQL, SQLite 3.35+
            cursor.execute(_COUNT_SQL, [key, window_start, duration])
            counted_in, count, previous = cursor.fetchone()
        else:
            with transaction.atomic():  # an older SQLite: the row read back in the same write transaction
                cursor.execute(_COUNT_SQL.split("RETURNING")[0], [key, window_start, duration])
                cursor.execute(
                    'SELECT "window_start", "count", "previous" FROM "api_ratecount" WHERE "key" = %s', [key]
                )
                counted_in, count, previous = cursor.fetchone()
    if next(_counted) % PRUNE_EVERY == 0:
        RateCount.objects.filter(window_start__lt=window_start - STALE_SECONDS).delete()
    return counted_in, count, previous


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

    _wait: float | None = None

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        now = self.timer()
        window_start = int(now // self.duration) * self.duration
        counted_in, count, previous = count_request(
            self.get_cache_key(request, view), window_start, self.duration
        )
        elapsed = min(max(now - counted_in, 0.0), float(self.duration))
        if previous * (1 - elapsed / self.duration) + count <= self.num_requests:
            return True
        self._wait = self.wait_for(count, previous, elapsed)
        return False

    def wait_for(self, count: int, previous: int, elapsed: float) -> float:
        """Seconds until one more request would be allowed, if none is made meanwhile (at least 1).

        ``count`` requests were counted ``elapsed`` seconds into the window, after ``previous`` in the window before.
        The next request adds one to ``count``.
        """
        limit, duration = self.num_requests, self.duration
        if count < limit and previous:
            # Later in this window, once enough of the previous window's requests have slid out:
            # previous * (1 - (elapsed + t) / duration) + count + 1 <= limit.
            wait = duration * (1 - (limit - count - 1) / previous) - elapsed
            if wait <= duration - elapsed:
                return max(1.0, wait)
        # In the next window, where this window's requests are the previous ones and one more is counted:
        # count * (1 - e / duration) + 1 <= limit, e seconds into that window.
        return max(1.0, (duration - elapsed) + max(0.0, duration * (1 - (limit - 1) / count)))

    def wait(self) -> float | None:
        return self._wait


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
