from __future__ import annotations

import json
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import Role
from haven.accounts.tests.personas import make_user
from haven.jobs import registry, services
from haven.jobs.models import Job, JobStatus
from haven.jobs.registry import JobError, register

CALLS: list[dict] = []


@register("test.sum")
def _sum(owner, params, progress):  # type: ignore[no-untyped-def]
    total = len(params["numbers"])
    for i, _ in enumerate(params["numbers"], 1):
        progress(i, total, f"adding {i}", force=True)
    CALLS.append({"owner": owner.username, "params": params})
    return {"sum": sum(params["numbers"]), "url": "/result/here/"}


@register("test.refuse")
def _refuse(owner, params, progress):  # type: ignore[no-untyped-def]
    raise JobError("List 'beta' is not visible to you (row 3, column org).")


@register("test.crash")
def _crash(owner, params, progress):  # type: ignore[no-untyped-def]
    raise RuntimeError("secret value 최예린 in a message")


@register("test.cancel_me")
def _cancel_me(owner, params, progress):  # type: ignore[no-untyped-def]
    Job.objects.filter(kind="test.cancel_me").update(cancel_requested=True)
    progress(1, 10, force=True)
    raise AssertionError("progress() should have stopped the job")


@pytest.fixture
def analyst(db):  # type: ignore[no-untyped-def]
    return make_user(Role.ANALYST, [])[0]


def test_an_inline_job_runs_and_keeps_its_encrypted_result(analyst) -> None:  # type: ignore[no-untyped-def]
    job = services.submit("test.sum", user=analyst, params={"numbers": [1, 2, 3]})
    assert job.status == JobStatus.DONE
    assert services.result_of(job) == {"sum": 6, "url": "/result/here/"}
    assert (job.done, job.total) == (3, 3)
    assert CALLS[-1] == {"owner": analyst.username, "params": {"numbers": [1, 2, 3]}}
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT params_json, result_json FROM jobs_job WHERE id = %s", [job.pk])
        params_raw, result_raw = cur.fetchone()
    assert "numbers" not in params_raw and "sum" not in result_raw


def test_a_job_error_is_shown_as_it_is_and_an_internal_error_hides_its_message(analyst) -> None:  # type: ignore[no-untyped-def]
    refused = services.submit("test.refuse", user=analyst, params={})
    assert refused.status == JobStatus.FAILED
    assert refused.error == "List 'beta' is not visible to you (row 3, column org)."
    crashed = services.submit("test.crash", user=analyst, params={})
    assert crashed.status == JobStatus.FAILED
    assert "최예린" not in crashed.error and "internal error" in crashed.error


def test_an_unknown_kind_is_refused_before_anything_is_stored(analyst) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(JobError, match="no runner"):
        services.submit("test.nope", user=analyst, params={})
    assert not Job.objects.exists()


def test_a_user_can_stop_a_running_job(analyst) -> None:  # type: ignore[no-untyped-def]
    job = services.submit("test.cancel_me", user=analyst, params={})
    assert job.status == JobStatus.CANCELLED


def test_a_job_whose_process_died_is_marked_failed(analyst, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_JOBS = "worker"
    job = services.submit("test.sum", user=analyst, params={"numbers": [1]})
    assert services.claim(job.pk)
    assert not services.claim(job.pk), "a job is claimed once"
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - services.STALE_AFTER * 2)
    assert services.recover_stale() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "Interrupted" in job.error


def test_the_worker_runs_queued_jobs_in_order(analyst, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_JOBS = "worker"
    first = services.submit("test.sum", user=analyst, params={"numbers": [1]})
    second = services.submit("test.sum", user=analyst, params={"numbers": [2, 2]})
    assert Job.objects.filter(status=JobStatus.QUEUED).count() == 2
    call_command("worker", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first.refresh_from_db()
    second.refresh_from_db()
    assert [services.result_of(j)["sum"] for j in (first, second)] == [1, 4]
    assert first.finished_at <= second.started_at


def _join_job_thread(job: Job) -> None:
    runner = next((t for t in threading.enumerate() if t.name == f"haven-job-{job.pk}"), None)
    if runner is not None:  # None: it has already finished
        runner.join(timeout=30)
        assert not runner.is_alive()


@pytest.mark.django_db(transaction=True)
def test_the_demo_runs_a_job_in_a_thread_after_commit(settings) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_JOBS = "thread"
    user = make_user(Role.ANALYST, [])[0]
    job = services.submit("test.sum", user=user, params={"numbers": [5, 6]})
    # Wait on the thread, not by polling the row: the SQLite test database is in memory with a shared cache,
    # where a read beside the job's write fails at once with "table is locked" instead of waiting its turn.
    _join_job_thread(job)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and services.result_of(job)["sum"] == 11


@pytest.mark.django_db(transaction=True)
def test_the_demo_starts_again_a_job_its_thread_could_not_claim(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_JOBS = "thread"
    claim, refusals = services.claim, []

    def busy_once(job_id: int) -> bool:
        if not refusals:
            refusals.append(job_id)
            raise OperationalError("database is locked")
        return claim(job_id)

    monkeypatch.setattr(services, "claim", busy_once)
    user = make_user(Role.ANALYST, [])[0]
    job = services.submit("test.sum", user=user, params={"numbers": [2, 3]})
    _join_job_thread(job)
    job.refresh_from_db()
    assert refusals == [job.pk] and job.status == JobStatus.QUEUED
    assert not services.restart_orphaned(job)  # too soon: its first thread may not have started yet
    later = job.created_at + services.ORPHANED_AFTER + timedelta(seconds=1)
    assert services.restart_orphaned(job, now=later)
    _join_job_thread(job)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and services.result_of(job)["sum"] == 5


@pytest.mark.django_db(transaction=True)
def test_a_queued_job_with_a_live_thread_or_outside_the_demo_is_not_started_again(settings) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_JOBS = "worker"
    user = make_user(Role.ANALYST, [])[0]
    job = services.submit("test.sum", user=user, params={"numbers": [1]})
    later = job.created_at + services.ORPHANED_AFTER + timedelta(seconds=1)
    assert not services.restart_orphaned(job, now=later)  # a worker will take it
    settings.HAVEN_JOBS = "thread"
    release = threading.Event()
    holder = threading.Thread(target=release.wait, name=f"haven-job-{job.pk}", daemon=True)
    holder.start()
    try:
        assert not services.restart_orphaned(job, now=later)
    finally:
        release.set()
        holder.join()
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    services.cancel(job, user=user)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and not services.restart_orphaned(job, now=later)


def test_the_progress_page_starts_again_a_job_left_queued(client, analyst, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    job = services.submit("test.sum", user=analyst, params={"numbers": [1]})
    checked = []
    monkeypatch.setattr(services, "restart_orphaned", lambda j: checked.append(j.pk))
    client.force_login(analyst)
    assert client.get(reverse("jobs:detail", args=[job.pk]), HTTP_HX_REQUEST="true").status_code == 200
    assert checked == [job.pk]


def test_only_its_owner_sees_a_job_and_htmx_is_sent_to_the_result(client, analyst) -> None:  # type: ignore[no-untyped-def]
    job = services.submit("test.sum", user=analyst, params={"numbers": [1]})
    other = make_user(Role.DOCUMENTER, [])[0]
    client.force_login(other)
    assert client.get(reverse("jobs:detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("jobs:detail", args=[999999])).status_code == 404
    client.force_login(analyst)
    page = client.get(reverse("jobs:detail", args=[job.pk]))
    assert page.status_code == 200 and "/result/here/" in page.content.decode()
    fragment = client.get(reverse("jobs:detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert fragment["HX-Redirect"] == "/result/here/"


def test_a_queued_job_can_be_cancelled_by_its_owner_only(client, analyst, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_JOBS = "worker"
    job = services.submit("test.sum", user=analyst, params={"numbers": [1]})
    other = make_user(Role.DOCUMENTER, [])[0]
    client.force_login(other)
    assert client.post(reverse("jobs:cancel", args=[job.pk])).status_code == 404
    client.force_login(analyst)
    client.post(reverse("jobs:cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    services.run_job(job.pk)  # a worker that picks it up anyway does nothing
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and json.loads(job.params_json) == {"numbers": [1]}


@pytest.mark.django_db
def test_a_failing_upkeep_does_not_stop_the_others_nor_the_worker(monkeypatch, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HAVEN_JOBS = "worker"

    def broken() -> int:
        raise RuntimeError("disk full")

    monkeypatch.setitem(registry._UPKEEP, "test.broken", broken)
    monkeypatch.setitem(registry._UPKEEP, "test.counting", lambda: 2)
    done = services.run_upkeep()
    assert done["test.broken"] is None and done["test.counting"] == 2
    assert "expire intake drafts" in done  # registered by the web app when it is ready
    out, err = StringIO(), StringIO()
    call_command("worker", "--once", stdout=out, stderr=err)
    assert "Upkeep 'test.counting': 2." in out.getvalue()
    assert "Upkeep 'test.broken' failed" in err.getvalue() and "disk full" not in err.getvalue()
    with pytest.raises(ValueError, match="registered twice"):
        registry.upkeep("test.counting")(broken)
