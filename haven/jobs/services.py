"""Submitting, running, cancelling and recovering jobs.

How a submitted job gets run depends on ``settings.HAVEN_JOBS``:

- ``worker`` (production): a separate ``haven worker`` process picks queued jobs from the table, so a
  restart of the web server loses nothing and heavy work never competes with requests in one process;
- ``thread`` (the demo): a thread of the web process starts the job once the submitting transaction commits;
- ``inline`` (tests): the job runs at once, in the caller's thread and transaction.

A running job writes a heartbeat; one whose heartbeat stopped (its process died) is marked failed by the next
worker or status check rather than left "running" for ever. In thread mode there is no worker to pick up a job
left queued (its thread could not claim it, or the server stopped before it started): the owner's status check
starts it again.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import OperationalError, close_old_connections, connection, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from haven.jobs.models import Job, JobStatus
from haven.jobs.progress import Cancelled, Progress
from haven.jobs.registry import JobError, runner_for, upkeep_tasks

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = timedelta(seconds=15)
STALE_AFTER = timedelta(minutes=2)
# In thread mode, a job still queued this long after it was submitted, with no thread of this process on it, is
# started again. Its first thread starts when the submitting transaction commits, well within this.
ORPHANED_AFTER = timedelta(seconds=10)
UPKEEP_EVERY = timedelta(hours=1)


def _mode() -> str:
    return getattr(settings, "HAVEN_JOBS", "worker")


def submit(kind: str, *, user: Any, params: dict[str, Any]) -> Job:
    """Queue a job of a registered ``kind`` for ``user``; the runner re-checks the user's permissions."""
    runner_for(kind)  # unknown kinds fail here, not later in a worker
    job = Job.objects.create(kind=kind, owner=user, params_json=json.dumps(params, sort_keys=True))
    mode = _mode()
    if mode == "inline":
        run_job(job.pk)
        job.refresh_from_db()
    elif mode == "thread":
        transaction.on_commit(lambda: _start_thread(job.pk))
    return job


def _thread_name(job_id: int) -> str:
    return f"haven-job-{job_id}"


def _start_thread(job_id: int) -> None:
    threading.Thread(target=_run_in_thread, args=(job_id,), name=_thread_name(job_id), daemon=True).start()


def _run_in_thread(job_id: int) -> None:
    close_old_connections()
    try:
        run_job(job_id)
    except OperationalError:
        # Most likely SQLite busy past its timeout while claiming. The job is still queued, and the owner's next
        # status check starts it again (restart_orphaned); a job that had started is marked failed by
        # recover_stale once its heartbeat stops.
        logger.exception(
            "job %s: the database refused the job's thread; it is left for a later attempt", job_id
        )
    finally:
        connection.close()


def restart_orphaned(job: Job, now: Any = None) -> bool:
    """Thread mode: start ``job`` again if it is still queued and no thread of this process is on it.

    Two processes may both start it (one each); only one claims it, as ``claim`` is one atomic update.
    """
    now = now or timezone.now()
    if _mode() != "thread" or job.status != JobStatus.QUEUED or job.created_at > now - ORPHANED_AFTER:
        return False
    if any(t.name == _thread_name(job.pk) for t in threading.enumerate()):
        return False
    logger.warning("job %s: still queued with no thread on it; starting it again", job.pk)
    _start_thread(job.pk)
    return True


def claim(job_id: int) -> bool:
    """Mark a queued job running; False when another worker took it first (the update is atomic)."""
    now = timezone.now()
    return bool(
        Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
        )
    )


def run_job(job_id: int) -> None:
    """Run one queued job to its end, recording success, a user-facing failure, or cancellation."""
    if not claim(job_id):
        return
    job = Job.objects.select_related("owner").get(pk=job_id)
    stop = threading.Event()
    beat = None
    if _mode() != "inline":
        beat = threading.Thread(target=_heartbeat, args=(job_id, stop), daemon=True)
        beat.start()
    status, result, error = JobStatus.DONE, {}, ""
    try:
        result = runner_for(job.kind)(job.owner, json.loads(job.params_json), Progress(job)) or {}
    except Cancelled:
        status, error = JobStatus.CANCELLED, "Stopped at the user's request."
    except JobError as exc:
        status, error = JobStatus.FAILED, str(exc)
    except Exception:
        # The traceback goes to the server log only: it may quote data, and the user needs no stack.
        logger.exception("job %s (%s) failed", job_id, job.kind)
        status, error = (
            JobStatus.FAILED,
            "The job failed because of an internal error; the server log has details.",
        )
    finally:
        stop.set()
        if beat is not None:
            beat.join(timeout=5)
    fields: dict[str, Any] = {
        "status": status,
        "finished_at": timezone.now(),
        "error": error,
        "result_json": json.dumps(result, sort_keys=True, default=str) if result else "",
    }
    if status == JobStatus.DONE:
        fields["done"] = F("total")
    # An update, not save(): the runner's progress writes changed done/total on the row meanwhile.
    Job.objects.filter(pk=job_id).update(**fields)


def _heartbeat(job_id: int, stop: threading.Event) -> None:
    try:
        while not stop.wait(HEARTBEAT_EVERY.total_seconds()):
            try:
                Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(heartbeat_at=timezone.now())
            except OperationalError:  # SQLite busy with the job's own write: the next beat will do
                logger.warning("job %s: heartbeat skipped (database busy)", job_id)
    finally:
        connection.close()


def recover_stale(now: Any = None) -> int:
    """Mark failed the running jobs whose process died (no heartbeat for STALE_AFTER); return how many."""
    now = now or timezone.now()
    return Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER).update(
        status=JobStatus.FAILED,
        finished_at=now,
        error="Interrupted: the process running this job stopped. Nothing it had not finished was saved; "
        "run it again.",
    )


def run_upkeep() -> dict[str, int | None]:
    """Run every registered upkeep task; return what each did (None: it failed, and the log says why).

    One failing task does not stop the others, nor the worker: it is tried again at the next round.
    """
    done: dict[str, int | None] = {}
    for name, task in upkeep_tasks().items():
        try:
            done[name] = task()
        except Exception:
            logger.exception("upkeep %r failed", name)
            done[name] = None
    return done


def next_queued() -> int | None:
    return (
        Job.objects.filter(status=JobStatus.QUEUED)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )


def cancel(job: Job, *, user: Any) -> None:
    if job.owner_id != user.pk:
        raise Http404("No such job.")
    if job.status == JobStatus.QUEUED:
        Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.CANCELLED, finished_at=timezone.now(), error="Cancelled before it started."
        )
    Job.objects.filter(pk=job.pk).update(cancel_requested=True)


def job_for_user(user: Any, pk: Any) -> Job:
    """The user's own job, or 404 (jobs of others are not shown, not even that they exist)."""
    try:
        job = Job.objects.get(pk=int(pk), owner_id=user.pk)
    except (Job.DoesNotExist, ValueError, TypeError):
        raise Http404("No such job.") from None
    if job.status == JobStatus.RUNNING:
        recover_stale()
        job.refresh_from_db()
    return job


def result_of(job: Job) -> dict[str, Any]:
    return json.loads(job.result_json) if job.result_json else {}


def params_of(job: Job) -> dict[str, Any]:
    return json.loads(job.params_json)
