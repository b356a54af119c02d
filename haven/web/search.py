"""Search over event narratives and persons' names, with filters and facet counts.

Every queryset starts from :func:`haven.accounts.policy.visible`; filters that reach into acts,
involvements or victims go through visible rows only, so a record the user may not see can neither
make an event match nor change a count.

At scale (hundreds of thousands of events) a search is one SQL statement: the matching events are found
once and every facet is one GROUP BY over them, with the total and the ids of the page shown (no separate
COUNT(*), no facet evaluating the text search again). Its result is kept for everyone with the same access
until the records change (:mod:`haven.web.searchcache`), so paging, going back and the same search by a
colleague cost a few small queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page
from django.db import connection, transaction
from django.db.models import DateField, F, Func, IntegerField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from haven.accounts import policy
from haven.accounts.models import Organisation
from haven.lib.paging import CountedPaginator
from haven.lib.widgets import ListedChoices, QuickSelect
from haven.places.models import Location
from haven.records.imprecise import in_period
from haven.records.models import Act, Confidentiality, Event, Involvement, Person, Sex
from haven.records.services import persons_find_by_name
from haven.vocab.models import Term
from haven.web import recount, searchcache
from haven.web.textsearch import ParsedQuery, parse_query

PAGE_SIZE = 20
WORK_MEM = "32MB"  # PostgreSQL work_mem for the statement that counts a search
MAX_PERSONS = 50
AGE_BANDS: list[tuple[str, int | None, int | None]] = [
    ("0-17", 0, 17),
    ("18-29", 18, 29),
    ("30-49", 30, 49),
    ("50+", 50, None),
]


class OrganisationChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    widget = QuickSelect
    iterator = ListedChoices


class TermChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    widget = QuickSelect
    iterator = ListedChoices
    keep_choices = True

    def label_from_instance(self, obj: Any) -> str:
        return f"{'— ' * max(obj.depth - 1, 0)}{obj.label}"


class PlaceChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    widget = QuickSelect
    iterator = ListedChoices
    keep_choices = True

    def label_from_instance(self, obj: Any) -> str:
        return f"{'— ' * max(obj.path.count('/') - 2, 0)}{obj.name}"


class Year(Func):
    """The year of a date. Django's ExtractYear calls a Python function for every row on SQLite."""

    template = "EXTRACT(YEAR FROM %(expressions)s)"
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="CAST(strftime('%%%%Y', %(expressions)s) AS integer)", **extra
        )


class NotByIndex(Func):
    """A column SQLite's planner may not look up by index (SQLite's unary plus); the column itself elsewhere."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="+%(expressions)s", **extra)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=500, required=False)
    act_type = TermChoiceField(
        label=_("Type of act"), queryset=Term.objects.none(), required=False, empty_label=_("Any")
    )
    year_from = forms.IntegerField(label=_("From year"), min_value=1900, max_value=2100, required=False)
    year_to = forms.IntegerField(label=_("To year"), min_value=1900, max_value=2100, required=False)
    certainty = forms.ChoiceField(
        label=_("Dates"),
        choices=[("certain", _("certainly in the period")), ("possible", _("possibly in the period"))],
        required=False,
    )
    place = PlaceChoiceField(
        label=_("Place (and everything inside it)"),
        queryset=Location.objects.none(),
        required=False,
        empty_label=_("Anywhere"),
    )
    perpetrator_type = TermChoiceField(
        label=_("Perpetrator type"), queryset=Term.objects.none(), required=False, empty_label=_("Any")
    )
    victim_sex = forms.ChoiceField(label=_("Victim's sex"), required=False)
    age_min = forms.IntegerField(
        label=_("Victim's age at the time, from"), min_value=0, max_value=120, required=False
    )
    age_max = forms.IntegerField(label=_("to"), min_value=0, max_value=120, required=False)
    organisation = OrganisationChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), required=False, empty_label=_("Any")
    )
    confidentiality = forms.ChoiceField(label=_("Confidentiality"), required=False)
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the columns the choices show: the gazetteer's JSON and coordinates are not parsed for each option.
        terms = (
            Term.objects.filter(retired=False)
            .order_by("path")
            .only("code", "path", "depth", "label_en", "label_ko")
        )
        self.fields["act_type"].queryset = terms.filter(vocabulary__code="act-types")  # type: ignore[attr-defined]
        self.fields["perpetrator_type"].queryset = terms.filter(vocabulary__code="perpetrator-types")  # type: ignore[attr-defined]
        self.fields["place"].queryset = Location.objects.order_by("path").only(  # type: ignore[attr-defined]
            "code", "path", "name_en", "name_ko"
        )
        self.fields["organisation"].queryset = (
            Organisation.objects.filter(  # type: ignore[attr-defined]
                compartments__in=policy.compartment_ids(user)
            )
            .distinct()
            .order_by("code")
        )
        self.fields["victim_sex"].choices = [("", _("Any")), *Sex.choices]  # type: ignore[attr-defined]
        cleared = policy.clearance(user)
        self.fields["confidentiality"].choices = [  # type: ignore[attr-defined]
            ("", _("Any")),
            *[(v, label) for v, label in Confidentiality.choices if v in cleared],
        ]


@dataclass(frozen=True)
class Filters:
    act_type: Term | None = None
    year_from: int | None = None
    year_to: int | None = None
    certain: bool = True
    place: Location | None = None
    perpetrator_type: Term | None = None
    victim_sex: str = ""
    age_min: int | None = None
    age_max: int | None = None
    organisation: Organisation | None = None
    confidentiality: str = ""

    @classmethod
    def from_form(cls, data: dict[str, Any]) -> Filters:
        return cls(
            act_type=data.get("act_type"),
            year_from=data.get("year_from"),
            year_to=data.get("year_to"),
            certain=data.get("certainty") != "possible",
            place=data.get("place"),
            perpetrator_type=data.get("perpetrator_type"),
            victim_sex=data.get("victim_sex") or "",
            age_min=data.get("age_min"),
            age_max=data.get("age_max"),
            organisation=data.get("organisation"),
            confidentiality=data.get("confidentiality") or "",
        )

    def for_audit(self) -> dict[str, Any]:
        """The filters as plain JSON for the audit entry (codes and ids; nothing identifying)."""
        out: dict[str, Any] = {
            "act_type": self.act_type.code if self.act_type else None,
            "year_from": self.year_from,
            "year_to": self.year_to,
            "certain": self.certain,
            "place": self.place.code if self.place else None,
            "perpetrator_type": self.perpetrator_type.code if self.perpetrator_type else None,
            "victim_sex": self.victim_sex or None,
            "age_min": self.age_min,
            "age_max": self.age_max,
            "organisation": self.organisation.code if self.organisation else None,
            "confidentiality": self.confidentiality or None,
        }
        return {k: v for k, v in out.items() if v is not None and k != "certain"} | (
            {"certain": self.certain} if self.year_from or self.year_to else {}
        )


@dataclass
class Facet:
    name: str
    label: Any
    values: list[tuple[str, str, str]] = field(default_factory=list)  # (value, label, count as shown)


@dataclass
class SearchResult:
    events: QuerySet[Event]  # every matching event, in list order (lazy: iterate only a slice of it)
    count: int | None  # how many events match; None: more than the page shows, being counted (see run_search)
    page: Page[Event]  # the requested page of ``events``, already fetched
    persons: list[Person]
    facets: list[Facet] | None  # None: being counted in the background (see run_search)
    names_searched: bool


class OpenPaginator(CountedPaginator):
    """The paginator of a search not counted yet, told how many events are known to exist: those up to the page
    shown and at least one more. It links to the next page and says nothing of how many pages there are."""

    open = True


# List order, the same on both databases: SQLite puts NULLs first and PostgreSQL last unless told.
EVENT_ORDER = (F("date_start").asc(nulls_last=True), F("date_end").asc(nulls_last=True), F("pk").asc())
_ORDER_SQL = '"ds" ASC NULLS LAST, "de" ASC NULLS LAST, "eid" ASC'

_fts_available: bool | None = None


def _sqlite_fts() -> bool:
    global _fts_available
    if _fts_available is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'web_eventtext_fts'")
            _fts_available = cursor.fetchone() is not None
    return _fts_available


_FTS_MATCH = "SELECT rowid FROM web_eventtext_fts WHERE web_eventtext_fts MATCH %s"
FTS_SELECTIVE = 5000  # an FTS5 term matching fewer events than this narrows faster than a scan


def _fts_selective(phrase: str) -> bool:
    """Tell whether an FTS5 phrase matches few enough events to be worth using (reads at most a few thousand)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({_FTS_MATCH} LIMIT %s)", [phrase, FTS_SELECTIVE])  # noqa: S608
        return bool(cursor.fetchone()[0] < FTS_SELECTIVE)


def _text_filter(parsed: ParsedQuery) -> Q:
    q = Q()
    for term in parsed.include:
        q &= Q(search_text__text__contains=term)
        if connection.vendor == "sqlite" and len(term) >= 3 and _sqlite_fts():
            # The FTS5 trigram index narrows the rows; the LIKE above still decides (the same as on PostgreSQL).
            # For a common term (a phrase of frequent trigrams) it is slower than scanning: then it is left out,
            # as PostgreSQL's planner leaves out its trigram index.
            phrase = '"' + term.replace('"', '""') + '"'
            if _fts_selective(phrase):
                q &= Q(pk__in=RawSQL(_FTS_MATCH, [phrase]))  # noqa: S611 - a constant; the phrase is a parameter
    for term in parsed.exclude:
        q &= ~Q(search_text__text__contains=term)
    return q


def _visible_acts(user: Any) -> QuerySet[Act]:
    """Return the acts ``user`` may see whose victim they may also see (an inner join, not a subquery)."""
    acts = policy.visible(user, Act.objects.all())
    return policy.visible(
        user, acts, compartment_field="victim__compartment", confidentiality_field="victim__confidentiality"
    )


def _visible_perpetrator_types(user: Any) -> QuerySet[Any]:
    """Return the (involvement, perpetrator type) links of the involvements ``user`` may see."""
    links = Involvement.perpetrator_types.through.objects.all()
    return policy.visible(
        user,
        links,
        compartment_field="involvement__compartment",
        confidentiality_field="involvement__confidentiality",
    )


def _in_period(filters: Filters, prefix: str = "date") -> Q:
    start = date(filters.year_from or 1000, 1, 1)
    end = date(filters.year_to or 2999, 12, 31)
    return in_period(prefix, start, end, certain=filters.certain)


def filter_events(
    user: Any, parsed: ParsedQuery, filters: Filters, *, among: list[int] | None = None
) -> QuerySet[Event]:
    """Return the visible events matching the text and the filters, in date order; only ``among`` these ids
    if given (the acts and perpetrators looked at are theirs only: SQLite would otherwise list those of every
    event matching an act's conditions before looking at any of the ids)."""
    events = policy.visible(user, Event.objects.all())
    if among is not None:
        events = events.filter(pk__in=among)
    if parsed.include or parsed.exclude:
        events = events.filter(_text_filter(parsed))
    if (filters.year_from or filters.year_to) and parsed.include and among is None:
        # The words decide which events are read, the period only filters them: SQLite would otherwise read
        # every event of the period by its date index and look up each one's text (1.1 s for a year range of the
        # large benchmark instance, 0.2 s reading the texts).
        events = events.alias(
            unindexed_date_start=NotByIndex("date_start", output_field=DateField()),
            unindexed_date_end=NotByIndex("date_end", output_field=DateField()),
        ).filter(_in_period(filters, "unindexed_date"))
    elif filters.year_from or filters.year_to:
        events = events.filter(_in_period(filters))
    if filters.place:
        events = events.filter(location__path__startswith=filters.place.path)
    if filters.organisation:
        events = events.filter(organisation=filters.organisation)
    if filters.confidentiality:
        events = events.filter(confidentiality=filters.confidentiality)
    act_q = Q()
    if filters.act_type:
        act_q &= Q(act_type__path__startswith=filters.act_type.path)
    if filters.victim_sex:
        act_q &= Q(victim__sex=filters.victim_sex)
    if filters.age_min is not None:
        act_q &= Q(victim_age__gte=filters.age_min)
    if filters.age_max is not None:
        act_q &= Q(victim_age__lte=filters.age_max)
    if act_q:
        # One act must satisfy every act-level condition (type, victim's sex and age together).
        acts = _visible_acts(user).filter(act_q)
        if among is not None:
            acts = acts.filter(event_id__in=among)
        events = events.filter(pk__in=acts.values("event_id"))
    if filters.perpetrator_type:
        links = _visible_perpetrator_types(user).filter(term__path__startswith=filters.perpetrator_type.path)
        if among is not None:
            links = links.filter(involvement__event_id__in=among)
        events = events.filter(pk__in=links.values("involvement__event_id"))
    return events.select_related("location").order_by(*EVENT_ORDER)


# A new search's page, before anything is counted, is looked for among the first WINDOW events in list order that
# its reader may see in the period asked (read in date order from an index): a common word fills a page from the
# first few hundred of them, where counting all its matches reads hundreds of thousands of texts. The total is
# then counted with the facets. A word rare among them leaves the window short of a page: that search is counted
# whole while the reader waits, as any was before (fast where the trigram index narrows it, a scan otherwise).
WINDOW = 2000


def _window(user: Any, filters: Filters) -> QuerySet[Event]:
    """Return the first WINDOW visible events of the period in list order: any search in that period, its
    matches in the same order, has its first matches among them (and all of them if fewer than WINDOW)."""
    events = policy.visible(user, Event.objects.all())
    if filters.year_from or filters.year_to:
        events = events.filter(_in_period(filters))
    return events.order_by(*EVENT_ORDER)[:WINDOW]


def _page_from_window(
    user: Any, parsed: ParsedQuery, filters: Filters, number: int
) -> tuple[list[int], int | None] | None:
    """Return the ids of page ``number`` of the search found in the window, and its total if the window held
    all its matches (else None: more than the page exist); None if the window does not hold that page."""
    offset = (number - 1) * PAGE_SIZE
    if offset + PAGE_SIZE >= WINDOW:
        return None
    # The window's ids first, then the search among them: its size and its matches are of one moment (two
    # statements over the window could see a write between them and take a full window for a short one).
    window = list(_window(user, filters).values_list("pk", flat=True))
    if not window:
        return [], 0
    events = filter_events(user, parsed, filters, among=window)
    ids = list(events.values_list("pk", flat=True)[: offset + PAGE_SIZE + 1])
    if len(ids) > offset + PAGE_SIZE:
        return ids[offset : offset + PAGE_SIZE], None
    if len(window) < WINDOW:  # the window is every event the search could match: these are all its matches
        return ids[offset:], len(ids)
    return None


def _count(n: int, *, people: bool, user: Any) -> str:
    return policy.disclose_count(n) if people and not policy.has(user, policy.C.VIEW_IDENTIFYING) else str(n)


def _sql(queryset: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


# The acts and perpetrator types of the matching events: a join (not IN), so that PostgreSQL knows how many
# events match and hashes the tables when they are many instead of probing an index once per event.
_JOINED = 'SELECT "v".* FROM ({}) AS "v" INNER JOIN "matches" ON "matches"."eid" = "v"."ev"'
_AGE_BAND_SQL = "CASE {} END".format(
    " ".join(
        f"WHEN {'' if low == 0 else f'age >= {int(low)} AND '}"
        f"{f'age <= {int(high)}' if high is not None else 'age IS NOT NULL'} THEN {i}"
        for i, (_name, low, high) in enumerate(AGE_BANDS)
    )
)
# One GROUP BY per facet over the matching events ("matches") and their visible acts ("acts"). Rows are
# (kind, int key, text key, int key 2, text key 2, count). COUNT(DISTINCT ...) would make PostgreSQL sort;
# a DISTINCT subquery first lets both databases hash or use a temporary index instead.
_FACET_SQL = [
    'SELECT \'e\', CAST("y" AS integer), "path", "org", "conf", COUNT(*) FROM "matches" '
    'GROUP BY "y", "path", "org", "conf"',
    'SELECT \'t\', "ty", NULL, NULL, NULL, COUNT(*) FROM (SELECT DISTINCT "ty", "ev" FROM "acts") AS "t" '
    'GROUP BY "ty"',
    'SELECT \'s\', NULL, "sex", NULL, NULL, COUNT(*) FROM (SELECT DISTINCT "sex", "vid" FROM "acts") AS "s" '
    'GROUP BY "sex"',
    "SELECT 'a', \"band\", NULL, NULL, NULL, COUNT(*) FROM "  # noqa: S608 - constants only
    f'(SELECT DISTINCT {_AGE_BAND_SQL} AS "band", "vid" FROM "acts" WHERE "age" IS NOT NULL) AS "b" '
    'WHERE "band" IS NOT NULL GROUP BY "band"',
]
_PTYPE_SQL = (  # the ORM's SQL for the visible perpetrator types goes in the braces
    f'SELECT \'p\', "pty", NULL, NULL, NULL, COUNT(*) FROM (SELECT DISTINCT "pty", "ev" FROM ({_JOINED}) AS "pt") '  # noqa: S608
    'AS "p" GROUP BY "pty"'
)
_TOTAL_SQL = "SELECT 'n', NULL, NULL, NULL, NULL, COUNT(*) FROM \"matches\""
_PAGE_SQL = (
    f"SELECT 'r', \"eid\", NULL, NULL, NULL, ROW_NUMBER() OVER (ORDER BY {_ORDER_SQL}) FROM "  # noqa: S608
    f'(SELECT "eid", "ds", "de" FROM "matches" ORDER BY {_ORDER_SQL} LIMIT %s OFFSET %s) AS "r"'
)


def _statement(
    user: Any, events: QuerySet[Event], page: tuple[int, int] | None, *, facets: bool = True
) -> tuple[str, list[Any]]:
    """Return one SQL statement giving every facet count (and the ids of one page) of ``events``.

    The matching events are computed once (the ``matches`` CTE) and every count is one GROUP BY over them,
    instead of each facet evaluating the text search again. The parts are the ORM's own SQL for the
    policy-filtered querysets, so visibility is decided exactly as everywhere else; every value in them is
    a parameter. Without ``facets``: only how many events match, and the page (the acts and perpetrators of
    the matching events, most of the statement's work for a common word, are left alone).
    """
    matches = events.order_by().values(
        eid=F("pk"),
        y=Year("date_start"),
        path=F("location__path"),
        org=F("organisation_id"),
        conf=F("confidentiality"),
        ds=F("date_start"),
        de=F("date_end"),
    )
    matches_sql, matches_params = _sql(matches)
    if not facets:
        limit, offset = page or (PAGE_SIZE, 0)
        return (
            f'WITH "matches" AS MATERIALIZED ({matches_sql}) {_TOTAL_SQL} UNION ALL {_PAGE_SQL}',
            [*matches_params, limit, offset],
        )
    acts = (
        _visible_acts(user)
        .order_by()
        .values(
            ev=F("event_id"),
            ty=F("act_type_id"),
            vid=F("victim_id"),
            age=F("victim_age"),
            sex=F("victim__sex"),
        )
    )
    ptypes = (
        _visible_perpetrator_types(user).order_by().values(ev=F("involvement__event_id"), pty=F("term_id"))
    )
    acts_sql, acts_params = _sql(acts)
    ptypes_sql, ptypes_params = _sql(ptypes)
    parts = [*_FACET_SQL, _PTYPE_SQL.format(ptypes_sql)]
    params: list[Any] = [*matches_params, *acts_params, *ptypes_params]
    if page is not None:
        parts.append(_PAGE_SQL)
        params += [page[0], page[1]]
    head = (
        f'WITH "matches" AS MATERIALIZED ({matches_sql}), '
        f'"acts" AS MATERIALIZED ({_JOINED.format(acts_sql)}) '
    )
    return head + " UNION ALL ".join(parts), params


def _rows(
    user: Any,
    events: QuerySet[Event],
    page: tuple[int, int] | None,
    *,
    facets: bool = True,
    background: bool = False,
) -> list[tuple[Any, ...]]:
    try:
        sql, params = _statement(user, events, page, facets=facets)
    except (
        EmptyResultSet
    ):  # nothing can match (no compartment granted, say): Django asks the database nothing
        return []
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()]
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # For this statement only: its hashes fit in memory instead of spilling to disk, and JIT compilation
        # (tens of milliseconds for a statement this size) is not worth it for a query that runs this fast.
        cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)", [WORK_MEM])
        if background:  # one core for the background count, never all of them: the readers keep the rest
            cursor.execute("SELECT set_config('max_parallel_workers_per_gather', '0', true)")
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


@dataclass
class _Aggregates:
    total: int | None  # None: not counted yet, more than the page exist
    page_ids: list[int]
    facets: list[Facet] | None


def _aggregates(
    user: Any, filters: Filters, rows: list[tuple[Any, ...]], *, facets: bool = True
) -> _Aggregates:
    """Turn the rows of :func:`_statement` into the total, the page's ids and the labelled facets."""
    by_year: dict[int, int] = {}
    by_path: dict[str, int] = {}
    by_org: dict[int, int] = {}
    by_level: dict[str, int] = {}
    by_type: dict[int, int] = {}
    by_sex: dict[str, int] = {}
    by_band: dict[int, int] = {}
    by_ptype: dict[int, int] = {}
    ranked: list[tuple[int, int]] = []
    total = 0
    for kind, ikey, tkey, ikey2, tkey2, n in rows:
        if kind == "e":
            total += n
            if ikey is not None:
                by_year[ikey] = by_year.get(ikey, 0) + n
            if tkey is not None:
                by_path[tkey] = by_path.get(tkey, 0) + n
            by_org[ikey2] = by_org.get(ikey2, 0) + n
            by_level[tkey2] = by_level.get(tkey2, 0) + n
        elif kind == "t":
            by_type[ikey] = n
        elif kind == "s":
            by_sex[tkey] = n
        elif kind == "a":
            by_band[ikey] = n
        elif kind == "p":
            by_ptype[ikey] = n
        elif kind == "n":
            total = n
        else:
            ranked.append((n, ikey))
    return _Aggregates(
        total=total,
        page_ids=[pk for _rank, pk in sorted(ranked)],
        facets=_facets(user, filters, by_year, by_path, by_org, by_level, by_type, by_sex, by_band, by_ptype)
        if facets
        else None,
    )


def _facets(
    user: Any,
    filters: Filters,
    by_year: dict[int, int],
    by_path: dict[str, int],
    by_org: dict[int, int],
    by_level: dict[str, int],
    by_type: dict[int, int],
    by_sex: dict[str, int],
    by_band: dict[int, int],
    by_ptype: dict[int, int],
) -> list[Facet]:
    """Return the facets, labelled, from the counts (a few small lookups of terms, places and organisations)."""
    terms = {t.pk: t for t in Term.objects.filter(pk__in=[*by_type, *by_ptype]).order_by("path")}
    types = [t for pk, t in terms.items() if pk in by_type]
    ptypes = [t for pk, t in terms.items() if pk in by_ptype]
    orgs = Organisation.objects.filter(pk__in=by_org).order_by("code")
    return [
        Facet("act_type", _("Type of act"), [(str(t.pk), t.label, str(by_type[t.pk])) for t in types]),
        Facet(
            "year",
            _("Year (start of the date)"),
            [(str(y), str(y), str(by_year[y])) for y in sorted(by_year)],
        ),
        Facet("place", _("Place"), _place_counts(by_path, filters.place)),
        Facet(
            "perpetrator_type",
            _("Perpetrator type"),
            [(str(t.pk), t.label, str(by_ptype[t.pk])) for t in ptypes],
        ),
        Facet(
            "victim_sex",
            _("Victims by sex"),
            [
                (v, str(label), _count(by_sex[v], people=True, user=user))
                for v, label in Sex.choices
                if v in by_sex
            ],
        ),
        Facet(
            "age",
            _("Victims by age at the time"),
            [
                (band, band, _count(by_band[i], people=True, user=user))
                for i, (band, _low, _high) in enumerate(AGE_BANDS)
                if by_band.get(i)
            ],
        ),
        Facet("organisation", _("Organisation"), [(str(o.pk), o.name_en, str(by_org[o.pk])) for o in orgs]),
        Facet(
            "confidentiality",
            _("Confidentiality"),
            [(v, str(label), str(by_level[v])) for v, label in Confidentiality.choices if v in by_level],
        ),
    ]


def facets(user: Any, events: QuerySet[Event], filters: Filters) -> list[Facet]:
    """Return counts of the matching events (or, for victims, people) by each filter's values."""
    return _aggregates(user, filters, _rows(user, events, None)).facets or []


def _place_counts(paths: dict[str, int], within: Location | None) -> list[tuple[str, str, str]]:
    """Count events in each place one level below ``within`` (or each country), everything inside included."""
    depth = within.path.count("/") if within else 1  # "/KP/" has 2 slashes: its children are one deeper
    counts: dict[str, int] = {}
    for path, n in paths.items():
        codes = [c for c in path.split("/") if c]
        if within and not path.startswith(within.path):
            continue
        if len(codes) < depth:
            continue
        code = codes[depth - 1]
        counts[code] = counts.get(code, 0) + n
    places = Location.objects.filter(code__in=counts).order_by("path")
    return [(str(p.pk), p.name, str(counts[p.code])) for p in places]


def persons_by_name(user: Any, parsed: ParsedQuery) -> list[Person]:
    """Return visible persons whose name has the same blind-index key as the query's words.

    Only users who may see identifying data may look people up by name: for others a hit would confirm
    that a named person is in the records, which is itself identifying.
    """
    if not parsed.include or not policy.has(user, policy.C.VIEW_IDENTIFYING):
        return []
    ids = persons_find_by_name(parsed.name_text)
    if not ids:
        return []
    return list(
        policy.visible(user, Person.objects.filter(pk__in=ids))
        .select_related("origin_province")
        .prefetch_related("names")
        .order_by("pk")[:MAX_PERSONS]
    )


def _cache_what(parsed: ParsedQuery, filters: Filters) -> dict[str, Any]:
    """Return the query and the filters as plain JSON, by primary key, for the count cache's key."""
    values: dict[str, Any] = {"include": list(parsed.include), "exclude": list(parsed.exclude)}
    for name in filters.__dataclass_fields__:
        value = getattr(filters, name)
        values[name] = value.pk if hasattr(value, "pk") else value
    return values


def _counted(
    user: Any,
    parsed: ParsedQuery,
    filters: Filters,
    events: QuerySet[Event],
    number: int,
    *,
    facets_later: bool = False,
) -> _Aggregates:
    """Return the counts of the search and the ids of page ``number``: kept ones if any, else computed.

    With ``facets_later`` (the web page) and counts recounted in the background, a search without kept counts
    is answered with its page at once (and its total if the window of :func:`_page_from_window` holds all its
    matches or cannot hold the page; else the total is None), and everything is counted by the recounting thread.
    """
    key = searchcache.cache_key(user, _cache_what(parsed, filters))
    kept = searchcache.counts_get(key)
    later = facets_later and recount.in_background()
    if kept is not None and not kept[1] and not recount.in_background():
        kept = None  # past its age: counted again while the reader waits
    if kept is not None and kept[0].get("partial") and not later:
        kept = None  # only the total is kept, and this caller wants the facets now
    if kept is None:
        if later:
            return _page_now_counts_later(user, parsed, filters, events, key, number)
        return _count_and_keep(user, filters, events, key, number)
    data, young = kept
    if not young or data.get("partial"):
        # The same data version (the key holds it), only older than searchcache.MAX_AGE: shown as kept while a
        # thread counts again, for a change made around the services (no new version) to show up next time.
        # Or the facets are still to be counted (a thread does, unless one already is).
        _count_in_background(user, filters, events, key)
    found = _aggregates(user, filters, [tuple(row) for row in data["rows"]], facets=not data.get("partial"))
    if data.get("open"):
        found.total = None
    if number == 1 and "first_page" in data:
        found.page_ids = list(data["first_page"])
    elif found.total is None:
        return _page_without_facets(user, parsed, filters, events, number)
    else:
        start = (number - 1) * PAGE_SIZE
        found.page_ids = list(events.values_list("pk", flat=True)[start : start + PAGE_SIZE])
    return found


def _page_without_facets(
    user: Any, parsed: ParsedQuery, filters: Filters, events: QuerySet[Event], number: int
) -> _Aggregates:
    """Return page ``number`` and the total if known: from the window if it holds the page, else counted whole."""
    window = _page_from_window(user, parsed, filters, number)
    if window is None:
        rows = _rows(user, events, (PAGE_SIZE, (number - 1) * PAGE_SIZE), facets=False)
        return _aggregates(user, filters, rows, facets=False)
    ids, total = window
    return _Aggregates(total=total, page_ids=ids, facets=None)


def _page_now_counts_later(
    user: Any, parsed: ParsedQuery, filters: Filters, events: QuerySet[Event], key: str, number: int
) -> _Aggregates:
    """Answer a search not counted yet with page ``number`` (with the total if that is known too), and count it
    whole, facets and all, in the background."""
    found = _page_without_facets(user, parsed, filters, events, number)
    if number == 1:
        # The total as the counting statement gives it (the "n" row), when known.
        total_rows = [] if found.total is None else [("n", None, None, None, None, found.total)]
        # Kept until the facets are (the same key): the next readers of this search, before the thread is done,
        # get the first page (and the total) without searching again.
        data: dict[str, Any] = {"rows": total_rows, "first_page": found.page_ids, "partial": True}
        if found.total is None:
            data["open"] = True
        searchcache.counts_put(key, data, replace=False)
    _count_in_background(user, filters, events, key)
    return found


def _count_and_keep(
    user: Any, filters: Filters, events: QuerySet[Event], key: str, number: int, *, background: bool = False
) -> _Aggregates:
    """Count the search and fetch the ids of page ``number``; keep the counts (and the first page's ids)."""
    rows = _rows(user, events, (PAGE_SIZE, (number - 1) * PAGE_SIZE), background=background)
    found = _aggregates(user, filters, rows)
    data: dict[str, Any] = {"rows": [row for row in rows if row[0] != "r"]}
    if number == 1:
        data["first_page"] = found.page_ids
    searchcache.counts_put(key, data)
    return found


def _count_in_background(user: Any, filters: Filters, events: QuerySet[Event], key: str) -> None:
    recount.recount_in_background(
        key, lambda: _count_and_keep(user, filters, events, key, 1, background=True)
    )


def run_search(
    user: Any, raw_query: str, filters: Filters, *, page: int = 1, facets_later: bool = False
) -> tuple[ParsedQuery, SearchResult]:
    """Search: the matching events (counted, one page of them fetched), persons by name and the facets.

    ``page`` is clamped into the pages that exist, as :meth:`Paginator.get_page` does. With ``facets_later``,
    a search whose counts are not kept yet gets ``facets`` None: only its page is looked for while the reader
    waits (in the window of the first events in list order; counted whole if the window does not hold it), and
    everything is counted in the background; :func:`kept_facets` gives the counts once they are ready. Until
    then ``count`` is None if the window held more than the page, and the page's paginator is an
    :class:`OpenPaginator`. The results themselves are never out of date.
    """
    parsed = parse_query(raw_query)
    events = filter_events(user, parsed, filters)
    number = max(int(page), 1)
    found = _counted(user, parsed, filters, events, number, facets_later=facets_later)
    ids = found.page_ids
    paginator: CountedPaginator
    if found.total is None:
        paginator = OpenPaginator(events, PAGE_SIZE, count=number * PAGE_SIZE + 1)
    else:
        paginator = CountedPaginator(events, PAGE_SIZE, count=found.total)
    if number > paginator.num_pages:
        # Past the last page: show the last one (one more small query, only for a stale or edited URL).
        number = paginator.num_pages
        start = (number - 1) * PAGE_SIZE
        ids = list(events.values_list("pk", flat=True)[start : start + PAGE_SIZE])
    # The ids come from the matching events; fetching them again checks visibility (never the text and filters
    # again, which only slows the planners down): a kept id never shows an event its reader may not see.
    visible = policy.visible(user, Event.objects.select_related("location"))
    by_pk = visible.in_bulk(ids) if ids else {}
    return parsed, SearchResult(
        events=events,
        count=found.total,
        page=Page([by_pk[pk] for pk in ids if pk in by_pk], number, paginator),
        persons=persons_by_name(user, parsed),
        facets=found.facets,
        names_searched=policy.has(user, policy.C.VIEW_IDENTIFYING),
    )


def kept_facets(user: Any, raw_query: str, filters: Filters) -> tuple[list[Facet], int] | None:
    """Return the facets of a search and its total if they are counted, else None (and make sure they are being
    counted).

    For the search page's facets, asked again while they are counted in the background. When counts are
    counted while the reader waits (``HAVEN_COUNTS_REFRESH`` "inline"), they are counted now.
    """
    parsed = parse_query(raw_query)
    key = searchcache.cache_key(user, _cache_what(parsed, filters))
    kept = searchcache.counts_get(key)
    found: _Aggregates | None = None
    if kept is not None and not kept[0].get("partial"):
        found = _aggregates(user, filters, [tuple(row) for row in kept[0]["rows"]])
    else:
        events = filter_events(user, parsed, filters)
        if not recount.in_background():
            found = _count_and_keep(user, filters, events, key, 1)
        else:
            _count_in_background(user, filters, events, key)
    if found is None:
        return None
    return found.facets or [], found.total or 0
