"""A worker killed during an estimation leaves no partial run, and the job is reported interrupted."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from haven.estimation.tests.world import build
from haven.jobs import services as jobs
from haven.lib.testing.processes import ROOT, child_database, run_child

RECOVER = """
import django
django.setup()
from datetime import timedelta
from django.core.management import call_command
from django.utils import timezone
from haven.jobs import services
from haven.jobs.models import Job
# The worker's heartbeat stopped when it died; pretend the stale period has passed.
Job.objects.filter(status="running").update(heartbeat_at=timezone.now() - services.STALE_AFTER * 2)
call_command("worker", "--once")
"""


def test_a_worker_killed_mid_estimation_saves_nothing_and_the_job_is_marked_interrupted(
    committed_db, tmp_path, settings
) -> None:  # type: ignore[no-untyped-def]
    world = build()
    settings.HAVEN_JOBS = "worker"
    params = {
        "table": {
            "organisation_ids": world.ids("alpha", "beta", "gamma"),
            "population": "victims",
            "strata": [],
        },
        # Long enough to be killed in the middle of sampling.
        "method": {
            "method": "lcmcr",
            "burnin": 200_000,
            "samples": 1_000,
            "thinning": 10,
            "chains": 2,
            "seed": 5,
        },
    }
    job = jobs.submit("estimation.run", user=world.analyst, params=params)
    db = child_database(tmp_path / "home")
    worker = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "haven.cli", "worker", "--poll", "0.2"],
        cwd=ROOT, env=db.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while True:
            ((status, done),) = db.rows("SELECT status, done FROM jobs_job WHERE id = %s", (job.pk,))
            if status == "running" and done > 0:
                break
            assert worker.poll() is None, worker.communicate()
            assert time.monotonic() < deadline, f"the estimation never got going ({status}, {done})"
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=60)
    assert db.rows("SELECT count(*) FROM estimation_estimationrun") == [(0,)]
    assert db.rows("SELECT status FROM jobs_job WHERE id = %s", (job.pk,)) == [("running",)]

    run_child(RECOVER, [], db.env)
    ((status, error),) = db.rows("SELECT status, error FROM jobs_job WHERE id = %s", (job.pk,))
    assert status == "failed" and error.startswith("Interrupted"), (status, error)
    assert db.rows("SELECT count(*) FROM estimation_estimationrun") == [(0,)]
