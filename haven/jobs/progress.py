from __future__ import annotations

from django.utils import timezone

from haven.jobs.models import Job


class Cancelled(Exception):
    """Raised inside a runner when its user asked to stop the job."""


class Progress:
    """What a runner gets to report how far it is. Writes are cheap and rate-limited to one per half second."""

    def __init__(self, job: Job) -> None:
        self.job_id = job.pk
        self._last = 0.0

    def __call__(
        self, done: int, total: int | None = None, message: str = "", *, force: bool = False
    ) -> None:
        now = timezone.now()
        stamp = now.timestamp()
        if not force and stamp - self._last < 0.5:
            return
        self._last = stamp
        fields: dict[str, object] = {"done": done, "heartbeat_at": now}
        if total is not None:
            fields["total"] = total
        if message:
            fields["message"] = message[:200]
        Job.objects.filter(pk=self.job_id).update(**fields)
        if Job.objects.filter(pk=self.job_id, cancel_requested=True).exists():
            raise Cancelled()
