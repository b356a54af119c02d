"""Search over event narratives and persons' names, with filters and facet counts.

Every queryset starts from :func:`haven.accounts.policy.visible`; filters that reach into acts,
involvements or victims go through visible rows only, so a record the user may not see can neither
make an event match nor change a count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django import forms
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext_lazy as _

from haven.accounts import policy
from haven.accounts.models import Organisation
from haven.places.models import Location
from haven.records.imprecise import in_period
from haven.records.models import Act, Confidentiality, Event, Involvement, Person, Sex
from haven.records.services import persons_find_by_name
from haven.vocab.models import Term
from haven.web.textsearch import ParsedQuery, parse_query

PAGE_SIZE = 20
MAX_PERSONS = 50
AGE_BANDS: list[tuple[str, int | None, int | None]] = [
    ("0-17", 0, 17),
    ("18-29", 18, 29),
    ("30-49", 30, 49),
    ("50+", 50, None),
]


class TermChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{'— ' * max(obj.depth - 1, 0)}{obj.label}"


class PlaceChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{'— ' * max(obj.path.count('/') - 2, 0)}{obj.name}"


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
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), required=False, empty_label=_("Any")
    )
    confidentiality = forms.ChoiceField(label=_("Confidentiality"), required=False)
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        terms = Term.objects.filter(retired=False).order_by("path")
        self.fields["act_type"].queryset = terms.filter(vocabulary__code="act-types")  # type: ignore[attr-defined]
        self.fields["perpetrator_type"].queryset = terms.filter(vocabulary__code="perpetrator-types")  # type: ignore[attr-defined]
        self.fields["place"].queryset = Location.objects.order_by("path")  # type: ignore[attr-defined]
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
    events: QuerySet[Event]
    persons: list[Person]
    facets: list[Facet]
    names_searched: bool


_fts_available: bool | None = None


def _sqlite_fts() -> bool:
    global _fts_available
    if _fts_available is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'web_eventtext_fts'")
            _fts_available = cursor.fetchone() is not None
    return _fts_available


def _text_filter(parsed: ParsedQuery) -> Q:
    q = Q()
    for term in parsed.include:
        q &= Q(search_text__text__contains=term)
        if connection.vendor == "sqlite" and len(term) >= 3 and _sqlite_fts():
            # The FTS5 trigram index narrows the rows; the LIKE above still decides (the same as on PostgreSQL).
            phrase = '"' + term.replace('"', '""') + '"'
            q &= Q(
                pk__in=RawSQL(
                    "SELECT rowid FROM web_eventtext_fts WHERE web_eventtext_fts MATCH %s", [phrase]
                )
            )
    for term in parsed.exclude:
        q &= ~Q(search_text__text__contains=term)
    return q


def _visible_acts(user: Any) -> QuerySet[Act]:
    victims = policy.visible(user, Person.objects.all()).values("pk")
    return policy.visible(user, Act.objects.all()).filter(victim_id__in=victims)


def filter_events(user: Any, parsed: ParsedQuery, filters: Filters) -> QuerySet[Event]:
    """Return the visible events matching the text and the filters, in date order."""
    events = policy.visible(user, Event.objects.all())
    if parsed.include or parsed.exclude:
        events = events.filter(_text_filter(parsed))
    if filters.year_from or filters.year_to:
        start = date(filters.year_from or 1000, 1, 1)
        end = date(filters.year_to or 2999, 12, 31)
        events = events.filter(in_period("date", start, end, certain=filters.certain))
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
        events = events.filter(pk__in=_visible_acts(user).filter(act_q).values("event_id"))
    if filters.perpetrator_type:
        involvements = policy.visible(user, Involvement.objects.all()).filter(
            perpetrator_types__path__startswith=filters.perpetrator_type.path
        )
        events = events.filter(pk__in=involvements.values("event_id"))
    return events.select_related("location").order_by("date_start", "date_end", "pk")


def _count(n: int, *, people: bool, user: Any) -> str:
    return policy.disclose_count(n) if people and not policy.has(user, policy.C.VIEW_IDENTIFYING) else str(n)


def facets(user: Any, events: QuerySet[Event], filters: Filters) -> list[Facet]:
    """Return counts of the matching events (or, for victims, people) by each filter's values."""
    ids = events.order_by().values("pk")
    acts = _visible_acts(user).filter(event_id__in=ids)
    out: list[Facet] = []

    by_type = dict(acts.order_by().values_list("act_type_id").annotate(n=Count("event_id", distinct=True)))
    types = Term.objects.filter(pk__in=by_type).order_by("path")
    out.append(Facet("act_type", _("Type of act"), [(str(t.pk), t.label, str(by_type[t.pk])) for t in types]))

    # The event-level facets (year, place, organisation, confidentiality) come from one grouped query.
    groups = list(
        events.order_by()
        .annotate(y=ExtractYear("date_start"))
        .values_list("y", "location__path", "organisation_id", "confidentiality")
        .annotate(n=Count("pk"))
    )
    by_year: dict[int, int] = {}
    by_path: dict[str, int] = {}
    by_org: dict[int, int] = {}
    by_level: dict[str, int] = {}
    for y, path, org, level, n in groups:
        if y is not None:
            by_year[y] = by_year.get(y, 0) + n
        if path is not None:
            by_path[path] = by_path.get(path, 0) + n
        by_org[org] = by_org.get(org, 0) + n
        by_level[level] = by_level.get(level, 0) + n
    out.append(
        Facet(
            "year",
            _("Year (start of the date)"),
            [(str(y), str(y), str(by_year[y])) for y in sorted(by_year)],
        )
    )
    out.append(Facet("place", _("Place"), _place_counts(by_path, filters.place)))

    involvements = policy.visible(user, Involvement.objects.all()).filter(event_id__in=ids)
    by_ptype = dict(
        involvements.order_by()
        .values_list("perpetrator_types")
        .exclude(perpetrator_types__isnull=True)
        .annotate(n=Count("event_id", distinct=True))
    )
    ptypes = Term.objects.filter(pk__in=by_ptype).order_by("path")
    out.append(
        Facet(
            "perpetrator_type",
            _("Perpetrator type"),
            [(str(t.pk), t.label, str(by_ptype[t.pk])) for t in ptypes],
        )
    )

    by_sex = dict(acts.order_by().values_list("victim__sex").annotate(n=Count("victim_id", distinct=True)))
    out.append(
        Facet(
            "victim_sex",
            _("Victims by sex"),
            [
                (v, str(label), _count(by_sex[v], people=True, user=user))
                for v, label in Sex.choices
                if v in by_sex
            ],
        )
    )

    band_values = []
    for band, low, high in AGE_BANDS:
        q = Q(victim_age__gte=low) & (Q(victim_age__lte=high) if high is not None else Q())
        band_values.append((band, low, high, q))
    aggregates = acts.aggregate(
        **{
            f"b{i}": Count("victim_id", distinct=True, filter=q)
            for i, (_band, _low, _high, q) in enumerate(band_values)
        }
    )
    out.append(
        Facet(
            "age",
            _("Victims by age at the time"),
            [
                (band, band, _count(aggregates[f"b{i}"], people=True, user=user))
                for i, (band, _low, _high, _q) in enumerate(band_values)
                if aggregates[f"b{i}"]
            ],
        )
    )

    orgs = Organisation.objects.filter(pk__in=by_org).order_by("code")
    out.append(
        Facet("organisation", _("Organisation"), [(str(o.pk), o.name_en, str(by_org[o.pk])) for o in orgs])
    )

    out.append(
        Facet(
            "confidentiality",
            _("Confidentiality"),
            [(v, str(label), str(by_level[v])) for v, label in Confidentiality.choices if v in by_level],
        )
    )
    return out


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


def run_search(user: Any, raw_query: str, filters: Filters) -> tuple[ParsedQuery, SearchResult]:
    parsed = parse_query(raw_query)
    events = filter_events(user, parsed, filters)
    return parsed, SearchResult(
        events=events,
        persons=persons_by_name(user, parsed),
        facets=facets(user, events, filters),
        names_searched=policy.has(user, policy.C.VIEW_IDENTIFYING),
    )
