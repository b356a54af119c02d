"""Text normalization, the search query parser and the upkeep of the search table.

Both sides of every comparison go through :func:`normalize_text`, so the database only has to find a
substring: ``LIKE`` does that identically on SQLite and PostgreSQL once case has been folded away.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Max

from haven.records.models import Event
from haven.web.models import EventText
from haven.web.searchcache import search_data_changed

_SPACE = re.compile(r"\s+")
MAX_TERMS = 12
MAX_TERM_LENGTH = 100
MAX_QUERY_LENGTH = 500


def normalize_text(text: str) -> str:
    """Return ``text`` in NFKC, case-folded, with every run of white space made one space."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return _SPACE.sub(" ", folded).strip()


def event_document(title: str, description: str) -> str:
    # A newline separates the fields; normalized query terms never contain one, so no match spans both.
    return f"{normalize_text(title)}\n{normalize_text(description)}"


@dataclass(frozen=True)
class ParsedQuery:
    """A query as terms: every ``include`` term must occur, no ``exclude`` term may."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.include and not self.exclude

    @property
    def name_text(self) -> str:
        """The included words as one string, for looking a person up by name."""
        return " ".join(self.include)


def parse_query(raw: Any) -> ParsedQuery:
    """Parse ``word "a phrase" -excluded -"excluded phrase"`` into terms; never raises.

    An unclosed quote runs to the end of the text; a lone ``-`` is ignored; terms are normalized, cut to
    :data:`MAX_TERM_LENGTH` characters and at most :data:`MAX_TERMS` are kept.
    """
    text = raw if isinstance(raw, str) else ""
    text = text[:MAX_QUERY_LENGTH]
    include: list[str] = []
    exclude: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        negative = False
        if ch == "-" and i + 1 < n and not text[i + 1].isspace():
            negative = True
            i += 1
        if text[i] == '"':
            close = text.find('"', i + 1)
            end = n if close == -1 else close
            token = text[i + 1 : end]
            i = end + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] != '"':
                j += 1
            token = text[i:j]
            i = j if j > i else i + 1
        term = normalize_text(token)[:MAX_TERM_LENGTH].strip()
        if not term or term == "-":
            continue
        target = exclude if negative else include
        if term not in target and len(include) + len(exclude) < MAX_TERMS:
            target.append(term)
    return ParsedQuery(tuple(include), tuple(exclude))


def event_text_sync(event: Event) -> None:
    """Write the search text of one event (after it was saved)."""
    EventText.objects.update_or_create(
        event_id=event.pk,
        defaults={
            "text": event_document(event.title, event.description),
            "source_updated_at": event.updated_at,
        },
    )


def _write_texts(rows: list[tuple[int, str, str, Any]]) -> None:
    texts = [
        EventText(event_id=pk, text=event_document(title, description), source_updated_at=updated)
        for pk, title, description, updated in rows
    ]
    EventText.objects.bulk_create(
        texts,
        update_conflicts=True,
        unique_fields=["event"],
        update_fields=["text", "source_updated_at"],
    )


def event_texts_refresh(event_ids: Iterable[int], *, batch: int = 2000) -> int:
    """Write the search text of the given events, new or changed (call it after bulk writes of events)."""
    ids = sorted(set(event_ids))
    for i in range(0, len(ids), batch):
        rows = list(
            Event.objects.filter(pk__in=ids[i : i + batch]).values_list(
                "pk", "title", "description", "updated_at"
            )
        )
        with transaction.atomic():
            _write_texts(rows)
            search_data_changed()
    return len(ids)


def event_texts_fill(*, batch: int = 2000, limit: int | None = None) -> int:
    """Index events that have no search text yet (bulk-created ones); return how many were added."""
    added = 0
    while limit is None or added < limit:
        size = batch if limit is None else min(batch, limit - added)
        rows = list(
            Event.objects.filter(search_text__isnull=True)
            .order_by("pk")
            .values_list("pk", "title", "description", "updated_at")[:size]
        )
        if not rows:
            break
        with transaction.atomic():
            EventText.objects.bulk_create(
                [
                    EventText(event_id=pk, text=event_document(t, d), source_updated_at=u)
                    for pk, t, d, u in rows
                ],
                ignore_conflicts=True,
            )
            search_data_changed()
        added += len(rows)
    return added


def event_texts_refresh_stale(*, batch: int = 2000) -> int:
    """Recompute the texts of events changed since they were indexed (bulk updates bypass ``save()``)."""
    stale = list(
        EventText.objects.exclude(source_updated_at=F("event__updated_at")).values_list("event_id", flat=True)
    )
    return event_texts_refresh(stale, batch=batch)


FULL_CHECK_SECONDS = 300.0
_last_full_check: float | None = None


def event_texts_catch_up() -> int:
    """Index bulk-loaded events before a search; cheap enough to call on every search.

    Every time: events newer than the newest indexed one (what an import or the demo just created),
    found through the primary keys alone. At most every :data:`FULL_CHECK_SECONDS` per process, and on
    the first call: every event without a text and every text older than its event (scans both tables;
    catches bulk writes that did not call :func:`event_texts_refresh`).
    """
    global _last_full_check
    now = time.monotonic()
    if _last_full_check is None or now - _last_full_check >= FULL_CHECK_SECONDS:
        _last_full_check = now
        return event_texts_fill() + event_texts_refresh_stale()
    newest = EventText.objects.aggregate(newest=Max("event_id"))["newest"] or 0
    if Event.objects.filter(pk__gt=newest).exists():
        return event_texts_fill()
    return 0


def event_texts_rebuild() -> int:
    """Recompute every event's search text (after bulk updates that bypassed ``save()``).

    Rows are rewritten in place, batch by batch: searches meanwhile find every event, by its old or new text.
    """
    return event_texts_refresh(Event.objects.values_list("pk", flat=True))
