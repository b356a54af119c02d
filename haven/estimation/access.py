"""Who may read an estimation run, and who sees its small counts.

Runs hold aggregates only (counts per capture pattern, estimates), never a person or an id, so they are
shared: a run is readable by its owner and by every user of the owner's organisation who may run estimates
(:attr:`~haven.accounts.policy.Capability.RUN_ESTIMATION`), so analysts can check and cite each other's
work. Other users, and every role without the capability, get the same 404 for a run that exists and one
that does not; each refusal is audited.

Small counts. A run's table was made from the records of certain compartments. A reader granted all of them
could count those records themselves, so they see every count exactly. Any other reader (a colleague without
those grants, or the owner after losing one) sees counts from 1 to 4 as "<5"
and withheld where needed, by :func:`haven.analytics.disclosure.protect_table` (the rules every statistic of
Haven uses), so that no hidden count can be worked out from the totals on the page.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from haven.accounts import policy
from haven.audit.models import AuditAction
from haven.audit.services import audit_record, audit_refusal
from haven.estimation.models import EstimationRun

TARGET = "estimation.estimationrun"


def runs_visible_to(user: Any) -> QuerySet[EstimationRun]:
    """Return the runs ``user`` may read: their own and their organisation's, if they may run estimates."""
    if not policy.has(user, policy.Capability.RUN_ESTIMATION):
        return EstimationRun.objects.none()
    shared = Q(owner_id=user.pk)
    if getattr(user, "organisation_id", None) is not None:
        shared |= Q(organisation_id=user.organisation_id)
    return EstimationRun.objects.filter(shared)


def run_for_user(
    user: Any, pk: Any, *, request: Any = None, via: str = "page", audit: bool = True
) -> EstimationRun:
    """Return run ``pk`` if ``user`` may read it (auditing the read), else raise the same 404 as for no run."""
    try:
        run = runs_visible_to(user).select_related("owner", "organisation", "rerun_of").get(pk=int(pk))
    except (EstimationRun.DoesNotExist, ValueError, TypeError):
        audit_refusal(
            actor=user,
            action=AuditAction.ACCESS_REFUSED,
            target=(TARGET, str(pk)),
            request=request,
            details={"reason": "not found or not permitted", "via": via},
        )
        raise Http404("No such run.") from None
    if audit:
        audit_record(
            actor=user,
            action=AuditAction.RECORD_VIEWED,
            target=run,
            request=request,
            details={"via": via, "small_counts_shown": shows_small_counts(user, run)},
        )
    return run


def shows_small_counts(user: Any, run: EstimationRun) -> bool:
    """Return whether ``user`` may see the run's counts from 1 to 4 as they are."""
    if not policy.has(user, policy.Capability.RUN_ESTIMATION):
        return False
    return set(run.compartment_ids) <= policy.compartment_ids(user)
