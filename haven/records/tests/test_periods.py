"""Period queries over imprecise dates give the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from haven.records.imprecise import in_period
from haven.records.models import Act, Event
from haven.records.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    return {
        text: f.event(text)
        for text in [
            "2011",
            "2011-01",
            "2011-01-15",
            "2011-06",
            "c. 2011",
            "2010-11..2011-02",
            "2012",
            "unknown",
        ]
    }


def _titles(q, events):  # type: ignore[no-untyped-def]
    ids = set(Event.objects.filter(q).values_list("pk", flat=True))
    return {text for text, e in events.items() if e.pk in ids}


def test_a_year_filter_finds_everything_certainly_in_that_year(events):
    assert _titles(in_period("date", date(2011, 1, 1), date(2011, 12, 31)), events) == {
        "2011",
        "2011-01",
        "2011-01-15",
        "2011-06",
        "c. 2011",
    }


def test_a_january_filter_does_not_claim_a_year_only_event(events):
    assert _titles(in_period("date", date(2011, 1, 1), date(2011, 1, 31)), events) == {
        "2011-01",
        "2011-01-15",
    }


def test_a_january_filter_with_possible_matches_includes_the_year_and_the_range(events):
    found = _titles(in_period("date", date(2011, 1, 1), date(2011, 1, 31), certain=False), events)
    assert found == {"2011", "2011-01", "2011-01-15", "c. 2011", "2010-11..2011-02"}


def test_unknown_dates_are_in_no_period(events):
    found = _titles(in_period("date", date(1900, 1, 1), date(2100, 1, 1), certain=False), events)
    assert "unknown" not in found


def test_acts_are_filtered_the_same_way():
    victim = f.person()
    ev = f.event("2011")
    year_act = f.act(ev, victim, "2011")
    march_act = f.act(ev, victim, "2011-03-02")
    march = Act.objects.filter(in_period("date", date(2011, 3, 1), date(2011, 3, 31)))
    assert list(march) == [march_act]
    assert set(Act.objects.filter(in_period("date", date(2011, 1, 1), date(2011, 12, 31)))) == {
        year_act,
        march_act,
    }
