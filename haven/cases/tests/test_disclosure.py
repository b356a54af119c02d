"""The statistics never reveal a count between 1 and 4: checked against a reader who knows the rules.

For a table of small counts, the test plays the reader: it knows the total (always shown) and the rules
(haven.cases.disclosure), and lists every table of counts with that total that the rules would show exactly as
shown. Whatever is the same in all of them is what the reader learns. The property: no cell, and no sum of
cells, is learnt to be a number from 1 to 4.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from haven.accounts.policy import disclose_count
from haven.cases.disclosure import WITHHELD, disclose_total, protect_flag, protect_partition

pytestmark = pytest.mark.filterwarnings("ignore")


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Every way of writing ``total`` as ``parts`` counts of 0 or more."""
    if parts == 0:
        if total == 0:
            yield ()
        return
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


def consistent_tables(shown: list[str] | None, total: int, size: int) -> list[tuple[int, ...]]:
    """Every table of ``size`` counts adding up to ``total`` that the rules show as ``shown``."""
    if shown is None:
        candidates: Iterator[tuple[int, ...]] = _compositions(total, size)
    else:
        fixed = {i: int(s) for i, s in enumerate(shown) if s.isdigit()}
        hidden = [i for i in range(size) if i not in fixed]
        rest = total - sum(fixed.values())

        def fill() -> Iterator[tuple[int, ...]]:
            for values in _compositions(rest, len(hidden)):
                row = dict(fixed)
                row.update(zip(hidden, values, strict=True))
                yield tuple(row[i] for i in range(size))

        candidates = fill()
    return [c for c in candidates if protect_partition(list(c)) == shown]


def possible_totals(total: int) -> list[int]:
    """The totals the reader cannot tell apart: the total itself is shown through disclose_total."""
    return [t for t in range(0, 5) if disclose_total(t) == disclose_total(total)] or [total]


def learnt_small_counts(values: list[int]) -> list[tuple[tuple[int, ...], int]]:
    """Return every set of cells whose sum the reader learns to be from 1 to 4, with that sum."""
    shown = protect_partition(values)
    tables = [
        t for total in possible_totals(sum(values)) for t in consistent_tables(shown, total, len(values))
    ]
    assert tuple(values) in tables  # the reader's reasoning must admit the truth
    leaks = []
    for r in range(1, len(values) + 1):
        for cells in itertools.combinations(range(len(values)), r):
            sums = {sum(t[i] for i in cells) for t in tables}
            if len(sums) == 1 and 1 <= next(iter(sums)) <= 4:
                leaks.append((cells, next(iter(sums))))
    return leaks


counts = st.lists(st.one_of(st.integers(0, 4), st.integers(5, 9), st.integers(0, 14)), min_size=1, max_size=5)


@settings(max_examples=400, deadline=None)
@given(counts)
@example([1, 5, 20])  # one small count next to a 5: withheld together, the reader cannot tell which is which
@example([5, 5, 1])
@example([1, 1, 9])
@example([4, 4, 4])
@example([2, 3, 10])
@example([9, 1])
@example([1, 2, 7, 0])
def test_a_partition_never_reveals_a_count_between_1_and_4(values: list[int]) -> None:
    shown = protect_partition(values)
    if shown is not None:
        assert all(not s.isdigit() or int(s) == 0 or int(s) >= 5 for s in shown), shown
    assert learnt_small_counts(values) == [], (values, shown)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 40), st.integers(0, 40))
def test_a_yes_no_row_never_reveals_a_count_between_1_and_4(count: int, other: int) -> None:
    total = count + other
    shown = protect_flag(count, total)
    # The reader knows the total; every count consistent with what is shown:
    possible = [c for c in range(total + 1) if protect_flag(c, total) == shown]
    assert count in possible
    if len(possible) == 1:
        only = possible[0]
        assert only == 0 or only >= 5, (count, total, shown)
        assert total - only == 0 or total - only >= 5, (count, total, shown)


def test_the_rules_show_what_can_be_shown() -> None:
    assert protect_partition([12, 7, 0]) == ["12", "7", "0"]
    assert protect_partition([3, 2, 10]) == ["<5", "<5", "10"]
    assert protect_partition([1, 12, 8]) == [WITHHELD, "12", WITHHELD]
    assert protect_partition([1, 1, 12]) == [WITHHELD, WITHHELD, WITHHELD]
    assert protect_partition([2, 3, 1]) is None  # fewer than 10: no breakdown at all
    assert protect_partition([0, 0]) == ["0", "0"]
    assert protect_flag(3, 40) == "<5"
    assert protect_flag(37, 40) == WITHHELD
    assert protect_flag(20, 40) == "20"
    assert protect_flag(2, 6) is None
    assert disclose_count(3) == "<5" and disclose_count(0) == "0" and disclose_count(5) == "5"


def test_the_reader_model_finds_what_plain_suppression_would_leak() -> None:
    """The checker is not vacuous: "<5" alone next to a known total is caught."""

    def naive(values: list[int]) -> list[str]:
        return [disclose_count(v) for v in values]

    values = [3, 12]
    tables = [t for t in _compositions(15, 2) if naive(list(t)) == naive(values)]
    assert tables == [(3, 12)]  # the reader learns the 3
    with pytest.raises(ValueError):
        protect_partition([-1, 3])
