"""Permission-checked reads of the linkage app: runs, the review queue, clusters, merges.

Who sees what:

- the queue and runs: users with ``RUN_LINKAGE`` (analysts, who run linkage) or ``MERGE_RECORDS``
  (documenters, who decide), for runs over at least one compartment granted to them;
- a pair, a cluster or a merge: only when the access policy lets the user see *every* person in it
  (compartment and confidentiality), so nobody learns that a record they may not see exists;
- identifying values of those persons: only with ``VIEW_IDENTIFYING`` (:func:`person_card` masks them);
- deciding: ``MERGE_RECORDS`` (the services check again).

A missing object and a forbidden one give the same 404, and the refusal is audited.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from haven.accounts import policy
from haven.audit.models import AuditAction
from haven.audit.services import audit_refusal
from haven.linkage.models import (
    CandidatePair,
    ClusterMember,
    LinkageRun,
    Membership,
    Merge,
    MergeKind,
    ProposedCluster,
    ReviewDecision,
)
from haven.linkage.services import run_visible
from haven.records.models import Person, PersonName


def may_use_queue(user: Any) -> bool:
    return policy.has(user, policy.C.RUN_LINKAGE) or policy.has(user, policy.C.MERGE_RECORDS)


def may_decide(user: Any) -> bool:
    return policy.has(user, policy.C.MERGE_RECORDS)


def may_run(user: Any) -> bool:
    return policy.has(user, policy.C.RUN_LINKAGE)


def _refuse(user: Any, kind: str, pk: Any, request: Any) -> NoReturn:
    audit_refusal(
        actor=user,
        action=AuditAction.ACCESS_REFUSED,
        target=(kind, str(pk)),
        request=request,
        details={"reason": "not found or not permitted"},
    )
    raise Http404("No such page.")


def _visible_persons(user: Any) -> QuerySet[Person]:
    return policy.visible(user, Person.objects.all())


def runs_for(user: Any) -> QuerySet[LinkageRun]:
    """Return the runs over at least one compartment granted to ``user`` (none without the capability)."""
    if not may_use_queue(user):
        return LinkageRun.objects.none()
    return (
        LinkageRun.objects.filter(compartments__in=policy.compartment_ids(user))
        .distinct()
        .select_related("created_by")
        .prefetch_related("compartments")
        .order_by("-created_at", "-pk")
    )


def run_for_user(user: Any, pk: Any, *, request: Any = None) -> LinkageRun:
    # The trained model (encrypted; hundreds of kilobytes with its term frequencies) is read only by the services
    # that rescore or export: deferred, so that a review page does not decrypt it, and its source run's, each time.
    run = (
        LinkageRun.objects.select_related("created_by", "model_from")
        .defer("model_json", "model_from__model_json")
        .filter(pk=_int(pk))
        .first()
    )
    if run is None or not run_visible(user, run):
        _refuse(user, "linkage.linkagerun", pk, request)
    return run


def run_fully_visible(user: Any, run: LinkageRun) -> bool:
    """May ``user`` see the run's totals (they hold every compartment of it)?"""
    mine = policy.compartment_ids(user)
    return all(c.pk in mine for c in run.compartments.all())


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _merged_together() -> Exists:
    return Exists(
        Membership.objects.filter(
            closed_by__isnull=True,
            person=OuterRef("left"),
            identity__memberships__closed_by__isnull=True,
            identity__memberships__person=OuterRef("right"),
        )
    )


def _decided() -> Exists:
    return Exists(
        ReviewDecision.objects.filter(
            kind=ReviewDecision.Kind.PAIR, current=True, left=OuterRef("left"), right=OuterRef("right")
        )
    )


def _review_persons(identifying: bool) -> QuerySet[Person]:
    """Persons with what the review cards show of them: organisation, compartment, province, names."""
    # Encrypted values the cards never show are not read: each would be decrypted as it is loaded. A reader who
    # may not see identifying details gets none of them (the cards show the mask), so none is decrypted.
    hidden_names = {"family_name", "given_name"} | (set() if identifying else {"full_name"})
    hidden = {"sensitive_notes"} | (set() if identifying else set(policy.identifying_fields(Person)))
    names = PersonName.objects.defer(*sorted(hidden_names)).order_by("-is_primary", "pk")
    return (
        Person.objects.select_related("organisation", "compartment", "origin_province")
        .defer(*sorted(hidden))
        .prefetch_related(Prefetch("names", queryset=names))
    )


def with_persons(pairs: list[CandidatePair], user: Any) -> list[CandidatePair]:
    """Load both persons of every pair in ``pairs``, with their names, in two queries; return those pairs.

    What ``user`` may not see of anyone (identifying details, for a role without them) is not read: it would only
    be masked, and reading it later would cost a query of its own.

    Not joined to the pairs: the queue's query already joins both persons (access) and two anti-joins
    (decided, merged); six more joins for their organisations, compartments and provinces left PostgreSQL 13 ms
    planning a query that runs in 0.5 ms, most of a review page's database time. Not two ``prefetch_related``
    lookups either ("left", then "right"): Django runs each on its own, four queries where two do, and on a
    two-core server each query's compiling costs about as much as its running.
    """
    ids = {pk for pair in pairs for pk in (pair.left_id, pair.right_id)}
    identifying = policy.shows_identifying(user)
    persons = {p.pk: p for p in _review_persons(identifying).filter(pk__in=ids)} if ids else {}
    loaded = []
    for pair in pairs:
        # A person deleted since the pairs were read (its pairs go with it) leaves its pairs out.
        if pair.left_id in persons and pair.right_id in persons:
            pair.left = persons[pair.left_id]
            pair.right = persons[pair.right_id]
            loaded.append(pair)
    return loaded


def visible_pairs(user: Any, run: LinkageRun) -> QuerySet[CandidatePair]:
    """Return the run's pairs whose two persons ``user`` may see."""
    # The access rule on the joined persons, not ``left__in=<every visible id>``: SQLite builds that list in full
    # for each query (180,000 ids on a large instance, most of the review queue's time).
    pairs = CandidatePair.objects.filter(run=run)
    for side in ("left", "right"):
        pairs = policy.visible(
            user,
            pairs,
            compartment_field=f"{side}__compartment",
            confidentiality_field=f"{side}__confidentiality",
        )
    return pairs


def pairs_to_review(user: Any, run: LinkageRun) -> QuerySet[CandidatePair]:
    """Return the pairs still to review, least certain first (probability nearest one half).

    Left out: pairs with a current decision, and pairs whose persons are already merged.
    """
    return (
        visible_pairs(user, run)
        # Filtered on, not annotated: an annotation would be computed again for the SELECT (two more subplans).
        .filter(~_decided(), ~_merged_together())
        .order_by("uncertainty", "-match_probability", "pk")
    )


def pair_for_user(user: Any, pk: Any, *, request: Any = None) -> CandidatePair:
    found = with_persons(list(CandidatePair.objects.select_related("run").filter(pk=_int(pk))), user)
    pair = found[0] if found else None
    if (
        pair is None
        or not run_visible(user, pair.run)
        or not policy.can_view(user, pair.left)
        or not policy.can_view(user, pair.right)
    ):
        _refuse(user, "linkage.candidatepair", pk, request)
    return pair


def visible_clusters(user: Any, run: LinkageRun) -> QuerySet[ProposedCluster]:
    """Return the run's clusters all of whose members ``user`` may see."""
    visible = _visible_persons(user).values("pk")
    hidden = ClusterMember.objects.filter(cluster=OuterRef("pk")).exclude(person__in=visible)
    return ProposedCluster.objects.filter(run=run).annotate(hidden=Exists(hidden)).filter(hidden=False)


def clusters_to_review(user: Any, run: LinkageRun) -> QuerySet[ProposedCluster]:
    """Return clusters without a current decision, the weakest-linked first."""
    decided = ReviewDecision.objects.filter(
        kind=ReviewDecision.Kind.CLUSTER, current=True, cluster=OuterRef("pk")
    )
    return (
        visible_clusters(user, run)
        .annotate(decided=Exists(decided))
        .filter(decided=False)
        .order_by("min_probability", "mean_probability", "pk")
    )


def cluster_for_user(user: Any, pk: Any, *, request: Any = None) -> ProposedCluster:
    cluster = ProposedCluster.objects.select_related("run").filter(pk=_int(pk)).first()
    if cluster is None or not run_visible(user, cluster.run):
        _refuse(user, "linkage.proposedcluster", pk, request)
    members = cluster_members(cluster)
    if not all(policy.can_view(user, p) for p in members):
        _refuse(user, "linkage.proposedcluster", pk, request)
    return cluster


def cluster_members(cluster: ProposedCluster) -> list[Person]:
    names = PersonName.objects.order_by("-is_primary", "pk")
    return list(
        Person.objects.filter(pk__in=ClusterMember.objects.filter(cluster=cluster).values("person_id"))
        .select_related("organisation", "compartment", "origin_province")
        .prefetch_related(Prefetch("names", queryset=names))
        .order_by("pk")
    )


def decisions_for(user: Any, run: LinkageRun) -> QuerySet[ReviewDecision]:
    """Return the run's decisions (current and superseded) on pairs and clusters ``user`` may see."""
    visible = _visible_persons(user).values("pk")
    hidden_member = ClusterMember.objects.filter(cluster=OuterRef("cluster")).exclude(person__in=visible)
    return (
        ReviewDecision.objects.filter(run=run)
        .annotate(hidden=Exists(hidden_member))
        .filter(
            Q(kind=ReviewDecision.Kind.PAIR, left__in=visible, right__in=visible)
            | Q(kind=ReviewDecision.Kind.CLUSTER, cluster__isnull=False, hidden=False)
        )
        .select_related("decided_by", "merge", "merge__undone_by", "cluster")
        .order_by("-decided_at", "-pk")
    )


def merge_members(merges: list[Merge]) -> dict[int, list[int]]:
    """Return {merge id: the persons it grouped} (for an undo: those of the merge it undid), in one query."""
    source = {m.pk: (m.pk if m.kind == MergeKind.MERGE else m.undoes_id) for m in merges}
    found: dict[int, list[int]] = {}
    rows = Membership.objects.filter(opened_by_id__in=set(source.values())).values_list(
        "opened_by_id", "person_id"
    )
    for merge_id, person_id in rows:
        found.setdefault(merge_id, []).append(person_id)
    return {pk: sorted(found.get(src, [])) for pk, src in source.items()}


def merges_for(user: Any) -> QuerySet[Merge]:
    """Return merges and undos all of whose persons ``user`` may see, newest first."""
    if not may_use_queue(user):
        return Merge.objects.none()
    visible = _visible_persons(user).values("pk")
    hidden_merge = Membership.objects.filter(opened_by=OuterRef("pk")).exclude(person__in=visible)
    hidden_undo = Membership.objects.filter(opened_by=OuterRef("undoes")).exclude(person__in=visible)
    return (
        Merge.objects.annotate(hidden_m=Exists(hidden_merge), hidden_u=Exists(hidden_undo))
        .filter(hidden_m=False, hidden_u=False)
        .select_related("actor", "undoes", "undone_by", "run")
        .order_by("-created_at", "-pk")
    )


def merge_for_user(user: Any, pk: Any, *, request: Any = None) -> Merge:
    merge = merges_for(user).filter(pk=_int(pk)).first()
    if merge is None:
        _refuse(user, "linkage.merge", pk, request)
    return merge
