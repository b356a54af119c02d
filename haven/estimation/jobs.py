"""The background job that makes an estimation run (registered when the app is ready).

Parameters come from :class:`haven.estimation.forms.RunForm` (``{"table": ..., "method": ...}``) or from the
re-run button (``{"rerun_of": <run id>}``). The runner acts with the owner's permissions as they are when it
runs, so a grant withdrawn after the form was sent is respected; a refusal fails the job with its reason.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import translation

from haven.estimation.selectors import TableSpec
from haven.estimation.services import (
    EstimationRefused,
    MethodSpec,
    estimation_rerun,
    estimation_run,
)
from haven.jobs.progress import Progress
from haven.jobs.registry import JobError, register

KIND = "estimation.run"


@register(KIND)
def run_estimation_job(owner: Any, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    with translation.override(getattr(owner, "preferred_language", None) or "en"):
        try:
            if params.get("rerun_of") is not None:
                run = estimation_rerun(actor=owner, source_id=int(params["rerun_of"]), progress=progress)
            else:
                table = params["table"]
                run = estimation_run(
                    actor=owner,
                    table=TableSpec(
                        organisation_ids=tuple(int(i) for i in table["organisation_ids"]),
                        population=table["population"],
                        act_type_id=table.get("act_type_id"),
                        year_from=table.get("year_from"),
                        year_to=table.get("year_to"),
                        strata=tuple(table.get("strata", ())),
                        band=int(table.get("band", 5)),
                    ),
                    method=MethodSpec(**params["method"]),
                    progress=progress,
                )
        except EstimationRefused as exc:
            raise JobError(str(exc)) from None
    return {"url": reverse("estimation:run", args=[run.pk]), "run": run.pk}
