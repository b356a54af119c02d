from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haven.lib.dates import DateParseError, ImpreciseDate, Precision


@pytest.mark.parametrize(
    ("text", "start", "end", "precision"),
    [
        ("2011", date(2011, 1, 1), date(2011, 12, 31), Precision.YEAR),
        ("2011-03", date(2011, 3, 1), date(2011, 3, 31), Precision.MONTH),
        ("2012-02", date(2012, 2, 1), date(2012, 2, 29), Precision.MONTH),
        ("2011-03-05", date(2011, 3, 5), date(2011, 3, 5), Precision.DAY),
        ("c. 2011", date(2011, 1, 1), date(2011, 12, 31), Precision.ESTIMATED),
        ("2011?", date(2011, 1, 1), date(2011, 12, 31), Precision.ESTIMATED),
        ("2011년경", date(2011, 1, 1), date(2011, 12, 31), Precision.ESTIMATED),
        ("2011년 3월", date(2011, 3, 1), date(2011, 3, 31), Precision.MONTH),
        ("2010년 5월 3일", date(2010, 5, 3), date(2010, 5, 3), Precision.DAY),
        ("2009-03..2010", date(2009, 3, 1), date(2010, 12, 31), Precision.MONTH),
        ("2009 to 2010-06-15", date(2009, 1, 1), date(2010, 6, 15), Precision.YEAR),
        ("unknown", None, None, Precision.UNKNOWN),
        ("", None, None, Precision.UNKNOWN),
        ("미상", None, None, Precision.UNKNOWN),
    ],
)
def test_it_parses_what_documenters_write(text, start, end, precision):
    d = ImpreciseDate.parse(text)
    assert (d.start, d.end, d.precision) == (start, end, precision)


@pytest.mark.parametrize("text", ["2011-13", "2011-02-30", "20111", "next year", "2011..2009", "0999"])
def test_it_refuses_what_is_not_a_date_with_a_reason(text):
    with pytest.raises(DateParseError) as error:
        ImpreciseDate.parse(text)
    assert (
        repr(text) in str(error.value)
        or "month" in str(error.value)
        or "year" in str(error.value)
        or "calendar" in str(error.value)
    )


def test_a_year_lies_within_its_year_but_not_within_one_of_its_months():
    d = ImpreciseDate.parse("2011")
    assert d.within(date(2011, 1, 1), date(2011, 12, 31))
    assert not d.within(date(2011, 1, 1), date(2011, 1, 31))
    assert d.overlaps(date(2011, 1, 1), date(2011, 1, 31))
    assert not d.overlaps(date(2012, 1, 1), date(2012, 12, 31))


def test_unknown_dates_lie_in_no_period():
    d = ImpreciseDate.unknown()
    assert not d.within(date(1900, 1, 1), date(2100, 1, 1))
    assert not d.overlaps(date(1900, 1, 1), date(2100, 1, 1))


@given(
    year=st.integers(1900, 2100),
    month=st.none() | st.integers(1, 12),
    day=st.integers(1, 28),
    estimated=st.booleans(),
)
def test_text_form_round_trips(year, month, day, estimated):
    d = ImpreciseDate.from_parts(year, month, day if month else None, estimated=estimated)
    assert ImpreciseDate.parse(str(d)) == d


@given(st.text(max_size=40))
def test_parse_never_fails_other_than_with_a_date_error(text):
    try:
        ImpreciseDate.parse(text)
    except DateParseError:
        pass
