"""Small helpers for Django models that belong to no single app."""

from __future__ import annotations

from typing import Any

from haven.lib.i18n import choice_labels


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


def choice_label(choices: Any, value: str) -> str:
    """Return the label of ``value`` in the ``choices`` enum, or the value itself if it is not one of them.

    As ``get_FOO_display()``, which builds and hashes the field's whole list of choices, translating every
    label, at each call: a review page of 20 people called it 80 times, a case list of 50 rows 100 times
    (a tenth of the page's time). The labels are translated once per language (:mod:`haven.lib.i18n`).
    """
    return choice_labels(choices).get(value, value)
