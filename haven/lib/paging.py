"""A page of a long list without counting the whole list.

Django's Paginator counts every row to number the pages. For a review queue of 80,000 candidate pairs, each
checked against the reader's access to both persons, that count costs ten times the page itself. A queue is
worked from the front, so its pages say "page 3" and whether there is a next one, not how many there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet


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
        page = max(1, int(number))
    except (TypeError, ValueError):
        page = 1
    start = (page - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    return UncountedPage(rows[:per_page], page, len(rows) > per_page)
