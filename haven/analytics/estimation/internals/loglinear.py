"""Log-linear multiple systems estimation, reproducing Rcapture's closedp/closedpCI/closedpMS.

The observed 2^J - 1 cells are fitted by a Poisson GLM with log link; the intercept is the
log of the expected number of people on no list, so N = n + exp(beta0)
(Rcapture ``internal.DRY.R``, ``getN``). Fit statistics follow R exactly: AIC is glm's
Poisson AIC (with the log y! constant), BIC = AIC + (log n - 2) * rank with n the number of
observed people, not cells. The confidence interval is Rcapture's: a profile likelihood
on N under the multinomial (conditional) likelihood (``profileCI.R``/``closedpCI.R``),
computed here by root-finding instead of Rcapture's integer grid zoom.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq, minimize_scalar
from scipy.special import gammaln
from scipy.stats import chi2

from .data import CaptureHistories
from .errors import EstimateUnavailableError, EstimationInputError, EstimationWarning
from .glm import PoissonFit, fit_poisson
from .models import (
    DEFAULT_MAX_MODELS,
    Heterogeneity,
    LoglinearModel,
    all_hierarchical_models,
    cell_patterns,
    parse_model,
)

__all__ = ["LoglinearResult", "ModelFit", "ModelSelection", "loglinear_fit", "loglinear_select"]

Status = Literal["ok", "boundary", "unbounded", "failed"]
Criterion = Literal["aic", "bic"]

#: Estimates above this multiple of n are reported as unbounded (Rcapture warns past 1e6).
UNBOUNDED_RATIO = 1e6


@dataclass(frozen=True)
class LoglinearResult:
    """A fitted log-linear model and its population estimate.

    Attributes:
        model: Model name in Rcapture bracket notation (``"[12,3,4]"``), or ``"M0"``,
            ``"Mh Darroch"``, ``"Mth Chao (LB)"`` for the homogeneous/heterogeneous forms.
        lists: List names.
        observed: n, the number of observed people.
        estimate: N-hat = n + exp(beta0) (``inf`` when unbounded, ``nan`` when failed).
        se: Standard error sqrt(exp(b0) + exp(2 b0) Var(b0)) (Rcapture's ``getN``).
        unobserved: exp(beta0), the estimated number of people on no list.
        deviance: Poisson deviance.
        df: Residual degrees of freedom: 2^J - 1 - rank.
        aic: R's glm Poisson AIC.
        bic: AIC + (log n - 2) * rank.
        rank: Number of (estimable) parameters, as R's glm counts them.
        status: ``"ok"``; ``"boundary"`` when some parameters are at minus infinity but N
            is still determined (an extended MLE, with a warning); ``"unbounded"`` when N
            is not determined, infinite or above 1e6 * n; ``"failed"`` when the fit did
            not converge or produced non-finite numbers.
        lower: Lower end of the profile-likelihood interval (``None`` if not computed).
        upper: Upper end (``inf`` if the profile never drops far enough).
        estimate_multinomial: Maximiser of the multinomial profile likelihood (Rcapture's
            "Multinomial estimation"), slightly different from ``estimate``.
        level: Confidence level of the interval.
        coefficients: Coefficients by design column name (non-identified ones omitted).
        fitted: Fitted count of every observed cell, keyed by pattern string.
        warnings: Messages about the fit.
    """

    model: str
    lists: tuple[str, ...]
    observed: int
    estimate: float
    se: float
    unobserved: float
    deviance: float
    df: int
    aic: float
    bic: float
    rank: int
    status: Status
    lower: float | None = None
    upper: float | None = None
    estimate_multinomial: float | None = None
    level: float = 0.95
    coefficients: dict[str, float] = field(default_factory=dict)
    fitted: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    method: str = "loglinear"

    @property
    def exists(self) -> bool:
        """Return whether the estimate exists (status ``ok`` or ``boundary``)."""
        return self.status in ("ok", "boundary")

    def raise_if_unavailable(self) -> LoglinearResult:
        """Return self, or raise :class:`EstimateUnavailableError` if the estimate does not exist."""
        if not self.exists:
            raise EstimateUnavailableError(
                f"model {self.model}: no usable estimate ({self.status}): "
                + "; ".join(self.warnings or ("no detail",)),
                status=self.status,
                model=self.model,
            )
        return self


@dataclass(frozen=True)
class ModelFit:
    """One row of a model-selection table (no interval)."""

    model: str
    estimate: float
    se: float
    deviance: float
    df: int
    aic: float
    bic: float
    status: Status


@dataclass(frozen=True)
class ModelSelection:
    """All hierarchical models fitted and ranked by an information criterion.

    Attributes:
        criterion: ``"aic"`` or ``"bic"``.
        table: Every model, best criterion first (models without an estimate last).
        chosen: The best model whose estimate exists, refitted with its profile interval.
        observed: n.
        lists: List names.
        max_order: Highest interaction order searched.
        warnings: Messages (for example when better-ranked models had no estimate).
    """

    criterion: Criterion
    table: tuple[ModelFit, ...]
    chosen: LoglinearResult
    observed: int
    lists: tuple[str, ...]
    max_order: int
    warnings: tuple[str, ...] = ()
    method: str = "loglinear"

    @property
    def estimate(self) -> float:
        """Return the chosen model's estimate."""
        return self.chosen.estimate

    @property
    def lower(self) -> float | None:
        """Return the chosen model's lower interval bound."""
        return self.chosen.lower

    @property
    def upper(self) -> float | None:
        """Return the chosen model's upper interval bound."""
        return self.chosen.upper

    def row(self, model: str) -> ModelFit:
        """Return the table row of a model by name.

        Raises:
            KeyError: If the model is not in the table.
        """
        for r in self.table:
            if r.model == model:
                return r
        raise KeyError(model)


# ---------------------------------------------------------------------------- fitting


@dataclass(frozen=True)
class _Prepared:
    patterns: NDArray[np.int8]
    y: NDArray[np.float64]
    n: int
    names: tuple[str, ...]
    lists: tuple[str, ...]


def _prepare(histories: CaptureHistories) -> _Prepared:
    if not isinstance(histories, CaptureHistories):
        raise EstimationInputError("expected CaptureHistories (see CaptureHistories.from_rows/from_counts)")
    if histories.is_stratified:
        raise EstimationInputError(
            "histories are stratified: use estimate_stratified(), or histories.pooled() to ignore strata"
        )
    j = histories.num_lists
    if j > 15:
        raise EstimationInputError(f"log-linear models support at most 15 lists (2^J cells), got {j}")
    patterns = cell_patterns(j)
    y = histories.cell_counts()[1:].astype(np.float64)
    names = tuple("".join(str(int(v)) for v in row) for row in patterns)
    return _Prepared(patterns, y, histories.n, names, histories.lists)


def _fit_design(
    model: LoglinearModel, prep: _Prepared
) -> tuple[PoissonFit, NDArray[np.float64], list[str], list[str]]:
    """Fit a model; for Chao heterogeneity drop negative eta columns one at a time (Rcapture)."""
    design = model.design(prep.patterns)
    columns = model.column_names()
    notes: list[str] = []
    fit = fit_poisson(design, prep.y)
    if model.heterogeneity is not None and model.heterogeneity.kind == "chao":
        # Rcapture's Chao.neg: refit without the first negative eta until none is negative.
        while True:
            etas = [i for i, c in enumerate(columns) if c.startswith("eta")]
            # An eta left undetermined by a boundary fit is one that R's glm drives towards
            # -infinity (the Chao columns are non-negative, so only a negative eta can send a
            # zero cell to 0); R then sees it as negative, and so do we.
            negative = [
                i
                for i in etas
                if (fit.identified[i] and fit.beta[i] < 0) or (fit.boundary and not fit.identified[i])
            ]
            if not negative:
                break
            drop = negative[0]
            notes.append(f"negative {columns[drop]} set to zero (column removed), as Rcapture does")
            design = np.delete(design, drop, axis=1)
            columns = columns[:drop] + columns[drop + 1 :]
            fit = fit_poisson(design, prep.y)
    return fit, design, columns, notes


def _assess(
    model_name: str, fit: PoissonFit, prep: _Prepared, columns: Sequence[str], notes: list[str]
) -> LoglinearResult:
    n = prep.n
    cells = len(prep.y)
    rank = fit.rank
    df = cells - rank
    aic = -2.0 * fit.loglik + 2.0 * rank
    bic = aic + (math.log(n) - 2.0) * rank
    beta0 = float(fit.beta[0])
    var0 = float(fit.cov[0, 0])
    status: Status = "ok"
    messages = list(notes)
    estimate = se = unobserved = math.nan
    if not (np.all(np.isfinite(fit.beta)) and np.isfinite(fit.deviance)) or not fit.converged:
        status = "failed"
        messages.append("the Poisson fit did not converge or produced non-finite values")
    elif not fit.identified[0]:
        status = "unbounded"
        estimate = se = unobserved = math.inf
        messages.append(
            "the estimate does not exist: zero cells leave the intercept (the unobserved cell) "
            "undetermined, so every N from n upwards fits these data equally well under this model"
        )
    else:
        with np.errstate(over="ignore"):
            unobserved = math.exp(beta0) if beta0 < 700 else math.inf
            se = (
                math.sqrt(unobserved + unobserved**2 * max(var0, 0.0))
                if math.isfinite(unobserved)
                else math.inf
            )
        estimate = n + unobserved
        if not math.isfinite(estimate) or estimate > UNBOUNDED_RATIO * n:
            status = "unbounded"
            messages.append(
                f"the estimate {estimate:.4g} exceeds {UNBOUNDED_RATIO:g} times n: treated as unbounded"
            )
        elif fit.boundary:
            status = "boundary"
            zero_cells = [prep.names[i] for i in np.flatnonzero(fit.limit_zero)]
            messages.append(
                "the MLE is on the boundary: zero margins send some parameters to -infinity "
                f"(cells {', '.join(zero_cells)} fitted as 0); N is the limit (extended MLE)"
            )
        if rank < len(columns):
            messages.append(f"design is rank deficient ({rank} of {len(columns)} columns estimable)")
    coefficients = {
        c: float(b)
        for c, b, ok in zip(columns, fit.beta, fit.identified, strict=True)
        if ok and not fit.boundary
    }
    if fit.boundary:
        coefficients = {"(Intercept)": beta0} if fit.identified[0] else {}
    fitted = {name: float(mu) for name, mu in zip(prep.names, fit.mu, strict=True)}
    return LoglinearResult(
        model=model_name,
        lists=prep.lists,
        observed=n,
        estimate=float(estimate),
        se=float(se),
        unobserved=float(unobserved),
        deviance=0.0 if abs(fit.deviance) < 1e-9 else float(fit.deviance),  # saturated fits: no "-0.000"
        df=int(df),
        aic=float(aic),
        bic=float(bic),
        rank=rank,
        status=status,
        coefficients=coefficients,
        fitted=fitted,
        warnings=tuple(messages),
    )


def _profile_interval(
    design: NDArray[np.float64], fit: PoissonFit, prep: _Prepared, level: float
) -> tuple[float, float, float]:
    """Return (multinomial MLE of N, lower, upper) from the multinomial profile likelihood.

    For a fixed N the multinomial likelihood of the complete table (unobserved cell =
    N - n) is maximised by the Poisson fit of that table, so the profile log-likelihood is
    log N!/(N-n)! - sum log y! + sum_cells y log(mu/N).
    """
    n = prep.n
    y = prep.y
    zero_row = np.zeros((1, design.shape[1]))
    zero_row[0, 0] = 1.0  # every non-intercept column is 0 for the no-list pattern
    full = np.vstack([zero_row, design])
    limit_zero = np.concatenate([[False], fit.limit_zero])
    const = -float(np.sum(gammaln(y + 1.0)))

    def profile(n0: float) -> float:
        n0 = max(n0, 0.0)
        total = n + n0
        yy = np.concatenate([[n0], y])
        # With n0 = 0 the no-list cell is itself a zero cell: let the existence check run.
        # No warm start: R's default start (y + 0.1) is what makes Poisson IRLS reliable here.
        f = fit_poisson(full, yy, limit_zero=limit_zero if n0 > 0 else None)
        pos = yy > 0
        return float(
            gammaln(total + 1.0) - gammaln(n0 + 1.0) + const + np.sum(yy[pos] * np.log(f.mu[pos] / total))
        )

    drop = float(chi2.ppf(level, 1)) / 2.0
    cap = UNBOUNDED_RATIO * n
    mu0 = math.exp(min(float(fit.beta[0]), 50.0))
    se0 = math.sqrt(mu0 + mu0**2 * max(float(fit.cov[0, 0]), 0.0))
    # Rcapture's starting range: 0 .. exp(b0) + 2 * 1.96 * SE, in 20 steps.
    scale = max(mu0 + 2 * 1.96 * se0, 10.0)
    points: dict[float, float] = {}

    def evaluate(x: float) -> float:
        if x not in points:
            points[x] = profile(x)
        return points[x]

    for x in np.linspace(0.0, scale, 21):
        evaluate(float(x))
    # Expand to the right while the maximum sits at the right end of the grid.
    while max(points, key=points.__getitem__) == max(points) and max(points) < cap:
        right_end = max(points)
        for x in np.linspace(right_end, right_end * 4, 11)[1:]:
            evaluate(float(x))
    xs = sorted(points)
    best = max(range(len(xs)), key=lambda i: points[xs[i]])
    if best == len(xs) - 1:
        target = points[xs[best]] - drop
        return math.inf, n + _root_left(evaluate, xs, points, best, target), math.inf
    left, right = xs[max(best - 1, 0)], xs[best + 1]
    # Every evaluation is cached in ``points``; the best one is read back from there.
    minimize_scalar(
        lambda x: -evaluate(float(x)), bounds=(left, right), method="bounded", options={"xatol": 1e-4}
    )
    xs = sorted(points)
    best = max(range(len(xs)), key=lambda i: points[xs[i]])
    n0_hat, lmax = xs[best], points[xs[best]]
    target = lmax - drop
    lower = n + _root_left(evaluate, xs, points, best, target)
    # Upper bound: walk right (doubling past the grid) until the profile drops below target.
    x = n0_hat
    while True:
        right_points = [v for v in sorted(points) if v > x]
        nxt = right_points[0] if right_points else max(x * 2.0, x + 1.0)
        if evaluate(nxt) <= target:
            root = brentq(lambda v: evaluate(v) - target, x, nxt, xtol=1e-6, rtol=1e-12)
            return n + n0_hat, lower, n + float(root)
        if nxt >= cap:
            return n + n0_hat, lower, math.inf
        x = nxt


def _root_left(
    evaluate: Callable[[float], float],
    xs: Sequence[float],
    points: dict[float, float],
    best: int,
    target: float,
) -> float:
    """Return the root of profile = target left of the maximum (0 if the profile stays above)."""
    below = [i for i in range(best) if points[xs[i]] <= target]
    if not below:
        return 0.0  # the interval reaches n (Rcapture reports sum(Y) in this case)
    i = below[-1]
    return float(brentq(lambda v: evaluate(v) - target, xs[i], xs[i + 1], xtol=1e-6, rtol=1e-12))


def _resolve_model(
    histories: CaptureHistories,
    model: str | LoglinearModel | Sequence[Sequence[int | str] | str],
    heterogeneity: str | Heterogeneity | None,
    theta: float | None,
) -> LoglinearModel:
    parsed = parse_model(model, histories.num_lists, histories.lists)
    het = Heterogeneity.parse(heterogeneity, theta)
    if het is not None:
        parsed = LoglinearModel(parsed.num_lists, parsed.terms, parsed.homogeneous, het)
    return parsed


def loglinear_fit(
    histories: CaptureHistories,
    model: str | LoglinearModel | Sequence[Sequence[int | str] | str] = "Mt",
    *,
    heterogeneity: str | Heterogeneity | None = None,
    theta: float | None = None,
    interval: bool = True,
    level: float = 0.95,
    strict: bool = False,
) -> LoglinearResult:
    """Fit one log-linear model and estimate the population size.

    Args:
        histories: Unstratified capture histories (2 or more lists).
        model: ``"Mt"`` (independence, default), ``"M0"``, ``"saturated"``, bracket
            notation such as ``"[12,3,4]"``, or a sequence of terms (see ``parse_model``).
        heterogeneity: Optional Rcapture heterogeneity columns: ``"chao"``/``"lb"``,
            ``"poisson"``, ``"darroch"`` or ``"gamma"`` (``M0`` + h is Mh, ``Mt`` + h is Mth).
        theta: Parameter of the Poisson (default 2) or Gamma (default 3.5) heterogeneity.
        interval: Compute the profile-likelihood interval.
        level: Confidence level of the interval.
        strict: Raise instead of returning a result whose estimate does not exist.

    Returns:
        The fit with N-hat, SE, deviance, df, AIC, BIC, status and interval.

    Raises:
        EstimationInputError: On stratified histories or an invalid model.
        EstimateUnavailableError: With ``strict=True`` when the estimate does not exist.
    """
    if not 0.0 < level < 1.0:
        raise EstimationInputError("level must be between 0 and 1")
    prep = _prepare(histories)
    parsed = _resolve_model(histories, model, heterogeneity, theta)
    fit, design, columns, notes = _fit_design(parsed, prep)
    result = _assess(parsed.name, fit, prep, columns, notes)
    if result.status != "ok" or result.rank < len(columns):
        warnings.warn(f"{result.model}: {'; '.join(result.warnings)}", EstimationWarning, stacklevel=2)
    result = _with_data_warnings(result, histories)
    if interval and result.exists:
        mult, lower, upper = _profile_interval(design, fit, prep, level)
        extra: tuple[str, ...] = ()
        if math.isinf(upper):
            extra = ("the profile likelihood does not fall enough on the right: upper bound is infinite",)
        result = _replace(
            result,
            lower=lower,
            upper=upper,
            estimate_multinomial=mult,
            level=level,
            warnings=result.warnings + extra,
        )
    if strict:
        result.raise_if_unavailable()
    return result


def _with_data_warnings(result: LoglinearResult, histories: CaptureHistories) -> LoglinearResult:
    if not histories.warnings:
        return result
    return _replace(result, warnings=tuple(histories.warnings) + result.warnings)


def _replace(result: LoglinearResult, **changes: object) -> LoglinearResult:
    return replace(result, **changes)  # type: ignore[arg-type]


def _criterion(result: LoglinearResult, criterion: Criterion) -> float:
    return result.aic if criterion == "aic" else result.bic


def _rank_key(criterion: Criterion) -> Callable[[tuple[int, LoglinearResult]], tuple[int, float, int]]:
    """Return a sort key: usable estimates first, then by criterion, then simplest model first."""

    def key(item: tuple[int, LoglinearResult]) -> tuple[int, float, int]:
        index, r = item
        value = _criterion(r, criterion)
        bad = (not r.exists) or not math.isfinite(value)
        return (1 if bad else 0, value if math.isfinite(value) else math.inf, index)

    return key


def loglinear_select(
    histories: CaptureHistories,
    criterion: Criterion = "aic",
    max_order: int | None = None,
    *,
    heterogeneity: str | Heterogeneity | None = None,
    theta: float | None = None,
    max_models: int | None = DEFAULT_MAX_MODELS,
    level: float = 0.95,
) -> ModelSelection:
    """Fit all hierarchical models (Rcapture closedpMS.t) and choose one by AIC or BIC.

    Main effects are always included; interactions go up to ``max_order`` (default J - 1).
    Models whose estimate does not exist (see :class:`LoglinearResult` ``status``) are
    listed last and never chosen.

    Args:
        histories: Unstratified capture histories.
        criterion: ``"aic"`` (default) or ``"bic"``.
        max_order: Highest interaction order.
        heterogeneity: Heterogeneity columns added to every model (as closedpMS.t's ``h``).
        theta: Heterogeneity parameter.
        max_models: Refuse to fit more models than this (Rcapture stops near 10,000).
        level: Confidence level of the chosen model's interval.

    Returns:
        The ranked table and the chosen model with its profile-likelihood interval.

    Raises:
        TooManyModelsError: If the model count exceeds ``max_models``.
        EstimateUnavailableError: If no model has an estimate.
    """
    if criterion not in ("aic", "bic"):
        raise EstimationInputError(f"criterion must be 'aic' or 'bic', got {criterion!r}")
    prep = _prepare(histories)
    het = Heterogeneity.parse(heterogeneity, theta)
    order = histories.num_lists - 1 if max_order is None else max_order
    models = all_hierarchical_models(histories.num_lists, order, max_models=max_models, heterogeneity=het)
    results: list[LoglinearResult] = []
    for m in models:
        fit, _design, columns, notes = _fit_design(m, prep)
        results.append(_assess(m.name, fit, prep, columns, notes))
    ranked = sorted(enumerate(results), key=_rank_key(criterion))
    table = tuple(
        ModelFit(r.model, r.estimate, r.se, r.deviance, r.df, r.aic, r.bic, r.status) for _, r in ranked
    )
    best_index, best = ranked[0]
    if not best.exists:
        reason = best.warnings[-1] if best.warnings else best.status
        raise EstimateUnavailableError(
            f"no log-linear model has a usable estimate for these data (best model {best.model}: {reason})",
            status=best.status,
            model=best.model,
        )
    messages = list(histories.warnings)
    value = _criterion(best, criterion)
    hidden = [r.model for r in results if not r.exists and _criterion(r, criterion) < value]
    if hidden:
        messages.append(
            f"{len(hidden)} model(s) with a better {criterion.upper()} have no finite estimate and were skipped "
            f"(e.g. {hidden[0]})"
        )
    unusable = sum(1 for r in results if not r.exists)
    if unusable:
        messages.append(f"{unusable} of {len(results)} models have no usable estimate")
    chosen = loglinear_fit(_strip_warnings(histories), models[best_index], interval=True, level=level)
    return ModelSelection(
        criterion=criterion,
        table=table,
        chosen=chosen,
        observed=prep.n,
        lists=prep.lists,
        max_order=order,
        warnings=tuple(messages),
    )


def _strip_warnings(histories: CaptureHistories) -> CaptureHistories:
    # The selection already reports the data warnings once; avoid repeating them.
    if not histories.warnings:
        return histories
    return CaptureHistories(histories.lists, histories.patterns, histories.counts, histories.strata, ())
