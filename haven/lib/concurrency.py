"""Optimistic locking: two people editing the same record never silently overwrite each other.

Every record carries a ``version`` that each save increments. An edit says which version it started from;
if the stored record has moved on since, the save is refused and the user is shown both versions (theirs and
the stored one) to reconcile by hand. The check takes the row lock first (SELECT ... FOR UPDATE on PostgreSQL;
SQLite's write transactions are serialised already), so two saves racing past it cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction


@dataclass
class Conflict:
    """The stored record moved on from the version the editor started from."""

    model: str
    pk: Any
    seen_version: int
    stored_version: int
    # field name -> (the editor's value, the stored value), for fields where they differ
    differences: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def message(self) -> str:
        return (
            f"Someone else saved this record while you were editing it (you started from version "
            f"{self.seen_version}; it is now at version {self.stored_version}). Nothing was saved: compare "
            "the two versions, then edit the current one."
        )


class ConflictError(Exception):
    def __init__(self, conflict: Conflict) -> None:
        super().__init__(conflict.message())
        self.conflict = conflict


def check_version(
    model: type[models.Model], pk: Any, seen_version: int, proposed: dict[str, Any] | None = None
) -> Conflict | None:
    """Lock the stored row and compare versions; call inside the transaction that will save.

    ``proposed`` (field name -> value the editor wants) lets the conflict list the fields where the
    editor's values and the stored ones differ.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("check_version must run inside the transaction that saves the record")
    stored = model._default_manager.select_for_update().get(pk=pk)
    stored_version = stored.version  # type: ignore[attr-defined]
    if stored_version == seen_version:
        return None
    differences = {}
    for name, mine in (proposed or {}).items():
        theirs = getattr(stored, name, None)
        if _comparable(mine) != _comparable(theirs):
            differences[name] = (mine, theirs)
    return Conflict(model._meta.label_lower, pk, seen_version, stored_version, differences)


def _comparable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if value == "":
        return None
    return value
