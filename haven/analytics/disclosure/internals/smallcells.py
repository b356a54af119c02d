"""Small-cell protection for published counts: no count from 1 to 4 can be read, or worked out, from a table.

Pure functions over integers, so the guarantee is tested exhaustively against a reader who knows the rules
(``tests/test_smallcells.py``).

Showing each count from 1 to 4 as "<5" is not enough by itself: a reader who knows how many items there are
(the total is shown, and any other breakdown of the same items adds up to it) gets a hidden cell back by
subtraction, and two "<5" cells that add up to 2 are both 1. The rules below close those doors, against a
reader who knows the total and knows these rules.

*A partition* (each item in exactly one cell: cases by status, people by capture pattern):

1. Breakdowns of fewer than ``2 × threshold`` (10) items are not shown at all; the total alone is, through
   :func:`disclose_total`.
2. With no count from 1 to 4, every count is shown.
3. With two or more such counts whose sum ``R`` is at least 5 and strictly between their number ``a`` and
   ``4a`` (so that neither "all ones" nor "all fours" is possible), they are shown as "<5": each could be at
   least two values, and so could the sum of any of them but all, while the sum of all is ``R`` ≥ 5.
4. Otherwise the small counts are *withheld* together with every cell holding the smallest count of 5 or
   more (all of them, when several are equal): the reader then sees several withheld cells adding up to at
   least 6, and cannot tell which of them is the small one. A withheld cell is marked the same way whatever
   it holds.

*A list of yes/no properties* (each item may have several, or none): each row is its own split of the total
into "has it" and "has it not", and only "has it" is shown. A count from 1 to 4 is "<5"; a count whose
complement is from 1 to 4 is withheld (showing it would give the complement away); with fewer than 10 items
nothing is shown.

*A table of partitions with their totals* (columns = strata, rows = categories; each column is a partition
of its total, the column totals a partition of the grand total; no row totals are printed):

1. The grand total is shown through :func:`disclose_total`.
2. The column totals are protected as a partition of the grand total (with one column, its total is the
   grand total). When that partition is not shown, every column total is withheld.
3. A column whose total is shown as a number is protected as a partition of that total; any other column
   (total "<5" or withheld) is withheld whole, so that its cells cannot give its total back.

Why (3) is safe: what is shown of a column with a printed total depends on that column alone, and a withheld
column shows nothing, so the reader's knowledge splits into what the totals row tells about the totals and
what each printed column tells about its cells given its total. A sum of cells is then known only if each
column's part of it is known, and each such part is 0 or at least 5 by the partition rules.

Zero is shown as 0: it singles nobody out. There are no cross-tabulations with row totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

THRESHOLD = 5
SMALL = f"<{THRESHOLD}"
WITHHELD = "withheld"


def min_population(threshold: int = THRESHOLD) -> int:
    """Return the smallest number of items whose breakdown may be shown (``2 × threshold``)."""
    return 2 * threshold


def disclose_total(count: int, threshold: int = THRESHOLD) -> str:
    """Return one count as it may be shown alone: from 1 to ``threshold - 1`` it is ``"<threshold"``."""
    if count < 0:
        raise ValueError("counts cannot be negative")
    return f"<{threshold}" if 0 < count < threshold else str(count)


def protect_partition(values: Sequence[int], threshold: int = THRESHOLD) -> list[str] | None:
    """Return what to show for each cell of a partition of its (shown) total.

    Args:
        values: The counts, each item counted in exactly one cell.
        threshold: Counts from 1 to ``threshold - 1`` must not be learnt.

    Returns:
        One label per cell: the count, ``"<threshold"`` or :data:`WITHHELD`; or None when the breakdown must
        not be shown at all (fewer than ``2 × threshold`` items).

    Raises:
        ValueError: A count is negative.
    """
    if any(v < 0 for v in values):
        raise ValueError("counts cannot be negative")
    total = sum(values)
    if total == 0:
        return ["0" for _ in values]
    if total < min_population(threshold):
        return None
    small = [i for i, v in enumerate(values) if 0 < v < threshold]
    if not small:
        return [str(v) for v in values]
    a, r = len(small), sum(values[i] for i in small)
    shown = [str(v) for v in values]
    if a >= 2 and r >= threshold and a < r < (threshold - 1) * a:
        for i in small:
            shown[i] = f"<{threshold}"
        return shown
    large = [v for v in values if v >= threshold]
    withheld = set(small)
    if large:
        smallest = min(large)
        withheld |= {i for i, v in enumerate(values) if v == smallest}
    for i in withheld:
        shown[i] = WITHHELD
    return shown


def protect_flag(count: int, total: int, threshold: int = THRESHOLD) -> str | None:
    """Return what to show for the number of items having one property out of ``total``.

    Returns:
        The count, ``"<threshold"`` or :data:`WITHHELD`; None when ``total`` is too small for any breakdown.

    Raises:
        ValueError: ``count`` is not between 0 and ``total``.
    """
    if not 0 <= count <= total:
        raise ValueError("a count lies between 0 and the total")
    if total == 0:
        return "0"
    if total < min_population(threshold):
        return None
    if 0 < count < threshold:
        return f"<{threshold}"
    if 0 < total - count < threshold:
        return WITHHELD
    return str(count)


@dataclass(frozen=True)
class ProtectedTable:
    """What to show of a table of partitions (see :func:`protect_table`).

    Attributes:
        cells: Per column, one label per row: the count, ``"<threshold"`` or :data:`WITHHELD`.
        column_totals: One label per column.
        total: The grand total's label.
    """

    cells: tuple[tuple[str, ...], ...]
    column_totals: tuple[str, ...]
    total: str

    @property
    def has_small(self) -> bool:
        labels = [*self.column_totals, self.total, *(c for col in self.cells for c in col)]
        return any(label.startswith("<") for label in labels)

    @property
    def has_withheld(self) -> bool:
        labels = [*self.column_totals, *(c for col in self.cells for c in col)]
        return WITHHELD in labels


def protect_table(columns: Sequence[Sequence[int]], threshold: int = THRESHOLD) -> ProtectedTable:
    """Return what to show of a table whose columns are partitions of their totals, printed with those totals.

    Args:
        columns: The counts, per column (stratum), one per row; every column has the same number of rows.
        threshold: Counts from 1 to ``threshold - 1`` must not be learnt.

    Returns:
        The labels of the cells, the column totals and the grand total. No row total may be printed next
        to them: the rules protect each column and the totals row, not the rows.

    Raises:
        ValueError: A count is negative, or the columns differ in length.
    """
    if len({len(c) for c in columns}) > 1:
        raise ValueError("every column has the same number of rows")
    if any(v < 0 for c in columns for v in c):
        raise ValueError("counts cannot be negative")
    totals = [sum(c) for c in columns]
    grand = sum(totals)
    if len(columns) == 1:
        column_totals = [disclose_total(grand, threshold)]
    else:
        shown_totals = protect_partition(totals, threshold)
        column_totals = shown_totals if shown_totals is not None else [WITHHELD for _ in totals]
    cells: list[tuple[str, ...]] = []
    for column, total_label in zip(columns, column_totals, strict=True):
        shown = protect_partition(column, threshold) if total_label.isdigit() else None
        cells.append(tuple(shown) if shown is not None else tuple(WITHHELD for _ in column))
    return ProtectedTable(tuple(cells), tuple(column_totals), disclose_total(grand, threshold))
