"""k-anonymity: planted rare combinations are found and named, coarsenings fix them, inputs are checked."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from haven.analytics.disclosure import (
    check_k_anonymity,
    code_prefix,
    generalise_rows,
    year_band,
    year_periods,
)

QI = ["sex", "birth_year", "origin_county", "exit_year"]


def crowd(n: int = 200, seed: int = 7) -> list[dict[str, object]]:
    """Rows in a few large groups: every combination shared by at least 10 rows."""
    rng = random.Random(seed)
    shapes = [
        ("F", 1985, "KP-09-HOERYONG", 2008),
        ("F", 1990, "KP-10-HYESAN", 2011),
        ("M", 1980, "KP-09-MUSAN", 2004),
    ]
    rows = []
    for i in range(n):
        sex, birth, county, exit_year = shapes[i % len(shapes)]
        rows.append({"pseudonym": f"P{i:04d}", "sex": sex, "birth_year": birth, "origin_county": county,
                     "exit_year": exit_year, "noise": rng.random()})  # fmt: skip
    return rows


def test_it_finds_and_names_a_planted_unique_combination() -> None:
    rows = crowd()
    planted = {"pseudonym": "P-PLANTED", "sex": "M", "birth_year": 1951, "origin_county": "KP-05-ONGJIN",
               "exit_year": 2019}  # fmt: skip
    rows.insert(57, planted)
    report = check_k_anonymity(rows, QI, k=5, labels=[r["pseudonym"] for r in rows])
    assert not report.ok
    assert len(report.failing) == 1
    group = report.failing[0]
    assert group.rows == ("P-PLANTED",) and group.size == 1
    assert dict(group.combination) == {"sex": "M", "birth_year": "1951", "origin_county": "KP-05-ONGJIN",
                                       "exit_year": "2019"}  # fmt: skip
    text = report.summary()
    assert "P-PLANTED" in text and "birth_year=1951" in text and "origin_county=KP-05-ONGJIN" in text


def test_it_names_rows_by_number_without_labels() -> None:
    rows = crowd(30)
    rows.append({"sex": "F", "birth_year": 1985, "origin_county": "KP-09-HOERYONG", "exit_year": 2009})
    report = check_k_anonymity(rows, QI)
    assert report.failing_rows == (31,)


def test_a_group_of_k_passes_and_k_minus_one_fails() -> None:
    base = {"sex": "F", "birth_year": 1970, "origin_county": "KP-01-X", "exit_year": 2001}
    assert check_k_anonymity([dict(base) for _ in range(5)], QI, k=5).ok
    report = check_k_anonymity([dict(base) for _ in range(4)], QI, k=5)
    assert report.failing[0].size == 4 and report.failing_rows == (1, 2, 3, 4)


def test_missing_values_count_as_values() -> None:
    rows = [{"sex": "F", "birth_year": None, "origin_county": "", "exit_year": 2001} for _ in range(5)]
    rows.append({"sex": "F", "birth_year": 1980, "origin_county": "", "exit_year": 2001})
    report = check_k_anonymity(rows, QI)
    assert report.failing_rows == (6,)
    assert "origin_county=(missing)" in report.summary()


def test_it_suggests_coarsenings_that_fix_the_table() -> None:
    # Twelve people born 1981-1984 in two counties of one province, each birth year and county rare.
    rows = [
        {
            "sex": "F",
            "birth_year": 1981 + i % 4,
            "origin_county": f"KP-09-C{i % 2}",
            "exit_year": 2005 + i % 2,
        }
        for i in range(12)
    ]
    report = check_k_anonymity(rows, QI, k=5)
    assert not report.ok
    best = report.suggestions[0]
    assert best.failing_rows == 0
    assert set(best.columns) <= {"birth_year", "origin_county", "exit_year"}
    fixed = generalise_rows(rows, dict(best.generalisers))
    assert check_k_anonymity(fixed, QI, k=5).ok
    assert "to 5-year bands" in report.summary() or "to periods" in report.summary()


def test_generalisers() -> None:
    band = year_band(5)
    assert band(1987) == "1985-1989" and band("1990") == "1990-1994" and band(None) == ""
    periods = year_periods([2000, 2010, 2020])
    assert periods(1999) == "-1999" and periods(2000) == "2000-2009" and periods(2025) == "2020-"
    assert code_prefix(2)("KP-09-HOERYONG") == "KP-09" and code_prefix(2)("KP-09") == "KP-09"


def test_sequence_rows_need_column_names() -> None:
    rows = [["F", 1980, "KP-09-A", 2001]] * 5
    assert check_k_anonymity(rows, QI, columns=QI).ok
    with pytest.raises(ValueError, match="not among the columns: county"):
        check_k_anonymity(rows, ["county"], columns=QI)
    with pytest.raises(ValueError, match="k must be at least 2"):
        check_k_anonymity(rows, QI, columns=QI, k=1)
    with pytest.raises(ValueError, match="2 labels for 5 rows"):
        check_k_anonymity(rows, QI, columns=QI, labels=["a", "b"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from("FM"),
            st.integers(1950, 1960),
            st.sampled_from(["A", "B"]),
            st.integers(2000, 2002),
        ),
        min_size=1,
        max_size=60,
    ),
    st.integers(2, 6),
)
def test_every_failing_row_is_in_a_small_group_and_every_other_row_in_a_large_one(data, k) -> None:
    rows = [dict(zip(QI, r, strict=True)) for r in data]
    report = check_k_anonymity(rows, QI, k=k, suggest=False)
    counts: dict[tuple[object, ...], int] = {}
    for r in data:
        counts[r] = counts.get(r, 0) + 1
    failing = set(report.failing_rows)
    for number, r in enumerate(data, 1):
        assert (number in failing) == (counts[r] < k)
