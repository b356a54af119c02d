"""Merges group persons without touching them; undo puts back exactly the grouping a merge replaced."""

from __future__ import annotations

import random

import pytest
from django.core.exceptions import PermissionDenied

from haven.audit.models import AuditAction, AuditEntry
from haven.linkage.models import Identity, Membership, Merge, MergeKind
from haven.linkage.services import (
    LinkageError,
    grouping_snapshot,
    identity_map,
    identity_members,
    merge_undo,
    persons_merge,
)
from haven.records.models import Person, PersonName

from .conftest import Small

pytestmark = pytest.mark.django_db


def _ids(small: Small) -> list[int]:
    return [p.pk for p in small.a]


def test_it_maps_unmerged_persons_to_themselves(small: Small) -> None:
    ids = _ids(small)
    assert identity_map(ids + [999_999]) == {**{pk: pk for pk in ids}, 999_999: 999_999}
    assert identity_map([]) == {}


def test_it_maps_merged_persons_to_the_smallest_id_of_their_identity(small: Small) -> None:
    a0, a1, a2, a3, *_ = small.a
    persons_merge(actor=small.doc, persons=[a3, a1])
    keys = identity_map([a0.pk, a1.pk, a2.pk, a3.pk, a1.pk])
    assert keys == {a0.pk: a0.pk, a1.pk: a1.pk, a2.pk: a2.pk, a3.pk: a1.pk}
    # Asking for one member alone still gives the identity's key, not the member's own id.
    assert identity_map([a3.pk]) == {a3.pk: a1.pk}
    assert identity_members(a3.pk) == [a1.pk, a3.pk]


def test_it_keeps_every_person_and_name_and_only_adds_rows(small: Small) -> None:
    persons, names = Person.objects.count(), PersonName.objects.count()
    snapshot = {p.pk: (p.version, p.updated_at) for p in Person.objects.all()}
    m = persons_merge(actor=small.doc, persons=small.a[:2])
    rows = set(Membership.objects.values_list("pk", flat=True))
    merge_undo(actor=small.doc, merge=m)
    assert Person.objects.count() == persons and PersonName.objects.count() == names
    assert {p.pk: (p.version, p.updated_at) for p in Person.objects.all()} == snapshot
    assert rows <= set(Membership.objects.values_list("pk", flat=True))  # history kept
    assert Merge.objects.count() == 2 and Identity.objects.count() == 1


def test_undo_restores_the_previous_grouping_exactly(small: Small) -> None:
    a0, a1, a2, a3, a4, a5 = small.a
    ids = _ids(small)
    m1 = persons_merge(actor=small.doc, persons=[a0, a1])
    m2 = persons_merge(actor=small.doc, persons=[a2, a3])
    before = grouping_snapshot(ids)
    m3 = persons_merge(actor=small.doc, persons=[a1, a2, a4])
    assert set(identity_map(ids).values()) == {a0.pk, a5.pk}
    merge_undo(actor=small.doc, merge=m3)
    assert grouping_snapshot(ids) == before  # the same identities, with the same members
    assert before[a0.pk] == m1.identity_id and before[a2.pk] == m2.identity_id and before[a4.pk] is None
    merge_undo(actor=small.doc, merge=m1)
    assert identity_map(ids) == {**{pk: pk for pk in ids}, a3.pk: a2.pk}


def test_it_refuses_to_undo_a_merge_that_a_later_merge_took_in(small: Small) -> None:
    a0, a1, a2, *_ = small.a
    m1 = persons_merge(actor=small.doc, persons=[a0, a1])
    m2 = persons_merge(actor=small.doc, persons=[a1, a2])
    with pytest.raises(LinkageError, match=f"Merge {m2.pk} took these records in"):
        merge_undo(actor=small.doc, merge=m1)
    undo = merge_undo(actor=small.doc, merge=m2)
    with pytest.raises(LinkageError, match="already been undone"):
        merge_undo(actor=small.doc, merge=m2)
    with pytest.raises(LinkageError, match="Only a merge"):
        merge_undo(actor=small.doc, merge=undo)
    merge_undo(actor=small.doc, merge=m1)  # now possible
    assert identity_map([a0.pk, a1.pk, a2.pk]) == {a0.pk: a0.pk, a1.pk: a1.pk, a2.pk: a2.pk}


def test_an_undone_identity_can_be_merged_again_and_undone_again(small: Small) -> None:
    a0, a1, a2, *_ = small.a
    m1 = persons_merge(actor=small.doc, persons=[a0, a1])
    m2 = persons_merge(actor=small.doc, persons=[a0, a2])
    merge_undo(actor=small.doc, merge=m2)
    m3 = persons_merge(actor=small.doc, persons=[a1, a2])
    merge_undo(actor=small.doc, merge=m3)
    merge_undo(actor=small.doc, merge=m1)  # its identity was closed twice and reopened twice
    assert grouping_snapshot([a0.pk, a1.pk, a2.pk]) == {a0.pk: None, a1.pk: None, a2.pk: None}


def test_it_refuses_nonsense_merges(small: Small) -> None:
    a0, a1, *_ = small.a
    with pytest.raises(LinkageError, match="at least two"):
        persons_merge(actor=small.doc, persons=[a0, a0])
    persons_merge(actor=small.doc, persons=[a0, a1])
    with pytest.raises(LinkageError, match="already merged"):
        persons_merge(actor=small.doc, persons=[a1, a0])


def test_only_a_role_with_merge_records_merges_and_a_refusal_is_audited(small: Small) -> None:
    with pytest.raises(PermissionDenied):
        persons_merge(actor=small.analyst, persons=small.a[:2])
    refusal = AuditEntry.objects.filter(action=AuditAction.ACCESS_REFUSED).latest("seq")
    assert refusal.actor == small.analyst and refusal.details == {"reason": "needs merge_records"}
    assert not Merge.objects.exists()


def test_it_refuses_to_merge_a_record_the_reviewer_may_not_see(small: Small) -> None:
    with pytest.raises(LinkageError, match="records you may not see"):
        persons_merge(actor=small.doc, persons=[small.a[0], small.b])
    assert not Merge.objects.exists() and not Membership.objects.exists()
    # A reviewer granted both compartments may.
    persons_merge(actor=small.doc_ab, persons=[small.a[0], small.b])
    # Now the identity holds a record of B: a reviewer of A alone may neither extend nor undo it.
    with pytest.raises(LinkageError, match="records you may not see"):
        persons_merge(actor=small.doc, persons=[small.a[0], small.a[1]])
    with pytest.raises(LinkageError, match="records you may not see"):
        merge_undo(actor=small.doc, merge=Merge.objects.get())


def test_each_merged_and_unmerged_person_gets_an_audit_entry(small: Small) -> None:
    a0, a1, a2, *_ = small.a
    m = persons_merge(actor=small.doc, persons=[a2, a0, a1], note="same village, same birth year")
    entries = list(AuditEntry.objects.filter(action=AuditAction.RECORD_MERGED).order_by("seq"))
    assert [e.target_id for e in entries] == [str(a0.pk), str(a1.pk), str(a2.pk)]
    assert {e.target_type for e in entries} == {"records.person"}
    assert entries[0].details["merge"] == m.pk and entries[0].details["persons"] == [a0.pk, a1.pk, a2.pk]
    assert entries[0].details["has_note"] is True and entries[0].compartment_id == small.comp_a.pk
    assert "same village" not in str([e.details for e in entries])
    undo = merge_undo(actor=small.doc, merge=m)
    undone = list(AuditEntry.objects.filter(action=AuditAction.RECORD_UNMERGED))
    assert len(undone) == 3 and {e.details["merge"] for e in undone} == {undo.pk}
    assert undo.kind == MergeKind.UNDO and undo.undoes == m


def test_random_merges_undone_last_first_restore_every_earlier_grouping(small: Small) -> None:
    rng = random.Random(20261127)
    ids = _ids(small)
    history: list[tuple[Merge, dict[int, int | None]]] = []
    for _ in range(60):
        if history and rng.random() < 0.4:
            merge, before = history.pop()
            merge_undo(actor=small.doc, merge=merge)
            assert grouping_snapshot(ids) == before
            continue
        pick = rng.sample(ids, rng.choice([2, 2, 3]))
        keys = identity_map(pick)
        if len(set(keys.values())) < 2:
            continue
        before = grouping_snapshot(ids)
        history.append((persons_merge(actor=small.doc, persons=pick), before))
        # Invariant: identity keys agree with the stored memberships.
        snapshot = grouping_snapshot(ids)
        keys = identity_map(ids)
        for x in ids:
            for y in ids:
                same_stored = snapshot[x] is not None and snapshot[x] == snapshot[y]
                assert (keys[x] == keys[y]) == (same_stored or x == y)
    while history:
        merge, before = history.pop()
        merge_undo(actor=small.doc, merge=merge)
        assert grouping_snapshot(ids) == before
    assert identity_map(ids) == {pk: pk for pk in ids}
