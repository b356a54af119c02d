"""Imprecise dates on models: three columns per date (start, end, precision) and their invariants.

Each dated model declares ``<prefix>_start``, ``<prefix>_end`` and ``<prefix>_precision`` with
:func:`imprecise_date_fields`, adds :func:`imprecise_date_constraints` to its Meta, and reads or writes
the value as an :class:`~haven.lib.dates.ImpreciseDate` through :class:`ImpreciseDateDescriptor`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import models

from haven.lib.dates import ImpreciseDate, Precision

PRECISION_CHOICES = [(p.value, p.value) for p in Precision]


def imprecise_date_fields(verbose: str) -> tuple[models.DateField, models.DateField, models.CharField]:
    return (
        models.DateField(f"{verbose}: earliest day", null=True, blank=True, db_index=True),
        models.DateField(f"{verbose}: latest day", null=True, blank=True, db_index=True),
        models.CharField(
            f"{verbose}: precision", max_length=10, choices=PRECISION_CHOICES, default="unknown"
        ),
    )


def imprecise_date_constraints(prefix: str, model: str) -> list[models.CheckConstraint]:
    start, end, precision = f"{prefix}_start", f"{prefix}_end", f"{prefix}_precision"
    unknown = models.Q(**{precision: "unknown", f"{start}__isnull": True, f"{end}__isnull": True})
    known = (
        ~models.Q(**{precision: "unknown"})
        & models.Q(**{f"{start}__isnull": False, f"{end}__isnull": False})
        & models.Q(**{f"{start}__lte": models.F(end)})
    )
    return [
        models.CheckConstraint(condition=unknown | known, name=f"{model}_{prefix}_range_valid"),
        models.CheckConstraint(
            condition=models.Q(**{f"{precision}__in": [p.value for p in Precision]}),
            name=f"{model}_{prefix}_precision_valid",
        ),
    ]


class ImpreciseDateDescriptor:
    """``obj.date`` reads and writes the three columns as one ImpreciseDate."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        return ImpreciseDate(
            getattr(obj, f"{self.prefix}_start"),
            getattr(obj, f"{self.prefix}_end"),
            Precision(getattr(obj, f"{self.prefix}_precision")),
        )

    def __set__(self, obj: Any, value: ImpreciseDate | str | None) -> None:
        if not isinstance(value, ImpreciseDate):
            value = ImpreciseDate.parse(value)
        setattr(obj, f"{self.prefix}_start", value.start)
        setattr(obj, f"{self.prefix}_end", value.end)
        setattr(obj, f"{self.prefix}_precision", value.precision.value)


def in_period(prefix: str, start: date, end: date, *, certain: bool = True) -> models.Q:
    """Return a filter for records whose date lies in ``start``..``end``.

    ``certain=True`` keeps records whose whole range lies inside the period (a "2011" act is in 2011, not in
    January 2011); ``certain=False`` keeps every record that may lie in it (the ranges overlap).
    """
    if certain:
        return models.Q(**{f"{prefix}_start__gte": start, f"{prefix}_end__lte": end})
    return models.Q(**{f"{prefix}_start__lte": end, f"{prefix}_end__gte": start})
