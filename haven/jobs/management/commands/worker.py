"""haven worker: run queued background jobs (estimation, linkage, imports) until stopped, and the hourly upkeep
(such as deleting expired intake drafts) between them."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand

from haven.jobs import services


class Command(BaseCommand):
    help = "Run queued background jobs (estimation, linkage, web imports). Run one next to the web server."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run the jobs queued now, then exit")
        parser.add_argument("--poll", type=float, default=1.0, help="seconds between looks at the queue")

    def handle(self, *args: Any, once: bool = False, poll: float = 1.0, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True  # finish the job in hand, then exit

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        recovered = services.recover_stale()
        if recovered:
            self.stdout.write(f"Marked {recovered} interrupted job(s) as failed.")
        upkept_at: float | None = None
        while not stopping:
            if upkept_at is None or time.monotonic() - upkept_at >= services.UPKEEP_EVERY.total_seconds():
                upkept_at = time.monotonic()
                self._upkeep()
            job_id = services.next_queued()
            if job_id is None:
                if once:
                    break
                time.sleep(poll)
                services.recover_stale()
                continue
            self.stdout.write(f"Running job {job_id} …")
            services.run_job(job_id)

    def _upkeep(self) -> None:
        for name, done in services.run_upkeep().items():
            if done is None:
                self.stderr.write(
                    f"Upkeep {name!r} failed; the server log has details. It is tried again in an hour."
                )
            elif done:
                self.stdout.write(f"Upkeep {name!r}: {done}.")
