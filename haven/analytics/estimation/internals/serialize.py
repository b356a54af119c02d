"""Plain-JSON views of estimation results (for the CLI, the Django side and reports).

Non-finite numbers (an unbounded estimate, a missing interval) become ``null``, with the
reason in ``status`` and ``warnings``: JSON has no infinity, and a silent ``Infinity``
token breaks strict parsers.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .lcmcr import LcmcrResult
from .loglinear import LoglinearResult, ModelFit, ModelSelection
from .stratified import StratifiedResult

__all__ = ["result_to_dict", "result_to_json"]

AnyResult = LoglinearResult | ModelSelection | LcmcrResult | StratifiedResult

#: Rows of the model-selection table included in the JSON (the full table can be long).
TABLE_ROWS = 10


def _num(value: float | int | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    return float(value) if math.isfinite(value) else None


def _fit_stats(r: LoglinearResult | ModelFit) -> dict[str, Any]:
    return {
        "deviance": _num(r.deviance),
        "df": r.df,
        "aic": _num(r.aic),
        "bic": _num(r.bic),
    }


def _loglinear(r: LoglinearResult) -> dict[str, Any]:
    return {
        "method": "loglinear",
        "lists": list(r.lists),
        "observed": r.observed,
        "estimate": _num(r.estimate),
        "se": _num(r.se),
        "lower": _num(r.lower),
        "upper": _num(r.upper),
        "level": r.level,
        "interval": "profile likelihood (multinomial), as Rcapture closedpCI",
        "estimate_multinomial": _num(r.estimate_multinomial),
        "model": r.model,
        "status": r.status,
        "fit": _fit_stats(r),
        "strata": None,
        "warnings": list(r.warnings),
    }


def _selection(s: ModelSelection) -> dict[str, Any]:
    out = _loglinear(s.chosen)
    out["selection"] = {
        "criterion": s.criterion,
        "max_order": s.max_order,
        "models_fitted": len(s.table),
        "top": [
            {"model": row.model, "estimate": _num(row.estimate), "se": _num(row.se), "status": row.status}
            | _fit_stats(row)
            for row in s.table[:TABLE_ROWS]
        ],
    }
    out["warnings"] = list(s.warnings) + [w for w in out["warnings"] if w not in s.warnings]
    return out


def _lcmcr(r: LcmcrResult) -> dict[str, Any]:
    return {
        "method": "lcmcr",
        "lists": list(r.lists),
        "observed": r.observed,
        "estimate": _num(r.estimate),
        "mean": _num(r.mean),
        "lower": _num(r.lower),
        "upper": _num(r.upper),
        "level": r.level,
        "interval": "equal-tailed posterior interval",
        "sampler": {
            "K": r.K,
            "burnin": r.burnin,
            "samples": r.samples,
            "thinning": r.thinning,
            "chains": r.chains,
            "seed": r.seed,
            "a_alpha": r.a_alpha,
            "b_alpha": r.b_alpha,
            "rhat": _num(r.rhat),
            "ess": _num(r.ess),
            "cap_hits": r.cap_hits,
        },
        "strata": None,
        "warnings": list(r.warnings),
    }


def _stratified(r: StratifiedResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "method": r.method,
        "lists": list(r.lists),
        "observed": r.observed,
        "estimate": _num(r.estimate),
        "lower": _num(r.lower),
        "upper": _num(r.upper),
        "level": r.level,
        "interval": r.interval_method,
        "status": "ok" if r.exists else "unavailable",
    }
    if r.method == "loglinear":
        out["se"] = _num(r.se)
        out["model"] = "per stratum"
        out["settings"] = {
            k: v if isinstance(v, int | float | str | None) else str(v) for k, v in r.settings.items()
        }
    else:
        out["sampler"] = dict(r.settings) | {"rhat": _num(r.rhat), "ess": _num(r.ess)}
    strata: dict[str, Any] = {}
    for label, sub in r.strata.items():
        item = result_to_dict(sub)
        item.pop("strata", None)
        strata[label] = item
    out["strata"] = strata
    out["warnings"] = list(r.warnings)
    return out


def result_to_dict(result: AnyResult) -> dict[str, Any]:
    """Return a JSON-ready dict describing an estimation result.

    Always present: ``method``, ``observed``, ``estimate``, ``lower``, ``upper``,
    ``strata`` (``None`` unless stratified; else per-stratum dicts by label) and
    ``warnings``. Log-linear results add ``model`` (bracket notation), ``se``, ``status``
    and ``fit`` (deviance, df, AIC, BIC), and a ``selection`` block after model
    selection. LCMCR results add ``sampler`` (K, burnin, samples, thinning, chains, seed,
    priors, rhat, ess).

    Args:
        result: Any result of this package.

    Raises:
        TypeError: For other objects.
    """
    if isinstance(result, ModelSelection):
        return _selection(result)
    if isinstance(result, LoglinearResult):
        return _loglinear(result)
    if isinstance(result, LcmcrResult):
        return _lcmcr(result)
    if isinstance(result, StratifiedResult):
        return _stratified(result)
    raise TypeError(f"not an estimation result: {type(result).__name__}")


def result_to_json(result: AnyResult, *, indent: int | None = 2) -> str:
    """Return :func:`result_to_dict` as strict JSON text (no NaN/Infinity tokens)."""
    return json.dumps(result_to_dict(result), indent=indent, allow_nan=False, ensure_ascii=False)
