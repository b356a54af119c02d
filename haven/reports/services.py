"""Generate reports: the organisation's periodic report, a transit-country brief, a person dossier.

Reports are exports and are treated as such: the requesting user's policy decides what goes in, generation is
recorded in the audit log (REPORT_GENERATED, in the export area: kind, format, language, scope and the SHA-256
of the document; no contents), and refusals are audited.

============  ===================================  ==============================================================
kind          who                                  what
============  ===================================  ==============================================================
organisation  EXPORT_AGGREGATE, and a compartment  acts by type, year, place and perpetrator type; patterns and
              of the organisation granted          the obligations they engage; estimates; case statistics;
                                                   reference context. Small cells protected.
transit       EXPORT_AGGREGATE                     acts documented in one country by type and year; UNHCR figures
                                                   and TIP tiers for it; the obligations it has accepted.
dossier       VIEW_IDENTIFYING and the person      one person's record: names, journey, acts, the obligations they
              visible (haven.records.access)       engage. Others get the same 404 as for a missing person.
============  ===================================  ==============================================================

The web views also require a fresh re-authentication (sudo mode), as for every export; the ``haven report``
command is run by the server operator on behalf of a named user and checks that user's policy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from haven.accounts import policy
from haven.accounts.models import Organisation
from haven.audit.models import AuditAction
from haven.audit.services import audit_record, audit_refusal
from haven.charts import Series, bar_chart, line_chart
from haven.records import access
from haven.reference.selectors import UnknownReference
from haven.reports import estimates, refcharts, selectors
from haven.reports.obligations import obligations
from haven.reports.rendering import html_to_pdf, report_css

KINDS = ("organisation", "transit", "dossier")
FORMATS = ("pdf", "html")
LANGUAGES = ("en", "ko")
TRANSIT_COUNTRIES = ("CN", "LA", "TH", "VN", "KH", "MN")
CAPABILITY = {
    "organisation": policy.Capability.EXPORT_AGGREGATE,
    "transit": policy.Capability.EXPORT_AGGREGATE,
    "dossier": policy.Capability.VIEW_IDENTIFYING,
}


class ReportRefused(PermissionDenied):
    """The policy does not allow this report (audited)."""


class ReportError(ValueError):
    """The report cannot be made as asked; the message says which option is wrong."""


@dataclass
class ReportOutput:
    content: bytes
    content_type: str
    filename: str
    sha256: str
    context: dict[str, Any] = field(default_factory=dict)


def _refuse(actor: Any, kind: str, reason: str, request: Any = None) -> None:
    audit_refusal(
        actor=actor,
        request=request,
        details={"operation": "report", "kind": kind, "reason": reason},
    )
    raise ReportRefused(_("You may not make this report."))


def may_generate(user: Any, kind: str) -> bool:
    return kind in CAPABILITY and policy.has(user, CAPABILITY[kind])


# ---- pieces shared by the reports -----------------------------------------------------------------------------


def _table_chart(table: selectors.CountTable, *, orientation: str = "vertical", ident: str) -> str:
    """Draw a protected count table: exact counts as bars, protected cells as labels only."""
    if table.hidden or not table.rows:
        return ""
    withheld = _("withheld")
    values = [r.value if r.exact else None for r in table.rows]
    labels = [None if r.exact else (withheld if r.withheld else r.shown) for r in table.rows]
    return bar_chart(
        [r.label for r in table.rows],
        Series(table.unit, values, labels=labels),
        title=table.title,
        orientation=orientation,  # type: ignore[arg-type]
        value_label=table.unit,
        show_title=False,
        show_values=True,
        width=640 if orientation == "vertical" else 620,
        height=300,
        lang=translation.get_language(),
        id_prefix=ident,
    )


def _obligation_sections(patterns: list[Any], lang: str, iso2: str | None = None) -> list[dict[str, Any]]:
    data = obligations()
    sections = []
    for pattern in patterns:
        sections.append(
            {
                "pattern": pattern.label(lang),
                "instruments": [
                    {
                        "short": i.text("short", lang),
                        "title": i.text("title", lang),
                        "summary": i.text("summary", lang),
                        "quote": i.quote_en,
                        "party_year": data.party_year(iso2, i.code) if iso2 else None,
                    }
                    for i in pattern.instruments
                ],
            }
        )
    return sections


def _reference_context(first: int | None, last: int | None) -> dict[str, Any]:
    """Published figures for the report's period: MOU arrivals, UNHCR third-country figures, TIP tiers."""
    context: dict[str, Any] = {}
    try:
        rows, source = refcharts.arrival_rows()
        years = [r for r in rows if r.year is not None]
        lo = first or min(r.year for r in years)  # type: ignore[type-var]
        hi = last or max(r.year for r in years)  # type: ignore[type-var]
        lo = max(lo, min(r.year for r in years))  # type: ignore[type-var]
        hi = min(hi, max(r.year for r in years))  # type: ignore[type-var]
        if lo <= hi:
            totals = refcharts.period_totals(rows, lo, hi, _("Report period"))
            context["arrivals"] = {"totals": totals, "source": source}
    except (UnknownReference, refcharts.PeriodError):
        pass
    try:
        years = refcharts.asylum_years()
        year = min(last or years[-1], years[-1])
        chart = refcharts.asylum_chart(year)
        context["asylum"] = {"year": year, "facts": chart.facts, "source": chart.source}
    except (UnknownReference, refcharts.PeriodError, IndexError):
        pass
    try:
        rows_t, source_t = refcharts.tier_rows()
        years_t = sorted({int(r["report_year"]) for r in rows_t})
        year_t = min(last or years_t[-1], years_t[-1])
        tiers = {
            refcharts.country_name(r["country_iso"]): refcharts.tier_label(r["tier"])
            for r in rows_t
            if int(r["report_year"]) == year_t
        }
        context["tiers"] = {"year": year_t, "tiers": tiers, "source": source_t}
    except (UnknownReference, ValueError):
        pass
    return context


def _case_statistics(user: Any, organisation: Organisation) -> dict[str, Any]:
    """The case statistics of haven.cases, when that app is installed; otherwise a marked hook."""
    if not apps.is_installed("haven.cases"):
        return {"available": False}
    from haven.cases import stats

    return {"available": True, "tables": stats.tables(user, organisation)}


def _common(actor: Any, lang: str, title: str) -> dict[str, Any]:
    return {
        "lang": lang,
        "title": title,
        "generated_on": timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "generated_by": actor.get_username(),
        "css": report_css(),
        "small_cell": policy.SMALL_CELL,
        "parties_note": obligations().parties_note[lang],
        "parties_verified": obligations().parties_verified,
    }


# ---- the three kinds ------------------------------------------------------------------------------------------


def organisation_context(
    actor: Any,
    organisation: Organisation,
    period: selectors.Period,
    lang: str,
    clusters: dict[tuple[str, str], str] | None = None,
) -> dict[str, Any]:
    acts = selectors.acts_in_scope(actor, organisation=organisation, period=period)
    types = selectors.by_type(acts)
    years = selectors.by_year(acts)
    places = selectors.by_place(acts)
    perpetrators = selectors.by_perpetrator_type(actor, acts)
    pattern_table, patterns = selectors.by_pattern(acts, lang)
    victims_shown, _victims = selectors.victims_total(acts)
    # The estimate covers every list the user may see (the organisation's and its partners'), same period.
    all_acts = selectors.acts_in_scope(actor, period=period)
    name = organisation.name_ko if lang == "ko" and organisation.name_ko else organisation.name_en
    return {
        **_common(actor, lang, _("Periodic report: %(organisation)s") % {"organisation": name}),
        "kind": "organisation",
        "organisation": organisation,
        "organisation_name": name,
        "period": period.label(),
        "acts_total": types.total,
        "victims_total": victims_shown,
        "tables": [types, years, places, perpetrators, pattern_table],
        "charts": {
            "years": _table_chart(years, ident="report-years"),
            "types": _table_chart(types, orientation="horizontal", ident="report-types"),
        },
        "obligations": _obligation_sections(patterns, lang),
        "estimate": estimates.estimate_victims(all_acts, clusters),
        "reference": _reference_context(period.first, period.last),
        "cases": _case_statistics(actor, organisation),
    }


def transit_context(actor: Any, iso2: str, period: selectors.Period, lang: str) -> dict[str, Any]:
    iso3 = refcharts.iso3_for(iso2)
    if iso3 is None:
        raise ReportError(_("Unknown country %(code)s.") % {"code": iso2})
    country = refcharts.country_name(iso3)
    acts = selectors.acts_in_scope(actor, country=iso2, period=period)
    types = selectors.by_type(acts)
    years = selectors.by_year(acts)
    perpetrators = selectors.by_perpetrator_type(actor, acts)
    pattern_table, patterns = selectors.by_pattern(acts, lang)
    victims_shown, _victims = selectors.victims_total(acts)
    context: dict[str, Any] = {
        **_common(actor, lang, _("Transit-country brief: %(country)s") % {"country": country}),
        "kind": "transit",
        "country": country,
        "iso2": iso2,
        "period": period.label(),
        "acts_total": types.total,
        "victims_total": victims_shown,
        "tables": [types, years, perpetrators, pattern_table],
        "charts": {"years": _table_chart(years, ident="brief-years")},
        "obligations": _obligation_sections(patterns, lang, iso2),
        "instruments": [
            {
                "short": i.text("short", lang),
                "title": i.text("title", lang),
                "year": obligations().party_year(iso2, i.code),
            }
            for i in obligations().instruments.values()
        ],  # fmt: skip
    }
    try:
        unhcr, source = refcharts.asylum_for_country(iso3)
        context["unhcr"] = {"rows": unhcr, "source": source}
        if len(unhcr) > 1:
            context["charts"]["unhcr"] = line_chart(
                [str(y) for y, _r, _a in unhcr],
                [Series(_("Refugees"), [r for _y, r, _a in unhcr]),
                 Series(_("Asylum-seekers"), [a for _y, _r, a in unhcr])],
                title=_("Refugees and asylum-seekers from North Korea in %(country)s (UNHCR)") % {"country": country},
                show_title=False, lang=lang, id_prefix="brief-unhcr", height=280,
            )  # fmt: skip
    except UnknownReference:
        context["unhcr"] = None
    try:
        tiers, source_t = refcharts.tier_rows(iso3)
        context["tiers"] = {
            "rows": [
                (
                    r["report_year"],
                    refcharts.tier_label(r["tier"]),
                    refcharts.status_label(r.get("status", "")),
                )
                for r in tiers
            ],
            "source": source_t,
        }
    except UnknownReference:
        context["tiers"] = None
    return context


def dossier_context(actor: Any, person: Any, lang: str) -> dict[str, Any]:
    from haven.web.pages import person_page

    page = person_page(actor, person)
    data = obligations()
    acts = []
    patterns: dict[str, Any] = {}
    for act in page["acts"]:
        found = data.patterns_for_path(act.act_type.path)
        for p in found:
            patterns[p.code] = p
        acts.append({"act": act, "patterns": [p.label(lang) for p in found]})
    ordered = [p for p in data.patterns if p.code in patterns]
    return {
        **_common(actor, lang, _("Person dossier: %(label)s") % {"label": page["label"]}),
        "kind": "dossier",
        **page,
        "dossier_acts": acts,
        "obligations": _obligation_sections(ordered, lang),
    }


# ---- generation -----------------------------------------------------------------------------------------------


def _render(context: dict[str, Any], fmt: str) -> tuple[bytes, str]:
    html = render_to_string(f"reports/report_{context['kind']}.html", context)
    if fmt == "html":
        return html.encode("utf-8"), "text/html; charset=utf-8"
    return html_to_pdf(html), "application/pdf"


def report_generate(
    *,
    actor: Any,
    kind: str,
    lang: str = "en",
    fmt: str = "pdf",
    organisation: str | None = None,
    country: str | None = None,
    person: int | str | None = None,
    first_year: int | None = None,
    last_year: int | None = None,
    clusters: dict[tuple[str, str], str] | None = None,
    out: Path | str | None = None,
    request: Any = None,
) -> ReportOutput:
    """Make a report for ``actor`` and record it in the audit log; write it to ``out`` if given.

    Raises:
        ReportRefused: the user's role may not make this kind of report, or the organisation is not theirs
            (audited).
        Http404: dossier of a person who does not exist or whom the user may not see (audited by the access
            function; the same answer either way).
        ReportError: an option is wrong; nothing is written.
    """
    if kind not in KINDS:
        raise ReportError(
            _("Unknown report kind %(kind)s; choose from %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(KINDS)}
        )
    if fmt not in FORMATS:
        raise ReportError(_("Unknown format %(format)s; choose pdf or html.") % {"format": fmt})
    if lang not in LANGUAGES:
        raise ReportError(_("Unknown language %(lang)s; choose ko or en.") % {"lang": lang})
    if first_year is not None and last_year is not None and first_year > last_year:
        raise ReportError(
            _("The first year (%(first)s) is after the last (%(last)s).")
            % {"first": first_year, "last": last_year}
        )
    if not policy.has(actor, CAPABILITY[kind]):
        if kind == "dossier":
            audit_refusal(actor=actor, action=AuditAction.ACCESS_REFUSED, target=("records.person", str(person)),
                          request=request, details={"reason": "not found or not permitted", "via": "dossier"})  # fmt: skip
            raise Http404("No such record.")
        _refuse(actor, kind, "capability", request)
    period = selectors.Period(first_year, last_year)
    target: Any = None
    scope: dict[str, Any] = {"period": [first_year, last_year]}
    with translation.override(lang):
        if kind == "organisation":
            org = Organisation.objects.filter(code=organisation or "").first()
            if org is None or org not in selectors.organisations_for(actor):
                _refuse(actor, kind, "organisation", request)  # missing and not granted alike
            context = organisation_context(actor, org, period, lang, clusters)  # type: ignore[arg-type]
            scope["organisation"] = org.code  # type: ignore[union-attr]
            name = org.code  # type: ignore[union-attr]
        elif kind == "transit":
            iso2 = (country or "").upper()
            if iso2 not in TRANSIT_COUNTRIES:
                raise ReportError(
                    _("Choose a transit country from %(codes)s.") % {"codes": ", ".join(TRANSIT_COUNTRIES)}
                )
            context = transit_context(actor, iso2, period, lang)
            scope["country"] = iso2
            name = iso2.lower()
        else:
            record = access.person_for_user(actor, person, request=request)  # audits the read; 404 if not
            context = dossier_context(actor, record, lang)
            target = record
            name = f"person-{record.pk}"
        content, content_type = _render(context, fmt)
    digest = hashlib.sha256(content).hexdigest()
    filename = f"haven-{kind}-{name}-{lang}.{fmt}"
    details = {
        "kind": kind,
        "format": fmt,
        "language": lang,
        **scope,
        "sha256": digest,
        "bytes": len(content),
    }
    if out is None:
        with transaction.atomic():
            audit_record(actor=actor, action=AuditAction.REPORT_GENERATED, target=target, request=request,
                         details=details)  # fmt: skip
    else:
        _write(Path(out), content, actor, target, details)
    return ReportOutput(content, content_type, filename, digest, context)


def _write(out: Path, content: bytes, actor: Any, target: Any, details: dict[str, Any]) -> None:
    partial = out.with_name(out.name + ".partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        with transaction.atomic():
            audit_record(actor=actor, action=AuditAction.REPORT_GENERATED, target=target,
                         details={**details, "file": out.name})  # fmt: skip
        os.replace(partial, out)  # only once the entry is committed
    finally:
        partial.unlink(missing_ok=True)
