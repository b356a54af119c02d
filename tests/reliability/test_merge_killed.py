"""A linkage merge, or the undo of one, killed part-way (SIGKILL) leaves the database exactly as it was.

A child process (see haven.lib.testing.processes: a file copy of the test database on SQLite, the test database
itself on PostgreSQL) accepts a proposed cluster of 48 persons, or undoes that merge. It watches its own SQL
through a connection ``execute_wrapper`` and stops dead, its transaction open, at a chosen write statement, or
just before it sends COMMIT; the test then kills it. No hook in the service: the child pauses itself.

First a rehearsal (the same call inside a transaction that is rolled back) lists the write statements the
operation makes. The child is then killed once after the first write of each kind (statement and table) in that
list, after the last write, and at COMMIT; each time every row of every table must be as before.
Finally the child runs the operation to its end, and the result must be the complete merge (or undo).

How we know the test can fail (tried by hand with a throw-away copy of this test whose child took the services'
``@transaction.atomic`` off through ``__wrapped__``; the services themselves were not edited): without it on ``persons_merge`` and ``cluster_decide``, or on
``merge_undo``, the kill after the first write leaves the new identity (or the undo record) behind on SQLite,
and on PostgreSQL the child fails at once (SELECT ... FOR UPDATE outside a transaction); without it on
``cluster_decide`` alone, so that the merge commits on its own before the decisions are written, the kill after
the first decision update finds the merge committed, on both databases.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import ExitStack, closing
from itertools import combinations
from typing import Any

import pytest
from django.db import connection

from haven.accounts.models import Role
from haven.audit.models import AuditAction
from haven.lib.testing.processes import ChildDatabase, child_database, kill_after, run_child
from haven.linkage.models import (
    CandidatePair,
    ClusterMember,
    Decision,
    LinkageRun,
    ProposedCluster,
    RunStatus,
)
from haven.linkage.services import cluster_decide, grouping_snapshot, merge_undo, pair_decide, persons_merge
from haven.linkage.tests.helpers import user
from haven.records.models import Confidentiality, Involvement
from haven.records.tests import factories as f

pytestmark = pytest.mark.slow

CLUSTER_SIZE = 48

# argv: operation ("merge": accept cluster TARGET; "undo": undo merge TARGET), reviewer, TARGET, and where to
# stop: "write:K" (once the K-th write statement has completed), "commit" (before COMMIT is sent), "rehearse" (run inside a
# transaction that is rolled back) or "never". Prints the write statements it made, as JSON, and after a
# complete run the verdict on the audit chain.
CHILD = r"""
import json, re, sys, time
import django
django.setup()
from django.db import connection, connections, transaction
from haven.accounts.models import User
from haven.linkage import services
from haven.linkage.models import Decision, Merge, ProposedCluster

operation, username, target, stop = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
actor = User.objects.get(username=username)
if operation == "merge":
    cluster = ProposedCluster.objects.get(pk=target)
    def work():
        services.cluster_decide(actor=actor, cluster=cluster, decision=Decision.ACCEPT)
else:
    merge = Merge.objects.get(pk=target)
    def work():
        services.merge_undo(actor=actor, merge=merge)

WRITE = re.compile(r'\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
writes = []

database = connections["default"]

def transaction_open():
    # Asked of the driver, not of Django: at COMMIT Django has already left its atomic block.
    if database.vendor == "sqlite":
        return database.connection.in_transaction
    from psycopg.pq import TransactionStatus
    return database.connection.info.transaction_status != TransactionStatus.IDLE

def pause(where):
    sys.stderr.write(f"PAUSED after {where}, {len(writes)} writes made, transaction open: {transaction_open()}\n")
    sys.stderr.flush()
    time.sleep(3600)  # until the test kills this process

after_write = None  # the write statement to stop after, once it has completed

def watch(execute, sql, params, many, context):
    global after_write
    # Stop before the next statement, not right after the write: SQLite finishes an INSERT ... RETURNING
    # only when its rows are read, which Django does once this wrapper has returned.
    if after_write:
        pause(after_write)
    result = execute(sql, params, many, context)
    found = WRITE.match(sql)
    if found:
        writes.append(found.group(1).split()[0].upper() + " " + found.group(2))
        if stop == f"write:{len(writes)}":
            after_write = writes[-1]
    return result

commit = database._commit
def commit_or_pause():
    if after_write or stop == "commit":
        pause(after_write or "everything, at COMMIT")
    return commit()
database._commit = commit_or_pause

with connection.execute_wrapper(watch):
    if stop == "rehearse":
        with transaction.atomic():
            work()
            transaction.set_rollback(True)
        print(json.dumps(writes))
    else:
        work()
if after_write:
    pause(after_write)  # the last write, with no statement or COMMIT after it
if stop == "never":
    from haven.audit.verify import verify_chain
    print(json.dumps(writes))
    print(verify_chain())
"""

# Tables a merge or an undo writes to; every other table must be untouched even by a complete one.
LINKAGE_TABLES = {
    "linkage_identity",
    "linkage_merge",
    "linkage_membership",
    "linkage_reviewdecision",
    "audit_auditentry",
}

Snapshot = dict[str, list[tuple[str, ...]]]


def _plain(value: Any) -> str:
    return repr(bytes(value) if isinstance(value, memoryview) else value)


def snapshot(db: ChildDatabase) -> Snapshot:
    """Every row of every table as the child left it: equal snapshots mean equal database contents."""
    tables = connection.introspection.table_names()
    with ExitStack() as stack:
        if db.sqlite_file is None:
            reader = stack.enter_context(connection.cursor())
        else:
            reader = stack.enter_context(closing(sqlite3.connect(db.sqlite_file))).cursor()
            assert reader.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        out = {}
        for table in tables:
            reader.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the schema
            out[table] = sorted(tuple(_plain(v) for v in row) for row in reader.fetchall())
        return out


def _changed(before: Snapshot, after: Snapshot) -> set[str]:
    return {table for table in before if before[table] != after[table]}


class World:
    """48 synthetic persons in two organisations, some already merged, with acts and involvements."""

    def __init__(self) -> None:
        _, comp_a = f.organisation("alpha")
        _, comp_b = f.organisation("beta")
        self.reviewer = user("merge-reviewer", Role.DOCUMENTER, [comp_a, comp_b])
        analyst = user("merge-analyst", Role.ANALYST, [comp_a, comp_b])
        self.persons = [
            f.person(
                "alpha" if i % 2 else "beta",
                hangul=f"김{chr(0xAC00 + 28 * i)}희",
                roman=f"Kim Test {i}",
                sex="F" if i % 3 else "M",
            )
            for i in range(CLUSTER_SIZE)
        ]
        self.ids = sorted(p.pk for p in self.persons)
        self.outsiders = [
            f.person("alpha", hangul=f"박{chr(0xB098 + i)}", roman=f"Park Other {i}") for i in range(2)
        ]
        # Records the merge must not touch: acts of some members, and members as perpetrators.
        events = [f.event(year, "alpha") for year in ("2009", "2011", "2013")]
        acts = [f.act(events[i % 3], p) for i, p in enumerate(self.persons[:12])]
        for act, perpetrator in zip(acts[:4], self.persons[40:44], strict=True):
            Involvement(
                organisation=act.organisation,
                compartment=act.compartment,
                act=act,
                event=act.event,
                perpetrator=perpetrator,
                degree=f.term("involvement-degrees", "0101"),
                confidentiality=Confidentiality.INTERNAL,
            ).save()
        p = self.persons
        # Groupings already in effect: the cluster's merge absorbs two identities and leaves one alone.
        pair_decide(actor=self.reviewer, left=p[0], right=p[1], decision=Decision.ACCEPT)
        persons_merge(actor=self.reviewer, persons=p[2:5])
        merge_undo(actor=self.reviewer, merge=persons_merge(actor=self.reviewer, persons=p[5:7]))
        self.outsiders_identity = persons_merge(actor=self.reviewer, persons=self.outsiders).identity_id
        pair_decide(actor=self.reviewer, left=p[7], right=p[8], decision=Decision.UNSURE)
        self.absorbed = {p[0].pk, p[1].pk, p[2].pk, p[3].pk, p[4].pk}

        run = LinkageRun.objects.create(created_by=analyst, threshold=0.5, seed=7, status=RunStatus.DONE)
        run.compartments.set([comp_a, comp_b])
        self.cluster = ProposedCluster.objects.create(
            run=run, number=1, size=CLUSTER_SIZE, min_probability=0.62, mean_probability=0.81
        )
        ClusterMember.objects.bulk_create([ClusterMember(cluster=self.cluster, person=q) for q in p])
        CandidatePair.objects.bulk_create(
            [
                CandidatePair(
                    run=run,
                    left_id=a,
                    right_id=b,
                    match_probability=0.8,
                    match_weight=6.0,
                    uncertainty=0.3,
                    cluster=self.cluster,
                )
                for a, b in zip(self.ids, self.ids[1:], strict=False)
            ]
        )
        cluster_decide(actor=self.reviewer, cluster=self.cluster, decision=Decision.UNSURE)


def _kill_points(trace: list[str]) -> list[str]:
    """After the first write of each kind (statement and table), after the last write, and at COMMIT."""
    firsts = {write: k for k, write in reversed(list(enumerate(trace, start=1)))}
    return [f"write:{k}" for k in sorted({*firsts.values(), len(trace)})] + ["commit"]


def _kill_everywhere(db: ChildDatabase, args: list[str], before: Snapshot) -> list[str]:
    """Kill the child at each kill point and check the database each time; return the rehearsed writes."""
    trace = json.loads(run_child(CHILD, [*args, "rehearse"], db.env).stdout)
    assert snapshot(db) == before, "the rehearsal was not rolled back"
    assert len(trace) >= CLUSTER_SIZE, trace  # one audit entry per member at least
    for point in _kill_points(trace):
        stderr = kill_after(CHILD, [*args, point], db.env, "PAUSED", times=1)
        after = snapshot(db)
        assert after == before, (
            f"killed at {point}, the child left changes in {sorted(_changed(before, after))}"
        )
        # The kill did land inside the transaction (it is not merely that nothing had been written yet).
        assert "transaction open: True" in stderr, stderr
    return trace


def _open_groups(db: ChildDatabase) -> dict[int, int]:
    return dict(db.rows("SELECT person_id, identity_id FROM linkage_membership WHERE closed_by_id IS NULL"))


def _audited(db: ChildDatabase, action: AuditAction, after_seq: int) -> list[str]:
    rows = db.rows(
        "SELECT target_id FROM audit_auditentry WHERE action = %s AND seq > %s ORDER BY seq",
        (action.value, after_seq),
    )
    return [r[0] for r in rows]


def _check_records_untouched(before: Snapshot, after: Snapshot) -> None:
    changed = _changed(before, after)
    assert changed <= LINKAGE_TABLES, sorted(changed - LINKAGE_TABLES)
    # Append-only tables keep every row they had.
    for table in ("linkage_identity", "linkage_merge", "audit_auditentry"):
        assert set(before[table]) <= set(after[table]), table


def _run_to_the_end(db: ChildDatabase, args: list[str], trace: list[str]) -> None:
    """Run the operation to completion: it makes the writes rehearsed, and the audit chain still verifies."""
    writes, verdict = run_child(CHILD, [*args, "never"], db.env).stdout.splitlines()
    assert json.loads(writes) == trace
    assert verdict.startswith("audit chain intact"), verdict


def test_a_merge_killed_part_way_changes_nothing_and_can_then_be_done(committed_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = World()
    groups_before = grouping_snapshot(world.ids)
    db = child_database(tmp_path / "home")
    before = snapshot(db)
    last_seq = db.rows("SELECT max(seq) FROM audit_auditentry")[0][0]
    last_merge = db.rows("SELECT max(id) FROM linkage_merge")[0][0]
    args = ["merge", world.reviewer.username, str(world.cluster.pk)]

    trace = _kill_everywhere(db, args, before)

    # Run to its end, the merge is complete: one new identity holding the 48 persons, the two identities it
    # absorbed closed by it, every pair labelled, the older decisions superseded, one audit entry per person.
    _run_to_the_end(db, args, trace)
    after = snapshot(db)
    _check_records_untouched(before, after)
    ((merge_id, identity_id),) = db.rows(
        "SELECT id, identity_id FROM linkage_merge WHERE kind = 'merge' AND id > %s",
        (last_merge,),
    )
    groups = _open_groups(db)
    assert {pk: groups.get(pk) for pk in world.ids} == dict.fromkeys(world.ids, identity_id)
    assert [groups[o.pk] for o in world.outsiders] == [world.outsiders_identity] * 2
    closed = db.rows("SELECT person_id FROM linkage_membership WHERE closed_by_id = %s", (merge_id,))
    assert {r[0] for r in closed} == world.absorbed
    assert {pk for pk, identity in groups_before.items() if identity is not None} == world.absorbed
    pairs = db.rows(
        "SELECT left_id, right_id FROM linkage_reviewdecision "
        "WHERE kind = 'pair' AND current AND decision = 'accept' AND merge_id = %s",
        (merge_id,),
    )
    assert sorted(pairs) == list(combinations(world.ids, 2))
    assert db.rows(
        "SELECT left_id, decision FROM linkage_reviewdecision WHERE kind = 'pair' AND NOT current ORDER BY left_id"
    ) == [(world.persons[0].pk, "accept"), (world.persons[7].pk, "unsure")]
    assert db.rows(
        "SELECT decision, merge_id FROM linkage_reviewdecision WHERE kind = 'cluster' AND current"
    ) == [("accept", merge_id)]
    assert sorted(_audited(db, AuditAction.RECORD_MERGED, last_seq)) == sorted(str(pk) for pk in world.ids)
    assert len(_audited(db, AuditAction.LINKAGE_REVIEWED, last_seq)) == 1


def test_an_undo_killed_part_way_changes_nothing_and_can_then_be_done(committed_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = World()
    groups_before_merge = grouping_snapshot(world.ids)
    decision = cluster_decide(actor=world.reviewer, cluster=world.cluster, decision=Decision.ACCEPT)
    merge = decision.merge
    assert merge is not None
    db = child_database(tmp_path / "home")
    before = snapshot(db)
    last_seq = db.rows("SELECT max(seq) FROM audit_auditentry")[0][0]
    args = ["undo", world.reviewer.username, str(merge.pk)]

    trace = _kill_everywhere(db, args, before)

    # Run to its end, the undo is complete: the grouping before the merge is back (the same identities with
    # the same members), the merge's decisions are no longer current, one audit entry per person.
    _run_to_the_end(db, args, trace)
    after = snapshot(db)
    _check_records_untouched(before, after)
    assert db.rows(
        "SELECT identity_id FROM linkage_merge WHERE kind = 'undo' AND undoes_id = %s", (merge.pk,)
    ) == [(merge.identity_id,)]
    groups = _open_groups(db)
    assert {pk: groups.get(pk) for pk in world.ids} == groups_before_merge
    assert [groups[o.pk] for o in world.outsiders] == [world.outsiders_identity] * 2
    assert db.rows(
        "SELECT count(*) FROM linkage_reviewdecision WHERE merge_id = %s AND current", (merge.pk,)
    ) == [(0,)]
    assert db.rows("SELECT count(*) FROM linkage_reviewdecision WHERE merge_id = %s", (merge.pk,)) == [
        (CLUSTER_SIZE * (CLUSTER_SIZE - 1) // 2 + 1,)
    ]
    assert sorted(_audited(db, AuditAction.RECORD_UNMERGED, last_seq)) == sorted(str(pk) for pk in world.ids)
