"""The web import: upload (encrypted as it arrives) → dry run (a job) → review every problem → import (a job).

Only users with IMPORT_DATA reach these pages (others get the 404 every missing page gets); the importer asks
the policy again, with the uploader's permissions, when the job runs.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from haven.accounts import policy
from haven.exchange import uploads, webimport
from haven.exchange.forms import DecisionForm, UploadForm
from haven.exchange.spreadsheet import escape_cell
from haven.jobs import services as jobs
from haven.jobs.models import Job, JobStatus

PROBLEMS_PER_PAGE = 200


def _require_import(request: HttpRequest) -> None:
    if not policy.has(request.user, policy.Capability.IMPORT_DATA):
        raise Http404("No such page.")


def _csrf_rejection(request: HttpRequest) -> HttpResponse | None:
    return CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, lambda r: None, (), {})


@csrf_exempt  # checked below, once the upload handler is in place (the middleware would read the body first)
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    _require_import(request)
    uploads.sweep()
    if request.method != "POST":
        return render(request, "exchange/upload.html", {"form": UploadForm(user=request.user)})
    handler = uploads.EncryptingUploadHandler(request)
    request.upload_handlers = [handler]
    try:
        rejected = _csrf_rejection(request)  # reads the body: the file goes through the handler, encrypted
        if rejected is not None:
            return rejected
        form = UploadForm(request.POST, request.FILES, user=request.user)
        if handler.too_large:
            form.add_error(
                "file",
                _("The file is larger than the import limit of %(limit)s bytes.") % {"limit": handler.limit},
            )
        if not form.is_valid() or handler.stored is None:
            return render(request, "exchange/upload.html", {"form": form}, status=400)
        data = form.cleaned_data
        job = jobs.submit(
            webimport.KIND,
            user=request.user,
            params={
                "upload": handler.stored.as_params(),
                "kind": data["kind"],
                "organisation": data["organisation"].pk,
                "compartment": data["compartment"].pk,
                "mapping": data["mapping"].pk if data["mapping"] else None,
                "encoding": data["encoding"] or "",
                "dry_run": True,
                "language": translation.get_language(),
            },
        )
        handler.stored = None  # the job owns the upload now
        return redirect("jobs:detail", pk=job.pk)
    finally:
        uploads.delete(handler.stored)


def _import_job(
    request: HttpRequest, pk: int, *, dry_run: bool
) -> tuple[Job, dict[str, Any], dict[str, Any]]:
    """Return one of the user's own finished import jobs (a dry run or an import), or 404."""
    job = jobs.job_for_user(request.user, pk)
    if job.kind != webimport.KIND or job.status != JobStatus.DONE:
        raise Http404("No such import.")
    params, result = jobs.params_of(job), jobs.result_of(job)
    if bool(params.get("dry_run")) != dry_run:
        raise Http404("No such import.")
    return job, params, result


def _problems_page(request: HttpRequest, result: dict[str, Any]) -> Any:
    return Paginator(result.get("problems") or [], PROBLEMS_PER_PAGE).get_page(request.GET.get("page"))


@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, pk: int) -> HttpResponse:
    _require_import(request)
    job, params, result = _import_job(request, pk, dry_run=True)
    stored = uploads.StoredUpload.from_params(params["upload"])
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return redirect("exchange:review", pk=job.pk)
        if form.cleaned_data["action"] == "discard":
            uploads.delete(stored)
            messages.info(request, _("The uploaded file %(name)s is deleted.") % {"name": stored.file_name})
            return redirect("exchange:upload")
        skip_invalid = form.cleaned_data["skip_invalid"]
        if result["rejected"] and not skip_invalid:
            messages.error(
                request, _("Some rows have problems: import only the valid rows, or correct the file.")
            )
            return redirect("exchange:review", pk=job.pk)
        if not uploads.claim(stored):
            messages.error(
                request,
                _(
                    "This upload is no longer available (already imported, discarded or expired); upload the file again."
                ),
            )
            return redirect("exchange:upload")
        try:
            second = jobs.submit(
                webimport.KIND,
                user=request.user,
                params={
                    **params,
                    "dry_run": False,
                    "skip_invalid": skip_invalid,
                    "rows": result["rows"],
                    "planned": result["created"],
                    "language": translation.get_language(),
                },
            )
        except Exception:
            uploads.delete(stored)
            raise
        return redirect("jobs:detail", pk=second.pk)
    return render(
        request,
        "exchange/review.html",
        {
            "job": job,
            "result": result,
            "page": _problems_page(request, result),
            "available": uploads.exists(stored),
            "keep_hours": uploads.keep_hours(),
            "more_problems": result["problems_total"] - len(result["problems"]),
        },
    )


@require_GET
def outcome(request: HttpRequest, pk: int) -> HttpResponse:
    _require_import(request)
    job, _params, result = _import_job(request, pk, dry_run=False)
    return render(
        request,
        "exchange/result.html",
        {
            "job": job,
            "result": result,
            "page": _problems_page(request, result),
            "more_problems": result["problems_total"] - len(result["problems"]),
        },
    )


@require_GET
def problems_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The problems of a dry run or an import as CSV (file, row, column, reason), cells escaped."""
    _require_import(request)
    job = jobs.job_for_user(request.user, pk)
    if job.kind != webimport.KIND or job.status != JobStatus.DONE:
        raise Http404("No such import.")
    result = jobs.result_of(job)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_("file"), _("row"), _("column"), _("reason")])
    for row, column, reason in result.get("problems") or []:
        writer.writerow([escape_cell(v) for v in (result["file_name"], row, column, reason)])
    response = HttpResponse(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-problems.csv"'
    return response
