"""Reference-statistics pages and report generation. Thin: data comes from refcharts and services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from haven.accounts.sudo import ensure_sudo
from haven.charts import standalone
from haven.reference.selectors import UnknownReference
from haven.reports import refcharts, selectors, services
from haven.reports.forms import (
    ArrivalsForm,
    AsylumForm,
    ChangeForm,
    DossierForm,
    OrganisationReportForm,
    TransitReportForm,
)
from haven.reports.rendering import RenderError, svg_to_png

# ---- reference charts ----------------------------------------------------------------------------------------
# Published statistics: any signed-in user may see them (nothing here comes from Haven's records).

PAGES = ("arrivals", "change", "asylum", "tiers")
CHART_PAGE = {"arrivals": "arrivals", "women-share": "arrivals", "change": "change", "asylum": "asylum",
              "tiers": "tiers"}  # fmt: skip


def _arrivals(data: QueryDict) -> tuple[forms.Form | None, list[refcharts.RefChart]]:
    form = ArrivalsForm(data or None)
    first = last = None
    if form.is_bound and form.is_valid():
        first, last = form.cleaned_data.get("first") or None, form.cleaned_data.get("last") or None
    return form if form.is_bound else ArrivalsForm(), refcharts.arrivals_charts(first, last)


def _change(data: QueryDict) -> tuple[forms.Form | None, list[refcharts.RefChart]]:
    form = ChangeForm(data or ChangeForm.DEFAULT)
    if not form.is_valid():
        return form, []
    d = form.cleaned_data
    try:
        chart = refcharts.period_change_chart((d["a_first"], d["a_last"]), (d["b_first"], d["b_last"]))
    except refcharts.PeriodError as exc:
        form.add_error(None, str(exc))
        return form, []
    return form, [chart]


def _asylum(data: QueryDict) -> tuple[forms.Form | None, list[refcharts.RefChart]]:
    form = AsylumForm(data or None)
    if not form.is_bound:
        form = AsylumForm({"year": str(max(refcharts.asylum_years()))})
    if not form.is_valid():
        return form, []
    try:
        return form, [refcharts.asylum_chart(form.cleaned_data["year"])]
    except refcharts.PeriodError as exc:
        form.add_error("year", str(exc))
        return form, []


def _tiers(data: QueryDict) -> tuple[forms.Form | None, list[refcharts.RefChart]]:
    return None, [refcharts.tier_chart()]


BUILDERS: dict[str, Callable[[QueryDict], tuple[forms.Form | None, list[refcharts.RefChart]]]] = {
    "arrivals": _arrivals,
    "change": _change,
    "asylum": _asylum,
    "tiers": _tiers,
}


def reference_index(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/reference_index.html", {"pages": _page_titles()})


def _page_titles() -> list[tuple[str, str, str]]:
    return [
        ("arrivals", _("Arrivals in South Korea by year and sex"),
         _("Ministry of Unification figures, with the share of women.")),
        ("change", _("Change between two periods"),
         _("Pick two ranges of years: absolute and percentage change in arrivals.")),
        ("asylum", _("Refugees from North Korea by country of asylum"),
         _("UNHCR figures for a chosen year.")),
        ("tiers", _("Trafficking in Persons report tiers"),
         _("US State Department placements of North Korea and China.")),
    ]  # fmt: skip


def reference_page(request: HttpRequest, page: str) -> HttpResponse:
    if page not in BUILDERS:
        raise Http404("No such page.")
    try:
        form, charts = BUILDERS[page](request.GET)
    except UnknownReference:
        return render(request, "reports/reference_missing.html", status=404)
    title = next(t for slug, t, _d in _page_titles() if slug == page)
    query = request.GET.urlencode() if form is None or form.is_valid() else ""
    return render(
        request,
        "reports/reference_chart.html",
        {"page": page, "title": title, "form": form, "charts": charts, "query": query},
    )


def reference_download(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    """Return one chart as a standalone SVG or PNG file, with its source and caveats printed under it."""
    page = CHART_PAGE.get(slug)
    if page is None or fmt not in ("svg", "png"):
        raise Http404("No such chart.")
    try:
        form, charts = BUILDERS[page](request.GET)
    except UnknownReference:
        raise Http404("No such chart.") from None
    chart = next((c for c in charts if c.slug == slug), None)
    if chart is None:
        raise Http404("No such chart.")
    name = f"haven-{slug}"
    if fmt == "svg":
        response = HttpResponse(standalone(chart.download_svg), content_type="image/svg+xml; charset=utf-8")
    else:
        try:
            png = svg_to_png(chart.download_svg)
        except RenderError as exc:
            return HttpResponse(
                _("The PNG image could not be made: %(error)s") % {"error": exc},
                status=503,
                content_type="text/plain; charset=utf-8",
            )
        response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# ---- reports ------------------------------------------------------------------------------------------------
# Reports are exports: permission-checked and audited by the service, and (like every export) made only after a
# fresh re-authentication. Missing and forbidden give the same 404.


def _forms(request: HttpRequest, data: Any = None, *, bound: str = "") -> dict[str, forms.Form]:
    user = request.user
    lang = "ko" if (request.LANGUAGE_CODE or "en").startswith("ko") else "en"
    initial = {"lang": lang, "fmt": "pdf"}
    found: dict[str, forms.Form] = {}
    if services.may_generate(user, "organisation"):
        found["organisation"] = OrganisationReportForm(
            data if bound == "organisation" else None,
            initial=initial,
            organisations=selectors.organisations_for(user),
        )
    if services.may_generate(user, "transit"):
        found["transit"] = TransitReportForm(data if bound == "transit" else None, initial=initial)
    if services.may_generate(user, "dossier"):
        found["dossier"] = DossierForm(data if bound == "dossier" else None, initial=initial)
    return found


@require_GET
def reports_index(request: HttpRequest) -> HttpResponse:
    found = _forms(request)
    if not found:
        raise Http404("No such page.")
    return render(request, "reports/reports_index.html", {"forms": found})


def _respond(output: services.ReportOutput) -> HttpResponse:
    response = HttpResponse(output.content, content_type=output.content_type)
    response["Content-Disposition"] = f'attachment; filename="{output.filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _generate(request: HttpRequest, kind: str, **options: Any) -> HttpResponse:
    if not services.may_generate(request.user, kind):
        try:  # the service records the refusal; the answer is the same 404 as for a page that is not there
            services.report_generate(actor=request.user, kind=kind, request=request, **options)
        except (services.ReportRefused, Http404):
            pass
        raise Http404("No such page.")
    ensure_sudo(request)  # raises: allauth asks for the password, then replays this POST
    try:
        output = services.report_generate(actor=request.user, kind=kind, request=request, **options)
    except services.ReportRefused:
        raise Http404("No such page.") from None
    except RenderError as exc:
        return HttpResponse(
            _("The report could not be rendered: %(error)s") % {"error": exc},
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    return _respond(output)


def _invalid(request: HttpRequest, kind: str) -> HttpResponse:
    found = _forms(request, request.POST, bound=kind)
    if kind not in found:
        raise Http404("No such page.")
    found[kind].is_valid()
    return render(request, "reports/reports_index.html", {"forms": found}, status=400)


@require_POST
def organisation_report(request: HttpRequest) -> HttpResponse:
    form = OrganisationReportForm(request.POST, organisations=selectors.organisations_for(request.user))
    if not services.may_generate(request.user, "organisation"):
        return _generate(request, "organisation", organisation=request.POST.get("organisation"))
    if not form.is_valid():
        return _invalid(request, "organisation")
    d = form.cleaned_data
    return _generate(request, "organisation", organisation=d["organisation"], lang=d["lang"], fmt=d["fmt"],
                     first_year=d["first_year"], last_year=d["last_year"])  # fmt: skip


@require_POST
def transit_report(request: HttpRequest) -> HttpResponse:
    form = TransitReportForm(request.POST)
    if not services.may_generate(request.user, "transit"):
        return _generate(request, "transit", country=request.POST.get("country"))
    if not form.is_valid():
        return _invalid(request, "transit")
    d = form.cleaned_data
    return _generate(request, "transit", country=d["country"], lang=d["lang"], fmt=d["fmt"],
                     first_year=d["first_year"], last_year=d["last_year"])  # fmt: skip


@require_POST
def dossier_report(request: HttpRequest) -> HttpResponse:
    form = DossierForm(request.POST)
    if not services.may_generate(request.user, "dossier"):
        return _generate(request, "dossier", person=request.POST.get("person"))
    if not form.is_valid():
        return _invalid(request, "dossier")
    d = form.cleaned_data
    return _generate(request, "dossier", person=d["person"], lang=d["lang"], fmt=d["fmt"])
