"""Charts of the shipped reference datasets, for checking published claims.

Each builder reads the current version of a dataset (haven.reference.selectors) and returns a
:class:`RefChart`: the SVG for the page, a standalone SVG for download (with the source, publication date and
caveats printed under the chart, since a downloaded image travels without the page), the same numbers as an
HTML table, and the dataset's citation. Text is in the active language (English or Korean).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from haven.charts import Series, bar_chart, data_table, format_number, line_chart, percent, series_table
from haven.reference.models import ReferenceVersion
from haven.reference.selectors import reference_version, version_rows

DATA = Path(__file__).resolve().parent / "data"
ARRIVALS = "mou-arrivals-annual"
ASYLUM = "unhcr-dprk-origin"
TIERS = "tip-tiers"
WOMEN, MEN = "#CC79A7", "#0072B2"
STATUS_RANK = {"": 0, "corrected": 1, "revised": 2, "provisional": 3}


def lang() -> str:
    return "ko" if (get_language() or "en").startswith("ko") else "en"


@cache
def _countries() -> dict[str, dict[str, str]]:
    with (DATA / "countries.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def _caveats_ko() -> dict[str, dict[str, str]]:
    with (DATA / "caveats-ko.yaml").open(encoding="utf-8") as fh:
        return {k: {e.strip(): t.strip() for e, t in v.items()} for k, v in yaml.safe_load(fh).items()}


def country_name(iso3: str, fallback: str = "") -> str:
    entry = _countries().get(iso3)
    if entry is None:
        return fallback or iso3
    return entry[lang()]


def iso3_for(iso2: str) -> str | None:
    return next((k for k, v in _countries().items() if v["iso2"] == iso2), None)


@dataclass(frozen=True)
class Source:
    """How to cite a dataset version."""

    name: str
    title: str
    publisher: str
    url: str
    version: int
    published_on: dt.date | None
    licence: str
    caveats: list[str]

    @classmethod
    def of(cls, version: ReferenceVersion) -> Source:
        d = version.dataset
        ko = lang() == "ko"
        translations = _caveats_ko().get(d.name, {}) if ko else {}
        return cls(
            name=d.name,
            title=d.title_ko if ko and d.title_ko else d.title_en,
            publisher=d.publisher,
            url=d.source_url,
            version=version.number,
            published_on=version.published_on,
            licence=d.licence,
            caveats=[translations.get(c.strip(), c) for c in d.caveats],
        )

    def date_text(self) -> str:
        return self.published_on.isoformat() if self.published_on else _("not stated")

    def line(self) -> str:
        return _(
            "Source: %(publisher)s, “%(title)s” (Haven dataset %(name)s, version %(version)s), "
            "published %(date)s. %(url)s"
        ) % {
            "publisher": self.publisher,
            "title": self.title,
            "name": self.name,
            "version": self.version,
            "date": self.date_text(),
            "url": self.url,
        }

    def note(self) -> str:
        """Return the citation and the caveats as one block of small print (for downloaded images)."""
        caveats = " ".join(f"({i}) {c}" for i, c in enumerate(self.caveats, 1))
        return self.line() + ("\n" + _("Caveats: %(caveats)s") % {"caveats": caveats} if caveats else "")


@dataclass
class RefChart:
    slug: str
    title: str
    description: str
    svg: str
    download_svg: str
    table: str
    source: Source
    facts: dict[str, Any] = field(default_factory=dict)


def _int(text: str | None) -> int | None:
    text = (text or "").strip().replace(",", "")
    return int(text) if text else None


# ---- MOU arrivals --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearRow:
    period: str
    male: int
    female: int
    total: int
    status: str = ""

    @property
    def year(self) -> int | None:
        return int(self.period) if self.period.isdigit() else None

    @property
    def female_share(self) -> float:
        return 100 * self.female / self.total if self.total else 0.0


def arrival_rows() -> tuple[list[YearRow], Source]:
    version = reference_version(ARRIVALS)
    best: dict[str, dict[str, str]] = {}
    for r in version_rows(version):
        # One row per period: the final figure, else the corrected, revised or provisional one, in that order.
        kept = best.get(r["period"])
        if kept is None or STATUS_RANK.get(r.get("status", ""), 9) < STATUS_RANK.get(
            kept.get("status", ""), 9
        ):
            best[r["period"]] = r
    rows = [
        YearRow(
            r["period"],
            _int(r["male"]) or 0,
            _int(r["female"]) or 0,
            _int(r["total"]) or 0,
            r.get("status", ""),
        )
        for r in best.values()
    ]
    return rows, Source.of(version)


def arrival_years() -> list[int]:
    rows, _source = arrival_rows()
    return sorted(r.year for r in rows if r.year is not None)


def _pair(chart: dict[str, Any], source: Source, **kw: Any) -> tuple[str, str]:
    builder = kw.pop("builder")
    inline = builder(**chart, **kw, show_title=False, lang=lang())
    download = builder(**chart, **kw, note=source.note(), lang=lang())
    return inline, download


def arrivals_charts(first: int | None = None, last: int | None = None) -> list[RefChart]:
    """Return two charts: arrivals by year and sex (stacked), and the share of women by year."""
    rows, source = arrival_rows()
    years = [r for r in rows if r.year is not None and (first is None or r.year >= first)]
    years = [r for r in years if last is None or r.year <= last]  # type: ignore[operator]
    labels = [r.period for r in years]
    women = Series(_("Women"), [r.female for r in years], color=WOMEN)
    men = Series(_("Men"), [r.male for r in years], color=MEN)
    span = f"{labels[0]}–{labels[-1]}" if labels else ""
    peak = max(years, key=lambda r: r.total) if years else None
    title = _("North Korean defectors arriving in South Korea by year and sex, %(span)s") % {"span": span}
    description = (
        _("Stacked bars of arrivals per year, women and men. Highest: %(year)s with %(total)s people.")
        % {"year": peak.period, "total": format_number(peak.total)}
        if peak
        else ""
    )
    svg, download = _pair(
        {"categories": labels, "series": [women, men], "title": title, "description": description},
        source,
        builder=bar_chart,
        stacked=True,
        value_label=_("People"),
        category_label=_("Year of arrival"),
        id_prefix="arrivals",
    )
    table = data_table(
        [_("Period"), _("Men"), _("Women"), _("Total"), _("Share of women (%)"), _("Status")],
        [
            [r.period, r.male, r.female, r.total, round(r.female_share, 1), status_label(r.status)]
            for r in rows
        ],
        caption=_("All rows of the dataset, including the combined periods before 2002"),
    )
    by_sex = RefChart("arrivals", title, description, svg, download, table, source)

    share = Series(_("Share of women"), [round(r.female_share, 1) for r in years], color=WOMEN)
    title2 = _("Share of women among arrivals, %(span)s") % {"span": span}
    description2 = _("Line of the percentage of women among each year's arrivals.")
    svg2, download2 = _pair(
        {"categories": labels, "series": share, "title": title2, "description": description2},
        source,
        builder=line_chart,
        number_format=percent,
        value_max=100,
        value_label=_("Women (%)"),
        category_label=_("Year of arrival"),
        id_prefix="women-share",
    )
    table2 = series_table(labels, share, category_label=_("Year"), number_format=percent)
    return [by_sex, RefChart("women-share", title2, description2, svg2, download2, table2, source)]


class PeriodError(ValueError):
    """A period is not usable; the message says which period and why."""


@dataclass(frozen=True)
class PeriodTotals:
    first: int
    last: int
    male: int
    female: int
    total: int

    @property
    def label(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}–{self.last}"

    @property
    def female_share(self) -> float:
        return 100 * self.female / self.total if self.total else 0.0


def period_totals(rows: list[YearRow], first: int, last: int, name: str) -> PeriodTotals:
    by_year = {r.year: r for r in rows if r.year is not None}
    if not by_year:
        raise PeriodError(_("The arrivals dataset has no single-year rows."))
    low, high = min(by_year), max(by_year)
    if first > last:
        raise PeriodError(
            _("%(period)s: the first year (%(first)s) is after the last (%(last)s).")
            % {"period": name, "first": first, "last": last}
        )
    if first < low or last > high:
        raise PeriodError(
            _("%(period)s: the dataset has single years from %(low)s to %(high)s only (earlier arrivals are published as combined periods).")
            % {"period": name, "low": low, "high": high}
        )  # fmt: skip
    chosen = [by_year[y] for y in range(first, last + 1) if y in by_year]
    missing = [y for y in range(first, last + 1) if y not in by_year]
    if missing:
        raise PeriodError(
            _("%(period)s: no figure for %(years)s.")
            % {"period": name, "years": ", ".join(map(str, missing))}
        )
    return PeriodTotals(
        first, last, sum(r.male for r in chosen), sum(r.female for r in chosen), sum(r.total for r in chosen)
    )


def change(a: int, b: int) -> tuple[int, float | None]:
    """Return the absolute and percentage change from ``a`` to ``b`` (None when ``a`` is zero)."""
    return b - a, (100 * (b - a) / a if a else None)


def signed(value: float, *, pct: bool = False) -> str:
    text = f"{abs(value):,.1f}%" if pct else f"{abs(value):,}"
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def period_change_chart(a: tuple[int, int], b: tuple[int, int]) -> RefChart:
    """Return a chart and table comparing arrivals in two periods (men, women, total; absolute and % change)."""
    rows, source = arrival_rows()
    pa = period_totals(rows, a[0], a[1], _("Period A"))
    pb = period_totals(rows, b[0], b[1], _("Period B"))
    measures = [(_("Men"), "male"), (_("Women"), "female"), (_("Total"), "total")]
    sa = Series(
        _("Period A: %(label)s") % {"label": pa.label},
        [getattr(pa, m) for _n, m in measures],
        color="#999999",
    )
    sb = Series(
        _("Period B: %(label)s") % {"label": pb.label},
        [getattr(pb, m) for _n, m in measures],
        color="#0072B2",
    )
    total_abs, total_pct = change(pa.total, pb.total)
    title = _("Arrivals in %(a)s and %(b)s compared") % {"a": pa.label, "b": pb.label}
    description = _("Total arrivals went from %(a)s to %(b)s: %(abs)s (%(pct)s).") % {
        "a": format_number(pa.total),
        "b": format_number(pb.total),
        "abs": signed(total_abs),
        "pct": signed(total_pct, pct=True) if total_pct is not None else "–",
    }
    svg, download = _pair(
        {
            "categories": [n for n, _m in measures],
            "series": [sa, sb],
            "title": title,
            "description": description,
        },
        source,
        builder=bar_chart,
        value_label=_("People"),
        id_prefix="change",
    )
    table_rows: list[list[object]] = []
    for label, m in measures:
        va, vb = getattr(pa, m), getattr(pb, m)
        diff, pct = change(va, vb)
        table_rows.append([label, va, vb, signed(diff), signed(pct, pct=True) if pct is not None else "–"])
    table_rows.append(
        [
            _("Share of women"),
            percent(pa.female_share),
            percent(pb.female_share),
            _("%(points)s points") % {"points": signed(round(pb.female_share - pa.female_share, 1))},
            "–",
        ]
    )
    table = data_table(
        ["", sa.name, sb.name, _("Change"), _("Change (%)")],
        table_rows,
        caption=_("Arrivals summed over each period"),
    )
    return RefChart("change", title, description, svg, download, table, source,
                    facts={"a": pa, "b": pb, "total_change": total_abs, "total_change_pct": total_pct})  # fmt: skip


# ---- UNHCR ---------------------------------------------------------------------------------------------------


def asylum_years() -> list[int]:
    version = reference_version(ASYLUM)
    return sorted({int(r["year"]) for r in version_rows(version)})


def _unhcr_label(value: int | None) -> str | None:
    # UNHCR never publishes 1-4: a 5 stands for "1 to 5" (see the dataset's caveats).
    return "1–5" if value == 5 else None


def asylum_chart(year: int) -> RefChart:
    """Return refugees and asylum-seekers of DPRK origin by country of asylum at the end of ``year``."""
    version = reference_version(ASYLUM)
    source = Source.of(version)
    rows = [r for r in version_rows(version) if r["year"] == str(year)]
    if not rows:
        raise PeriodError(
            _("UNHCR lists no refugees or asylum-seekers from North Korea for %(year)s.") % {"year": year}
        )
    data = sorted(
        ((country_name(r["coa_iso"], r["coa_name"]), _int(r["refugees"]), _int(r["asylum_seekers"])) for r in rows),
        key=lambda t: (-((t[1] or 0) + (t[2] or 0)), t[0]),
    )  # fmt: skip
    names = [d[0] for d in data]
    refugees = Series(_("Refugees"), [d[1] for d in data], labels=[_unhcr_label(d[1]) for d in data])
    seekers = Series(_("Asylum-seekers"), [d[2] for d in data], labels=[_unhcr_label(d[2]) for d in data])
    total_ref = sum(d[1] or 0 for d in data)
    total_asy = sum(d[2] or 0 for d in data)
    title = _("Refugees and asylum-seekers from North Korea by country of asylum, end of %(year)s") % {
        "year": year
    }
    description = _(
        "Horizontal bars per country of asylum. In all: %(refugees)s refugees and %(seekers)s asylum-seekers "
        "in %(countries)s countries."
    ) % {"refugees": format_number(total_ref), "seekers": format_number(total_asy), "countries": len(data)}
    svg, download = _pair(
        {"categories": names, "series": [refugees, seekers], "title": title, "description": description},
        source,
        builder=bar_chart,
        orientation="horizontal",
        value_label=_("People"),
        id_prefix="asylum",
    )
    table = data_table(
        [_("Country of asylum"), _("Refugees"), _("Asylum-seekers")],
        [
            [n, r if _unhcr_label(r) is None else "1–5", a if _unhcr_label(a) is None else "1–5"]
            for n, r, a in data
        ]
        + [[_("Total"), total_ref, total_asy]],
        caption=_("UNHCR, end of %(year)s; “1–5” where UNHCR publishes 5") % {"year": year},
    )
    return RefChart("asylum", title, description, svg, download, table, source,
                    facts={"refugees": total_ref, "asylum_seekers": total_asy, "countries": len(data)})  # fmt: skip


def asylum_for_country(iso3: str) -> tuple[list[tuple[int, int | None, int | None]], Source]:
    """Return (year, refugees, asylum-seekers) rows of one country of asylum, and the dataset's citation."""
    version = reference_version(ASYLUM)
    rows = [
        (int(r["year"]), _int(r["refugees"]), _int(r["asylum_seekers"]))
        for r in version_rows(version)
        if r["coa_iso"] == iso3
    ]
    return sorted(rows), Source.of(version)


# ---- TIP tiers -----------------------------------------------------------------------------------------------

TIER_VALUES = {"Tier 1": 1.0, "Tier 2": 2.0, "Tier 2 Watch List": 2.5, "Tier 3": 3.0}


def tier_label(tier: str) -> str:
    return {
        "Tier 1": _("Tier 1"),
        "Tier 2": _("Tier 2"),
        "Tier 2 Watch List": _("Tier 2 Watch List"),
        "Tier 3": _("Tier 3"),
        "Special Case": _("Special case"),
        "not in report": _("not in the report"),
    }.get(tier, tier)


def status_label(status: str) -> str:
    return {
        "": "",
        "provisional": _("provisional"),
        "revised": _("revised"),
        "corrected": _("corrected"),
        "implied": _("implied"),
        "conflicting-sources": _("sources conflict"),
        "not-read-directly": _("not read directly"),
    }.get(status, status)


def tier_rows(iso3: str | None = None) -> tuple[list[dict[str, str]], Source]:
    version = reference_version(TIERS)
    rows = [r for r in version_rows(version) if iso3 is None or r["country_iso"] == iso3]
    return rows, Source.of(version)


def tier_chart() -> RefChart:
    """Return the TIP tier placements of North Korea and China by report year (a step chart and a table)."""
    rows, source = tier_rows()
    years = sorted({int(r["report_year"]) for r in rows})
    by = {(int(r["report_year"]), r["country_iso"]): r for r in rows}
    series = []
    for iso3, color in (("PRK", "#D55E00"), ("CHN", "#0072B2")):
        values, labels = [], []
        for y in years:
            r = by.get((y, iso3))
            tier = r["tier"] if r else ""
            values.append(TIER_VALUES.get(tier))
            text = tier_label(tier) if r else "–"
            if r and r.get("status"):
                text += f" ({status_label(r['status'])})"
            labels.append(text)
        series.append(Series(country_name(iso3), values, labels=labels, color=color))
    ticks = [(v, tier_label(t)) for t, v in TIER_VALUES.items()]
    title = _("US Trafficking in Persons report: tier placements of North Korea and China")
    description = _(
        "Step lines of the tier given each report year; higher is worse (Tier 3). Gaps: not ranked that year."
    )
    svg, download = _pair(
        {"categories": [str(y) for y in years], "series": series, "title": title, "description": description},
        source,
        builder=line_chart,
        value_ticks=ticks,
        step=True,
        separate=True,
        category_label=_("Report year"),
        id_prefix="tiers",
    )
    table = data_table(
        [_("Report year"), *(s.name for s in series)],
        [[str(y), *(s.labels[i] for s in series)] for i, y in enumerate(years)],  # type: ignore[index]
        caption=_("Tier per report year; marked where the placement is implied or the sources conflict"),
    )
    return RefChart("tiers", title, description, svg, download, table, source)
