"""Making estimation runs: count, estimate, save and audit, with the permissions of the user who asked.

Both entry points run inside a background job (:mod:`haven.estimation.jobs`) and check the policy again
there, with the owner's role and grants as they are when the job runs:

- :func:`estimation_run` counts the lists the user chose (:func:`haven.estimation.selectors.capture_table`)
  and estimates from that table;
- :func:`estimation_rerun` estimates again from the stored inputs of an earlier run (the same table, method,
  settings and seed), which gives the same numbers as long as the software versions are the same.

Every run is saved (:class:`~haven.estimation.models.EstimationRun`), whatever its outcome, with an
``ESTIMATION_RUN`` audit entry written in the same transaction.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from haven.accounts import policy
from haven.audit.models import AuditAction
from haven.audit.services import audit_record, audit_refusal
from haven.estimation import compute as computing
from haven.estimation.access import TARGET, runs_visible_to
from haven.estimation.models import EstimationRun, Method
from haven.estimation.selectors import TableSpec, capture_table, organisations_for
from haven.vocab.models import Term

Progress = Callable[..., None]

# Limits on the sampler settings accepted from users (the form enforces the same).
MAX_SWEEPS = 2_000_000
SEED_LIMIT = 2**63


class EstimationRefused(Exception):
    """The user may not make this run (no capability, or a list they may not see); already audited."""


@dataclass(frozen=True)
class MethodSpec:
    method: str
    criterion: str = "aic"
    max_order: int | None = None
    K: int | None = None
    burnin: int = 10_000
    samples: int = 1_000
    thinning: int = 10
    chains: int = 2
    seed: int | None = None

    def settings(self) -> dict[str, Any]:
        if self.method == Method.LOGLINEAR:
            return {"criterion": self.criterion, "max_order": self.max_order}
        if self.method == Method.LCMCR:
            seed = self.seed if self.seed is not None else secrets.randbelow(SEED_LIMIT)
            return {
                "K": self.K,
                "burnin": self.burnin,
                "samples": self.samples,
                "thinning": self.thinning,
                "chains": self.chains,
                "seed": seed,
            }
        raise ValueError(f"unknown method {self.method!r}")


def _refuse(actor: Any, reason: str, message: str, target: Any = None) -> EstimationRefused:
    audit_refusal(
        actor=actor,
        action=AuditAction.ACCESS_REFUSED,
        target=target,
        details={"operation": "estimation", "reason": reason},
    )
    return EstimationRefused(message)


def _check_capability(actor: Any) -> None:
    if not policy.has(actor, policy.Capability.RUN_ESTIMATION):
        raise _refuse(actor, "capability", _("You may not run estimates."))


def _act_type(pk: int | None) -> dict[str, str] | None:
    if pk is None:
        return None
    term = Term.objects.get(pk=pk, vocabulary__code="act-types")
    return {"code": term.code, "label_en": term.label_en, "label_ko": term.label_ko}


def estimation_run(
    *, actor: Any, table: TableSpec, method: MethodSpec, progress: Progress | None = None
) -> EstimationRun:
    """Count the chosen lists as ``actor`` may see them, estimate, save the run and audit it.

    Raises:
        EstimationRefused: ``actor`` may not run estimates, or may not see one of the lists.
    """
    _check_capability(actor)
    allowed = set(organisations_for(actor).filter(pk__in=table.organisation_ids).values_list("pk", flat=True))
    refused = sorted(set(table.organisation_ids) - allowed)
    if refused:
        # A list that does not exist and one the user may not see are refused alike.
        raise _refuse(
            actor,
            "list not visible",
            _(
                "List %(ids)s is not available to you: choose among the organisations whose records you may see."
            )
            % {"ids": ", ".join(str(i) for i in refused)},
            target=("accounts.organisation", str(refused[0])),
        )
    _say(progress, _("Counting the people on each list"))
    counted = capture_table(actor, table)
    inputs = {
        "lists": counted.lists,
        "population": table.population,
        "filters": {
            "act_type": _act_type(table.act_type_id),
            "year_from": table.year_from,
            "year_to": table.year_to,
        },
        "strata": counted.strata,
        "band": table.band,
        "method": method.method,
        "settings": method.settings(),
        "table": counted.rows,
        "selection": {
            "records": counted.records,
            "units": counted.units,
            "excluded_groups": counted.excluded_groups,
        },
        "versions": computing.software_versions(),
    }
    return _estimate_and_save(actor, inputs, counted.compartment_ids, None, progress)


def estimation_rerun(*, actor: Any, source_id: int, progress: Progress | None = None) -> EstimationRun:
    """Estimate again from the stored inputs of run ``source_id`` and save the result as a new run.

    Raises:
        EstimationRefused: ``actor`` may not run estimates, or may not read the run.
    """
    _check_capability(actor)
    source = runs_visible_to(actor).filter(pk=source_id).first()
    if source is None:
        raise _refuse(
            actor,
            "run not visible",
            _("Run E-%(id)s is not available to you.") % {"id": source_id},
            target=(TARGET, str(source_id)),
        )
    inputs = copy.deepcopy(source.inputs)
    inputs["versions"] = computing.software_versions()
    return _estimate_and_save(actor, inputs, list(source.compartment_ids), source, progress)


def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(0, None, message, force=True)


def _estimate_and_save(
    actor: Any,
    inputs: dict[str, Any],
    compartment_ids: list[int],
    rerun_of: EstimationRun | None,
    progress: Progress | None,
) -> EstimationRun:
    if inputs["method"] == Method.LCMCR:
        _say(progress, _("Running the sampler"))
        message = _("Sampling")

        def sampled(done: int, total: int) -> None:
            if progress is not None:
                progress(done, total, message, force=done >= total)

        outputs = computing.compute(inputs, sampled)
    else:
        _say(progress, _("Fitting the log-linear models"))
        outputs = computing.compute(inputs)
    _say(progress, _("Saving the run"))
    return estimation_run_save(actor=actor, inputs=inputs, outputs=outputs, compartment_ids=compartment_ids,
                               rerun_of=rerun_of)  # fmt: skip


def estimation_run_save(
    *,
    actor: Any,
    inputs: dict[str, Any],
    outputs: dict[str, Any],
    compartment_ids: list[int],
    rerun_of: EstimationRun | None = None,
) -> EstimationRun:
    """Save a run and its ``ESTIMATION_RUN`` audit entry in one transaction."""
    settings = inputs["settings"]
    with transaction.atomic():
        run = EstimationRun.objects.create(
            owner=actor,
            organisation_id=getattr(actor, "organisation_id", None),
            rerun_of=rerun_of,
            method=inputs["method"],
            status=outputs["status"],
            num_lists=len(inputs["lists"]),
            observed=outputs["observed"],
            estimate=outputs["estimate"],
            lower=outputs["lower"],
            upper=outputs["upper"],
            seed=settings.get("seed"),
            compartment_ids=sorted(set(compartment_ids)),
            inputs_sha256=computing.inputs_fingerprint(inputs),
            inputs=inputs,
            outputs=outputs,
            elapsed_seconds=outputs.get("elapsed_seconds", 0.0),
        )
        audit_record(
            actor=actor,
            action=AuditAction.ESTIMATION_RUN,
            target=run,
            details={
                "method": run.method,
                "status": run.status,
                "lists": [item["code"] for item in inputs["lists"]],
                "strata": list(inputs["strata"]),
                "observed": run.observed,
                "inputs_sha256": run.inputs_sha256,
                "rerun_of": rerun_of.pk if rerun_of else None,
                "compartments": run.compartment_ids,
            },
        )
    return run
