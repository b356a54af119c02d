"""Writes of the linkage app, and :func:`identity_map`, the interface other apps use.

Every service checks the access policy, runs in one transaction and writes the audit log in it:

- :func:`linkage_run_request` queues a run of the persons of some compartments (``RUN_LINKAGE``);
  :func:`linkage_run_execute` runs it (the background job calls it): it gathers the persons the user may
  see, decrypts their identifying values in memory only, runs the engine with the reviewers' decisions as
  labels, and stores candidate pairs and clusters without any clear value.
- :func:`pair_decide` and :func:`cluster_decide` record a reviewer's decision (``MERGE_RECORDS``); an
  accepted pair or cluster is merged by :func:`persons_merge`, and :func:`merge_undo` puts back exactly the
  grouping a merge replaced. Nothing is ever deleted: merges add identities and memberships, undos close
  and reopen memberships, superseded decisions stay as history.

Sudo mode (a fresh re-authentication) for merging and undoing is the web layer's job: services are also
called from commands, which act for a named user and cannot ask for a password.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from itertools import combinations
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts import policy
from haven.accounts.models import Compartment
from haven.analytics.linkage import DEFAULT_THRESHOLD, InputError, LinkResult, TrainingError, link_records
from haven.audit.models import AuditAction
from haven.audit.services import audit_record, audit_refusal
from haven.jobs.progress import Cancelled
from haven.linkage import inputs
from haven.linkage.models import (
    CandidatePair,
    ClusterMember,
    Decision,
    Identity,
    LinkageRun,
    Membership,
    Merge,
    MergeKind,
    ProposedCluster,
    ReviewDecision,
    RunStatus,
)
from haven.records.models import Person

logger = logging.getLogger(__name__)

#: progress(done, total, message): how far a run is, for the job page.
RunProgress = Callable[[int, int, str], None]

# Below this many persons a model cannot be trained (EM finds no pairs to learn from).
MIN_PERSONS = 2
_BATCH = 2000
# Share of a run's progress bar given to each stage of the engine (the rest is gathering and storing).
_STAGES = {
    "reading": (5, 10),
    "name keys": (10, 20),
    "places": (20, 22),
    "prepared": (22, 25),
    "train": (25, 65),
    "predict": (65, 80),
    "cluster": (80, 90),
}


class LinkageError(Exception):
    """A request the linkage app cannot carry out; the message says why, for the user, with no value in it."""


# ---- identities: the interface other apps use ------------------------------------------------------------


def identity_map(person_ids: Iterable[int]) -> dict[int, int]:
    """Map each Person id to its identity key after the merges in effect.

    A person that is in no merged identity maps to its own id; the persons of a merged identity all map
    to the smallest Person id among its current members. Two ids map to the same key exactly when the
    reviewers' merges (not undone) make them one human. Ids of persons that do not exist map to themselves.

    Args:
        person_ids: Person ids (any iterable; duplicates are fine).

    Returns:
        {person id: identity key} for every id given.
    """
    ids = sorted({int(pk) for pk in person_ids})
    result = {pk: pk for pk in ids}
    open_rows = Membership.objects.filter(closed_by__isnull=True)
    identity_of: dict[int, int] = {}
    for start in range(0, len(ids), 900):  # under SQLite's limit on query parameters
        chunk = ids[start : start + 900]
        identity_of.update(open_rows.filter(person_id__in=chunk).values_list("person_id", "identity_id"))
    keys: dict[int, int] = {}
    identities = sorted(set(identity_of.values()))
    for start in range(0, len(identities), 900):
        chunk = identities[start : start + 900]
        keys.update(
            open_rows.filter(identity_id__in=chunk)
            .values("identity_id")
            .annotate(key=Min("person_id"))
            .values_list("identity_id", "key")
        )
    for pk, identity in identity_of.items():
        result[pk] = keys[identity]
    return result


def identity_members(person_id: int) -> list[int]:
    """Return the ids of the persons currently grouped with ``person_id`` (itself included), sorted."""
    row = Membership.objects.filter(closed_by__isnull=True, person_id=person_id).first()
    if row is None:
        return [person_id]
    return sorted(
        Membership.objects.filter(closed_by__isnull=True, identity_id=row.identity_id).values_list(
            "person_id", flat=True
        )
    )


def same_identity(left_id: int, right_id: int) -> bool:
    keys = identity_map([left_id, right_id])
    return keys[left_id] == keys[right_id]


# ---- permission helpers ----------------------------------------------------------------------------------


def _require(actor: Any, capability: policy.Capability, *, target: Any = None, request: Any = None) -> None:
    if not policy.has(actor, capability):
        audit_refusal(
            actor=actor,
            action=AuditAction.ACCESS_REFUSED,
            target=target,
            request=request,
            details={"reason": f"needs {capability.value}"},
        )
        raise PermissionDenied(_("Your role may not do this."))


def _require_all_visible(actor: Any, person_ids: Iterable[int], *, request: Any = None) -> None:
    wanted = set(person_ids)
    seen = set(policy.visible(actor, Person.objects.filter(pk__in=wanted)).values_list("pk", flat=True))
    if seen != wanted:
        audit_refusal(
            actor=actor,
            action=AuditAction.ACCESS_REFUSED,
            target=("records.person", ""),
            request=request,
            details={"reason": "linkage involves records not visible", "persons": len(wanted)},
        )
        raise LinkageError(
            _("This involves records you may not see. Ask a reviewer who has access to all of them.")
        )


# ---- merges and their undoing --------------------------------------------------------------------------


@transaction.atomic
def persons_merge(
    *,
    actor: Any,
    persons: Sequence[Person | int],
    note: str = "",
    run: LinkageRun | None = None,
    request: Any = None,
) -> Merge:
    """Group ``persons`` (and everyone already grouped with them) into one new identity.

    The identities they were in are closed, not changed: their memberships end with this merge, and
    :func:`merge_undo` opens them again. No Person row is touched.

    Raises:
        PermissionDenied: The actor may not merge records.
        LinkageError: Fewer than two records, already one identity, or a record the actor may not see.
    """
    _require(actor, policy.C.MERGE_RECORDS, target=("linkage.merge", ""), request=request)
    ids = sorted({p.pk if isinstance(p, Person) else int(p) for p in persons})
    if len(ids) < 2:
        raise LinkageError(_("A merge needs at least two records."))
    current = list(Membership.objects.select_for_update().filter(closed_by__isnull=True, person_id__in=ids))
    identity_ids = {m.identity_id for m in current}
    absorbed = list(
        Membership.objects.select_for_update().filter(closed_by__isnull=True, identity_id__in=identity_ids)
    )
    grouped = {m.person_id for m in current}
    loose = [pk for pk in ids if pk not in grouped]
    if len(identity_ids) + len(loose) < 2:
        raise LinkageError(_("These records are already merged."))
    members = sorted({m.person_id for m in absorbed} | set(loose))
    if Person.objects.filter(pk__in=members).count() != len(members):
        raise LinkageError(_("A record to merge does not exist."))
    _require_all_visible(actor, members, request=request)

    identity = Identity.objects.create()
    merge = Merge.objects.create(kind=MergeKind.MERGE, actor=actor, identity=identity, run=run, note=note)
    Membership.objects.filter(pk__in=[m.pk for m in absorbed]).update(closed_by=merge)
    Membership.objects.bulk_create(
        [Membership(identity=identity, person_id=pk, opened_by=merge) for pk in members]
    )
    _audit_grouping(actor, AuditAction.RECORD_MERGED, merge, members, request)
    return merge


def _audit_grouping(
    actor: Any, action: AuditAction, merge: Merge, members: Sequence[int], request: Any
) -> None:
    compartments = dict(Person.objects.filter(pk__in=members).values_list("pk", "compartment_id"))
    for pk in members:
        audit_record(
            actor=actor,
            action=action,
            target=("records.person", pk),
            compartment_id=compartments.get(pk),
            request=request,
            details={
                "merge": merge.pk,
                "kind": merge.kind,
                "identity": merge.identity_id,
                "persons": list(members),
                "run": merge.run_id,
                "has_note": bool(merge.note),
            },
        )


@transaction.atomic
def merge_undo(*, actor: Any, merge: Merge, note: str = "", request: Any = None) -> Merge:
    """Undo a merge: its identity's memberships close, and those it closed open again, as they were.

    Only the latest grouping can be undone: if a later merge took this identity in, that one is undone
    first. The decisions that led to the merge stop being current (they remain as history), so the pairs
    come back to the review queue.

    Raises:
        PermissionDenied: The actor may not merge records.
        LinkageError: Not a merge, already undone, overtaken by a later merge, or not all visible.
    """
    _require(actor, policy.C.MERGE_RECORDS, target=("linkage.merge", merge.pk), request=request)
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if merge.kind != MergeKind.MERGE:
        raise LinkageError(_("Only a merge can be undone."))
    if Merge.objects.filter(undoes=merge).exists():
        raise LinkageError(_("This merge has already been undone."))
    opened_persons = set(Membership.objects.filter(opened_by=merge).values_list("person_id", flat=True))
    still_open = list(
        Membership.objects.select_for_update().filter(identity_id=merge.identity_id, closed_by__isnull=True)
    )
    if {m.person_id for m in still_open} != opened_persons:
        later = (
            Membership.objects.filter(identity_id=merge.identity_id, closed_by__isnull=False)
            .order_by("-closed_by_id")
            .values_list("closed_by_id", flat=True)
            .first()
        )
        raise LinkageError(
            _("Merge %(later)s took these records in after this one: undo it first.") % {"later": later}
        )
    members = sorted(opened_persons)
    _require_all_visible(actor, members, request=request)
    before = list(Membership.objects.filter(closed_by=merge))

    undo = Merge.objects.create(
        kind=MergeKind.UNDO,
        actor=actor,
        identity_id=merge.identity_id,
        undoes=merge,
        run=merge.run,
        note=note,
    )
    Membership.objects.filter(pk__in=[m.pk for m in still_open]).update(closed_by=undo)
    Membership.objects.bulk_create(
        [Membership(identity_id=m.identity_id, person_id=m.person_id, opened_by=undo) for m in before]
    )
    ReviewDecision.objects.filter(merge=merge, current=True).update(
        current=False, superseded_at=timezone.now()
    )
    _audit_grouping(actor, AuditAction.RECORD_UNMERGED, undo, members, request)
    return undo


def grouping_snapshot(person_ids: Iterable[int]) -> dict[int, int | None]:
    """Return {person id: identity id or None}: the grouping as stored (for tests and checks)."""
    ids = list(person_ids)
    rows = dict(
        Membership.objects.filter(closed_by__isnull=True, person_id__in=ids).values_list(
            "person_id", "identity_id"
        )
    )
    return {pk: rows.get(pk) for pk in ids}


# ---- reviewers' decisions ------------------------------------------------------------------------------


def _supersede(queryset: Any) -> None:
    queryset.filter(current=True).update(current=False, superseded_at=timezone.now())


def _audit_decision(actor: Any, decision: ReviewDecision, persons: Sequence[int], request: Any) -> None:
    compartment = Person.objects.filter(pk=persons[0]).values_list("compartment_id", flat=True).first()
    audit_record(
        actor=actor,
        action=AuditAction.LINKAGE_REVIEWED,
        target=decision,
        compartment_id=compartment,
        request=request,
        details={
            "decision": decision.decision,
            "kind": decision.kind,
            "persons": list(persons),
            "run": decision.run_id,
            "cluster": decision.cluster_id,
            "merge": decision.merge_id,
            "has_note": bool(decision.note),
        },
    )


@transaction.atomic
def pair_decide(
    *,
    actor: Any,
    left: Person,
    right: Person,
    decision: str,
    note: str = "",
    pair: CandidatePair | None = None,
    request: Any = None,
) -> ReviewDecision:
    """Record that two persons are the same human (merging them), different people, or unsure.

    Raises:
        PermissionDenied: The actor may not merge records.
        LinkageError: An unknown decision, the same person twice, a record the actor may not see, or a
            rejection of two records that are merged (undo the merge first).
    """
    _require(actor, policy.C.MERGE_RECORDS, target=("linkage.candidatepair", pair.pk if pair else ""))
    if decision not in Decision.values:
        raise LinkageError(_("Unknown decision %(decision)r.") % {"decision": decision})
    if left.pk == right.pk:
        raise LinkageError(_("A record cannot be compared with itself."))
    left, right = (left, right) if left.pk < right.pk else (right, left)
    _require_all_visible(actor, [left.pk, right.pk], request=request)
    merged = same_identity(left.pk, right.pk)
    if merged and decision != Decision.ACCEPT:
        raise LinkageError(_("These two records are merged: undo the merge before judging them otherwise."))
    run = pair.run if pair is not None else None
    _supersede(ReviewDecision.objects.filter(kind=ReviewDecision.Kind.PAIR, left=left, right=right))
    merge = None
    if decision == Decision.ACCEPT and not merged:
        merge = persons_merge(actor=actor, persons=[left, right], note=note, run=run, request=request)
    made = ReviewDecision.objects.create(
        kind=ReviewDecision.Kind.PAIR,
        left=left,
        right=right,
        pair=pair,
        cluster=pair.cluster if pair is not None else None,
        run=run,
        decision=decision,
        decided_by=actor,
        note=note,
        merge=merge,
    )
    _audit_decision(actor, made, [left.pk, right.pk], request)
    return made


@transaction.atomic
def cluster_decide(
    *,
    actor: Any,
    cluster: ProposedCluster,
    decision: str,
    note: str = "",
    request: Any = None,
) -> ReviewDecision:
    """Record a decision on a whole proposed cluster.

    Accepting merges all its members and records every pair among them as the same person (labels for
    the next run). Rejecting or "unsure" says only that the cluster as a whole is not right: which pairs
    are wrong is decided pair by pair.

    Raises:
        PermissionDenied: The actor may not merge records.
        LinkageError: An unknown decision, a member the actor may not see, or (accepting) a pair among
            the members already judged to be different people.
    """
    _require(actor, policy.C.MERGE_RECORDS, target=("linkage.proposedcluster", cluster.pk))
    if decision not in Decision.values:
        raise LinkageError(_("Unknown decision %(decision)r.") % {"decision": decision})
    members = sorted(ClusterMember.objects.filter(cluster=cluster).values_list("person_id", flat=True))
    _require_all_visible(actor, members, request=request)
    merge = None
    if decision == Decision.ACCEPT:
        rejected = ReviewDecision.objects.filter(
            kind=ReviewDecision.Kind.PAIR,
            current=True,
            decision=Decision.REJECT,
            left_id__in=members,
            right_id__in=members,
        ).first()
        if rejected is not None:
            raise LinkageError(
                _(
                    "Records %(left)s and %(right)s of this cluster were judged to be different people: "
                    "review that pair again first."
                )
                % {"left": rejected.left_id, "right": rejected.right_id}
            )
        keys = identity_map(members)
        if len(set(keys.values())) > 1:
            merge = persons_merge(actor=actor, persons=members, note=note, run=cluster.run, request=request)
        pairs = {(p.left_id, p.right_id): p for p in CandidatePair.objects.filter(cluster=cluster)}
        _supersede(
            ReviewDecision.objects.filter(
                kind=ReviewDecision.Kind.PAIR, left_id__in=members, right_id__in=members
            )
        )
        ReviewDecision.objects.bulk_create(
            [
                ReviewDecision(
                    kind=ReviewDecision.Kind.PAIR,
                    left_id=a,
                    right_id=b,
                    pair=pairs.get((a, b)),
                    cluster=cluster,
                    run=cluster.run,
                    decision=Decision.ACCEPT,
                    decided_by=actor,
                    merge=merge,
                )
                for a, b in combinations(members, 2)
            ],
            batch_size=_BATCH,
        )
    _supersede(ReviewDecision.objects.filter(kind=ReviewDecision.Kind.CLUSTER, cluster=cluster))
    made = ReviewDecision.objects.create(
        kind=ReviewDecision.Kind.CLUSTER,
        cluster=cluster,
        run=cluster.run,
        decision=decision,
        decided_by=actor,
        note=note,
        merge=merge,
    )
    _audit_decision(actor, made, members, request)
    return made


def current_labels(person_ids: Iterable[int]) -> list[tuple[int, int, bool]]:
    """Return the current pair decisions among ``person_ids`` as (left, right, same person?) labels."""
    ids = set(person_ids)
    rows = ReviewDecision.objects.filter(
        kind=ReviewDecision.Kind.PAIR, current=True, decision__in=[Decision.ACCEPT, Decision.REJECT]
    ).values_list("left_id", "right_id", "decision")
    return [
        (left, right, decision == Decision.ACCEPT)
        for left, right, decision in rows.iterator(chunk_size=_BATCH)
        if left in ids and right in ids
    ]


# ---- runs ---------------------------------------------------------------------------------------------


@transaction.atomic
def linkage_run_request(
    *,
    actor: Any,
    compartments: Sequence[Compartment],
    threshold: float = DEFAULT_THRESHOLD,
    seed: int | None = None,
    model_from: LinkageRun | None = None,
    request: Any = None,
) -> LinkageRun:
    """Create a queued run over the persons of ``compartments`` that ``actor`` may see.

    The caller then starts it: :func:`linkage_run_submit` (a background job) or
    :func:`linkage_run_execute` (at once, e.g. from a command).

    Raises:
        PermissionDenied: The actor may not run linkage.
        LinkageError: No compartment, a compartment not granted to the actor, a threshold out of range,
            or a model to reuse from a run that is not finished or not visible.
    """
    _require(actor, policy.C.RUN_LINKAGE, target=("linkage.linkagerun", ""), request=request)
    chosen = list(compartments)
    if not chosen:
        raise LinkageError(_("Choose at least one compartment."))
    granted = policy.compartment_ids(actor)
    refused = [c for c in chosen if c.pk not in granted]
    if refused:
        raise LinkageError(_("Compartment %(code)s is not granted to you.") % {"code": refused[0].code})
    if not 0.05 <= threshold <= 0.99:
        raise LinkageError(_("The threshold must be between 0.05 and 0.99."))
    if model_from is not None and (
        model_from.status != RunStatus.DONE or not run_visible(actor, model_from) or not model_from.model_json
    ):
        raise LinkageError(_("The model to reuse must come from a finished run you can see."))
    run = LinkageRun.objects.create(
        created_by=actor,
        threshold=threshold,
        seed=secrets.randbelow(2**31) if seed is None else seed,
        model_from=model_from,
    )
    run.compartments.set(chosen)
    audit_record(
        actor=actor,
        action=AuditAction.LINKAGE_RUN,
        target=run,
        request=request,
        details={
            "stage": "requested",
            "compartments": sorted(c.pk for c in chosen),
            "seed": run.seed,
            "threshold": str(threshold),
            "model_from": model_from.pk if model_from else None,
        },
    )
    return run


JOB_KIND = "linkage.run"


def linkage_run_submit(run: LinkageRun, *, actor: Any) -> Any:
    """Start ``run`` as a background job (haven.jobs) and return the job."""
    from haven.jobs.services import submit

    job = submit(JOB_KIND, user=actor, params={"run": run.pk})
    LinkageRun.objects.filter(pk=run.pk, job_id__isnull=True).update(job_id=job.pk)
    run.refresh_from_db()
    return job


def run_sync_with_job(run: LinkageRun) -> LinkageRun:
    """Mark an unfinished run failed (or cancelled) when its job ended without it: e.g. the worker died.

    The jobs app marks a job whose process stopped as failed; the run it was running learns it here.
    """
    if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING) or run.job_id is None:
        return run
    from haven.jobs.models import Job, JobStatus
    from haven.jobs.services import recover_stale

    recover_stale()
    job = Job.objects.filter(pk=run.job_id).values("status", "error").first()
    if job is None or job["status"] not in (JobStatus.FAILED, JobStatus.CANCELLED):
        return run
    status = RunStatus.CANCELLED if job["status"] == JobStatus.CANCELLED else RunStatus.FAILED
    LinkageRun.objects.filter(pk=run.pk, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).update(
        status=status,
        error=job["error"] or _("The job running this linkage stopped."),
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
    return run


def run_visible(user: Any, run: LinkageRun) -> bool:
    """May ``user`` see ``run`` at all (its pairs are further filtered person by person)?"""
    if not (policy.has(user, policy.C.RUN_LINKAGE) or policy.has(user, policy.C.MERGE_RECORDS)):
        return False
    mine = policy.compartment_ids(user)
    return any(c.pk in mine for c in run.compartments.all())


def _progress_adapter(progress: RunProgress | None) -> Callable[[str, int, int], None]:
    def report(stage: str, done: int, total: int) -> None:
        if progress is None:
            return
        low, high = _STAGES.get(stage, (25, 90))
        share = done / total if total else 0.0
        progress(low + int((high - low) * min(share, 1.0)), 100, _stage_message(stage))

    return report


def _stage_message(stage: str) -> str:
    return {
        "reading": _("Reading the records"),
        "name keys": _("Reading the names"),
        "places": _("Reading the places"),
        "prepared": _("Records ready"),
        "train": _("Training the model"),
        "predict": _("Scoring candidate pairs"),
        "cluster": _("Grouping into people"),
    }.get(stage, stage)


def _fail(run: LinkageRun, status: str, message: str) -> None:
    LinkageRun.objects.filter(pk=run.pk).update(status=status, error=message, finished_at=timezone.now())


def linkage_run_execute(*, run: LinkageRun, actor: Any, progress: RunProgress | None = None) -> LinkageRun:
    """Run a queued linkage run to the end and store its pairs and clusters.

    Checks again that ``actor`` (the run's creator) may run linkage and still holds every compartment of
    the run; gathers the persons of those compartments that the access policy lets ``actor`` see
    (individuals only); decrypts their names, birth years and origins in memory; passes them to the
    engine with the current reviewers' decisions among them as labels; then stores, in one transaction,
    the candidate pairs (probability, weight, per-comparison levels and weights), the clusters of two or
    more persons, and the run's encrypted model, and writes the audit entry.

    On failure the run is marked failed with a message for the user and nothing of it is stored.

    Raises:
        LinkageError: The run cannot be carried out (permissions, too few records, an engine failure);
            the run is marked failed first.
    """
    if run.created_by_id != getattr(actor, "pk", None):
        raise LinkageError(_("Only the user who asked for a run can run it."))
    if not policy.has(actor, policy.C.RUN_LINKAGE):
        _fail(run, RunStatus.FAILED, _("Your role may no longer run linkage."))
        raise LinkageError(_("Your role may no longer run linkage."))
    claimed = LinkageRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        raise LinkageError(_("This run has already been started."))
    run.refresh_from_db()
    try:
        return _execute(run, actor, progress)
    except LinkageError as exc:
        _fail(run, RunStatus.FAILED, str(exc))
        raise
    except Exception as exc:
        if isinstance(exc, Cancelled):  # haven.jobs: the user stopped the job
            _fail(run, RunStatus.CANCELLED, _("Stopped at the user's request."))
            raise
        # The traceback goes to the server log only: it may quote data.
        logger.exception("linkage run %s failed", run.pk)
        message = _("The linkage failed because of an internal error; the server log has details.")
        _fail(run, RunStatus.FAILED, message)
        raise LinkageError(message) from exc


def _execute(run: LinkageRun, actor: Any, progress: RunProgress | None) -> LinkageRun:
    started = time.perf_counter()
    compartments = list(run.compartments.all())
    granted = policy.compartment_ids(actor)
    lost = [c.code for c in compartments if c.pk not in granted]
    if lost:
        raise LinkageError(_("Compartment %(code)s is no longer granted to you.") % {"code": lost[0]})
    if progress:
        progress(0, 100, _("Gathering the records"))
    persons = list(
        inputs.linkable(policy.visible(actor, Person.objects.filter(compartment__in=compartments)))
        .select_related("origin_province")
        .prefetch_related("names")
        .order_by("pk")
    )
    if len(persons) < MIN_PERSONS:
        raise LinkageError(
            _("There are %(count)s records to link in these compartments; at least two are needed.")
            % {"count": len(persons)}
        )
    ids = [p.pk for p in persons]
    organisation_of = {p.pk: p.organisation_id for p in persons}
    labels = current_labels(ids)
    model = run.model_from.model_json if run.model_from_id else None
    # Identifying values, decrypted: in memory only, for the length of the engine call.
    records = inputs.person_records(persons)
    del persons
    if progress:
        progress(5, 100, _("Reading the records"))
    try:
        result = link_records(
            records,
            seed=run.seed,
            threshold=run.threshold,
            labels=inputs.labelled_pairs(labels, organisation_of),
            model=model,
            progress=_progress_adapter(progress),
        )
    except InputError as exc:  # pragma: no cover - records built above are always valid
        raise LinkageError(
            _("Record %(id)s has an invalid %(field)s.") % {"id": ids[exc.row], "field": exc.column}
        ) from None
    except TrainingError:
        raise LinkageError(
            _(
                "The model could not be trained on %(count)s records: too few of them agree on "
                "enough fields. Add compartments, or reuse the model of an earlier run."
            )
            % {"count": len(ids)}
        ) from None
    finally:
        del records
    if progress:
        progress(90, 100, _("Saving the candidate pairs"))
    accepted = sum(1 for *_, match in labels if match)
    _store(run, actor, ids, result, accepted, len(labels) - accepted, time.perf_counter() - started)
    run.refresh_from_db()
    if progress:
        progress(100, 100, _("Done"))
    return run


@transaction.atomic
def _store(
    run: LinkageRun,
    actor: Any,
    ids: list[int],
    result: LinkResult,
    accepted: int,
    rejected: int,
    seconds: float,
) -> None:
    clusters: dict[int, list[int]] = defaultdict(list)
    for index, cluster_id in enumerate(result.cluster_ids):
        clusters[cluster_id].append(ids[index])
    cluster_of: dict[int, int] = {}
    table = result.pairs
    lefts = table["left"].to_pylist()
    rights = table["right"].to_pylist()
    probabilities = table["match_probability"].to_pylist()
    weights = table["match_weight"].to_pylist()
    comparisons = list(result.levels)
    gammas = {name: table[f"gamma_{name}"].to_pylist() for name in comparisons}
    bits = {name: table[f"mw_{name}"].to_pylist() for name in comparisons}
    for cluster_id, members in clusters.items():
        for pk in members:
            cluster_of[pk] = cluster_id

    inside: dict[int, list[float]] = defaultdict(list)
    pending: list[tuple[CandidatePair, int | None]] = []
    for k in range(table.num_rows):
        a, b = ids[lefts[k]], ids[rights[k]]
        left, right = min(a, b), max(a, b)
        p = float(probabilities[k])
        shared = cluster_of[left] if cluster_of[left] == cluster_of[right] else None
        if shared is not None:
            inside[shared].append(p)
        pending.append(
            (
                CandidatePair(
                    run=run,
                    left_id=left,
                    right_id=right,
                    match_probability=p,
                    match_weight=float(weights[k]),
                    uncertainty=abs(p - 0.5),
                    evidence={
                        name: [int(gammas[name][k]), round(float(bits[name][k] or 0.0), 3)]
                        for name in comparisons
                    },
                ),
                shared,
            )
        )

    made: dict[int, ProposedCluster] = {}
    groups = [(cid, members) for cid, members in clusters.items() if len(members) >= 2]
    for cid, members in groups:
        probs = inside.get(cid) or [1.0]  # a cluster held together only by reviewers' labels
        made[cid] = ProposedCluster(
            run=run,
            number=cid,
            size=len(members),
            min_probability=min(probs),
            mean_probability=sum(probs) / len(probs),
        )
    ProposedCluster.objects.bulk_create(list(made.values()), batch_size=_BATCH)
    ClusterMember.objects.bulk_create(
        [ClusterMember(cluster=made[cid], person_id=pk) for cid, members in groups for pk in members],
        batch_size=_BATCH,
    )
    pairs = []
    for pair, shared in pending:
        if shared is not None and shared in made:
            pair.cluster = made[shared]
        pairs.append(pair)
    CandidatePair.objects.bulk_create(pairs, batch_size=_BATCH)

    timings = {k: round(v, 3) for k, v in result.timings.items()}
    timings["total"] = round(seconds, 3)
    run.status = RunStatus.DONE
    run.finished_at = timezone.now()
    run.model_json = result.model_json
    run.level_labels = {
        name: {str(g): label for g, label in labels.items()} for name, labels in result.levels.items()
    }
    run.settings_name = result.settings_name
    run.backend = result.backend
    run.person_count = len(ids)
    run.pair_count = len(pairs)
    run.cluster_count = len(made)
    run.labels_accepted = accepted
    run.labels_rejected = rejected
    run.timings = timings
    run.error = ""
    run.save(
        update_fields=[
            "status",
            "finished_at",
            "model_json",
            "level_labels",
            "settings_name",
            "backend",
            "person_count",
            "pair_count",
            "cluster_count",
            "labels_accepted",
            "labels_rejected",
            "timings",
            "error",
        ]
    )
    audit_record(
        actor=actor,
        action=AuditAction.LINKAGE_RUN,
        target=run,
        details={
            "stage": "finished",
            "compartments": sorted(run.compartments.values_list("pk", flat=True)),
            "persons": len(ids),
            "pairs": len(pairs),
            "clusters": len(made),
            "labels": {"accepted": accepted, "rejected": rejected},
            "seed": run.seed,
            "threshold": str(run.threshold),
            "model_from": run.model_from_id,
        },
    )


def model_parameters(run: LinkageRun) -> dict[str, list[tuple[str, float | None, float | None]]]:
    """Return the run's trained m and u probabilities per comparison level (for display and tests)."""
    if not run.model_json:
        return {}
    model = json.loads(run.model_json)
    out: dict[str, list[tuple[str, float | None, float | None]]] = {}
    for comparison in model.get("comparisons", []):
        out[comparison["output_column_name"]] = [
            (lv.get("label_for_charts", ""), lv.get("m_probability"), lv.get("u_probability"))
            for lv in comparison["comparison_levels"]
            if not lv.get("is_null_level")
        ]
    return out
