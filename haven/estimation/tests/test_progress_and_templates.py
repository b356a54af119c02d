"""LCMCR reports progress per chunk of sweeps (without changing its numbers); a run can be stopped; the
templates keep the strict CSP."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from haven.analytics.estimation import CaptureHistories, lcmcr_fit
from haven.estimation.compute import compute
from haven.estimation.models import EstimationRun
from haven.estimation.tests.world import LISTS, EstimationWorld, pooled
from haven.jobs import services as jobs
from haven.jobs.models import Job, JobStatus

TEMPLATES = sorted((Path(__file__).resolve().parents[1] / "templates").rglob("*.html"))
INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    re.compile(r"<style\b", re.IGNORECASE),
    re.compile(r"\sstyle\s*=", re.IGNORECASE),
    re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    re.compile(r"javascript:", re.IGNORECASE),
]


def test_lcmcr_reports_progress_in_chunks_without_changing_the_draws() -> None:
    histories = CaptureHistories.from_counts(pooled(), lists=list(LISTS))
    calls: list[tuple[int, int]] = []
    with_progress = lcmcr_fit(
        histories, burnin=300, samples=50, thinning=4, seed=11, progress=lambda d, t: calls.append((d, t))
    )
    without = lcmcr_fit(histories, burnin=300, samples=50, thinning=4, seed=11)
    assert np.array_equal(with_progress.trace, without.trace)
    total = 500 + 300 + 50 * 4
    assert all(t == total for _, t in calls) and calls[-1] == (total, total)
    done = [d for d, _ in calls]
    assert done == sorted(done) and len(calls) >= 50  # about every 1%


def test_stratified_progress_runs_once_over_all_strata() -> None:
    inputs = {
        "lists": [{"code": c} for c in LISTS],
        "strata": ["sex"],
        "method": "lcmcr",
        "settings": {"K": None, "burnin": 100, "samples": 20, "thinning": 1, "chains": 2, "seed": 5},
        "table": [
            {"stratum": [sex], "pattern": p, "count": n} for sex in ("F", "M") for p, n in pooled().items()
        ],
    }
    calls: list[tuple[int, int]] = []
    out = compute(inputs, lambda d, t: calls.append((d, t)))
    assert out["status"] == "ok" and len(out["parts"]) == 2
    total = 2 * (500 + 100 + 20)
    assert calls[-1] == (total, total) and all(t == total for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


@pytest.mark.django_db
def test_a_stopped_run_saves_nothing(world: EstimationWorld, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from haven.jobs import progress as progress_module

    real_call = progress_module.Progress.__call__

    def ask_to_stop(self, done, total=None, message="", *, force=False):  # type: ignore[no-untyped-def]
        if done:
            Job.objects.filter(pk=self.job_id).update(cancel_requested=True)
        return real_call(self, done, total, message, force=True)

    monkeypatch.setattr(progress_module.Progress, "__call__", ask_to_stop)
    params = {
        "table": {"organisation_ids": world.ids(*LISTS), "population": "victims", "strata": [], "band": 5},
        "method": {"method": "lcmcr", "burnin": 2000, "samples": 100, "thinning": 1, "seed": 1},
    }
    job = jobs.submit("estimation.run", user=world.analyst, params=params)
    assert job.status == JobStatus.CANCELLED
    assert not EstimationRun.objects.exists()


def test_templates_exist() -> None:
    assert len(TEMPLATES) >= 6


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_inline_script_or_style(template: Path) -> None:
    text = template.read_text()
    for pattern in INLINE:
        assert not pattern.search(text), (template.name, pattern.pattern)


def test_a_stratum_too_small_for_the_interaction_order_is_named() -> None:
    table = [{"stratum": ["F"], "pattern": p, "count": n} for p, n in pooled().items()]
    table += [
        {"stratum": ["M"], "pattern": "110", "count": 3},
        {"stratum": ["M"], "pattern": "100", "count": 9},
    ]
    table += [{"stratum": ["M"], "pattern": "010", "count": 8}]
    inputs = {
        "lists": [{"code": c} for c in LISTS],
        "strata": ["sex"],
        "method": "loglinear",
        "settings": {"criterion": "aic", "max_order": 2},
        "table": table,
    }
    out = compute(inputs)
    assert out["status"] == "failed" and "stratum 'M' has captures on only 2 lists" in out["error"]
    inputs["settings"]["max_order"] = None
    assert compute(inputs)["status"] == "ok"
