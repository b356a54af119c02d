"""Small-cell protection for published counts: no count from 1 to 4 can be read, or worked out, from a table.

Pure functions over integers (no Django), so the guarantee is tested exhaustively (tests/test_disclosure.py).

Showing each count from 1 to 4 as "<5" (haven.accounts.policy.disclose_count) is not enough by itself: a reader
who knows how many cases there are (the total is shown, and any other breakdown of the same cases adds up to
it) gets a hidden cell back by subtraction, and two "<5" cells that add up to 2 are both 1. The rules below
close those doors, against a reader who knows the total and knows these rules.

*A partition* (each case in exactly one row: cases by status, by risk level, incidents by type):

1. Breakdowns of fewer than ``2 × threshold`` (10) items are not shown at all; the total alone is, through
   ``disclose_count``.
2. With no count from 1 to 4, every count is shown.
3. With two or more such counts whose sum ``R`` is at least 5 and strictly between their number ``a`` and
   ``4a`` (so that neither "all ones" nor "all fours" is possible), they are shown as "<5": each could be at
   least two values, and so could the sum of any of them but all, while the sum of all is ``R`` ≥ 5.
4. Otherwise the small counts are *withheld* together with every cell holding the smallest count of 5 or
   more (all of them, when several are equal): the reader then sees several withheld cells adding up to at
   least 6, and cannot tell which of them is the small one. A withheld cell is marked the same way whatever
   it holds.

*A list of yes/no properties* (each case may have several needs, or none): each row is its own split of
the total into "has it" and "has it not", and only "has it" is shown. A count from 1 to 4 is "<5"; a count
whose complement is from 1 to 4 is withheld (showing it would give the complement away); with fewer than 10
items nothing is shown.

Zero is shown as 0: it singles nobody out. There are no cross-tabulations: each table breaks the total down
by one thing only.
"""

from __future__ import annotations

from collections.abc import Sequence

THRESHOLD = 5
SMALL = "<5"
WITHHELD = "withheld"


def min_population(threshold: int = THRESHOLD) -> int:
    return 2 * threshold


def disclose_total(count: int, threshold: int = THRESHOLD) -> str:
    return f"<{threshold}" if 0 < count < threshold else str(count)


def protect_partition(values: Sequence[int], threshold: int = THRESHOLD) -> list[str] | None:
    """Return what to show for each cell of a partition, or None when the breakdown must not be shown."""
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
    """Return what to show for the number of items having one property out of ``total``, or None."""
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
