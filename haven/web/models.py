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

from django.conf import settings
from django.db import models
from django.utils import timezone

from haven.crypto.fields import EncryptedTextField


class EventText(models.Model):
    event = models.OneToOneField(
        "records.Event", on_delete=models.CASCADE, primary_key=True, related_name="search_text"
    )
    text = models.TextField()
    # The event's updated_at when the text was taken: a different value means the row is stale.
    source_updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Search text of event {self.event_id}"


class SearchState(models.Model):
    """One row: a counter bumped after every committed change to what search counts (haven.web.searchcache)."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Search data version {self.version}"


class SearchCounts(models.Model):
    """The counts of one search for one scope of access, kept a few minutes (haven.web.searchcache).

    Only counts, ids, place paths and vocabulary ids: nothing identifying. The key is a keyed hash of the
    scope, the query, the filters and the data version.
    """

    key = models.CharField(max_length=64, primary_key=True)
    created_at = models.DateTimeField(db_index=True)
    data = models.JSONField()

    def __str__(self) -> str:
        return f"Search counts {self.key}"


class IntakeDraft(models.Model):
    """A testimony being entered: what the form held, saved as the documenter types (haven.web.intake).

    A draft holds names and other identifying values typed in, so the form's content is kept only
    encrypted (JSON in ``data``); nothing else about it is in clear, not even a title. Only its owner ever
    reads it. Submitting the testimony or discarding the draft deletes it, and so does leaving it unused for
    ``HAVEN_DRAFT_DAYS`` days.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    data = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Last saved or opened by its owner: a draft unused for HAVEN_DRAFT_DAYS is deleted (drafts.drafts_expire).
    used_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Incremented on every save: an autosave from a page older than the last save is refused, so that a
    # second tab left open cannot silently overwrite newer work.
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["owner", "updated_at"], name="web_draft_owner_updated")]

    def __str__(self) -> str:
        return f"Intake draft {self.pk} of user {self.owner_id}"
