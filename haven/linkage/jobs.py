"""The background job that runs a linkage run (registered with haven.jobs as ``linkage.run``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import translation

from haven.jobs.progress import Progress
from haven.jobs.registry import JobError, register
from haven.linkage.models import LinkageRun
from haven.linkage.services import JOB_KIND, LinkageError, linkage_run_execute


@register(JOB_KIND)
def run_linkage_job(owner: Any, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Run the linkage run ``params["run"]`` as its creator; the service checks the permissions again."""
    run = LinkageRun.objects.filter(pk=params.get("run"), created_by_id=owner.pk).first()
    if run is None:
        raise JobError("No such linkage run.")
    with translation.override(getattr(owner, "preferred_language", None) or "en"):
        try:
            run = linkage_run_execute(
                run=run,
                actor=owner,
                progress=lambda done, total, message: progress(done, total, message),
            )
        except LinkageError as exc:
            raise JobError(str(exc)) from None
    return {
        "url": reverse("linkage:run", args=[run.pk]),
        "run": run.pk,
        "persons": run.person_count,
        "pairs": run.pair_count,
        "clusters": run.cluster_count,
    }
