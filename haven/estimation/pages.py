"""What the run page shows: labels in the reader's language, counts protected for readers who may not see
small ones, the citation line, and the plots.

Small counts go through :func:`haven.analytics.disclosure.protect_table`, the rules every statistic of Haven
uses: each stratum's column is a partition of its total, the strata totals a partition of the documented
total. A withheld count is printed as :data:`WITHHELD_MARK`, whatever it holds.

Estimates follow their counts (:class:`ResultsShown`): where any count of a stratum is not printed as it is,
nothing estimated from that stratum is printed either, nor anything of the whole run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.utils import formats
from django.utils.translation import get_language, gettext, pgettext

from haven.analytics.disclosure import WITHHELD, ProtectedTable, protect_table
from haven.estimation import plots
from haven.estimation.compute import STRATUM_SEPARATOR, results_equal
from haven.estimation.forms import STRATA_CHOICES
from haven.estimation.models import EstimationRun, Method, RunStatus
from haven.estimation.selectors import UNKNOWN
from haven.places.models import Location
from haven.records.models import Sex

MODELS_PER_PAGE = 25
MODEL_COLUMNS = ("model", "estimate", "se", "deviance", "df", "aic", "bic", "status")
# Compact in a wide table; the page explains it and the cell carries "withheld" as its title.
WITHHELD_MARK = "×"


def _ko() -> bool:
    return (get_language() or "en").startswith("ko")


def number(value: float | int | None, digits: int = 0) -> str:
    """Return ``value`` rounded for reading ("–" when missing, "∞" when unbounded)."""
    if value is None:
        return "–"
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    if digits == 0:
        return formats.number_format(round(value), 0, use_l10n=True, force_grouping=True)
    return formats.number_format(value, digits, use_l10n=True, force_grouping=True)


def list_name(item: dict[str, str]) -> str:
    return item["name_ko"] if _ko() and item.get("name_ko") else item["name_en"]


class StratumLabels:
    """Turns stored stratum values (codes) into words in the reader's language."""

    def __init__(self, strata: list[str], rows: list[dict[str, Any]]) -> None:
        self.strata = strata
        provinces = {
            row["stratum"][i]
            for row in rows
            for i, name in enumerate(strata)
            if name == "origin_province" and row["stratum"][i] != UNKNOWN
        }
        self.places = {loc.code: loc for loc in Location.objects.filter(code__in=provinces)}
        self.sexes = dict(Sex.choices)

    def value(self, name: str, value: str) -> str:
        if value == UNKNOWN:
            return gettext("unknown")
        if name == "sex":
            return str(self.sexes.get(value, value))
        if name == "origin_province":
            place = self.places.get(value)
            if place is None:
                return value
            return place.name_ko if _ko() and place.name_ko else place.name_en
        return value.replace("-", "–")

    def label(self, values: list[str]) -> str:
        return STRATUM_SEPARATOR.join(self.value(n, v) for n, v in zip(self.strata, values, strict=True))


def protected_counts(columns: list[list[int]], *, exact: bool) -> ProtectedTable:
    """Return the labels to print for the capture table (columns = strata) with its column totals and total.

    A reader granted every compartment the table came from (``exact``) sees every count as it is; anyone else
    sees the table protected so that no count from 1 to 4 can be read or worked out from it.
    """
    if exact:
        totals = [sum(c) for c in columns]
        return ProtectedTable(
            tuple(tuple(str(v) for v in col) for col in columns),
            tuple(str(t) for t in totals),
            str(sum(totals)),
        )
    table = protect_table(columns)

    def mark(label: str) -> str:
        return WITHHELD_MARK if label == WITHHELD else label

    return ProtectedTable(
        tuple(tuple(mark(c) for c in col) for col in table.cells),
        tuple(mark(t) for t in table.column_totals),
        mark(table.total),
    )


def count_shown(label: str) -> bool:
    """Whether a printed count is the count itself, not "<5" nor withheld."""
    return label.isdigit()


@dataclass(frozen=True)
class ResultsShown:
    """Which of a run's results a reader may see.

    Everything estimated from a stratum is a function of its cells: its estimate, interval and standard error, its
    model table (deviance, AIC and BIC to three decimals), its trace of N, even which model won and what the
    estimator said. Trying each value from 1 to 4 for a cell printed "<5" against those figures finds the one that
    fits. So a reader who may not see small counts sees a stratum's results only where every count of that
    stratum is printed as it is, and the whole run's (its total, trace, chosen model and messages) only where
    every stratum's are.
    """

    everything: bool
    shown_strata: frozenset[str] = frozenset()

    def part(self, key: str | None) -> bool:
        """Whether the results of part ``key`` are shown (None: the one part of a run without strata)."""
        return self.everything or (key is not None and key in self.shown_strata)

    @property
    def total(self) -> bool:
        """Whether the run's own results are shown: its total, interval, standard error, trace and messages."""
        return self.everything


def results_shown(keys: list[str], protected: ProtectedTable) -> ResultsShown:
    """Return which results go with the counts of ``protected`` (columns: the strata ``keys``), as printed for a
    reader who may not see small counts."""
    shown = frozenset(
        key
        for key, cells, total in zip(keys, protected.cells, protected.column_totals, strict=True)
        if count_shown(total) and all(count_shown(c) for c in cells)
    )
    return ResultsShown(
        everything=count_shown(protected.total) and shown == frozenset(keys), shown_strata=shown
    )


def _columns(run: EstimationRun) -> tuple[list[str], list[str], list[list[int]]]:
    """Return the stratum keys, the observed patterns (most lists first) and the counts per stratum."""
    rows = run.inputs["table"]
    keys = sorted({STRATUM_SEPARATOR.join(r["stratum"]) for r in rows})
    patterns = sorted({r["pattern"] for r in rows}, key=lambda p: [-int(c) for c in p])
    counts = {(STRATUM_SEPARATOR.join(r["stratum"]), r["pattern"]): int(r["count"]) for r in rows}
    return keys, patterns, [[counts.get((k, p), 0) for p in patterns] for k in keys]


@dataclass
class PatternRow:
    pattern: str
    marks: list[bool]
    cells: list[str]
    total: str | None


def capture_table(run: EstimationRun, exact: bool, labels: StratumLabels) -> dict[str, Any]:
    """Return the capture-pattern table to print: one row per observed pattern, one column per stratum."""
    inputs = run.inputs
    values_of = {STRATUM_SEPARATOR.join(r["stratum"]): r["stratum"] for r in inputs["table"]}
    keys, patterns, columns = _columns(run)
    protected = protected_counts(columns, exact=exact)
    out_rows = []
    for i, p in enumerate(patterns):
        out_rows.append(
            PatternRow(
                pattern=p,
                marks=[c == "1" for c in p],
                cells=[protected.cells[k][i] for k in range(len(keys))],
                total=str(sum(col[i] for col in columns)) if exact and len(keys) > 1 else None,
            )
        )
    list_totals = None
    if exact:
        list_totals = [
            {
                "code": item["code"],
                "total": str(
                    sum(n for col in columns for p, n in zip(patterns, col, strict=True) if p[j] == "1")
                ),
            }
            for j, item in enumerate(inputs["lists"])
        ]
    stratified = bool(inputs["strata"])
    return {
        "lists": [{"code": item["code"], "name": list_name(item)} for item in inputs["lists"]],
        "columns": [labels.label(values_of[k]) for k in keys] if stratified else [gettext("People")],
        "keys": keys,
        "rows": out_rows,
        "column_totals": dict(zip(keys, protected.column_totals, strict=True)),
        "column_total_list": list(protected.column_totals),
        "total": protected.total,
        "list_totals": list_totals,
        "pooled": exact and stratified,
        "shown": _shown(keys, protected, exact),
    }


def _shown(keys: list[str], protected: ProtectedTable, exact: bool) -> ResultsShown:
    return ResultsShown(everything=True) if exact else results_shown(keys, protected)


def observed_and_shown(run: EstimationRun, exact: bool) -> tuple[str, ResultsShown]:
    """Return the run's documented total as the run page prints it for this reader, and which of the run's
    results go with its counts (for the runs list and the model tables, which do not print the table)."""
    keys, _patterns, columns = _columns(run)
    protected = protected_counts(columns, exact=exact)
    return protected.total, _shown(keys, protected, exact)


def model_page(part: dict[str, Any], page_number: Any) -> Page:
    rows = [dict(zip(MODEL_COLUMNS, row, strict=True)) for row in part.get("models", [])]
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
        row["chosen"] = row["model"] == part.get("model")
    return Paginator(rows, MODELS_PER_PAGE).get_page(page_number)


def _status_text(status: str) -> str:
    texts = {
        "ok": gettext("estimated"),
        "boundary": gettext("estimated (some parameters at the boundary)"),
        "unbounded": gettext("estimate unbounded"),
        "failed": gettext("fit failed"),
        "unavailable": gettext("no estimate"),
    }
    return texts.get(status, status)


def citation(run: EstimationRun, url: str, observed_label: str, shown: ResultsShown) -> str:
    out = run.outputs
    date = formats.date_format(run.created_at, "DATE_FORMAT", use_l10n=True)
    who = ""
    if run.organisation is not None:
        org = run.organisation
        who = org.name_ko if _ko() and org.name_ko else org.name_en
    if run.method == Method.LOGLINEAR:
        criterion = run.inputs["settings"]["criterion"].upper()
        how = (
            gettext("log-linear model %(model)s selected by %(criterion)s")
            % {"model": out.get("model") or gettext("per stratum"), "criterion": criterion}
            if shown.total
            else gettext("log-linear models selected by %(criterion)s") % {"criterion": criterion}
        )
    else:
        how = gettext("LCMCR, seed %(seed)s") % {"seed": run.seed}
    if not shown.total:
        result = gettext("an estimate withheld from this reader (too few documented people to show)")
    elif run.estimate is None:
        result = gettext("no estimate (%(reason)s)") % {"reason": RunStatus(run.status).label}
    else:
        result = gettext("estimated total %(estimate)s (%(level)s%% interval %(lower)s–%(upper)s)") % {
            "estimate": number(run.estimate),
            "level": number(100 * (out.get("level") or 0.95)),
            "lower": number(run.lower),
            "upper": number(run.upper) if run.upper is not None else "∞",
        }
    return gettext(
        "%(who)sHaven estimation run %(number)s (%(date)s): %(result)s from %(observed)s documented people on "
        "%(lists)s lists; %(how)s. Inputs SHA-256 %(sha)s. %(url)s"
    ) % {
        "who": f"{who}, " if who else "",
        "number": run.number,
        "date": date,
        "result": result,
        "observed": observed_label,
        "lists": run.num_lists,
        "how": how,
        "sha": run.inputs_sha256[:16],
        "url": url,
    }


def _interval(lower: float | None, upper: float | None, estimate: float | None) -> str:
    if estimate is None:
        return "–"
    return f"{number(lower)}–{number(upper) if upper is not None else '–'}"


def run_interval(run: EstimationRun) -> str:
    """The run's interval as printed in the runs list."""
    return _interval(run.lower, run.upper, run.estimate)


def strata_results(
    run: EstimationRun, labels: StratumLabels, table: dict[str, Any], shown: ResultsShown
) -> list[dict[str, Any]]:
    if not run.inputs["strata"]:
        return []
    values_of = {STRATUM_SEPARATOR.join(r["stratum"]): r["stratum"] for r in run.inputs["table"]}
    out = []
    for index, part in enumerate(run.outputs.get("parts", [])):
        key = part.get("key")
        row = {
            "index": index,
            "label": labels.label(values_of[key]) if key in values_of else key,
            "observed": table["column_totals"].get(key, "–"),
            "withheld": not shown.part(key),
        }
        if row["withheld"]:
            # Which lists have captures, and whether a model could be fitted, come from the cells too.
            row.update(
                estimate=WITHHELD_MARK,
                interval=WITHHELD_MARK,
                model=None,
                rhat=None,
                ess=None,
                status=WITHHELD_MARK,
                lists=WITHHELD_MARK,
                warnings=[],
            )
        else:
            row.update(
                status=_status_text(part.get("status", "")),
                lists=", ".join(part.get("lists", [])),
                warnings=part.get("warnings", []),
                estimate=number(part.get("estimate")),
                interval=_interval(part.get("lower"), part.get("upper"), part.get("estimate")),
                model=part.get("model"),
                rhat=number(part.get("rhat"), 3) if part.get("rhat") is not None else None,
                ess=number(part.get("ess")) if part.get("ess") is not None else None,
            )
        out.append(row)
    return out


def plots_for(run: EstimationRun, labels: StratumLabels, shown: ResultsShown) -> dict[str, str]:
    out = run.outputs
    lang = "ko" if _ko() else "en"
    level = number(100 * (out.get("level") or 0.95))
    svgs: dict[str, str] = {}
    rows: list[plots.Interval] = []
    if out.get("estimate") is not None or out.get("parts"):
        if run.inputs["strata"]:
            values_of = {STRATUM_SEPARATOR.join(r["stratum"]): r["stratum"] for r in run.inputs["table"]}
            for part in out.get("parts", []):
                key = part.get("key")
                if not shown.part(key):
                    continue
                rows.append(
                    plots.Interval(
                        labels.label(values_of[key]) if key in values_of else str(key),
                        part.get("estimate"),
                        part.get("lower"),
                        part.get("upper"),
                    )
                )
        if shown.total:
            rows.append(
                plots.Interval(
                    gettext("Total"), out.get("estimate"), out.get("lower"), out.get("upper"), True
                )
            )
    if rows:
        svgs["interval"] = plots.interval_chart(
            rows,
            title=gettext("Estimated number of people, with %(level)s%% intervals") % {"level": level},
            description=(
                gettext(
                    "Estimate (dot) and interval (line) for each stratum and for the total; run %(number)s."
                )
                if shown.total
                else gettext(
                    "Estimate (dot) and interval (line) for each stratum whose counts are shown; run %(number)s."
                )
            )
            % {"number": run.number},
            value_label=gettext("People (documented and undocumented)"),
            no_estimate=gettext("no estimate"),
            level_label=gettext("%(level)s%%:") % {"level": level},
            lang=lang,
        )
    trace = out.get("trace")
    if run.method == Method.LCMCR and trace and shown.total:
        svgs["trace"] = plots.trace_chart(
            trace,
            int(out.get("trace_step") or 1),
            title=gettext("Trace of N (LCMCR), run %(number)s") % {"number": run.number},
            description=gettext(
                "Posterior draws of the total N after burn-in, one line per chain; chains that overlap and "
                "show no trend indicate convergence (R-hat %(rhat)s, effective sample size %(ess)s)."
            )
            % {"rhat": number(out.get("rhat"), 3), "ess": number(out.get("ess"))},
            chain_label=pgettext("trace plot", "Chain %(n)s"),
            value_label="N",
            draw_label=gettext("Draw (after burn-in)"),
            lang=lang,
        )
    return svgs


def reproduction(run: EstimationRun) -> dict[str, Any] | None:
    """Compare a re-run with the run it repeats: same inputs? same numbers? same software?"""
    source = run.rerun_of
    if source is None:
        return None
    same_table = {k: v for k, v in run.inputs.items() if k != "versions"} == {
        k: v for k, v in source.inputs.items() if k != "versions"
    }
    return {
        "source": source,
        "same_inputs": run.inputs_sha256 == source.inputs_sha256,
        "same_data": same_table,
        "same_versions": run.inputs.get("versions") == source.inputs.get("versions"),
        "same_results": results_equal(run.outputs, source.outputs),
    }


def run_page(run: EstimationRun, *, exact: bool, url: str) -> dict[str, Any]:
    inputs, out = run.inputs, run.outputs
    labels = StratumLabels(inputs["strata"], inputs["table"])
    table = capture_table(run, exact, labels)
    shown = table["shown"]
    strata_names = dict(STRATA_CHOICES)
    act_type = inputs["filters"].get("act_type")
    parts = out.get("parts", [])
    by_stratum = strata_results(run, labels, table, shown)
    return {
        "run": run,
        "exact": exact,
        "out": out,
        "settings": inputs["settings"],
        # Whether a model could be fitted comes from the counts too.
        "status_text": RunStatus(run.status).label if shown.total else gettext("withheld"),
        "shown": shown,
        "estimate": number(out.get("estimate")) if shown.total else WITHHELD_MARK,
        "interval": _interval(out.get("lower"), out.get("upper"), out.get("estimate"))
        if shown.total
        else WITHHELD_MARK,
        "se": number(out.get("se")) if out.get("se") is not None and shown.total else None,
        "level": number(100 * (out.get("level") or 0.95)),
        "interval_label": gettext("%(level)s%% interval")
        % {"level": number(100 * (out.get("level") or 0.95))},
        "observed": table["total"],
        "rhat": number(out.get("rhat"), 3) if out.get("rhat") is not None and shown.total else None,
        "ess": number(out.get("ess")) if out.get("ess") is not None and shown.total else None,
        "chosen_model": out.get("model") if shown.total else None,
        "warnings": out.get("warnings", []) if shown.total else [],
        "table": table,
        "withheld_mark": WITHHELD_MARK,
        "lists": [list_name(item) for item in inputs["lists"]],
        "strata": [str(strata_names.get(s, s)) for s in inputs["strata"]],
        "act_type": (act_type["label_ko"] if _ko() and act_type.get("label_ko") else act_type["label_en"])
        if act_type
        else None,
        "selection": inputs.get("selection", {}),
        "strata_results": by_stratum,
        "parts": [
            {
                "index": i,
                "label": r["label"] if inputs["strata"] else None,
                "page": model_page(p, 1),
                "part": p,
            }
            for i, (p, r) in enumerate(zip(parts, by_stratum or [{"label": None}] * len(parts), strict=False))
            if p.get("models") and shown.part(p.get("key"))
        ],
        "plots": plots_for(run, labels, shown),
        "citation": citation(run, url, table["total"], shown),
        "reproduction": reproduction(run),
        "reruns": list(run.reruns.order_by("pk").values_list("pk", flat=True)),
        "versions": inputs.get("versions", {}),
    }
