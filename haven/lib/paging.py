"""A page of a long list without counting the whole list.

Django's Paginator counts every row to number the pages. For a review queue of 80,000 candidate pairs, each
checked against the reader's access to both persons, that count costs ten times the page itself. A queue is
worked from the front, so its pages say "page 3" and whether there is a next one, not how many there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet

MAX_PAGE = 1_000_000


@dataclass
class UncountedPage:
    """The part of Django's Page that the pager templates use, with ``paginator`` None (no total)."""

    object_list: list[Any]
    number: int
    _has_next: bool
    paginator: None = None

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def uncounted_page(queryset: QuerySet[Any], per_page: int, number: Any) -> UncountedPage:
    """Return page ``number`` (1 for anything that is not a positive integer) of ``queryset``.

    Reads one row more than a page to know whether another page follows. A number past the end gives an
    empty page (with a link back), not an error: the list may have shrunk since the link was made.
    """
    try:
        # Capped: a page number from a hand-made URL (10**20) would be an OFFSET no database can take.
        page = min(max(1, int(number)), MAX_PAGE)
    except (TypeError, ValueError):
        page = 1
    start = (page - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    return UncountedPage(rows[:per_page], page, len(rows) > per_page)


class CountedPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator told its count, by a query that counted the rows already."""

    open = False

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @property
    def count(self) -> int:  # type: ignore[override]
        return self._known_count


def count_up_to(queryset: QuerySet[Any], limit: int) -> int:
    """Return how many rows ``queryset`` has, but at most ``limit + 1``: "more than ``limit``".

    The count stops at ``limit + 1`` rows (``SELECT COUNT(*) FROM (... LIMIT limit + 1)``), so that a list of
    100,000 rows costs no more to count than one of a thousand.
    """
    return queryset.order_by()[: limit + 1].count()


def page_counted_up_to(
    queryset: QuerySet[Any], per_page: int, number: Any, *, limit: int
) -> tuple[Any, int | None]:
    """Return (page ``number`` of ``queryset``, its number of rows, or None when there are more than ``limit``).

    Up to ``limit`` rows, a Django page (numbered "page 2 of 7"); past it, an :class:`UncountedPage` (page 2, and
    whether there is a next one).
    """
    total = count_up_to(queryset, limit)
    if total > limit:
        return uncounted_page(queryset, per_page, number), None
    return CountedPaginator(queryset, per_page, count=total).get_page(number), total
