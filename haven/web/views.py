"""Record pages and search. Thin: reads go through haven.records.access or policy-filtered pages."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from haven.accounts import policy
from haven.audit.models import AuditAction
from haven.audit.services import audit_record, audit_refusal
from haven.crypto.keyring import audit_fingerprint
from haven.lib.paging import CountedPaginator
from haven.places.models import Location
from haven.records import access
from haven.web import pages, search
from haven.web.textsearch import event_texts_catch_up


def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = access.person_for_user(request.user, pk, request=request)
    return render(
        request,
        "web/person_detail.html",
        pages.person_page(request.user, person, involvement_page=request.GET.get("involvements", 1)),
    )


def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = access.event_for_user(request.user, pk, request=request)
    return render(request, "web/event_detail.html", pages.event_page(request.user, event))


def act_detail(request: HttpRequest, pk: int) -> HttpResponse:
    act = access.act_for_user(request.user, pk, request=request)
    return render(request, "web/act_detail.html", pages.act_page(request.user, act))


def information_detail(request: HttpRequest, pk: int) -> HttpResponse:
    info = access.information_for_user(request.user, pk, request=request)
    return render(request, "web/information_detail.html", pages.information_page(request.user, info))


def place_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # Places are the shared gazetteer, not compartmented records; the events listed are policy-filtered.
    place = Location.objects.filter(pk=pk).first()
    if place is None or not policy.has(request.user, policy.C.VIEW_RECORDS):
        audit_refusal(
            actor=request.user,
            action=AuditAction.ACCESS_REFUSED,
            target=("places.location", str(pk)),
            request=request,
            details={"reason": "not found or not permitted"},
        )
        raise Http404("No such record.")
    audit_record(
        actor=request.user,
        action=AuditAction.RECORD_VIEWED,
        target=place,
        request=request,
        details={"via": "page"},
    )
    context = pages.place_page(request.user, place)
    context["page"] = Paginator(context.pop("events"), search.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/place_detail.html", context)


def search_page(request: HttpRequest) -> HttpResponse:
    if not policy.has(request.user, policy.C.VIEW_RECORDS):
        raise Http404("No such page.")
    form = search.SearchForm(request.GET or None, user=request.user)
    context: dict[str, object] = {"form": form}
    if form.is_bound and form.is_valid():
        # Events bulk-loaded (import, demo) may have no search text yet: add it before searching.
        event_texts_catch_up()
        filters = search.Filters.from_form(form.cleaned_data)
        raw = form.cleaned_data.get("q") or ""
        # Counts by filter later (in the background), unless asked for now: the link shown without JavaScript.
        parsed, result = search.run_search(
            request.user,
            raw,
            filters,
            page=form.cleaned_data.get("page") or 1,
            facets_later=request.GET.get("facets") != "now",
        )
        page = result.page
        # Not counted yet ("more than"): how many the reader knows of, the events up to the page and one more.
        counted = (
            {"events": result.count}
            if result.count is not None
            else {"events_at_least": page.end_index() + 1}
        )
        _audit_search(request, raw, filters, page=page.number, persons=len(result.persons), **counted)
        params = request.GET.copy()
        for name in ("page", "facets", "open_page"):
            params.pop(name, None)
        # A page shown before its total: the facets' answer also says how many pages there are, in its pager.
        open_page = page.number if page.paginator.open else None  # type: ignore[attr-defined]
        context.update(
            {
                "searched": True,
                "parsed": parsed,
                "result": result,
                "page": page,
                "persons": [(p, pages.person_label(request.user, p)) for p in result.persons],
                "base_query": params.urlencode(),
                **_facets_context(params, result.facets, attempt=0, open_page=open_page),
            }
        )
    return render(request, "web/search.html", context)


# While a search's facets are counted in the background, its page asks for them once a second, this many times.
FACET_ATTEMPTS = 60


@require_GET
def search_facets(request: HttpRequest) -> HttpResponse:
    """The facets of a search (the search page's aside), asked again until they are counted.

    Counts only, "<5" masking applied as on the page. The answer that gives counts is audited as a search (the
    address could be asked for directly, without the page).
    """
    if not policy.has(request.user, policy.C.VIEW_RECORDS):
        raise Http404("No such page.")
    form = search.SearchForm(request.GET, user=request.user)
    if not form.is_valid():
        return HttpResponse(status=400)
    filters = search.Filters.from_form(form.cleaned_data)
    raw = form.cleaned_data.get("q") or ""
    counted = search.kept_facets(request.user, raw, filters)
    facets, total = counted if counted is not None else (None, None)
    if counted is not None:
        _audit_search(request, raw, filters, via="facets", events=total)
    params = request.GET.copy()
    for name in ("page", "attempt", "facets", "open_page"):
        params.pop(name, None)
    attempt = _positive(request.GET.get("attempt")) or 1
    open_page = _positive(request.GET.get("open_page"))
    context = _facets_context(params, facets, attempt=attempt, open_page=open_page)
    # The page may have been shown before its total was known ("More than 20 events"): its heading is replaced
    # with the total, with the facets (out-of-band swaps), and so is its pager's "Page N" ("Page N of M").
    context["events_total"] = total
    pages_in_all = CountedPaginator((), search.PAGE_SIZE, count=total).num_pages if total is not None else 0
    if open_page is not None and open_page <= pages_in_all:  # (past the end, after a deletion: left as it is)
        context["page_of"] = (open_page, pages_in_all)
    return render(request, "web/_search_facets.html", context)


def _positive(value: str | None) -> int | None:
    """Return ``value`` as a whole number of at least 1, or None (absent or not one)."""
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number >= 1 else None


def _audit_search(request: HttpRequest, raw: str, filters: search.Filters, **details: Any) -> None:
    """Audit a search: the query only as a keyed fingerprint, the filters as codes, and ``details``."""
    audit_record(
        actor=request.user,
        action=AuditAction.RECORD_SEARCHED,
        request=request,
        details={
            "query": audit_fingerprint(raw, "audit.search") if raw else None,
            "filters": filters.for_audit(),
            **details,
        },
    )


def _with(params: Any, **values: str) -> str:
    """Return ``params`` as a query string with ``values`` set (replacing any given)."""
    changed = params.copy()
    for name, value in values.items():
        changed[name] = value
    return changed.urlencode()


def _facets_context(
    params: Any, facets: list[search.Facet] | None, *, attempt: int, open_page: int | None = None
) -> dict[str, object]:
    """The search page's facets, or (while they are counted) the address that asks for them again (with the
    number of the page shown, if it was shown before its total: ``open_page``)."""
    if facets is not None:
        return {"facets": _facet_links(params, facets), "facets_pending": False}
    again = {"attempt": str(attempt + 1)} | ({"open_page": str(open_page)} if open_page else {})
    return {
        "facets": [],
        "facets_pending": True,
        "facets_url": reverse("web:search_facets") + "?" + _with(params, **again)
        if attempt < FACET_ATTEMPTS
        else "",
        "page_url": reverse("web:search") + "?" + _with(params, facets="now"),
    }


def _facet_links(params: object, facets: list[search.Facet]) -> list[dict[str, object]]:
    """Give each facet value the URL that adds it as a filter (year and age map onto their fields)."""
    out = []
    for facet in facets:
        values = []
        for value, label, count in facet.values:
            q = params.copy()  # type: ignore[attr-defined]
            if facet.name == "year":
                q["year_from"] = q["year_to"] = value
            elif facet.name == "age":
                low, _, high = value.partition("-")
                q["age_min"] = low.rstrip("+")
                if high:
                    q["age_max"] = high
                else:
                    q.pop("age_max", None)
            else:
                q[facet.name] = value
            values.append({"label": label, "count": count, "url": "?" + q.urlencode()})
        out.append({"name": facet.name, "label": facet.label, "values": values})
    return out
