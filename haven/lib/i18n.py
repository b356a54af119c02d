"""Fixed tables of labels, translated once per language instead of at every use.

A review page shows about 450 labels from a few fixed tables (the comparisons and their levels, the choices of
a few fields, the headings of its tables). Each ``gettext`` costs about 6 µs: Django looks the message up in
every installed catalogue in turn and then in the fallback. That was a tenth of the page's CPU. Here a table
is translated once for each language and kept for the life of the process.

Only for tables defined once, at module level, and never changed: a table is known by its identity. The
cache keeps a reference to each table it has seen, so that identity cannot be reused by another object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, TypeVar

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.autoreload import file_changed
from django.utils.translation import get_language

K = TypeVar("K")

# (how it was translated, id(table), language) -> (the table, kept so that its id stays its own; its labels)
_cache: dict[tuple[str, int, str | None], tuple[object, Any]] = {}
# Raised by clear(): labels translated from catalogues that were dropped meanwhile are not kept.
_generation = 0


def _once(how: str, table: object, translate: Callable[[Any], Any]) -> Any:
    key = (how, id(table), get_language())
    hit = _cache.get(key)
    if hit is None:
        generation = _generation
        hit = (table, translate(table))
        if generation == _generation:
            _cache[key] = hit
    return hit[1]


def translated(table: Mapping[K, Any]) -> dict[K, str]:
    """``table`` with every value (a lazy translation, mostly) as text in the active language. Do not change it."""
    return _once("table", table, lambda t: {key: str(label) for key, label in t.items()})  # type: ignore[no-any-return]


def choice_labels(choices: type[Enum]) -> dict[Any, str]:
    """Value -> label of a Django ``Choices`` enum, in the active language. Do not change it."""
    return _once("choices", choices, lambda c: {m.value: str(m.label) for m in c})  # type: ignore[no-any-return]


def clear() -> None:
    global _generation
    _generation += 1
    _cache.clear()


@receiver(setting_changed, dispatch_uid="haven.lib.i18n.settings_changed")
def _settings_changed(setting: str, **kwargs: Any) -> None:
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "INSTALLED_APPS", "USE_I18N"}:
        clear()


@receiver(file_changed, dispatch_uid="haven.lib.i18n.catalogue_changed")
def _catalogue_changed(sender: Any, file_path: Any, **kwargs: Any) -> None:
    # The development server reloads a recompiled catalogue without restarting (Django's own receiver of
    # this signal); the labels translated from the old one go with it.
    if str(file_path).endswith(".mo"):
        clear()
