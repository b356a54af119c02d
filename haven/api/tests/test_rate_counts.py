"""Rate limits counted in the database: one statement a request, a sliding window, shared by all processes."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from haven.accounts.models import Role
from haven.api import throttling
from haven.api.models import RateCount
from haven.api.tests.helpers import call, token_for
from haven.web.tests.stories import Story, story

pytestmark = pytest.mark.django_db


def test_a_request_is_counted_in_its_window_and_the_last_window_is_kept() -> None:
    assert throttling.count_request("k", 600, 60) == (1, 0)
    assert throttling.count_request("k", 600, 60) == (2, 0)
    assert throttling.count_request("other", 600, 60) == (1, 0)  # limits are counted apart
    assert throttling.count_request("k", 660, 60) == (1, 2)  # the next window: the two become the previous
    assert throttling.count_request("k", 660, 60) == (2, 2)
    assert throttling.count_request("k", 840, 60) == (1, 0)  # after a gap, nothing carries over
    assert RateCount.objects.get(key="k").window_start == 840


def test_the_counts_of_the_previous_window_slide_out(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    throttle = throttling.TokenRateThrottle()
    throttle.rate, (throttle.num_requests, throttle.duration) = "4/min", (4, 60)
    request = type(
        "R", (), {"auth": None, "user": None, "headers": {}, "META": {"REMOTE_ADDR": "192.0.2.1"}}
    )()
    clock = [6055.0]  # late in the window [6000, 6060)
    monkeypatch.setattr(throttle, "timer", lambda: clock[0])
    assert [throttle.allow_request(request, None) for _ in range(5)] == [True] * 4 + [False]
    assert 0 < throttle.wait() <= 120
    clock[0] = 6062.0  # just into the next window: five of the last minute still weigh almost fully
    assert throttle.allow_request(request, None) is False
    clock[0] = 6110.0  # most of the last window has slid out: 5 * (10/60) + 2 <= 4
    assert throttle.allow_request(request, None) is True


def test_unused_limits_are_pruned(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(throttling, "PRUNE_EVERY", 1)
    throttling.count_request("old", 0, 60)
    throttling.count_request("new", 7200, 60)
    assert set(RateCount.objects.values_list("key", flat=True)) == {"new"}


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
    assert sorted(counts.values()) == [3, 4] and all(key.startswith("throttle_api") for key in counts)
