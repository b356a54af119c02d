"""Linkage pages: runs, the review queue (pairs and clusters), decisions and merges. Thin views.

Deciding works with and without JavaScript: each decision form posts normally (the page reloads), and
htmx, when present, posts it in place and swaps the card for its outcome. Merging and undoing need a
fresh re-authentication (policy.SUDO_CAPABILITIES: MERGE_RECORDS); an htmx request that needs one is sent
to the re-authentication page and back to the queue.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.reauthentication import is_reauthentication_required
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from haven.accounts.sudo import ensure_sudo
from haven.audit.models import AuditAction
from haven.audit.services import audit_refusal
from haven.lib.paging import uncounted_page
from haven.linkage import pages, selectors, services
from haven.linkage.evidence import evidence_rows
from haven.linkage.forms import DecisionForm, RunForm, UndoForm
from haven.linkage.models import CandidatePair, Decision, ReviewDecision, RunStatus
from haven.linkage.services import LinkageError, identity_map

PAIRS_PER_PAGE = 10
CLUSTERS_PER_PAGE = 25
ROWS_PER_PAGE = 50


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _queue_user(request: HttpRequest) -> Any:
    if not selectors.may_use_queue(request.user):
        raise Http404("No such page.")
    return request.user


def _decider(request: HttpRequest) -> Any:
    user = _queue_user(request)
    if not selectors.may_decide(user):
        audit_refusal(
            actor=user,
            action=AuditAction.ACCESS_REFUSED,
            target=("linkage.reviewdecision", ""),
            request=request,
            details={"reason": "needs merge_records"},
        )
        raise PermissionDenied(_("Your role may not decide on linkage."))
    return user


def _back(request: HttpRequest, fallback: str) -> str:
    """Return the page to come back to: the htmx page, the posted "next", or ``fallback``."""
    for candidate in (request.POST.get("next"), request.headers.get("HX-Current-URL")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return fallback


def _sudo(request: HttpRequest, back: str) -> HttpResponse | None:
    """Return a response sending the user to re-authenticate, or None when recently re-authenticated."""
    if not is_reauthentication_required(request, app=""):
        return None
    audit_refusal(
        actor=request.user,
        action=AuditAction.REAUTHENTICATION_REQUIRED,
        target=("linkage.merge", ""),
        request=request,
        details={"via": "linkage"},
    )
    if _is_htmx(request):
        methods = get_adapter().get_reauthentication_methods(request.user)
        if not methods:
            raise PermissionDenied
        response = HttpResponse(status=204)
        response["HX-Redirect"] = f"{methods[0]['url']}?{urlencode({'next': back})}"
        return response
    ensure_sudo(request)  # raises: allauth keeps the POST and replays it after re-authentication
    return None  # pragma: no cover


# ---- runs -------------------------------------------------------------------------------------------------


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = _queue_user(request)
    runs = list(selectors.runs_for(user)[:50])
    return render(
        request,
        "linkage/index.html",
        {
            "runs": [(run, selectors.run_fully_visible(user, run)) for run in runs],
            "form": RunForm(user=user) if selectors.may_run(user) else None,
            "may_decide": selectors.may_decide(user),
        },
    )


@require_POST
def run_create(request: HttpRequest) -> HttpResponse:
    user = _queue_user(request)
    if not selectors.may_run(user):
        raise Http404("No such page.")
    form = RunForm(request.POST, user=user)
    if form.is_valid():
        try:
            run = services.linkage_run_request(
                actor=user,
                compartments=list(form.cleaned_data["compartments"]),
                threshold=form.cleaned_data["threshold"],
                seed=form.cleaned_data["seed"],
                model_from=form.cleaned_data["model_from"],
                request=request,
            )
        except LinkageError as exc:
            form.add_error(None, str(exc))
        else:
            job = services.linkage_run_submit(run, actor=user)
            return redirect("jobs:detail", pk=job.pk)
    runs = list(selectors.runs_for(user)[:50])
    return render(
        request,
        "linkage/index.html",
        {
            "runs": [(run, selectors.run_fully_visible(user, run)) for run in runs],
            "form": form,
            "may_decide": selectors.may_decide(user),
        },
        status=400,
    )


@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _queue_user(request)
    run = services.run_sync_with_job(selectors.run_for_user(user, pk, request=request))
    done = run.status == RunStatus.DONE
    return render(
        request,
        "linkage/run_detail.html",
        {
            "run": run,
            "full": selectors.run_fully_visible(user, run),
            "compartments": list(run.compartments.select_related("organisation")),
            "pairs_open": selectors.pairs_to_review(user, run).count() if done else 0,
            "pairs_visible": selectors.visible_pairs(user, run).count() if done else 0,
            "clusters_open": selectors.clusters_to_review(user, run).count() if done else 0,
            "decisions": selectors.decisions_for(user, run).filter(current=True).count() if done else 0,
            "may_decide": selectors.may_decide(user),
        },
    )


# ---- pairs ------------------------------------------------------------------------------------------------


@require_GET
def pairs(request: HttpRequest, pk: int) -> HttpResponse:
    user = _queue_user(request)
    run = selectors.run_for_user(user, pk, request=request)
    page = uncounted_page(selectors.pairs_to_review(user, run), PAIRS_PER_PAGE, request.GET.get("page"))
    return render(
        request,
        "linkage/pairs.html",
        {
            "run": run,
            "page": page,
            "views": pages.pair_views(
                user,
                run,
                selectors.with_persons(list(page.object_list), user),
                request=request,
            ),
            "may_decide": selectors.may_decide(user),
            "form": DecisionForm(),
        },
    )


@require_GET
def pair_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _queue_user(request)
    pair = selectors.pair_for_user(user, pk, request=request)
    view = pages.pair_views(user, pair.run, [pair], request=request)[0]
    return render(
        request,
        "linkage/pair_detail.html",
        {
            "run": pair.run,
            "view": view,
            "may_decide": selectors.may_decide(user),
            "form": DecisionForm(),
            "current": ReviewDecision.objects.filter(
                kind=ReviewDecision.Kind.PAIR, current=True, left=pair.left, right=pair.right
            )
            .select_related("decided_by", "merge")
            .first(),
            "merged": services.same_identity(pair.left_id, pair.right_id),
        },
    )


@require_POST
def pair_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _decider(request)
    pair = selectors.pair_for_user(user, pk, request=request)
    back = _back(request, reverse("linkage:pairs", args=[pair.run_id]))
    form = DecisionForm(request.POST)
    error = None
    decision = None
    if not form.is_valid():
        error = _("Choose a decision.")
    else:
        if form.cleaned_data["decision"] == Decision.ACCEPT:
            sudo = _sudo(request, back)
            if sudo is not None:
                return sudo
        try:
            decision = services.pair_decide(
                actor=user,
                left=pair.left,
                right=pair.right,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
                pair=pair,
                request=request,
            )
        except LinkageError as exc:
            error = str(exc)
    if _is_htmx(request):
        if error is not None:
            view = pages.pair_views(user, pair.run, [pair], request=request)[0]
            context = {"run": pair.run, "view": view, "may_decide": True, "form": form, "error": error}
            return render(request, "linkage/_pair_card.html", context)
        return render(request, "linkage/_pair_done.html", {"pair": pair, "decision": decision})
    if error is not None:
        messages.error(request, error)
    else:
        messages.success(request, _outcome(decision))
    return redirect(back)


def _outcome(decision: ReviewDecision | None) -> str:
    if decision is None:
        return ""
    if decision.merge_id:
        return _("Recorded: the same person. Merged (merge %(id)s).") % {"id": decision.merge_id}
    return _("Recorded: %(decision)s.") % {"decision": decision.get_decision_display()}


# ---- clusters ---------------------------------------------------------------------------------------------


@require_GET
def clusters(request: HttpRequest, pk: int) -> HttpResponse:
    user = _queue_user(request)
    run = selectors.run_for_user(user, pk, request=request)
    page = uncounted_page(selectors.clusters_to_review(user, run), CLUSTERS_PER_PAGE, request.GET.get("page"))
    return render(request, "linkage/clusters.html", {"run": run, "page": page})


@require_GET
def cluster_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _queue_user(request)
    cluster = selectors.cluster_for_user(user, pk, request=request)
    members = selectors.cluster_members(cluster)
    seen = pages.cards(user, members, request=request)
    inside = list(CandidatePair.objects.filter(cluster=cluster).order_by("uncertainty", "pk"))
    keys = identity_map([p.pk for p in members])
    return render(
        request,
        "linkage/cluster_detail.html",
        {
            "run": cluster.run,
            "cluster": cluster,
            "cards": [seen[p.pk] for p in members],
            "inside": [(p, evidence_rows(p.evidence, cluster.run.level_labels)) for p in inside],
            "merged": len(set(keys.values())) == 1,
            "current": ReviewDecision.objects.filter(
                kind=ReviewDecision.Kind.CLUSTER, current=True, cluster=cluster
            )
            .select_related("decided_by")
            .first(),
            "may_decide": selectors.may_decide(user),
            "form": DecisionForm(),
        },
    )


@require_POST
def cluster_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _decider(request)
    cluster = selectors.cluster_for_user(user, pk, request=request)
    back = _back(request, reverse("linkage:cluster", args=[cluster.pk]))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return redirect(back)
    if form.cleaned_data["decision"] == Decision.ACCEPT:
        sudo = _sudo(request, back)
        if sudo is not None:
            return sudo
    try:
        decision = services.cluster_decide(
            actor=user,
            cluster=cluster,
            decision=form.cleaned_data["decision"],
            note=form.cleaned_data["note"],
            request=request,
        )
    except LinkageError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _outcome(decision))
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = back
        return response
    return redirect(back)


# ---- decisions and merges -----------------------------------------------------------------------------------


@require_GET
def decisions(request: HttpRequest, pk: int) -> HttpResponse:
    user = _queue_user(request)
    run = selectors.run_for_user(user, pk, request=request)
    page = Paginator(selectors.decisions_for(user, run), ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "linkage/decisions.html",
        {"run": run, "page": page, "may_decide": selectors.may_decide(user), "undo_form": UndoForm()},
    )


@require_GET
def merges(request: HttpRequest) -> HttpResponse:
    user = _queue_user(request)
    page = Paginator(selectors.merges_for(user), ROWS_PER_PAGE).get_page(request.GET.get("page"))
    merges_on_page = list(page.object_list)
    members = selectors.merge_members(merges_on_page)
    rows = [(m, members[m.pk]) for m in merges_on_page]
    return render(
        request,
        "linkage/merges.html",
        {"page": page, "rows": rows, "may_decide": selectors.may_decide(user), "undo_form": UndoForm()},
    )


@require_POST
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    user = _decider(request)
    merge = selectors.merge_for_user(user, pk, request=request)
    back = _back(request, reverse("linkage:merges"))
    sudo = _sudo(request, back)
    if sudo is not None:
        return sudo
    form = UndoForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        undo = services.merge_undo(actor=user, merge=merge, note=note, request=request)
    except LinkageError as exc:
        error, undo = str(exc), None
    else:
        error = None
    if _is_htmx(request):
        return render(request, "linkage/_undo_done.html", {"merge": merge, "undo": undo, "error": error})
    if error is not None:
        messages.error(request, error)
    else:
        messages.success(
            request, _("Merge %(id)s undone: the records are grouped as before it.") % {"id": merge.pk}
        )
    return redirect(back)
