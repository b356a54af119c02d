"""The figures of the reports: policy-filtered aggregates of the records a user may see, with small cells protected.

Every count comes from records the requesting user may see (haven.accounts.policy.visible: granted compartments,
cleared confidentiality levels). Each table breaks one total down by one thing (no cross-tabulations), and is
protected by haven.analytics.disclosure: counts from 1 to 4 are shown as "<5" or withheld so that none can be read
or worked out by subtraction, and breakdowns of fewer than 10 items are not shown at all.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from haven.accounts import policy
from haven.accounts.models import Organisation
from haven.analytics import disclosure
from haven.places.models import Location
from haven.records.imprecise import in_period
from haven.records.models import Act, Involvement
from haven.reports.obligations import Pattern, obligations
from haven.vocab.models import Term

THRESHOLD = policy.SMALL_CELL


@dataclass
class Row:
    label: str
    shown: str
    value: int  # the true count: for charts of large cells and for tests; never printed when protected

    @property
    def withheld(self) -> bool:
        return self.shown == disclosure.WITHHELD

    @property
    def exact(self) -> bool:
        return self.shown == str(self.value)


@dataclass
class CountTable:
    key: str
    title: str
    unit: str
    total: str
    rows: list[Row] = field(default_factory=list)
    kind: str = "partition"  # or "flags": yes/no properties that need not add up to the total
    hidden: bool = False  # too few items for any breakdown

    @property
    def has_withheld(self) -> bool:
        return any(r.withheld for r in self.rows)

    @property
    def has_small(self) -> bool:
        return any(r.shown.startswith("<") for r in self.rows)


def partition(key: str, title: str, unit: str, labelled: list[tuple[str, int]]) -> CountTable:
    values = [n for _l, n in labelled]
    shown = disclosure.protect_partition(values, THRESHOLD)
    table = CountTable(
        key, title, unit, disclosure.disclose_total(sum(values), THRESHOLD), hidden=shown is None
    )
    if shown is not None:
        table.rows = [
            Row(label, s, n) for (label, n), s in zip(labelled, shown, strict=True) if n or s != "0"
        ]
    return table


def flags(key: str, title: str, unit: str, total: int, labelled: list[tuple[str, int]]) -> CountTable:
    table = CountTable(key, title, unit, disclosure.disclose_total(total, THRESHOLD), kind="flags")
    shown = [disclosure.protect_flag(n, total, THRESHOLD) for _l, n in labelled]
    table.hidden = any(s is None for s in shown)
    if not table.hidden:
        table.rows = [Row(label, str(s), n) for (label, n), s in zip(labelled, shown, strict=True) if n]
    return table


# ---- scopes ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    first: int | None = None
    last: int | None = None

    @property
    def is_set(self) -> bool:
        return self.first is not None or self.last is not None

    def q(self) -> Q:
        if not self.is_set:
            return Q()
        start = dt.date(self.first or 1900, 1, 1)
        end = dt.date(self.last or 2100, 12, 31)
        return in_period("date", start, end, certain=True)

    def label(self) -> str:
        if not self.is_set:
            return _("all dates")
        if self.first == self.last:
            return str(self.first)
        return f"{self.first or '…'}–{self.last or '…'}"


def organisations_for(user: Any) -> list[Organisation]:
    """Return the organisations with at least one compartment granted to ``user``."""
    return list(
        Organisation.objects.filter(compartments__pk__in=policy.compartment_ids(user))
        .distinct()
        .order_by("code")
    )


def acts_in_scope(
    user: Any,
    *,
    organisation: Organisation | None = None,
    country: str | None = None,
    period: Period = Period(),
) -> QuerySet[Act]:
    """Return the acts ``user`` may see, of ``organisation`` and/or located in ``country`` (ISO alpha-2)."""
    acts = policy.visible(user, Act.objects.all())
    if organisation is not None:
        acts = acts.filter(organisation=organisation)
    if country:
        acts = acts.filter(location__path__startswith=f"/{country}/")
    return acts.filter(period.q())


# ---- tables ----------------------------------------------------------------------------------------------------


def _lang_label(term_or_place: Any) -> str:
    label = getattr(term_or_place, "label", None)
    if label is not None:
        return str(label() if callable(label) else label)
    return str(term_or_place.name)


def by_type(acts: QuerySet[Act]) -> CountTable:
    counts = dict(acts.values_list("act_type").annotate(n=Count("pk")).values_list("act_type", "n"))
    terms = {t.pk: t for t in Term.objects.filter(pk__in=counts)}
    labelled = sorted(((_lang_label(terms[k]), n) for k, n in counts.items()), key=lambda t: (-t[1], t[0]))
    return partition("types", _("Documented acts by type"), _("acts"), labelled)


def act_year(start: dt.date | None, end: dt.date | None) -> int | None:
    if start is None or end is None or start.year != end.year:
        return None
    return start.year


def by_year(acts: QuerySet[Act]) -> CountTable:
    years = Counter(
        act_year(s, e) for s, e in acts.values_list("date_start", "date_end").iterator(chunk_size=5000)
    )
    known = sorted(y for y in years if y is not None)
    labelled = [(str(y), years[y]) for y in range(known[0], known[-1] + 1)] if known else []
    if years[None]:
        labelled.append((_("Date unknown or spanning years"), years[None]))
    return partition("years", _("Documented acts by year"), _("acts"), labelled)


def _province_code(path: str | None) -> str | None:
    parts = [p for p in (path or "").split("/") if p]
    return parts[1] if len(parts) > 1 else (parts[0] if parts else None)


def by_place(acts: QuerySet[Act]) -> CountTable:
    """Acts by province (or country, where no finer place is recorded)."""
    codes = Counter(
        _province_code(p) for p in acts.values_list("location__path", flat=True).iterator(chunk_size=5000)
    )
    places = {loc.code: loc for loc in Location.objects.filter(code__in=[c for c in codes if c])}
    countries = {loc.code: loc for loc in Location.objects.filter(code__in={c.split("-")[0] for c in places})}

    def label(code: str | None) -> str:
        if code is None or code not in places:
            return _("Place unknown")
        place = places[code]
        country = countries.get(code.split("-")[0])
        if country is None or country.code == place.code:
            return place.name
        return f"{country.name} — {place.name}"

    labelled = sorted(((label(c), n) for c, n in codes.items()), key=lambda t: (-t[1], t[0]))
    return partition("places", _("Documented acts by place (province)"), _("acts"), labelled)


def by_perpetrator_type(user: Any, acts: QuerySet[Act]) -> CountTable:
    """Acts by the type of perpetrator involved (an act may involve several types, or none recorded)."""
    involvements = policy.visible(user, Involvement.objects.filter(act__in=acts.values("pk")))
    through = Involvement.perpetrator_types.through
    rows = (
        through.objects.filter(involvement__in=involvements.values("pk"))
        .values("term_id")
        .annotate(n=Count("involvement__act_id", distinct=True))
    )
    counts = {r["term_id"]: r["n"] for r in rows}
    terms = {t.pk: t for t in Term.objects.filter(pk__in=counts)}
    labelled = sorted(((_lang_label(terms[k]), n) for k, n in counts.items()), key=lambda t: (-t[1], t[0]))
    return flags(
        "perpetrators", _("Documented acts by type of perpetrator"), _("acts"), acts.count(), labelled
    )


@dataclass
class PatternCount:
    pattern: Pattern
    shown: str
    value: int


def by_pattern(acts: QuerySet[Act], lang: str) -> tuple[CountTable, list[Pattern]]:
    """Acts by violation pattern (an act may fall in several), and the patterns found (for the obligations)."""
    counts = dict(acts.values_list("act_type").annotate(n=Count("pk")).values_list("act_type", "n"))
    paths = dict(Term.objects.filter(pk__in=counts).values_list("pk", "path"))
    per_pattern: Counter[str] = Counter()
    found: dict[str, Pattern] = {}
    for term_id, n in counts.items():
        for pattern in obligations().patterns_for_path(paths[term_id]):
            per_pattern[pattern.code] += n
            found[pattern.code] = pattern
    ordered = [p for p in obligations().patterns if p.code in found]
    labelled = [(p.label(lang), per_pattern[p.code]) for p in ordered]
    table = flags(
        "patterns", _("Documented acts by violation pattern"), _("acts"), sum(counts.values()), labelled
    )
    return table, ordered


def victims_total(acts: QuerySet[Act]) -> tuple[str, int]:
    n = acts.values("victim_id").distinct().count()
    return disclosure.disclose_total(n, THRESHOLD), n
