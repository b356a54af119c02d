"""Small helpers for Django models that belong to no single app."""

from __future__ import annotations

from typing import Any


def save_if_changed(obj: Any, values: dict[str, Any]) -> bool:
    """Set ``values`` on ``obj`` and save the fields that differ; return whether anything changed.

    The reference-data loaders (vocabularies, gazetteer) run on every set-up: an unchanged row must not be
    written again, so that re-running them is a no-op.
    """
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not changed:
        return False
    for name in changed:
        setattr(obj, name, values[name])
    obj.save(update_fields=changed)
    return True
