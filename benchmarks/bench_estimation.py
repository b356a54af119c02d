"""Wall time of LCMCR (10,000 sweeps) beside log-linear model selection, for 4, 5 and 6 lists.

The data are one draw of sim1 (estimation-notes §1.8) extended with a sixth list; the
4- and 5-list cases use its first lists. LCMCR runs 500 warm-up sweeps plus 10,000
sweeps (burnin 5,000 + 1,000 samples x thinning 5) with two vectorised chains and the
default K. Log-linear selection fits every hierarchical model at the default order
J - 1; six lists exceed the 10,000-model limit there, so they are timed at max_order 2
(32,768 models) with the limit lifted. One run each; times include the profile interval
of the chosen model.

Run: ``.venv/bin/python benchmarks/bench_estimation.py``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from haven.analytics.estimation import (
    DEFAULT_MAX_MODELS,
    CaptureHistories,
    count_hierarchical_models,
    lcmcr_fit,
    loglinear_select,
    simulate_histories,
)

DESIGN = (
    (1800, (0.033, 0.033, 0.099, 0.132, 0.033, 0.080)),
    (200, (0.660, 0.825, 0.759, 0.990, 0.693, 0.700)),
)


def first_lists(h: CaptureHistories, count: int) -> CaptureHistories:
    keep = h.patterns[:, :count]
    mask = keep.sum(axis=1) > 0
    return CaptureHistories.from_counts(keep[mask].tolist(), h.counts[mask].tolist(), lists=h.lists[:count])


def main() -> None:
    warnings.simplefilter("ignore")
    full = simulate_histories(DESIGN, np.random.default_rng(2016), lists=[f"L{i}" for i in range(1, 7)])
    print(
        "LCMCR: 500 warm-up + 10,000 sweeps (burnin 5,000, 1,000 samples x thinning 5), 2 chains, K default"
    )
    header = f"{'lists':>5}{'n':>6}{'cells>0':>8}{'LCMCR s':>9}{'N (LCMCR)':>11}{'models':>8}"
    header += f"{'loglin s':>10}{'N (AIC)':>9}{'LCMCR/loglin':>14}"
    print(header)
    for j in (4, 5, 6):
        h = first_lists(full, j)
        started = time.perf_counter()
        lc = lcmcr_fit(h, burnin=5000, samples=1000, thinning=5, seed=1)
        t_lcmcr = time.perf_counter() - started
        max_order: int | None = None
        max_models: int | None = DEFAULT_MAX_MODELS
        note = ""
        if count_hierarchical_models(j, None, limit=DEFAULT_MAX_MODELS) > DEFAULT_MAX_MODELS:
            max_order, max_models = 2, None
            note = "  (default order refused: > 10,000 models; timed at max_order 2, limit lifted)"
        models = count_hierarchical_models(j, max_order)
        started = time.perf_counter()
        sel = loglinear_select(h, "aic", max_order=max_order, max_models=max_models)
        t_ll = time.perf_counter() - started
        print(
            f"{j:>5}{h.n:>6}{int((h.counts > 0).sum()):>8}{t_lcmcr:>9.2f}{lc.estimate:>11.0f}{models:>8,}"
            f"{t_ll:>10.2f}{sel.estimate:>9.0f}{t_lcmcr / t_ll:>14.2f}{note}"
        )


if __name__ == "__main__":
    main()
