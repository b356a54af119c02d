"""Small-count protection for a capture-pattern table shown to a reader who may not see its small counts.

Primary suppression: a count from 1 to 4 is shown as "<5" (:func:`haven.accounts.policy.disclose_count`).

That alone is not enough on a page that also prints totals: if a stratum's column has one "<5" and its
observed total is printed, subtraction gives the hidden count back. So each column gets complementary
suppression: further counts (the smallest first) are hidden, shown as "×", until no "<5" count can be worked
out exactly from the column total, knowing that a "<5" is 1 to 4 and a "×" is at least 5. The totals row
(observed per stratum, summing to the overall observed count) is protected the same way. Zero stays zero: an
empty cell singles nobody out.

Only these totals are printed for such a reader: counts per list, pooled counts across strata and record
counts, which would add more equations, are left off the page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from haven.accounts.policy import SMALL_CELL, disclose_count

HIDDEN = "×"


def _bounds(value: int) -> tuple[float, float]:
    return (1.0, SMALL_CELL - 1.0) if 0 < value < SMALL_CELL else (float(SMALL_CELL), math.inf)


def _determined(values: Sequence[int], hidden: set[int], must: set[int]) -> bool:
    """Return whether some cell of ``must`` has a single possible value given the hidden cells' sum."""
    total = sum(values[i] for i in hidden)
    for i in must:
        others = [_bounds(values[j]) for j in hidden if j != i]
        low_i, high_i = _bounds(values[i])
        low = max(low_i, total - sum(h for _, h in others))
        high = min(high_i, total - sum(lo for lo, _ in others))
        if low >= high:
            return True
    return False


def protect(values: Sequence[int], must: set[int] | None = None) -> tuple[set[int], bool]:
    """Return (hidden cells, safe) for one set of counts whose sum is printed.

    Args:
        values: The counts.
        must: Cells that must stay undetermined besides the small ones (e.g. a total hidden elsewhere).

    Returns:
        The indices to hide, and whether that is enough; when it is not (every non-zero count is already
        hidden), the caller must hide the sum as well.
    """
    must = set(must or ()) | {i for i, v in enumerate(values) if 0 < v < SMALL_CELL}
    hidden = set(must)
    while must and _determined(values, hidden, must):
        candidates = [i for i, v in enumerate(values) if v > 0 and i not in hidden]
        if not candidates:
            return hidden, False
        hidden.add(min(candidates, key=lambda i: (values[i], i)))
    return hidden, True


def label(value: int, hidden: bool) -> str:
    if not hidden:
        return str(value)
    return disclose_count(value) if 0 < value < SMALL_CELL else HIDDEN


@dataclass
class ProtectedTable:
    cells: list[list[str]]  # per column, per row
    column_totals: list[str]
    total: str


def protect_columns(columns: Sequence[Sequence[int]], *, exact: bool) -> ProtectedTable:
    """Return the labels to print for a table of counts (columns = strata) with its column totals and total.

    With ``exact`` (a reader who may see small counts) every count is printed as it is.
    """
    totals = [sum(c) for c in columns]
    grand = sum(totals)
    if exact:
        return ProtectedTable(
            [[str(v) for v in col] for col in columns], [str(t) for t in totals], str(grand)
        )
    cells: list[list[str]] = []
    must_totals: set[int] = set()
    for k, col in enumerate(columns):
        hidden, safe = protect(col)
        cells.append([label(v, i in hidden) for i, v in enumerate(col)])
        if not safe:
            must_totals.add(k)
    if len(columns) == 1:
        hidden_totals, safe = (must_totals, not must_totals) if must_totals else (set(), True)
    else:
        hidden_totals, safe = protect(totals, must_totals)
    return ProtectedTable(
        cells,
        [label(t, k in hidden_totals) for k, t in enumerate(totals)],
        disclose_count(grand) if safe else label(grand, True),
    )
