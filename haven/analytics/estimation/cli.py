"""Command line: ``estimate LISTS.csv [--method loglinear|lcmcr] [--criterion aic|bic] ...``.

The ``haven estimate`` management command calls :func:`main`. Exit codes: 0 on success,
1 when the data are valid but no estimate exists (for example every model is unbounded),
2 on bad input or arguments, always with one line on stderr.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

from .internals.data import read_lists_csv
from .internals.errors import EstimateUnavailableError, EstimationInputError
from .internals.lcmcr import LcmcrResult
from .internals.loglinear import LoglinearResult, ModelSelection
from .internals.serialize import result_to_json
from .internals.stratified import StratifiedResult, estimate

__all__ = ["main"]

PROG = "haven estimate"
EXIT_OK, EXIT_NO_ESTIMATE, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """Argument parser that reports errors in one line instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG, description="Multiple systems (capture-recapture) estimation from list overlaps."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    est = sub.add_parser("estimate", help="estimate the population size from a lists CSV")
    est.add_argument(
        "csv", metavar="LISTS.csv", help="one row per person (0/1 per list) or per pattern (+ count)"
    )
    est.add_argument("--method", choices=("loglinear", "lcmcr"), default="loglinear")
    est.add_argument("--criterion", choices=("aic", "bic"), default="aic", help="log-linear model selection")
    est.add_argument("--model", help="fit this log-linear model instead of selecting, e.g. '[12,3,4]' or Mt")
    est.add_argument("--max-order", type=int, help="highest interaction order searched (default J-1)")
    est.add_argument("--strata", metavar="COL", help="stratum column(s), comma-separated")
    est.add_argument("--seed", type=int, help="LCMCR random seed (default: fresh, reported)")
    est.add_argument("--classes", type=int, metavar="K", help="LCMCR latent classes (default min(2^J-1, 15))")
    est.add_argument("--burnin", type=int, default=10_000)
    est.add_argument("--samples", type=int, default=1_000)
    est.add_argument("--thinning", type=int, default=10)
    est.add_argument("--chains", type=int, default=2)
    est.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "unbounded" if value is not None and math.isinf(value) else "-"
    return f"{value:,.{digits}f}"


def _interval(lower: float | None, upper: float | None) -> str:
    if lower is None or upper is None or math.isnan(lower) or math.isnan(upper):
        return "not available"
    return f"{_fmt(lower)} - {_fmt(upper)}"


def _table_loglinear(r: LoglinearResult | ModelSelection, out: list[str]) -> None:
    chosen = r.chosen if isinstance(r, ModelSelection) else r
    out.append(f"model        {chosen.model}  (status: {chosen.status})")
    out.append(f"estimate N   {_fmt(chosen.estimate)}  (SE {_fmt(chosen.se)})")
    out.append(
        f"{chosen.level:.0%} CI       {_interval(chosen.lower, chosen.upper)}  (profile likelihood; "
        f"multinomial N {_fmt(chosen.estimate_multinomial)})"
    )
    out.append(
        f"fit          deviance {chosen.deviance:.3f}, df {chosen.df}, AIC {chosen.aic:.3f}, BIC {chosen.bic:.3f}"
    )
    if isinstance(r, ModelSelection):
        out.append("")
        out.append(f"best models by {r.criterion.upper()} ({len(r.table)} fitted):")
        out.append(f"  {'model':<24}{'N':>12}{'SE':>10}{'dev':>9}{'df':>4}{'AIC':>10}{'BIC':>10}")
        for row in r.table[:10]:
            out.append(
                f"  {row.model:<24}{_fmt(row.estimate):>12}{_fmt(row.se):>10}{row.deviance:>9.3f}"
                f"{row.df:>4}{row.aic:>10.3f}{row.bic:>10.3f}"
            )


def _table_lcmcr(r: LcmcrResult, out: list[str]) -> None:
    out.append(f"estimate N   {_fmt(r.estimate, 0)}  (posterior median; mean {_fmt(r.mean)})")
    out.append(f"{r.level:.0%} CI       {_interval(r.lower, r.upper)}  (posterior quantiles)")
    out.append(
        f"sampler      K={r.K}, burnin={r.burnin}, samples={r.samples}, thinning={r.thinning}, "
        f"chains={r.chains}, seed={r.seed}"
    )
    out.append(f"diagnostics  R-hat {r.rhat:.3f}, ESS {r.ess:.0f}")


def _render(result: Any, source: str) -> str:
    out: list[str] = []
    lists = ", ".join(result.lists)
    out.append(f"{source}: {result.method}, lists {lists}, observed n = {result.observed:,}")
    if isinstance(result, StratifiedResult):
        out.append(
            f"total N      {_fmt(result.estimate)}  {result.level:.0%} CI {_interval(result.lower, result.upper)}"
            f"  ({result.interval_method})"
        )
        out.append("")
        out.append(f"  {'stratum':<20}{'n':>8}{'N':>12}{'lower':>12}{'upper':>12}  model/sampler")
        for label, sub in result.strata.items():
            chosen = sub.chosen if isinstance(sub, ModelSelection) else sub
            detail = (
                chosen.model
                if isinstance(chosen, LoglinearResult)
                else f"R-hat {chosen.rhat:.3f}, ESS {chosen.ess:.0f}"
            )
            out.append(
                f"  {label:<20}{chosen.observed:>8,}{_fmt(chosen.estimate):>12}{_fmt(chosen.lower):>12}"
                f"{_fmt(chosen.upper):>12}  {detail}"
            )
    elif isinstance(result, LcmcrResult):
        _table_lcmcr(result, out)
    else:
        _table_loglinear(result, out)
    warns = (
        result.warnings
        if not isinstance(result, ModelSelection)
        else result.warnings + result.chosen.warnings
    )
    for message in dict.fromkeys(warns):
        out.append(f"warning: {message}")
    return "\n".join(out) + "\n"


def _options(args: argparse.Namespace) -> dict[str, Any]:
    if args.method == "lcmcr":
        options: dict[str, Any] = {
            "burnin": args.burnin,
            "samples": args.samples,
            "thinning": args.thinning,
            "chains": args.chains,
            "seed": args.seed,
        }
        if args.classes is not None:
            options["K"] = args.classes
        return options
    if args.model:
        return {"model": args.model}
    options = {"criterion": args.criterion}
    if args.max_order is not None:
        options["max_order"] = args.max_order
    return options


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the command line and return the exit code.

    Args:
        argv: Arguments without the program name (default ``sys.argv[1:]``), starting
            with the ``estimate`` subcommand.
        stdout: Stream for results (default ``sys.stdout``).
        stderr: Stream for the one-line error message (default ``sys.stderr``).

    Returns:
        0 on success, 1 when no estimate exists, 2 on bad input.
    """
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except _UsageError as exc:
        err.write(f"{PROG}: error: {exc}\n")
        return EXIT_USAGE
    try:
        with warnings.catch_warnings():
            # Warnings are part of the result (and printed below); don't also spray stderr.
            warnings.simplefilter("ignore")
            histories = read_lists_csv(args.csv, strata=args.strata)
            result = estimate(histories, args.method, **_options(args))
    except EstimateUnavailableError as exc:
        err.write(f"{PROG}: no estimate: {exc}\n")
        return EXIT_NO_ESTIMATE
    except EstimationInputError as exc:
        err.write(f"{PROG}: error: {exc}\n")
        return EXIT_USAGE
    if args.json:
        out.write(result_to_json(result) + "\n")
    else:
        out.write(_render(result, args.csv))
    exists = result.chosen.exists if isinstance(result, ModelSelection) else getattr(result, "exists", True)
    return EXIT_OK if exists else EXIT_NO_ESTIMATE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
