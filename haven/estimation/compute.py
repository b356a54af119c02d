"""From a saved capture-pattern table to saved outputs: the only place Haven calls the estimation package.

Free of Django on purpose: the same function serves a new run and a re-run, on the table as stored, so a
re-run with the same inputs goes through exactly the same steps and gives the same numbers.

The table (``inputs["table"]``) is a list of ``{"stratum": [value, ...], "pattern": "101", "count": 7}`` with
one 0/1 digit per list, in the order of ``inputs["lists"]``.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from typing import Any

import numpy as np
import scipy

from haven.analytics.estimation import (
    CaptureDataError,
    CaptureHistories,
    EstimateUnavailableError,
    EstimationInputError,
    LcmcrResult,
    LoglinearResult,
    ModelSelection,
    StratifiedResult,
    TooManyModelsError,
    estimate,
)

__all__ = [
    "STRATUM_SEPARATOR",
    "compute",
    "histories_from_table",
    "inputs_fingerprint",
    "software_versions",
]

Progress = Callable[[int, int], None]

STRATUM_SEPARATOR = " / "
#: Kept draws stored per chain for the trace plot (all of them up to this many, else evenly thinned).
TRACE_POINTS = 2000


def software_versions() -> dict[str, str]:
    """Return the versions that decide the numbers: Haven (with its estimator), numpy (the RNG) and scipy."""
    try:
        haven = metadata.version("haven")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout without install
        haven = "unknown"
    return {"haven": haven, "numpy": np.__version__, "scipy": scipy.__version__}


def inputs_fingerprint(inputs: Mapping[str, Any]) -> str:
    """Return the SHA-256 of the canonical JSON of ``inputs`` (sorted keys, no spaces)."""
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def stratum_key(values: Sequence[str]) -> str:
    return STRATUM_SEPARATOR.join(values)


def histories_from_table(inputs: Mapping[str, Any]) -> CaptureHistories:
    """Return the package's histories for a stored table.

    Raises:
        CaptureDataError: The table is empty, or a list has no captures at all.
    """
    lists = [item["code"] for item in inputs["lists"]]
    rows = inputs["table"]
    if not rows:
        raise CaptureDataError("no person matches: the table is empty")
    patterns = [row["pattern"] for row in rows]
    counts = [row["count"] for row in rows]
    strata = [stratum_key(row["stratum"]) for row in rows] if inputs["strata"] else None
    return CaptureHistories.from_counts(patterns, counts, lists=lists, strata=strata)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _models(selection: ModelSelection) -> list[list[Any]]:
    # Compact rows: [model, estimate, se, deviance, df, aic, bic, status], ranked as the criterion ranks them.
    return [
        [m.model, _num(m.estimate), _num(m.se), _num(m.deviance), m.df, _num(m.aic), _num(m.bic), m.status]
        for m in selection.table
    ]


def _loglinear_part(result: ModelSelection | LoglinearResult) -> dict[str, Any]:
    chosen = result.chosen if isinstance(result, ModelSelection) else result
    part: dict[str, Any] = {
        "lists": list(chosen.lists),
        "observed": chosen.observed,
        "estimate": _num(chosen.estimate) if chosen.exists else None,
        "lower": _num(chosen.lower),
        "upper": _num(chosen.upper),
        "se": _num(chosen.se) if chosen.exists else None,
        "estimate_multinomial": _num(chosen.estimate_multinomial),
        "model": chosen.model,
        "status": chosen.status,
        "fit": {
            "deviance": _num(chosen.deviance),
            "df": chosen.df,
            "aic": _num(chosen.aic),
            "bic": _num(chosen.bic),
        },
        "warnings": list(result.warnings),
    }
    if isinstance(result, ModelSelection):
        part["models"] = _models(result)
        part["max_order"] = result.max_order
        for w in chosen.warnings:
            if w not in part["warnings"]:
                part["warnings"].append(w)
    return part


def _thin(trace: np.ndarray) -> tuple[list[list[int]], int]:
    step = max(1, math.ceil(trace.shape[1] / TRACE_POINTS))
    return [[int(v) for v in chain[::step]] for chain in trace], step


def _lcmcr_part(result: LcmcrResult) -> dict[str, Any]:
    return {
        "lists": list(result.lists),
        "observed": result.observed,
        "estimate": _num(result.estimate),
        "mean": _num(result.mean),
        "lower": _num(result.lower),
        "upper": _num(result.upper),
        "status": "ok",
        "rhat": _num(result.rhat),
        "ess": _num(result.ess),
        "K": result.K,
        # A derived per-stratum seed can exceed a signed 64-bit integer: kept as text.
        "seed": str(result.seed),
        "cap_hits": result.cap_hits,
        "warnings": list(result.warnings),
    }


def _run(
    histories: CaptureHistories, method: str, settings: Mapping[str, Any], progress: Progress | None
) -> Any:
    if method == "loglinear":
        kw: dict[str, Any] = {"criterion": settings["criterion"], "max_order": settings.get("max_order")}
        if kw["max_order"] is not None and histories.is_stratified:
            # A stratum loses the lists without captures in it; say which one makes the order impossible.
            for label, sub in histories.by_stratum().items():
                if kw["max_order"] > sub.num_lists - 1:
                    raise EstimationInputError(
                        f"stratum {label!r} has captures on only {sub.num_lists} lists, so its highest "
                        f"interaction order is {sub.num_lists - 1}, not {kw['max_order']}: lower it or leave it empty"
                    )
        return estimate(histories, "loglinear", **kw)
    if method == "lcmcr":
        kw = {
            "K": settings.get("K"),
            "burnin": settings["burnin"],
            "samples": settings["samples"],
            "thinning": settings["thinning"],
            "chains": settings["chains"],
            "seed": settings["seed"],
        }
        if progress is not None:
            kw["progress"] = _stratum_progress(histories, progress)
        return estimate(histories, "lcmcr", **kw)
    raise EstimationInputError(f"unknown method {method!r}")


def _stratum_progress(histories: CaptureHistories, progress: Progress) -> Progress:
    """Turn each stratum's sweep counts into progress over the whole run (strata run one after another)."""
    strata = max(1, len(histories.stratum_labels))
    state = {"index": 0}

    def report(done: int, total: int) -> None:
        progress(state["index"] * total + done, strata * total)
        if done >= total:
            state["index"] += 1

    return report


def _summary(result: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return (overall outputs, parts) for any result of the package."""
    if isinstance(result, StratifiedResult):
        parts = []
        for label, sub in result.strata.items():
            part = _lcmcr_part(sub) if isinstance(sub, LcmcrResult) else _loglinear_part(sub)
            part["key"] = label
            parts.append(part)
        overall: dict[str, Any] = {
            "status": "ok" if result.exists else "unavailable",
            "observed": result.observed,
            "estimate": _num(result.estimate),
            "lower": _num(result.lower),
            "upper": _num(result.upper),
            "level": result.level,
            "se": _num(result.se),
            "interval": result.interval_method,
            "model": None,
            "warnings": list(result.warnings),
        }
        if result.method == "lcmcr" and result.trace is not None:
            overall["rhat"] = _num(result.rhat)
            overall["ess"] = _num(result.ess)
            overall["trace"], overall["trace_step"] = _thin(result.trace)
        return overall, parts
    if isinstance(result, LcmcrResult):
        part = _lcmcr_part(result)
        part["key"] = None
        overall = {
            "status": "ok",
            "observed": result.observed,
            "estimate": part["estimate"],
            "lower": part["lower"],
            "upper": part["upper"],
            "level": result.level,
            "se": None,
            "interval": "equal-tailed posterior interval",
            "model": None,
            "rhat": part["rhat"],
            "ess": part["ess"],
            "warnings": list(result.warnings),
        }
        overall["trace"], overall["trace_step"] = _thin(result.trace)
        return overall, [part]
    part = _loglinear_part(result)
    part["key"] = None
    overall = {
        "status": "ok" if part["estimate"] is not None else "unavailable",
        "observed": part["observed"],
        "estimate": part["estimate"],
        "lower": part["lower"],
        "upper": part["upper"],
        "level": result.chosen.level if isinstance(result, ModelSelection) else result.level,
        "se": part["se"],
        "interval": "profile likelihood (multinomial), as Rcapture closedpCI",
        "model": part["model"],
        "warnings": list(part["warnings"]),
    }
    return overall, [part]


def compute(inputs: Mapping[str, Any], progress: Progress | None = None) -> dict[str, Any]:
    """Estimate from stored inputs and return the outputs to store (plain JSON, no NaN).

    A problem with the data (an empty table, a stratum with fewer than two lists, no model with an estimate,
    too many models) is not an exception here: it gives ``status`` ``failed`` or ``unavailable`` and an
    ``error`` saying what is wrong, because the attempt is itself a result worth keeping.
    """
    started = time.perf_counter()
    outputs: dict[str, Any]
    try:
        histories = histories_from_table(inputs)
        result = _run(histories, inputs["method"], inputs["settings"], progress)
        overall, parts = _summary(result)
        outputs = {**overall, "parts": parts, "error": ""}
    except (CaptureDataError, TooManyModelsError, EstimationInputError) as exc:
        outputs = _failed("failed", str(exc), inputs)
    except EstimateUnavailableError as exc:
        outputs = _failed("unavailable", str(exc), inputs)
    outputs["elapsed_seconds"] = round(time.perf_counter() - started, 3)
    return outputs


def _failed(status: str, message: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "status": status,
        "observed": sum(int(row["count"]) for row in inputs["table"]),
        "estimate": None,
        "lower": None,
        "upper": None,
        "level": 0.95,
        "se": None,
        "interval": "",
        "model": None,
        "warnings": [],
        "parts": [],
        "error": message,
    }


def results_equal(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Return whether two outputs carry the same numbers (timings aside)."""
    strip = {"elapsed_seconds"}
    return {k: v for k, v in a.items() if k not in strip} == {k: v for k, v in b.items() if k not in strip}
