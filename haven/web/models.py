"""The search table: the normalized text of each event's non-identifying narrative.

Only the title and description are copied here: they are the non-identifying narrative, already in clear
in ``records.Event``. Identifying values never enter this table; persons are found through the blind
indexes of ``records.PersonIndex``.

The text is normalized in Python (NFKC, casefold, whitespace collapsed; see :mod:`haven.web.textsearch`)
and queried with ``LIKE '%term%'`` on both SQLite and PostgreSQL, so both give the same rows. Trigram
indexes (PostgreSQL pg_trgm GIN; SQLite FTS5 trigram) only speed up terms of 3 characters or more and
never change which rows match.
"""

from __future__ import annotations

from django.db import models


class EventText(models.Model):
    event = models.OneToOneField(
        "records.Event", on_delete=models.CASCADE, primary_key=True, related_name="search_text"
    )
    text = models.TextField()
    # The event's updated_at when the text was taken: a different value means the row is stale.
    source_updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Search text of event {self.event_id}"
