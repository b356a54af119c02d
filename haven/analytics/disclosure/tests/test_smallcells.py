"""No count from 1 to 4 can be read or worked out from what the small-cell rules show.

The test plays the reader: it knows the grand total (shown, or known to be 1 to 4 when shown as "<5") and
the rules, and lists every table of counts that the rules would show exactly as shown. Whatever is the same
in all of them is what the reader learns. The property: no cell, and no sum of cells, is learnt to be a
number from 1 to 4.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from haven.analytics.disclosure import (
    SMALL,
    WITHHELD,
    disclose_total,
    min_population,
    protect_flag,
    protect_partition,
    protect_table,
)

Shown = object


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


def possible_totals(total: int) -> list[int]:
    """The grand totals the reader cannot tell apart: it is shown through disclose_total."""
    return [t for t in range(0, 5) if disclose_total(t) == disclose_total(total)] or [total]


def learnt_small_sums(
    values: Sequence[int], show: Callable[[list[int]], Shown], known: Callable[[Shown], dict[int, int]]
) -> list[tuple[tuple[int, ...], int]]:
    """Return every set of cells whose sum the reader learns to be from 1 to 4, with that sum.

    Args:
        values: The true counts, flattened.
        show: What the rules show for a flattened table.
        known: The cells a display shows as plain numbers (only used to enumerate faster: a table that
            differs there is shown differently anyway).
    """
    shown = show(list(values))
    fixed = known(shown)
    hidden = [i for i in range(len(values)) if i not in fixed]
    tables = []
    for total in possible_totals(sum(values)):
        rest = total - sum(fixed.values())
        for filling in _compositions(rest, len(hidden)) if rest >= 0 else ():
            row = dict(fixed)
            row.update(zip(hidden, filling, strict=True))
            table = [row[i] for i in range(len(values))]
            if show(table) == shown:
                tables.append(table)
    assert list(values) in tables  # the reader's reasoning must admit the truth
    leaks = []
    for r in range(1, len(values) + 1):
        for cells in itertools.combinations(range(len(values)), r):
            sums = {sum(t[i] for i in cells) for t in tables}
            if len(sums) == 1 and 1 <= next(iter(sums)) <= 4:
                leaks.append((cells, next(iter(sums))))
    return leaks


def _digits(labels: Sequence[str] | None) -> dict[int, int]:
    return {i: int(s) for i, s in enumerate(labels or ()) if s.isdigit()}


def _partition_leaks(values: list[int]) -> list[tuple[tuple[int, ...], int]]:
    return learnt_small_sums(values, protect_partition, _digits)  # type: ignore[arg-type]


def _reshape(flat: Sequence[int], rows: int) -> list[list[int]]:
    return [list(flat[k : k + rows]) for k in range(0, len(flat), rows)]


def _table_leaks(columns: list[list[int]]) -> list[tuple[tuple[int, ...], int]]:
    rows = len(columns[0])

    def show(flat: list[int]) -> Shown:
        return protect_table(_reshape(flat, rows))

    def known(table: Shown) -> dict[int, int]:
        cells = [c for col in table.cells for c in col]  # type: ignore[attr-defined]
        return _digits(cells)

    return learnt_small_sums([v for col in columns for v in col], show, known)


def _shows_no_small_number(labels: Sequence[str]) -> bool:
    return all(not s.isdigit() or int(s) == 0 or int(s) >= 5 for s in labels)


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
@example([1, 5, 9, 20])
def test_a_partition_never_reveals_a_count_between_1_and_4(values: list[int]) -> None:
    shown = protect_partition(values)
    if shown is not None:
        assert _shows_no_small_number(shown), shown
    assert _partition_leaks(values) == [], (values, shown)


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


cell = st.one_of(st.integers(0, 4), st.integers(5, 7), st.integers(0, 10))


@st.composite
def tables(draw: st.DrawFn) -> list[list[int]]:
    columns = draw(st.integers(1, 3))
    rows = draw(st.integers(1, 3 if columns < 3 else 2))
    return [[draw(cell) for _ in range(rows)] for _ in range(columns)]


@settings(max_examples=80, deadline=None)
@given(tables())
@example([[1, 5, 20]])
@example([[1, 2, 7], [12, 0, 5]])
@example(
    [[5, 5], [1, 3], [30, 0]]
)  # totals 10, 4, 30: the 10 is withheld with the 4 and must not show its cells
@example([[0, 1], [0, 5], [3, 9]])
@example([[4, 4], [4, 4], [9, 9]])
@example([[1, 1], [1, 1]])
@example([[2, 3], [12, 0]])
def test_a_table_of_strata_never_reveals_a_count_between_1_and_4(columns: list[list[int]]) -> None:
    table = protect_table(columns)
    labels = [*table.column_totals, table.total, *(c for col in table.cells for c in col)]
    assert _shows_no_small_number(labels), table
    assert _table_leaks(columns) == [], (columns, table)


def test_the_rules_show_what_can_be_shown() -> None:
    assert protect_partition([12, 7, 0]) == ["12", "7", "0"]
    assert protect_partition([3, 2, 10]) == [SMALL, SMALL, "10"]
    assert protect_partition([1, 12, 8]) == [WITHHELD, "12", WITHHELD]
    assert protect_partition([1, 1, 12]) == [WITHHELD, WITHHELD, WITHHELD]
    assert protect_partition([2, 3, 1]) is None  # fewer than 10: no breakdown at all
    assert protect_partition([0, 0]) == ["0", "0"]
    assert protect_flag(3, 40) == SMALL
    assert protect_flag(37, 40) == WITHHELD
    assert protect_flag(20, 40) == "20"
    assert protect_flag(2, 6) is None
    assert [disclose_total(n) for n in (0, 3, 5)] == ["0", SMALL, "5"]
    assert min_population() == 10


def test_a_table_is_protected_column_by_column_and_across_its_totals() -> None:
    table = protect_table([[30, 12, 0], [3, 2, 10], [1, 12, 8]])
    assert table.column_totals == ("42", "15", "21") and table.total == "78"
    assert table.cells == (("30", "12", "0"), (SMALL, SMALL, "10"), (WITHHELD, "12", WITHHELD))
    assert table.has_small and table.has_withheld
    # A stratum of 4 people: its total is withheld with the smallest other total, and both columns whole.
    table = protect_table([[30, 12], [3, 1], [10, 9]])
    assert table.column_totals == ("42", WITHHELD, WITHHELD) and table.total == "65"
    assert table.cells[1] == (WITHHELD, WITHHELD) and table.cells[2] == (WITHHELD, WITHHELD)
    # One stratum: its total is the grand total.
    assert protect_table([[3, 0, 0]]) == protect_table([[3, 0, 0]])
    assert protect_table([[3, 0, 0]]).column_totals == (SMALL,) and protect_table([[3, 0, 0]]).total == SMALL
    assert protect_table([[3, 0, 0]]).cells == ((WITHHELD, WITHHELD, WITHHELD),)
    assert protect_table([[12, 7]]).cells == (("12", "7"),) and not protect_table([[12, 7]]).has_withheld


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        protect_partition([-1, 3])
    with pytest.raises(ValueError, match="negative"):
        protect_table([[1, -2]])
    with pytest.raises(ValueError, match="same number of rows"):
        protect_table([[1, 2], [3]])
    with pytest.raises(ValueError, match="between 0 and the total"):
        protect_flag(5, 4)


def test_the_reader_model_finds_what_plain_suppression_would_leak() -> None:
    """The checker is not vacuous: "<5" alone next to a known total is caught."""

    def naive(values: list[int]) -> list[str]:
        return [disclose_total(v) for v in values]

    assert learnt_small_sums([3, 12], naive, _digits) == [((0,), 3)]  # type: ignore[arg-type]


def _greedy_column(values: list[int]) -> tuple[str, ...]:
    """The complementary suppression the estimation page first used (one column, its total printed).

    Cells from 1 to 4 are hidden as "<5"; then the smallest non-zero shown cell is hidden ("×") until no "<5"
    cell is pinned down by interval bounds ("<5" is 1 to 4, "×" at least 5) on the hidden cells' sum.
    """
    must = {i for i, v in enumerate(values) if 0 < v < 5}
    hidden = set(must)

    def pinned() -> bool:
        rest = sum(values[j] for j in hidden)
        for i in must:
            others = [(1, 4) if 0 < values[j] < 5 else (5, 10**9) for j in hidden if j != i]
            low = max(1, rest - sum(h for _, h in others))
            high = min(4, rest - sum(lo for lo, _ in others))
            if low >= high:
                return True
        return False

    while must and pinned():
        candidates = [i for i, v in enumerate(values) if v > 0 and i not in hidden]
        if not candidates:
            break
        hidden.add(min(candidates, key=lambda i: (values[i], i)))
    return tuple(("<5" if 0 < v < 5 else "×") if i in hidden else str(v) for i, v in enumerate(values))


@pytest.mark.parametrize(
    ("values", "leak"),
    [
        ([1, 5, 20], ((0,), 1)),  # "<5", "×", "×": the rules pin the "<5" to 1 (and the "×" to 5 and 20)
        ([1, 5, 9, 20], ((0,), 1)),
        ([1, 1, 6], ((0,), 1)),
        ([1, 2, 5], ((0, 1), 3)),  # two "<5" next to a printed 5 and total 8: their sum is 3
    ],
)
def test_the_reader_model_finds_the_leaks_of_greedy_suppression(values: list[int], leak: object) -> None:
    """What the estimation page showed before it used these rules could be undone by a reader who knew them."""
    assert leak in learnt_small_sums(values, _greedy_column, _digits)  # type: ignore[arg-type]
    assert _partition_leaks(values) == []


def test_the_reader_model_catches_a_column_that_gives_its_withheld_total_back() -> None:
    """Rule 3 of tables matters: showing the cells of a column whose total is withheld leaks the small total."""

    def careless(flat: list[int]) -> Shown:
        columns = _reshape(flat, 2)
        table = protect_table(columns)
        cells = tuple(tuple(protect_partition(col) or [WITHHELD] * len(col)) for col in columns)
        return (cells, table.column_totals, table.total)

    def known(shown: Shown) -> dict[int, int]:
        return _digits([c for col in shown[0] for c in col])  # type: ignore[index]

    columns = [[5, 5], [1, 3], [30, 0]]
    assert protect_table(columns).column_totals == (WITHHELD, WITHHELD, "30")
    leaks = learnt_small_sums([5, 5, 1, 3, 30, 0], careless, known)
    assert ((2, 3), 4) in leaks  # the stratum of 4 people: 44 - 30 - (5 + 5)
    assert _table_leaks(columns) == []
