"""Reviewers' decisions: accept merges, reject and unsure do not; new decisions supersede old ones."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from haven.audit.models import AuditAction, AuditEntry
from haven.linkage.models import (
    ClusterMember,
    Decision,
    LinkageRun,
    Merge,
    ProposedCluster,
    ReviewDecision,
    RunStatus,
)
from haven.linkage.services import (
    LinkageError,
    cluster_decide,
    current_labels,
    identity_map,
    merge_undo,
    pair_decide,
)

from .conftest import Small

pytestmark = pytest.mark.django_db


def _cluster(small: Small, persons: list) -> ProposedCluster:  # type: ignore[type-arg]
    run = LinkageRun.objects.create(created_by=small.analyst, threshold=0.5, seed=1, status=RunStatus.DONE)
    run.compartments.set([small.comp_a])
    cluster = ProposedCluster.objects.create(
        run=run, number=1, size=len(persons), min_probability=0.6, mean_probability=0.8
    )
    ClusterMember.objects.bulk_create([ClusterMember(cluster=cluster, person=p) for p in persons])
    return cluster


def test_accepting_a_pair_merges_it_and_records_the_label(small: Small) -> None:
    a0, a1, *_ = small.a
    d = pair_decide(actor=small.doc, left=a1, right=a0, decision=Decision.ACCEPT, note="같은 사람")
    assert (d.left, d.right) == (a0, a1)  # stored in id order
    assert d.merge is not None and identity_map([a0.pk, a1.pk]) == {a0.pk: a0.pk, a1.pk: a0.pk}
    assert current_labels([a0.pk, a1.pk]) == [(a0.pk, a1.pk, True)]
    entry = AuditEntry.objects.filter(action=AuditAction.LINKAGE_REVIEWED).latest("seq")
    assert entry.target_type == "linkage.reviewdecision" and entry.details["decision"] == "accept"
    assert "같은 사람" not in str(entry.details)


def test_rejecting_or_being_unsure_merges_nothing(small: Small) -> None:
    a0, a1, a2, *_ = small.a
    pair_decide(actor=small.doc, left=a0, right=a2, decision=Decision.REJECT)
    pair_decide(actor=small.doc, left=a1, right=a2, decision=Decision.UNSURE)
    assert not Merge.objects.exists()
    assert current_labels([p.pk for p in small.a]) == [(a0.pk, a2.pk, False)]  # unsure is no label


def test_a_new_decision_supersedes_the_old_one_which_stays_as_history(small: Small) -> None:
    a0, a1, *_ = small.a
    first = pair_decide(actor=small.doc, left=a0, right=a1, decision=Decision.UNSURE)
    second = pair_decide(actor=small.doc, left=a0, right=a1, decision=Decision.REJECT)
    first.refresh_from_db()
    assert not first.current and first.superseded_at is not None and second.current
    assert ReviewDecision.objects.filter(left=a0, right=a1).count() == 2


def test_merged_records_cannot_be_rejected_until_the_merge_is_undone(small: Small) -> None:
    a0, a1, *_ = small.a
    accepted = pair_decide(actor=small.doc, left=a0, right=a1, decision=Decision.ACCEPT)
    with pytest.raises(LinkageError, match="undo the merge"):
        pair_decide(actor=small.doc, left=a0, right=a1, decision=Decision.REJECT)
    merge_undo(actor=small.doc, merge=accepted.merge)
    accepted.refresh_from_db()
    assert not accepted.current  # the pair is back in the queue, the label withdrawn
    assert current_labels([a0.pk, a1.pk]) == []
    pair_decide(actor=small.doc, left=a0, right=a1, decision=Decision.REJECT)
    assert current_labels([a0.pk, a1.pk]) == [(a0.pk, a1.pk, False)]


def test_deciding_needs_merge_records_and_sight_of_both_records(small: Small) -> None:
    with pytest.raises(PermissionDenied):
        pair_decide(actor=small.analyst, left=small.a[0], right=small.a[1], decision=Decision.REJECT)
    with pytest.raises(LinkageError, match="may not see"):
        pair_decide(actor=small.doc, left=small.a[0], right=small.b, decision=Decision.REJECT)
    with pytest.raises(LinkageError, match="Unknown decision"):
        pair_decide(actor=small.doc, left=small.a[0], right=small.a[1], decision="maybe")
    assert not ReviewDecision.objects.exists()


def test_accepting_a_cluster_merges_all_and_labels_every_pair(small: Small) -> None:
    members = small.a[:3]
    cluster = _cluster(small, members)
    d = cluster_decide(actor=small.doc, cluster=cluster, decision=Decision.ACCEPT)
    ids = [p.pk for p in members]
    assert set(identity_map(ids).values()) == {min(ids)}
    assert d.kind == ReviewDecision.Kind.CLUSTER and d.merge is not None
    assert sorted(current_labels(ids)) == [
        (ids[0], ids[1], True),
        (ids[0], ids[2], True),
        (ids[1], ids[2], True),
    ]
    # Undoing the cluster's merge withdraws all of them.
    merge_undo(actor=small.doc, merge=d.merge)
    assert current_labels(ids) == []
    assert not ReviewDecision.objects.filter(cluster=cluster, current=True).exists()


def test_rejecting_a_cluster_records_only_that(small: Small) -> None:
    cluster = _cluster(small, small.a[:3])
    cluster_decide(actor=small.doc, cluster=cluster, decision=Decision.REJECT, note="two sisters")
    assert not Merge.objects.exists() and current_labels([p.pk for p in small.a]) == []
    assert ReviewDecision.objects.get(cluster=cluster, current=True).note == "two sisters"


def test_a_cluster_with_a_rejected_pair_cannot_be_accepted_whole(small: Small) -> None:
    a0, a1, a2, *_ = small.a
    pair_decide(actor=small.doc, left=a0, right=a2, decision=Decision.REJECT)
    cluster = _cluster(small, [a0, a1, a2])
    with pytest.raises(LinkageError, match=f"Records {a0.pk} and {a2.pk}"):
        cluster_decide(actor=small.doc, cluster=cluster, decision=Decision.ACCEPT)
    assert not Merge.objects.exists()


def test_a_cluster_with_a_hidden_member_cannot_be_decided(small: Small) -> None:
    cluster = _cluster(small, [small.a[0], small.b])
    with pytest.raises(LinkageError, match="may not see"):
        cluster_decide(actor=small.doc, cluster=cluster, decision=Decision.UNSURE)
