"""Estimation pages: the runs list, the form that starts a run (as a background job), the run page.

Thin: permission checks and audited reads go through :mod:`haven.estimation.access`, writes through the job
runner and :mod:`haven.estimation.services`. Every page needs RUN_ESTIMATION; without it the answer is the
404 of a page that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from haven.accounts import policy
from haven.audit.models import AuditAction
from haven.audit.services import audit_refusal
from haven.estimation import pages
from haven.estimation.access import TARGET, run_for_user, runs_visible_to, shows_small_counts
from haven.estimation.forms import RunForm, initial_from_run
from haven.estimation.jobs import KIND
from haven.jobs import services as jobs

RUNS_PER_PAGE = 25


def _require(request: HttpRequest, what: str) -> None:
    if not policy.has(request.user, policy.Capability.RUN_ESTIMATION):
        audit_refusal(
            actor=request.user,
            action=AuditAction.ACCESS_REFUSED,
            target=(TARGET, ""),
            request=request,
            details={"reason": "capability", "via": what},
        )
        raise Http404("No such page.")


def run_list(request: HttpRequest) -> HttpResponse:
    _require(request, "list")
    runs = runs_visible_to(request.user).select_related("owner")
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    items = []
    for run in page:
        exact = shows_small_counts(request.user, run)
        observed, results = pages.observed_and_shown(run, exact)
        shown = results.total  # as on the run page (pages.ResultsShown)
        items.append(
            {
                "run": run,
                "observed": observed,
                "status": run.get_status_display() if shown else pages.WITHHELD_MARK,
                "estimate": pages.number(run.estimate) if shown else pages.WITHHELD_MARK,
                "interval": pages.run_interval(run) if shown else pages.WITHHELD_MARK,
            }
        )
    return render(
        request,
        "estimation/run_list.html",
        {"page": page, "items": items, "withheld_mark": pages.WITHHELD_MARK},
    )


def run_new(request: HttpRequest) -> HttpResponse:
    _require(request, "form")
    user = request.user
    if request.method == "POST":
        form = RunForm(request.POST, user=user)
        if form.is_valid():
            job = jobs.submit(KIND, user=user, params=form.to_params())
            return redirect("jobs:detail", pk=job.pk)
    else:
        initial: dict[str, Any] = {}
        source = request.GET.get("from")
        if source:
            initial = initial_from_run(run_for_user(user, source, request=request, via="form"), user)
        form = RunForm(initial=initial or None, user=user)
    return render(request, "estimation/run_form.html", {"form": form})


def _page_context(request: HttpRequest, pk: int, via: str) -> dict[str, Any]:
    run = run_for_user(request.user, pk, request=request, via=via)
    url = request.build_absolute_uri(reverse("estimation:run", args=[run.pk]))
    context = pages.run_page(run, exact=shows_small_counts(request.user, run), url=url)
    context["reruns"] = list(
        runs_visible_to(request.user).filter(rerun_of=run).order_by("pk").values_list("pk", flat=True)
    )
    return context


def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "page")
    return render(request, "estimation/run_detail.html", _page_context(request, pk, "page"))


def run_models(request: HttpRequest, pk: int) -> HttpResponse:
    """Return one page of a model table (an htmx fragment, or a plain page without htmx)."""
    _require(request, "models")
    run = run_for_user(request.user, pk, request=request, via="models")
    parts = run.outputs.get("parts", [])
    try:
        index = int(request.GET.get("part", 0))
        part = parts[index]
    except (ValueError, IndexError):
        raise Http404("No such table.") from None
    # A model table is withheld with its stratum's count, as on the run page (pages.ResultsShown).
    _observed, shown = pages.observed_and_shown(run, shows_small_counts(request.user, run))
    if not part.get("models") or not shown.part(part.get("key")):
        raise Http404("No such table.")
    context = {"run": run, "index": index, "page": pages.model_page(part, request.GET.get("page"))}
    template = (
        "estimation/_models.html" if request.headers.get("HX-Request") else "estimation/run_models.html"
    )
    return render(request, template, context)


def run_plot(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Return a plot of the run as an .svg file (for reports and citations)."""
    _require(request, "svg")
    context = _page_context(request, pk, "svg")
    svg = context["plots"].get(name)
    if svg is None:
        raise Http404("No such plot.")
    from haven.charts import standalone

    response = HttpResponse(standalone(svg), content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="haven-run-{context["run"].number}-{name}.svg"'
    return response


@require_POST
def run_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "rerun")
    run = run_for_user(request.user, pk, request=request, via="rerun", audit=False)
    job = jobs.submit(KIND, user=request.user, params={"rerun_of": run.pk})
    return redirect("jobs:detail", pk=job.pk)
