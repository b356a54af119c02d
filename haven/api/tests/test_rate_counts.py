"""Rate limits counted in the database: one statement a request, a sliding window, shared by all processes."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from haven.accounts.models import Role
from haven.api import throttling
from haven.api.models import ApiToken, RateCount
from haven.api.tests.helpers import call, token_for
from haven.web.tests.stories import Story, story

pytestmark = pytest.mark.django_db


def test_a_request_is_counted_in_its_window_and_the_last_window_is_kept() -> None:
    assert throttling.count_request("k", 600, 60) == (600, 1, 0)
    assert throttling.count_request("k", 600, 60) == (600, 2, 0)
    assert throttling.count_request("other", 600, 60) == (600, 1, 0)  # limits are counted apart
    assert throttling.count_request("k", 660, 60) == (
        660,
        1,
        2,
    )  # the next window: the two become the previous
    assert throttling.count_request("k", 660, 60) == (660, 2, 2)
    assert throttling.count_request("k", 840, 60) == (840, 1, 0)  # after a gap, nothing carries over
    assert RateCount.objects.get(key=throttling.limit_key("k")).window_start == 840


def test_a_late_request_of_the_window_before_is_counted_in_the_newer_one() -> None:
    throttling.count_request("k", 600, 60)
    throttling.count_request("k", 660, 60)
    # Read the clock at 659.99, reached the database after a request of the next window: not a rewind.
    assert throttling.count_request("k", 600, 60) == (660, 2, 1)
    assert throttling.count_request("k", 660, 60) == (660, 3, 1)


def test_the_table_holds_hashes_not_names() -> None:
    throttling.count_request("throttle_api_addr:192.0.2.7", 600, 60)
    (row,) = RateCount.objects.all()
    assert row.key == throttling.limit_key("throttle_api_addr:192.0.2.7") and "192.0.2.7" not in str(row)
    assert throttling.limit_key("a") != throttling.limit_key("b")


def _throttle(monkeypatch, clock: list[float], rate: str = "4/min"):  # type: ignore[no-untyped-def]
    throttle = throttling.TokenRateThrottle()
    throttle.rate = rate
    throttle.num_requests, throttle.duration = throttle.parse_rate(rate)
    monkeypatch.setattr(throttle, "timer", lambda: clock[0])
    return throttle


REQUEST = type("R", (), {"auth": None, "user": None, "headers": {}, "META": {"REMOTE_ADDR": "192.0.2.1"}})()


def test_the_counts_of_the_previous_window_slide_out(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = [6055.0]  # late in the window [6000, 6060)
    throttle = _throttle(monkeypatch, clock)
    assert throttle.wait() is None
    assert [throttle.allow_request(REQUEST, None) for _ in range(5)] == [True] * 4 + [False]
    clock[0] = 6062.0  # just into the next window: five of the last minute still weigh almost fully
    assert throttle.allow_request(REQUEST, None) is False
    clock[0] = 6110.0  # most of the last window has slid out: 5 * (10/60) + 2 <= 4
    assert throttle.allow_request(REQUEST, None) is True


@pytest.mark.parametrize("start", [6000.0, 6030.0, 6059.0])
@pytest.mark.parametrize("burst", [5, 9])
def test_retry_after_is_when_the_next_request_is_allowed(monkeypatch, start: float, burst: int) -> None:  # type: ignore[no-untyped-def]
    """Waiting exactly Retry-After lets the next request through, and waiting clearly less does not."""
    from django.core.cache import cache

    for extra in (0, 1):  # 0: refused at once; 1: refused again, after part of the wait
        RateCount.objects.all().delete()
        cache.clear()
        clock = [start - 60]  # a full window before, then some requests in this one
        throttle = _throttle(monkeypatch, clock)
        for _ in range(3):
            throttle.allow_request(REQUEST, None)
        clock[0] = start
        allowed = [throttle.allow_request(REQUEST, None) for _ in range(burst)]
        assert allowed[-1] is False
        wait = throttle.wait()
        assert wait is not None and wait >= 1
        if extra:
            clock[0] += wait / 2
            assert throttle.allow_request(REQUEST, None) is False
            wait = throttle.wait()
        now = clock[0]
        if wait > 2:
            clock[0] = now + wait - 2
            shadow = _throttle(
                monkeypatch, clock
            )  # would a request then be allowed? (it is counted: checked last)
            assert shadow.allow_request(REQUEST, None) is False, (start, burst, extra, wait)
            RateCount.objects.filter(key=throttling.limit_key(shadow.get_cache_key(REQUEST, None))).update(
                count=F("count") - 1
            )
        clock[0] = now + wait
        assert throttle.allow_request(REQUEST, None) is True, (start, burst, extra, wait)


def test_unused_limits_are_pruned_but_not_a_days_limit(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(throttling, "PRUNE_EVERY", 1)
    day = 86_400
    throttling.count_request("old", 0, 60)
    # A "N/day" limit last used yesterday: its count is still the previous day's, which today's limit weighs.
    throttling.count_request("daily", 2 * day, day)
    throttling.count_request("new", 3 * day + 7200, 60)
    kept = set(RateCount.objects.values_list("key", flat=True))
    assert kept == {throttling.limit_key("daily"), throttling.limit_key("new")}


@pytest.fixture
def s() -> Story:
    return story()


@override_settings(
    REST_FRAMEWORK={
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "api_search": "2/minute",
        },
    }
)
def test_a_search_is_counted_against_both_limits_with_one_statement_each(client, s: Story) -> None:  # type: ignore[no-untyped-def]
    doc = token_for(s.world.users[Role.DOCUMENTER])
    with CaptureQueriesContext(connection) as queries:
        assert call(client, "GET", "/api/v1/search/?q=arrest", doc).status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum('INSERT INTO "api_ratecount"' in q for q in sql) == 2
    assert not any("haven_cache" in q and not q.lstrip().upper().startswith("SELECT") for q in sql)
    assert call(client, "GET", "/api/v1/search/?q=arrest", doc).status_code == 200
    assert call(client, "GET", "/api/v1/search/?q=arrest", doc).status_code == 429  # the search limit
    assert call(client, "GET", "/api/v1/me/", doc).status_code == 200  # the general limit is not reached
    counts = dict(RateCount.objects.values_list("key", "count"))
    token = f"token:{ApiToken.objects.get(user=s.world.users[Role.DOCUMENTER]).pk}"
    assert counts == {
        throttling.limit_key(f"throttle_api_search_{token}"): 3,
        throttling.limit_key(f"throttle_api_{token}"): 4,
    }


def test_without_returning_the_row_is_read_back_in_the_same_transaction(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # SQLite before 3.35 has upserts but no RETURNING.
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    assert throttling.count_request("k", 600, 60) == (600, 1, 0)
    assert throttling.count_request("k", 660, 60) == (660, 1, 1)
    assert throttling.count_request("k", 600, 60) == (660, 2, 1)
