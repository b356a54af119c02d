"""Map of documented events and acts by place, on an offline base map.

The page draws Natural Earth country boundaries (vendored world-atlas TopoJSON) with Leaflet, and asks
:func:`map_data` for the markers: every gazetteer place where the user may see events or acts, and every
detention facility. Counts come from the same policy-filtered selectors as the search page and the dashboard
and are protected by Haven's small-cell rules ("<5" or withheld) before they leave the server; a marker's
size is a coarse class of the count as shown, so the JSON holds nothing finer than the page shows. The page lists the same places and counts in a table, for
keyboards, screen readers and browsers without JavaScript.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from haven.accounts import policy
from haven.analytics.disclosure import WITHHELD, disclose_total, protect_partition
from haven.audit.models import AuditAction
from haven.audit.services import audit_record
from haven.places.models import Location, LocationKind
from haven.vocab.models import Term
from haven.web import search
from haven.web.dashboard import ACT_PLACE, AggregateFilterForm, cached_counts, filtered_acts, search_url
from haven.web.textsearch import parse_query

# Marker size classes by count: 0, 1-4 ("<5"), 5-19, 20-99, 100-499, 500 and more.
SIZE_STEPS = (1, policy.SMALL_CELL, 20, 100, 500)


def size_class(count: int) -> int:
    """Return the marker's size class: coarse enough that it tells no more than the shown count."""
    return sum(1 for step in SIZE_STEPS if count >= step)


@dataclass
class Marker:
    id: int
    name: str
    kind: str
    kind_label: str
    facility: bool
    facility_type: str
    lat: float | None
    lon: float | None
    approximate: bool
    events: str
    acts: str
    size: int
    place_url: str
    search_url: str


@dataclass
class MapData:
    markers: list[Marker]
    events_unplaced: str
    acts_unplaced: str
    notes: list[str] = field(default_factory=list)

    @property
    def on_map(self) -> list[Marker]:
        return [m for m in self.markers if m.lat is not None and m.lon is not None]


def _counts_by_place(user: Any, filters: search.Filters) -> tuple[dict[Any, int], dict[Any, int]]:
    """Count the visible events by their place, and the visible acts by theirs (two GROUP BYs)."""
    events = search.filter_events(user, parse_query(""), filters)
    by_event_place = dict(events.order_by().values_list("location_id").annotate(n=Count("pk")))
    acts = filtered_acts(user, filters)
    by_act_place = dict(acts.annotate(at=ACT_PLACE).values_list("at").annotate(n=Count("pk")))
    return by_event_place, by_act_place


def place_counts(user: Any, filters: search.Filters, params: dict[str, str] | None = None) -> MapData:
    """Return a marker for each place with visible events or acts, and for each detention facility.

    Events count at their own place only (a marker's search link also finds the events of places inside it);
    acts at their facility, else their own place, else their event's place. Each is counted at one place, so
    the events by place (with the unplaced ones) are a partition, protected by the small-cell rules; so are
    the acts.
    """
    params = params or {}
    by_event_place, by_act_place = (
        dict(d) for d in cached_counts(user, filters, "map", lambda: _counts_by_place(user, filters)).value
    )
    events_unplaced = by_event_place.pop(None, 0)
    acts_unplaced = by_act_place.pop(None, 0)
    places = list(
        (
            Location.objects.filter(
                pk__in=[pk for pk, n in (*by_event_place.items(), *by_act_place.items()) if n]
            )
            | Location.objects.filter(kind=LocationKind.DETENTION_FACILITY)
        )
        .select_related("facility_type")
        .order_by("path")
    )
    # Each series (events, acts) is one partition of what the user may see, with its unplaced part.
    events, events_rest = _protected([by_event_place.get(p.pk, 0) for p in places], events_unplaced)
    acts, acts_rest = _protected([by_act_place.get(p.pk, 0) for p in places], acts_unplaced)
    notes = []
    if events_rest is None:
        total = disclose_total(sum(by_event_place.values()) + events_unplaced)
        notes.append(_("%(total)s events: too few to show by place.") % {"total": total})
    if acts_rest is None:
        total = disclose_total(sum(by_act_place.values()) + acts_unplaced)
        notes.append(_("%(total)s acts: too few to show by place.") % {"total": total})
    korean = (get_language() or "en").startswith("ko")
    kinds = {
        code: (ko if korean and ko else en)
        for code, en, ko in Term.objects.filter(vocabulary__code="location-kinds").values_list(
            "code", "label_en", "label_ko"
        )
    }
    markers = []
    for place, n_events, n_acts in zip(places, events, acts, strict=True):
        facility = place.kind == LocationKind.DETENTION_FACILITY
        if not facility and n_events in ("0", NOT_SHOWN) and n_acts in ("0", NOT_SHOWN):
            continue  # nothing to show here (or a breakdown too small to show: not even where)
        markers.append(
            Marker(
                id=place.pk,
                name=place.name,
                kind=place.kind,
                kind_label=kinds.get(place.kind, place.kind),
                facility=facility,
                facility_type=place.facility_type.label if place.facility_type else "",
                lat=float(place.latitude) if place.latitude is not None else None,
                lon=float(place.longitude) if place.longitude is not None else None,
                approximate=place.approximate,
                events=_display(n_events),
                acts=_display(n_acts),
                size=max(_size(n_events), _size(n_acts)),
                place_url=reverse("web:place", args=[place.pk]),
                search_url=search_url(params, place=place.pk),
            )
        )
    return MapData(
        markers=markers,
        events_unplaced=_display(events_rest) if events_rest is not None else NOT_SHOWN,
        acts_unplaced=_display(acts_rest) if acts_rest is not None else NOT_SHOWN,
        notes=notes,
    )


NOT_SHOWN = "–"


def _protected(counts: list[int], unplaced: int) -> tuple[list[str], str | None]:
    """Protect the counts by place and the unplaced count as one partition (Haven's small-cell rules).

    Returns the labels by place and the unplaced one; with too few in all for any breakdown, no place's count
    is shown (:data:`NOT_SHOWN`) and the unplaced label is None.
    """
    labels = protect_partition([*counts, unplaced])
    if labels is None:
        return [NOT_SHOWN if n else "0" for n in counts], None
    return labels[:-1], labels[-1]


def _display(label: str) -> str:
    return str(_("withheld")) if label == WITHHELD else label


def _size(label: str) -> int:
    """Return a marker's size class from a count as shown: a hidden count ("<5", withheld) is the smallest."""
    if label.isdigit():
        return size_class(int(label))
    return 0 if label in ("0", NOT_SHOWN) else 1


def _audit(request: HttpRequest, filters: search.Filters, data: MapData, via: str) -> None:
    audit_record(
        actor=request.user,
        action=AuditAction.RECORD_SEARCHED,
        request=request,
        details={"via": via, "filters": filters.for_audit(), "places": len(data.markers)},
    )


def map_page(request: HttpRequest) -> HttpResponse:
    if not policy.has(request.user, policy.C.VIEW_RECORDS):
        raise Http404("No such page.")
    form = AggregateFilterForm(request.GET or None, user=request.user)
    context: dict[str, Any] = {"form": form}
    if not form.is_bound or form.is_valid():
        filters = form.filters() if form.is_bound else search.Filters()
        params = form.query_params() if form.is_bound else {}
        data = place_counts(request.user, filters, params)
        _audit(request, filters, data, "map")
        query = request.GET.urlencode()
        context.update(
            {
                "data": data,
                "data_url": reverse("web:map_data") + (f"?{query}" if query else ""),
            }
        )
    return render(request, "web/map.html", context)


def map_data(request: HttpRequest) -> JsonResponse:
    """Return the markers as JSON for the page's script (the same filters as the page)."""
    if not policy.has(request.user, policy.C.VIEW_RECORDS):
        raise Http404("No such page.")
    form = AggregateFilterForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return JsonResponse({"errors": errors}, status=400)
    filters = form.filters() if form.is_bound else search.Filters()
    params = form.query_params() if form.is_bound else {}
    data = place_counts(request.user, filters, params)
    _audit(request, filters, data, "map-data")
    return JsonResponse(
        {
            "places": [asdict(m) for m in data.on_map],
            "events_unplaced": data.events_unplaced,
            "acts_unplaced": data.acts_unplaced,
            "notes": data.notes,
            "labels": {
                "events": _("Events here"),
                "acts": _("Acts here"),
                "approximate": _("Approximate location"),
                "facility": _("Detention facility"),
                "place_page": _("Open the place page"),
                "search": _("Search events here (and inside)"),
            },
        }
    )
