"""A job's progress page; htmx polls its status fragment until the job has finished."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from haven.jobs import services


def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = services.job_for_user(request.user, pk)
    services.restart_orphaned(job)  # thread mode (the demo) has no worker to pick up a job left queued
    context = {"job": job, "result": services.result_of(job)}
    if request.headers.get("HX-Request"):
        response = render(request, "jobs/_status.html", context)
        if job.finished and context["result"].get("url"):
            response["HX-Redirect"] = context["result"]["url"]
        return response
    return render(request, "jobs/job_detail.html", context)


@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = services.job_for_user(request.user, pk)
    services.cancel(job, user=request.user)
    return redirect("jobs:detail", pk=job.pk)
