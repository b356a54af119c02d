"""Coverage of 95% intervals on simulated populations with known N (estimation-notes §1.8).

For each design sim1..sim5 (N = 2000, five lists) draw R populations with a seeded
generator and estimate N with:

* ``Mt``            independence log-linear model, profile-likelihood interval;
* ``Mth Chao``      Rcapture's Chao lower-bound heterogeneity model;
* ``LL-AIC``        log-linear model selected by AIC among hierarchical models;
* ``LL-BIC``        the same search, selected by BIC;
* ``LCMCR``         the latent-class sampler at its default settings.

Prints, per design and method, the share of intervals covering 2000, the mean estimate,
the median interval width and how many replications had no estimate (counted as misses).

Run: ``.venv/bin/python benchmarks/estimation_coverage.py [--replications 50] [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import math
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from haven.analytics.estimation import (
    SIMULATION_DESIGNS,
    EstimateUnavailableError,
    lcmcr_fit,
    loglinear_fit,
    loglinear_select,
    simulate_histories,
)

TRUE_N = 2000
METHODS = ("Mt", "Mth Chao", "LL-AIC", "LL-BIC", "LCMCR")


@dataclass(frozen=True)
class Outcome:
    design: str
    method: str
    estimate: float
    lower: float
    upper: float

    @property
    def available(self) -> bool:
        return all(math.isfinite(v) for v in (self.estimate, self.lower, self.upper))

    @property
    def covers(self) -> bool:
        return self.available and self.lower <= TRUE_N <= self.upper


def _values(result: object) -> tuple[float, float, float]:
    est = getattr(result, "estimate", math.nan)
    lower = getattr(result, "lower", None)
    upper = getattr(result, "upper", None)
    return (
        float(est) if est is not None else math.nan,
        float(lower) if lower is not None else math.nan,
        float(upper) if upper is not None else math.nan,
    )


def replicate(task: tuple[str, int, int, int]) -> list[Outcome]:
    """Run every method on one simulated population."""
    design, seed, max_order, lcmcr_seed = task
    warnings.simplefilter("ignore")
    histories = simulate_histories(design, np.random.default_rng(seed))
    out: list[Outcome] = []
    for name, kwargs in (("Mt", {}), ("Mth Chao", {"heterogeneity": "chao"})):
        r = loglinear_fit(histories, "Mt", **kwargs)  # type: ignore[arg-type]
        out.append(Outcome(design, name, *_values(r) if r.exists else (math.nan,) * 3))
    try:
        selection = loglinear_select(histories, "aic", max_order=max_order)
        out.append(Outcome(design, "LL-AIC", *_values(selection.chosen)))
        by_bic = min(
            (row for row in selection.table if row.status in ("ok", "boundary")), key=lambda row: row.bic
        )
        chosen = loglinear_fit(histories, by_bic.model)
        out.append(Outcome(design, "LL-BIC", *_values(chosen)))
    except EstimateUnavailableError:
        out += [Outcome(design, m, math.nan, math.nan, math.nan) for m in ("LL-AIC", "LL-BIC")]
    r = lcmcr_fit(histories, seed=lcmcr_seed)
    out.append(Outcome(design, "LCMCR", *_values(r)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replications", "-R", type=int, default=50)
    parser.add_argument("--designs", nargs="*", default=list(SIMULATION_DESIGNS))
    parser.add_argument(
        "--max-order", type=int, default=2, help="log-linear search order (2 -> 1,024 models)"
    )
    parser.add_argument("--seed", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    tasks = [
        (design, args.seed * 1000 + d * 100 + rep, args.max_order, 19481210 + rep)
        for d, design in enumerate(args.designs)
        for rep in range(args.replications)
    ]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        outcomes = [o for batch in pool.map(replicate, tasks) for o in batch]
    elapsed = time.perf_counter() - started

    print(
        f"Coverage of 95% intervals for N = {TRUE_N}; R = {args.replications} draws per design; "
        f"log-linear max_order = {args.max_order}; {elapsed:.0f} s on {args.jobs} process(es)"
    )
    print(f"{'design':<7}{'method':<10}{'coverage':>9}{'mean N':>9}{'median width':>14}{'no estimate':>13}")
    for design in args.designs:
        for method in METHODS:
            rows = [o for o in outcomes if o.design == design and o.method == method]
            ok = [o for o in rows if o.available]
            coverage = sum(o.covers for o in rows) / len(rows)
            mean = float(np.mean([o.estimate for o in ok])) if ok else math.nan
            width = float(np.median([o.upper - o.lower for o in ok])) if ok else math.nan
            print(
                f"{design:<7}{method:<10}{coverage:>9.0%}{mean:>9.0f}{width:>14.0f}{len(rows) - len(ok):>13}"
            )


if __name__ == "__main__":
    main()
