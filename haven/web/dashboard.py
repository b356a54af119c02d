"""Dashboard: counts of documented acts by type, year, province, victim's sex and detention facility.

Every count starts from the acts the user may see (granted compartments, cleared confidentiality) whose
victim the user may also see, the same rule as the search page; the five charts are five GROUP BYs of one
statement. Each chart is a partition of the same acts, protected by Haven's small-cell rules
(:func:`haven.analytics.disclosure.protect_partition`, whoever looks): counts from 1 to 4 are shown as "<5"
or withheld together with another cell, so that none can be worked out from the others, and a breakdown of
fewer than 10 acts is not shown. No chart crosses two characteristics of the victims. Shown counts are listed
largest first, the others by label, so that their order gives nothing away.

The map (:mod:`haven.web.map`) shares the filter form and the act selector defined here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, Func, IntegerField, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from haven.accounts import policy
from haven.analytics.disclosure import WITHHELD, disclose_total, min_population, protect_partition
from haven.audit.models import AuditAction
from haven.audit.services import audit_record
from haven.charts import Series, bar_chart
from haven.places.models import Location
from haven.records import access
from haven.records.imprecise import in_period
from haven.records.models import Act, Sex
from haven.vocab.models import Term
from haven.web import recount, search
from haven.web.searchcache import record_write_stamps

# The search filters that make sense for counts over the whole corpus.
AGGREGATE_FILTERS = ("act_type", "year_from", "year_to", "certainty", "place")

# Where an act happened, for counting by place: its facility, else its own place, else its event's place.
ACT_PLACE = Coalesce(F("facility_id"), F("location_id"), F("event__location_id"))


class Year(Func):
    """The year of a date column, computed by the database itself.

    Django's ``ExtractYear`` calls back into Python for every row on SQLite (several times slower over the
    whole act table); SQLite stores dates as ISO text, so the year is the first four characters.
    """

    template = "CAST(EXTRACT(YEAR FROM %(expressions)s) AS integer)"
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="CAST(substr(%(expressions)s, 1, 4) AS integer)")


class AggregateFilterForm(search.SearchForm):
    """The search page's filter form narrowed to type of act, period and place (everything inside it)."""

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        for name in list(self.fields):
            if name not in AGGREGATE_FILTERS:
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("year_from"), data.get("year_to")
        if start is not None and end is not None and start > end:
            self.add_error(
                "year_to",
                gettext_lazy("The period ends (%(end)s) before it starts (%(start)s).")
                % {"start": start, "end": end},
            )
        return data

    def filters(self) -> search.Filters:
        """Return the validated filters (call after :meth:`is_valid`)."""
        return search.Filters.from_form(self.cleaned_data)

    def query_params(self) -> dict[str, str]:
        """Return the validated filters as query parameters, for links to the search page and the data."""
        out: dict[str, str] = {}
        data = self.cleaned_data
        for name in AGGREGATE_FILTERS:
            value = data.get(name)
            if value in (None, ""):
                continue
            out[name] = str(value.pk) if hasattr(value, "pk") else str(value)
        return out


def visible_acts(user: Any) -> QuerySet[Act]:
    """Return the acts ``user`` may see whose victim they may also see (as the search page counts them).

    The victim's compartment and level are checked on the joined victim row (the policy's own filter, given
    the victim's fields): one join, which the charts reuse for the victim's sex.
    """
    return policy.visible(
        user,
        access.acts_visible_to(user),
        compartment_field="victim__compartment",
        confidentiality_field="victim__confidentiality",
    )


def filtered_acts(user: Any, filters: search.Filters) -> QuerySet[Act]:
    """Return the visible acts of the type, period (the act's own date) and place asked for."""
    acts = visible_acts(user)
    if filters.act_type:
        acts = acts.filter(act_type__path__startswith=filters.act_type.path)
    if filters.year_from or filters.year_to:
        start = date(filters.year_from or 1000, 1, 1)
        end = date(filters.year_to or 2999, 12, 31)
        acts = acts.filter(in_period("date", start, end, certain=filters.certain))
    if filters.place:
        inside = Location.objects.filter(path__startswith=filters.place.path).values("pk")
        acts = acts.alias(at_place=ACT_PLACE).filter(at_place__in=inside)
    return acts.order_by()


# ---- charts ------------------------------------------------------------------------------------------------


@dataclass
class Cell:
    """One category of a chart as shown: its count already protected (a number, "<5" or "withheld")."""

    key: str
    label: str
    shown: str
    number: bool
    sub: str = ""
    url: str = ""


@dataclass
class Chart:
    slug: str
    title: str
    description: str
    column_label: str
    cells: list[Cell]
    svg: str = ""
    note: str = ""
    too_few: str = ""  # why no breakdown is shown (too few acts), with the total as it may be shown


def _shown(label: str) -> str:
    return str(_("withheld")) if label == WITHHELD else label


def _protect(
    rows: list[tuple[str, str, int, str]], *, order: str, rest: tuple[int, ...] = ()
) -> tuple[list[Cell], list[float | None], list[str]] | None:
    """Protect (key, label, count, sub-label) rows as one partition of the acts, with the ``rest`` of it.

    ``rest`` holds the counts of the partition's other cells, shown apart or not at all (acts without a date,
    without a place, at no facility): they take part in the protection, so that no hidden count can be worked
    out from the total. Returns the cells, the values to draw (None: no bar, the label is printed instead),
    and the labels of ``rest``; or None when there are too few acts for any breakdown.

    ``order="count"`` leaves out empty categories and lists the shown counts largest first, then the others
    ("<5", withheld) by label, so that their order gives nothing away; ``order="given"`` keeps every row.
    """
    if order == "count":
        rows = [r for r in rows if r[2] > 0]
    labels = protect_partition([n for _k, _l, n, _s in rows] + list(rest))
    if labels is None:
        return None
    shown = list(zip(rows, labels[: len(rows)], strict=True))
    if order == "count":
        numbers = sorted((x for x in shown if x[1].isdigit()), key=lambda x: (-x[0][2], x[0][1]))
        others = sorted((x for x in shown if not x[1].isdigit()), key=lambda x: x[0][1])
        shown = numbers + others
    cells = [
        Cell(key=key, label=label, shown=_shown(text), number=text.isdigit(), sub=sub)
        for (key, label, _n, sub), text in shown
    ]
    values: list[float | None] = [n if text.isdigit() else None for (_k, _l, n, _s), text in shown]
    return cells, values, [_shown(t) for t in labels[len(rows) :]]


def _chart(
    slug: str,
    title: str,
    description: str,
    column_label: str,
    protected: tuple[list[Cell], list[float | None], list[str]] | None,
    total: int,
    *,
    vertical: bool = False,
    note: str = "",
    category_labels: list[str] | None = None,
) -> Chart:
    if protected is None:
        too_few = _(
            "%(total)s acts: too few to break down (a breakdown of fewer than %(min)s could single people out)."
        ) % {"total": disclose_total(total), "min": min_population()}
        return Chart(slug, title, description, column_label, [], too_few=too_few)
    cells, values, _rest = protected
    lang = (get_language() or "en").split("-")[0]
    svg = bar_chart(
        category_labels if category_labels is not None else [c.label for c in cells],
        Series(_("Acts"), values, labels=[None if c.number else c.shown for c in cells]),
        title=title,
        description=description,
        orientation="vertical" if vertical else "horizontal",
        value_label=_("Acts"),
        # A rotated axis title beside horizontal bars gets cut short; the data table names the column.
        category_label=column_label if vertical else "",
        height=300,
        show_title=False,
        lang=lang,
        id_prefix=f"chart-{slug}",
    )
    return Chart(slug, title, description, column_label, cells, svg=svg, note=note)


@dataclass
class Dashboard:
    charts: list[Chart]
    any_acts: bool
    stale_since: datetime | None = None  # see Counted


def _term_label(term: Term | None) -> str:
    return term.label if term is not None else ""


def search_url(params: dict[str, str], **extra: object) -> str:
    """Return the search page's URL for ``params`` (the current filters) with ``extra`` replacing some."""
    query = dict(params) | {k: str(v) for k, v in extra.items()}
    return reverse("web:search") + "?" + urlencode(query)


# ---- counts, cached per visibility class and version of the records ------------------------------------------

T = TypeVar("T")


def records_version() -> str:
    """Return a stamp that changes whenever documentation records change: the time of the latest write of each kind."""
    written, params = record_write_stamps()
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(written), params)  # noqa: S608
        row = cursor.fetchone()
    return "|".join("" if v is None else str(v) for v in row)


@dataclass
class Counted(Generic[T]):
    """Counts from :func:`cached_counts`.

    Attributes:
        value: The counts.
        stale_since: None when the counts are of the records as they are now; else when the counts were made
            (records have changed since, and fresh counts are being made in the background).
    """

    value: T
    stale_since: datetime | None = None


def cached_counts(user: Any, filters: search.Filters, kind: str, compute: Callable[[], T]) -> Counted[T]:
    """Return ``compute()``, cached for everyone who sees the same records, and kept up to date.

    Counts depend only on the granted compartments, the cleared levels and the filters, so users of the same
    visibility class share them. Each entry holds the :func:`records_version` it was counted at and its time.
    Kept counts are used as they are while the version is the same and they are younger than
    ``HAVEN_COUNTS_CACHE_SECONDS`` (default 300; 0 turns the cache off: the age bounds how long a change made
    outside the services, which write no audit entry and so no new version, can go unseen). Otherwise they
    are counted again (:mod:`haven.web.recount`): in the background, the kept counts being returned meanwhile
    (marked with their time when the records have changed since), as long as they are less than
    :data:`haven.web.recount.KEEP_FACTOR` times that age; older ones, or none, are counted while the reader
    waits. Only counts are cached, never a label or a record.
    """
    ttl = int(getattr(settings, "HAVEN_COUNTS_CACHE_SECONDS", 300))
    if ttl <= 0:
        return Counted(compute())
    source = json.dumps(
        [kind, sorted(policy.compartment_ids(user)), sorted(policy.clearance(user)), filters.for_audit()],
        sort_keys=True,
    )
    key = "haven.web.counts:" + hashlib.sha256(source.encode()).hexdigest()
    version = records_version()
    kept = cache.get(key)

    def count_and_keep() -> T:
        value = compute()
        cache.set(key, {"version": version, "value": value, "at": timezone.now()}, ttl * recount.KEEP_FACTOR)
        return value

    if kept is None:
        return Counted(count_and_keep())
    changed = kept["version"] != version
    if not changed and timezone.now() - kept["at"] < timedelta(seconds=ttl):
        return Counted(kept["value"])
    if not recount.in_background():
        return Counted(count_and_keep())
    recount.recount_in_background(
        f"{key}:{hashlib.sha256(version.encode()).hexdigest()[:16]}", count_and_keep
    )
    return Counted(kept["value"], stale_since=kept["at"] if changed else None)


# What each chart counts by, in the order of the grouping sets.
CHART_KEYS = ("act_type_id", "year", "at_place", "victim_sex", "facility_id")


def grouped_counts(acts: QuerySet[Act]) -> list[dict[Any, int]]:
    """Count ``acts`` by type, year, place, victim's sex and facility: five GROUP BYs in one statement.

    The acts, their victims and their events are read once, not once per chart. PostgreSQL computes the five
    groupings in that one pass (GROUPING SETS); SQLite, which has no grouping sets, groups a common table
    expression five times (a CTE used more than once is materialized: the acts are still read once).
    Returns one {key: count} per entry of :data:`CHART_KEYS`; a None key counts acts without that value.
    """
    rows = acts.annotate(
        year=Year("date_start"), at_place=ACT_PLACE, victim_sex=F("victim__sex")
    ).values_list(*CHART_KEYS)
    out: list[dict[Any, int]] = [{} for _ in CHART_KEYS]
    try:
        # Only Django's compiled SQL (values passed as parameters) and integers go into the statement.
        inner, params = rows.query.sql_with_params()
    except EmptyResultSet:  # nothing can match (no compartment granted, say): Django asks no question
        return out
    names = ", ".join(f"k{i}" for i in range(len(CHART_KEYS)))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sets = ", ".join(f"(k{i})" for i in range(len(CHART_KEYS)))
            cursor.execute(
                f"WITH s({names}) AS ({inner}) SELECT GROUPING({names}), {names}, COUNT(*) FROM s "  # noqa: S608
                f"GROUP BY GROUPING SETS ({sets})",
                params,
            )
            # GROUPING() sets one bit per key left out of the row's grouping, the first key highest.
            full = (1 << len(CHART_KEYS)) - 1
            which = {full ^ (1 << (len(CHART_KEYS) - 1 - i)): i for i in range(len(CHART_KEYS))}
            for mask, *values in cursor.fetchall():
                i = which[mask]
                out[i][values[i]] = values[-1]
        else:
            selects = " UNION ALL ".join(
                f"SELECT {i}, k{i}, COUNT(*) FROM s GROUP BY k{i}"  # noqa: S608
                for i in range(len(CHART_KEYS))
            )
            cursor.execute(f"WITH s({names}) AS ({inner}) {selects}", params)  # noqa: S608
            for i, value, n in cursor.fetchall():
                out[i][value] = n
    return out


def build(user: Any, filters: search.Filters, params: dict[str, str] | None = None) -> Dashboard:
    """Return the dashboard's charts: one statement for the counts, and one look-up each for their labels.

    ``params`` are the filters as query parameters: each category links to the search for it.
    """
    params = params or {}
    counted = cached_counts(user, filters, "dashboard", lambda: grouped_counts(filtered_acts(user, filters)))
    by_type, by_year, by_place, by_sex, by_facility = (dict(d) for d in counted.value)
    by_type.pop(None, None)
    by_sex.pop(None, None)
    by_facility.pop(None, None)
    terms = Term.objects.in_bulk(list(by_type))
    places = Location.objects.select_related("facility_type").in_bulk()
    by_code = {p.code: p for p in places.values()}
    total = sum(by_type.values())
    charts: list[Chart] = []

    # Types of act.
    rows = [(str(k), _term_label(terms.get(k)), n, "") for k, n in by_type.items()]
    protected = _protect(rows, order="count")
    for c in protected[0] if protected else []:
        c.url = search_url(params, act_type=c.key)
    charts.append(
        _chart(
            "types",
            _("Acts by type"),
            _(
                "Number of documented acts of each type, largest first; small counts are shown as <5 or withheld."
            ),
            _("Type of act"),
            protected,
            total,
        )
    )

    # Years: every year from the first to the last, so that a year without acts shows as a gap.
    undated = by_year.pop(None, 0)
    years = list(range(min(by_year), max(by_year) + 1)) if by_year else []
    rows = [(str(y), str(y), by_year.get(y, 0), "") for y in years]
    protected = _protect(rows, order="given", rest=(undated,))
    for c in protected[0] if protected else []:
        c.url = search_url(params, year_from=c.key, year_to=c.key)
    charts.append(
        _chart(
            "years",
            _("Acts by year"),
            _("Number of documented acts by the year their date starts in, earliest first."),
            _("Year"),
            protected,
            total,
            vertical=True,
            note=_("Acts with no known date: %(n)s") % {"n": protected[2][0]}
            if protected and undated
            else "",
        )
    )

    # Places, rolled up to the province (or the country where no province is recorded).
    province_counts: dict[str, int] = {}
    unplaced = by_place.pop(None, 0)
    for place_id, n in by_place.items():
        code = _province_code(places.get(place_id))
        if code:
            province_counts[code] = province_counts.get(code, 0) + n
        else:
            unplaced += n
    rows = []
    for code, n in province_counts.items():
        province = by_code[code]
        country = _country(province, by_code)
        rows.append((code, province.name, n, country.name if country is not province else ""))
    protected = _protect(rows, order="count", rest=(unplaced,))
    for c in protected[0] if protected else []:
        c.url = search_url(params, place=by_code[c.key].pk)
    charts.append(
        _chart(
            "places",
            _("Acts by place (province)"),
            _("Number of documented acts in each province, or in a country where no province is recorded."),
            _("Province"),
            protected,
            total,
            note=_("Acts with no recorded place: %(n)s") % {"n": protected[2][0]}
            if protected and unplaced
            else "",
            category_labels=[f"{c.label} ({c.sub})" if c.sub else c.label for c in protected[0]]
            if protected
            else None,
        )
    )

    # Victims' sex (one characteristic only: no cross-tabulation that could single a person out).
    rows = [(v, str(label), by_sex.get(v, 0), "") for v, label in Sex.choices]
    protected = _protect(rows, order="count")
    for c in protected[0] if protected else []:
        c.url = search_url(params, victim_sex=c.key)
    charts.append(
        _chart(
            "sex",
            _("Acts by victim's sex"),
            _("Number of documented acts by the sex of their victim."),
            _("Victim's sex"),
            protected,
            total,
        )
    )

    # Detention facilities; the acts at no facility complete the partition (and are not shown).
    rows = []
    for place_id, n in by_facility.items():
        facility = places[place_id]
        rows.append((str(place_id), facility.name, n, _term_label(facility.facility_type)))
    protected = _protect(rows, order="count", rest=(total - sum(by_facility.values()),))
    for c in protected[0] if protected else []:
        c.url = reverse("web:place", args=[int(c.key)])
    charts.append(
        _chart(
            "facilities",
            _("Detention facilities by number of documented acts"),
            _("Detention facilities ranked by the number of documented acts that took place there."),
            _("Detention facility"),
            protected,
            total,
        )
    )
    return Dashboard(charts=charts, any_acts=bool(total), stale_since=counted.stale_since)


def _province_code(place: Location | None) -> str:
    """Return the code of the province (second level) holding ``place``, or its country's code."""
    if place is None:
        return ""
    codes = [c for c in place.path.split("/") if c]
    return codes[1] if len(codes) >= 2 else (codes[0] if codes else "")


def _country(place: Location, by_code: dict[str, Location]) -> Location:
    codes = [c for c in place.path.split("/") if c]
    return by_code.get(codes[0], place) if codes else place


def dashboard_page(request: HttpRequest) -> HttpResponse:
    if not policy.has(request.user, policy.C.VIEW_RECORDS):
        raise Http404("No such page.")
    form = AggregateFilterForm(request.GET or None, user=request.user)
    context: dict[str, Any] = {"form": form}
    if not form.is_bound or form.is_valid():
        filters = form.filters() if form.is_bound else search.Filters()
        board = build(request.user, filters, form.query_params() if form.is_bound else {})
        audit_record(
            actor=request.user,
            action=AuditAction.RECORD_SEARCHED,
            request=request,
            details={"via": "dashboard", "filters": filters.for_audit()},
        )
        context["board"] = board
    return render(request, "web/dashboard.html", context)
