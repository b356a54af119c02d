"""The search count cache: the counts of a search, computed once for everyone with the same access.

Counting every facet of a search that matches a hundred thousand events reads hundreds of thousands of
acts, involvements and persons; the answer only changes when the records do. So the counts of each search
(how many events match, the facet counts, the ids of the first page) are kept in ``web_searchcounts``,
under a key made of

* the *scope*: the compartments granted and the confidentiality levels cleared — everyone with the same
  scope sees exactly the same counts (the "<5" masking is applied afterwards, per user);
* the parsed query and the filters;
* the *data version*, read in one statement of indexed look-ups:
  - the time of the latest audit entry of each kind of record write: every service that writes records
    (imports and merges included, which write in bulk) appends one in its own transaction;
  - a counter bumped after every committed save or delete of an event, act, person, involvement, place or
    term (signals: writes that bypass the services, from the admin or a shell, say);
  - the highest id of events, acts, persons and involvements (bulk inserts send no signal).

A bulk *update* outside the services changes none of these: such code calls :func:`search_data_changed`,
and entries older than :data:`MAX_AGE` are counted again, which bounds how long a missed change can show: the
next search after that age recounts (in the background, showing the kept counts meanwhile, when
``HAVEN_COUNTS_REFRESH`` is "background"; see :mod:`haven.web.recount`), and the one after it has the new counts.

Nothing identifying is stored: counts, ids, place paths and vocabulary ids. The key is a keyed hash, so
the table does not reveal what was searched for either. The page itself always fetches its events through
the policy-filtered queryset, so an id kept here can never show an event its reader may not see.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.timezone import now

from haven.accounts import policy
from haven.audit.models import AuditAction, AuditEntry
from haven.crypto.keyring import audit_fingerprint
from haven.places.models import Location
from haven.records.models import Act, Event, Involvement, Person
from haven.vocab.models import Term
from haven.web import recount
from haven.web.models import SearchCounts, SearchState

MAX_AGE = timedelta(minutes=5)
KEEP = recount.KEEP_FACTOR * MAX_AGE  # older counts are never shown, even while being counted again
_WATCHED = (Event, Act, Person, Involvement, Location, Term)
_NEWEST = (Event, Act, Person, Involvement)
# Every service that writes documentation records appends one of these to the audit log in its own
# transaction (imports and merges included, which write in bulk): the latest of each is a version stamp.
# The search's kept counts and the dashboard's and map's counts are both keyed by these stamps.
RECORD_WRITES = (
    AuditAction.RECORD_CREATED,
    AuditAction.RECORD_CHANGED,
    AuditAction.RECORD_DELETED,
    AuditAction.RECORD_MERGED,
    AuditAction.RECORD_UNMERGED,
    AuditAction.IMPORTED,
    AuditAction.BACKUP_RESTORED,
)


def record_write_stamps() -> tuple[list[str], list[int]]:
    """Return sub-selects of the time of the latest audited write of each kind, and their parameters.

    Indexed look-ups on the audit log's (action, created_at) index, whatever the log's size. Only table and
    column names from the models go into the SQL; the audit actions are parameters.
    """
    quote = connection.ops.quote_name
    audit = quote(AuditEntry._meta.db_table)
    action = quote(AuditEntry._meta.get_field("action").column)
    created = quote(AuditEntry._meta.get_field("created_at").column)
    part = f"(SELECT MAX({created}) FROM {audit} WHERE {action} = %s)"  # noqa: S608
    return [part] * len(RECORD_WRITES), [int(a) for a in RECORD_WRITES]


def data_version() -> str:
    """Return the current data version: one statement of indexed look-ups, however large the tables."""
    quote = connection.ops.quote_name
    pk, version = quote("id"), quote("version")
    newest = [f"(SELECT MAX({pk}) FROM {quote(m._meta.db_table)})" for m in _NEWEST]  # noqa: S608
    written, params = record_write_stamps()
    counter = f"(SELECT {version} FROM {quote(SearchState._meta.db_table)} WHERE {pk} = 1)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join([counter, *newest, *written]), params)  # noqa: S608
        row = cursor.fetchone()
    return "|".join("" if v is None else str(v) for v in row)


def cache_key(user: Any, what: dict[str, Any]) -> str:
    """Return the key of the counts of a search by ``user`` (``what``: the parsed query and filters)."""
    scope = {
        "compartments": sorted(policy.compartment_ids(user)),
        "clearance": sorted(policy.clearance(user)),
    }
    material = json.dumps({"v": data_version(), "scope": scope, "what": what}, sort_keys=True)
    return audit_fingerprint(material, "search.counts")


def counts_get(key: str) -> tuple[dict[str, Any], bool] | None:
    """Return the counts kept under ``key`` and whether they are younger than :data:`MAX_AGE`.

    Older ones (up to :data:`KEEP`) are of the same data version, as the key holds it: they may be shown while
    they are counted again in the background (:mod:`haven.web.recount`); the caller decides.
    """
    row = (
        SearchCounts.objects.filter(key=key, created_at__gte=now() - KEEP)
        .values_list("data", "created_at")
        .first()
    )
    return (row[0], row[1] >= now() - MAX_AGE) if row else None


_last_prune: float | None = None


def counts_put(key: str, data: dict[str, Any], *, replace: bool = True) -> None:
    """Keep ``data`` under ``key``; now and then (every :data:`MAX_AGE` per process) drop unusable entries.

    Without ``replace``, an entry already kept stays (a search's partial counts never overwrite its full ones).
    """
    global _last_prune
    created = now()
    if _last_prune is None or time.monotonic() - _last_prune >= MAX_AGE.total_seconds():
        _last_prune = time.monotonic()
        SearchCounts.objects.filter(created_at__lt=created - KEEP).delete()
    entry = SearchCounts(key=key, data=data, created_at=created)
    if not replace:
        SearchCounts.objects.bulk_create([entry], ignore_conflicts=True)
        return
    SearchCounts.objects.bulk_create(
        [entry], update_conflicts=True, unique_fields=["key"], update_fields=["data", "created_at"]
    )


def _bump() -> None:
    if not SearchState.objects.filter(pk=1).update(version=F("version") + 1):
        SearchState.objects.get_or_create(pk=1)


class _Pending:
    """The version bump owed by the current transaction: however many records it changes, one bump."""

    done = False

    def bump(self) -> None:
        if not self.done:
            self.done = True
            _bump()


def search_data_changed() -> None:
    """Make every kept count stale, once the current transaction commits (call after bulk updates)."""
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        _bump()
        return
    # Each change registers a callback (a rolled-back savepoint drops its own), all sharing one bump.
    pending = getattr(conn, "_haven_search_pending", None)
    if pending is None or pending.done:
        pending = conn._haven_search_pending = _Pending()
    transaction.on_commit(pending.bump)


def _changed(sender: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    search_data_changed()


def connect_receivers() -> None:
    for model in _WATCHED:
        post_save.connect(
            _changed, sender=model, dispatch_uid=f"haven.web.searchcounts.save.{model.__name__}"
        )
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"haven.web.searchcounts.delete.{model.__name__}"
        )
    m2m_changed.connect(
        _changed, sender=Involvement.perpetrator_types.through, dispatch_uid="haven.web.searchcounts.ptypes"
    )
