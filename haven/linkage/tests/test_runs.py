"""Linkage runs end to end on synthetic persons in the database: permissions, storage, labels, failures."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection

from haven.accounts.models import CompartmentGrant, Role
from haven.audit.models import AuditAction, AuditEntry
from haven.jobs.models import Job, JobStatus
from haven.linkage.models import (
    CandidatePair,
    ClusterMember,
    Decision,
    LinkageRun,
    ProposedCluster,
    RunStatus,
)
from haven.linkage.services import (
    LinkageError,
    linkage_run_execute,
    linkage_run_request,
    linkage_run_submit,
    model_parameters,
    pair_decide,
)
from haven.records.models import Confidentiality, Person

from .helpers import Lists, make_lists, pairwise_f1, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def lists(db) -> Lists:  # type: ignore[no-untyped-def]
    return make_lists(360, seed=7)


def _clusters(run: LinkageRun, ids: list[int]) -> dict[int, int]:
    """Return {person: cluster} with singletons numbered after the stored clusters."""
    out = dict(ClusterMember.objects.filter(cluster__run=run).values_list("person_id", "cluster__number"))
    top = max(out.values(), default=0)
    for pk in ids:
        if pk not in out:
            top += 1
            out[pk] = top
    return out


def _run(actor, compartments, **kwargs) -> LinkageRun:  # type: ignore[no-untyped-def]
    run = linkage_run_request(actor=actor, compartments=compartments, seed=kwargs.pop("seed", 3), **kwargs)
    job = linkage_run_submit(run, actor=actor)  # HAVEN_JOBS=inline in tests: runs now
    assert job.status == JobStatus.DONE, job.error
    run.refresh_from_db()
    return run


def test_a_run_links_the_lists_and_stores_pairs_and_clusters(lists: Lists) -> None:
    analyst = user("analyst", Role.ANALYST, list(lists.compartments.values()))
    run = _run(analyst, list(lists.compartments.values()))
    assert run.status == RunStatus.DONE and run.error == ""
    assert run.person_count == len(lists.persons)
    assert run.pair_count == CandidatePair.objects.filter(run=run).count() > 0
    assert run.cluster_count == ProposedCluster.objects.filter(run=run).count() > 0
    ids = [p.pk for p in lists.persons]
    assert pairwise_f1(_clusters(run, ids), lists.truth) > 0.9
    pair = CandidatePair.objects.filter(run=run).order_by("-match_probability").first()
    assert set(pair.evidence) == {
        "surname",
        "given_name",
        "romanization",
        "birth_year",
        "sex",
        "origin",
        "exit_year",
        "list",
    }
    assert all(isinstance(g, int) and isinstance(w, float) for g, w in pair.evidence.values())
    assert pair.uncertainty == pytest.approx(abs(pair.match_probability - 0.5))
    assert run.level_labels["origin"]["3"] == "same county"
    # Pairs inside a cluster point at it; the job's result links to the run.
    assert CandidatePair.objects.filter(run=run, cluster__isnull=False).exists()
    job = Job.objects.get(pk=run.job_id)
    assert json.loads(job.result_json)["url"] == f"/linkage/runs/{run.pk}/"


def test_no_identifying_value_is_stored_in_clear(lists: Lists) -> None:
    analyst = user("analyst", Role.ANALYST, list(lists.compartments.values()))
    run = _run(analyst, list(lists.compartments.values()))
    texts = {t for values in lists.texts.values() for t in values if len(t) >= 3}
    dump: dict[str, str] = {}
    with connection.cursor() as cursor:
        for table in (
            "linkage_linkagerun",
            "linkage_candidatepair",
            "linkage_proposedcluster",
            "linkage_clustermember",
            "jobs_job",
            "audit_auditentry",
        ):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            dump[table] = "\n".join(str(v) for row in cursor.fetchall() for v in row)
    assert {table: [t for t in texts if t in blob] for table, blob in dump.items()} == dict.fromkeys(dump, [])
    # The model (frequent name keys with their frequencies) is stored encrypted, and reads back.
    assert [table for table, blob in dump.items() if "m_probability" in blob] == []
    assert "comparisons" in json.loads(LinkageRun.objects.get(pk=run.pk).model_json)


def test_a_run_links_only_what_its_user_may_see(lists: Lists) -> None:
    comps = list(lists.compartments.values())
    analyst = user("analyst", Role.ANALYST, comps[:2])
    secret = lists.in_compartment(next(iter(lists.compartments)))[:5]
    Person.objects.filter(pk__in=[p.pk for p in secret]).update(confidentiality=Confidentiality.SECRET)
    run = _run(analyst, comps[:2])
    allowed = {p.pk for p in lists.persons if p.compartment_id in {c.pk for c in comps[:2]}} - {
        p.pk for p in secret
    }
    assert run.person_count == len(allowed)  # the analyst's clearance stops at confidential
    seen = set(CandidatePair.objects.filter(run=run).values_list("left_id", flat=True)) | set(
        CandidatePair.objects.filter(run=run).values_list("right_id", flat=True)
    )
    assert seen and seen <= allowed
    with pytest.raises(LinkageError, match="not granted to you"):
        linkage_run_request(actor=analyst, compartments=comps)


def test_the_runner_checks_the_grants_again(lists: Lists) -> None:
    comps = list(lists.compartments.values())
    analyst = user("analyst", Role.ANALYST, comps)
    run = linkage_run_request(actor=analyst, compartments=comps, seed=1)
    CompartmentGrant.objects.filter(user=analyst, compartment=comps[1]).delete()
    analyst = type(analyst).objects.get(pk=analyst.pk)  # drop the cached grants
    with pytest.raises(LinkageError, match="no longer granted"):
        linkage_run_execute(run=run, actor=analyst)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "no longer granted" in run.error
    assert not CandidatePair.objects.filter(run=run).exists()


def test_roles_without_run_linkage_cannot_start_a_run(lists: Lists) -> None:
    from django.core.exceptions import PermissionDenied

    doc = user("doc", Role.DOCUMENTER, list(lists.compartments.values()))
    with pytest.raises(PermissionDenied):
        linkage_run_request(actor=doc, compartments=list(lists.compartments.values()))
    assert not LinkageRun.objects.exists()


def test_too_few_records_fail_with_a_clear_message_and_a_reused_model_helps(lists: Lists) -> None:
    comps = list(lists.compartments.values())
    analyst = user("analyst", Role.ANALYST, comps)
    first = _run(analyst, comps)
    few = make_lists(12, seed=99, n_sources=1, prefix="few")
    (comp,) = few.compartments.values()
    CompartmentGrant.objects.create(user=analyst, compartment=comp)
    analyst = type(analyst).objects.get(pk=analyst.pk)
    run = linkage_run_request(actor=analyst, compartments=[comp], seed=1)
    job = linkage_run_submit(run, actor=analyst)
    run.refresh_from_db()
    assert job.status == JobStatus.FAILED and run.status == RunStatus.FAILED
    assert "could not be trained on 12 records" in job.error and job.error == run.error
    reused = _run(analyst, [comp], model_from=first)
    assert reused.status == RunStatus.DONE and reused.person_count == 12
    assert json.loads(reused.model_json)["comparisons"] == json.loads(first.model_json)["comparisons"]


def test_reviewers_labels_change_the_next_model_and_its_clusters(lists: Lists) -> None:
    comps = list(lists.compartments.values())
    analyst = user("analyst", Role.ANALYST, comps)
    doc = user("doc", Role.DOCUMENTER, comps)
    first = _run(analyst, comps)
    pairs = list(CandidatePair.objects.filter(run=first).select_related("left", "right"))
    truly_same = [p for p in pairs if lists.truth[p.left_id] == lists.truth[p.right_id]]
    together = [p for p in truly_same if p.cluster_id is not None and p.match_probability > 0.9]
    # Reviewers confirm 40 true pairs and (wrongly, on purpose) split one pair the model was sure of.
    for p in truly_same[:40]:
        pair_decide(actor=doc, left=p.left, right=p.right, decision=Decision.ACCEPT, pair=p)
    split = next(p for p in together if p not in truly_same[:40])
    pair_decide(actor=doc, left=split.left, right=split.right, decision=Decision.REJECT, pair=split)
    second = _run(analyst, comps)  # the same seed: only the labels differ
    assert (second.labels_accepted, second.labels_rejected) == (40, 1)
    assert model_parameters(second) != model_parameters(first)
    assert json.loads(second.model_json)["comparisons"] != json.loads(first.model_json)["comparisons"]
    clusters = _clusters(second, [p.pk for p in lists.persons])
    assert clusters[split.left_id] != clusters[split.right_id]
    for p in truly_same[:40]:
        assert clusters[p.left_id] == clusters[p.right_id]
    # Without labels the same seed reproduces the first run's model exactly.
    from haven.linkage.models import ReviewDecision

    ReviewDecision.objects.update(current=False)
    third = _run(analyst, comps)
    assert third.model_json == first.model_json


def test_a_run_is_audited_when_asked_for_and_when_done(lists: Lists) -> None:
    comps = list(lists.compartments.values())
    analyst = user("analyst", Role.ANALYST, comps)
    run = _run(analyst, comps)
    entries = list(
        AuditEntry.objects.filter(action=AuditAction.LINKAGE_RUN, target_id=str(run.pk)).order_by("seq")
    )
    assert [e.details["stage"] for e in entries] == ["requested", "finished"]
    assert entries[1].details["persons"] == run.person_count and entries[1].details["pairs"] == run.pair_count
    assert entries[1].actor == analyst


def test_the_link_db_command_runs_the_same_service(lists: Lists, capsys) -> None:  # type: ignore[no-untyped-def]
    comps = list(lists.compartments.values())
    analyst = user("analyst", Role.ANALYST, comps)
    args = ["link_db", "--user", analyst.username, "--seed", "3"]
    for c in comps:
        args += ["--compartment", c.code]
    call_command(*args)
    run = LinkageRun.objects.get()
    assert run.status == RunStatus.DONE and run.created_by == analyst
    assert f"run {run.pk}: {len(lists.persons)} persons" in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no compartment"):
        call_command("link_db", "--user", analyst.username, "--compartment", "nope")


def test_a_run_whose_job_died_is_shown_as_failed(lists: Lists) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from haven.linkage.services import run_sync_with_job

    comps = list(lists.compartments.values())
    analyst = user("analyst", Role.ANALYST, comps)
    run = linkage_run_request(actor=analyst, compartments=comps, seed=1)
    job = Job.objects.create(kind="linkage.run", owner=analyst, status=JobStatus.RUNNING)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    LinkageRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, job_id=job.pk)
    run = run_sync_with_job(LinkageRun.objects.get(pk=run.pk))
    assert run.status == RunStatus.FAILED and "Interrupted" in run.error
