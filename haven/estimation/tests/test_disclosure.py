"""Small-count protection: no count from 1 to 4 can be worked out from what the page prints."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from haven.estimation.disclosure import HIDDEN, protect, protect_columns


def _solutions(values: list[int], hidden: set[int], limit: int = 60) -> dict[int, set[int]]:
    """Brute force: every value each hidden cell can take, given the printed labels and the column sum."""
    total = sum(values[i] for i in hidden)
    order = sorted(hidden)
    ranges = [range(1, 5) if 0 < values[i] < 5 else range(5, max(total, 5) + 1) for i in order]
    found: dict[int, set[int]] = {i: set() for i in order}
    for combo in itertools.product(*ranges):
        if sum(combo) == total:
            for i, v in zip(order, combo, strict=True):
                found[i].add(v)
    return found


def test_a_single_small_count_gets_a_companion_hidden() -> None:
    hidden, safe = protect([3, 40, 12, 0, 9])
    assert safe and hidden == {0, 4}  # 3 alone would be total minus the rest; 9 is the smallest other
    table = protect_columns([[3, 40, 12, 0, 9]], exact=False)
    assert table.cells == [["<5", "40", "12", "0", HIDDEN]] and table.total == "64"


def test_two_small_counts_that_can_only_be_ones_get_a_companion() -> None:
    hidden, safe = protect([1, 1, 30, 8])
    assert safe and hidden == {0, 1, 3}


def test_a_companion_that_would_pin_the_small_count_is_not_enough() -> None:
    # 1 + 5 = 6 can only be 1 + 5 when "<5" is 1..4 and "×" at least 5: a third cell is hidden.
    hidden, safe = protect([1, 5, 9, 20])
    assert safe and hidden == {0, 1, 2}


def test_when_every_count_is_hidden_the_total_is_hidden_too() -> None:
    hidden, safe = protect([3, 0, 0])
    assert not safe and hidden == {0}
    table = protect_columns([[3, 0, 0]], exact=False)
    assert table.column_totals == ["<5"] and table.total == "<5"


def test_exact_readers_see_everything() -> None:
    table = protect_columns([[3, 40], [1, 2]], exact=True)
    assert (
        table.cells == [["3", "40"], ["1", "2"]]
        and table.column_totals == ["43", "3"]
        and table.total == "46"
    )


def test_the_totals_row_is_protected_like_a_column() -> None:
    table = protect_columns([[3, 40], [1, 2], [30, 30]], exact=False)
    # Column 2 totals 3 (small) and is hidden, so another total is hidden with it.
    assert table.column_totals[1] == "<5" and HIDDEN in table.column_totals and table.total == "106"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=14), min_size=1, max_size=6))
def test_no_small_count_is_ever_determined(values: list[int]) -> None:
    hidden, safe = protect(values)
    assert all(i in hidden for i, v in enumerate(values) if 0 < v < 5)
    assert all(values[i] > 0 for i in hidden)
    if safe:
        for i, possible in _solutions(values, hidden).items():
            if 0 < values[i] < 5:
                assert len(possible) >= 2, (values, hidden, i, possible)
