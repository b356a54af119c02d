"""Statistics for an organisation: cases by status, risk, journey stage and need; incidents by type and year;
referrals by outcome. Protected by haven.analytics.disclosure: no count from 1 to 4 can be read or worked out.

Counted over the cases the user may see (haven.cases.access.cases_visible_to) in one organisation, so a case
worker never counts cases of a compartment they are not granted. Each table breaks one total down by one
thing: there are no cross-tabulations, which is what singles people out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from haven.accounts import policy
from haven.accounts.models import Organisation
from haven.analytics import disclosure
from haven.cases import flags
from haven.cases.access import cases_visible_to
from haven.cases.models import Case, Incident, Referral, ReferralStatus, RiskLevel, Status
from haven.cases.selectors import with_current_stage
from haven.vocab.models import Term

THRESHOLD = policy.SMALL_CELL


@dataclass
class Row:
    label: str
    shown: str

    @property
    def withheld(self) -> bool:
        return self.shown == disclosure.WITHHELD


@dataclass
class Table:
    key: str
    title: str
    unit: str
    total: str
    rows: list[Row] = field(default_factory=list)
    kind: str = "partition"  # or "flags": yes/no properties, not adding up to the total
    hidden: bool = False  # too few items for any breakdown

    @property
    def has_withheld(self) -> bool:
        return any(r.withheld for r in self.rows)


def _partition(key: str, title: str, unit: str, labelled: list[tuple[str, int]]) -> Table:
    values = [n for _, n in labelled]
    total = sum(values)
    shown = disclosure.protect_partition(values, THRESHOLD)
    table = Table(key, title, unit, policy.disclose_count(total), hidden=shown is None)
    if shown is not None:
        table.rows = [Row(label, s) for (label, _), s in zip(labelled, shown, strict=True)]
    return table


def _flags(key: str, title: str, unit: str, total: int, labelled: list[tuple[str, int]]) -> Table:
    table = Table(key, title, unit, policy.disclose_count(total), kind="flags")
    shown = [disclosure.protect_flag(n, total, THRESHOLD) for _, n in labelled]
    table.hidden = any(s is None for s in shown)
    if not table.hidden:
        table.rows = [Row(label, str(s)) for (label, _), s in zip(labelled, shown, strict=True)]
    return table


def _terms(vocabulary: str) -> list[Term]:
    return list(Term.objects.filter(vocabulary__code=vocabulary, retired=False).order_by("sort_order"))


def organisations_for(user: Any) -> list[Organisation]:
    """The organisations whose statistics ``user`` may see: those of the cases they may see."""
    ids = cases_visible_to(user).values("organisation_id")
    return list(Organisation.objects.filter(pk__in=ids).order_by("code"))


def population(user: Any, organisation: Organisation) -> QuerySet[Case]:
    return cases_visible_to(user).filter(organisation=organisation)


def _m2m_counts(cases: QuerySet[Case], relation: str) -> Counter[int]:
    through = getattr(Case, relation).through
    rows = (
        through.objects.filter(case__in=cases.values("pk"))
        .values("term_id")
        .annotate(n=Count("case_id", distinct=True))
    )
    return Counter({r["term_id"]: r["n"] for r in rows})


UNKNOWN_YEAR = gettext_lazy("Year unknown")
NO_STAGE = gettext_lazy("No journey recorded")


def incident_year(incident: Incident) -> int | None:
    """The incident's year when its date lies within one year; None when it is unknown or spans years."""
    if incident.date_start is None or incident.date_end is None:
        return None
    return incident.date_start.year if incident.date_start.year == incident.date_end.year else None


def tables(user: Any, organisation: Organisation) -> list[Table]:
    cases = population(user, organisation)
    n_cases = cases.count()
    out: list[Table] = []
    case_unit = _("cases")

    by_status = Counter(dict(cases.values_list("status").annotate(n=Count("pk")).values_list("status", "n")))
    out.append(
        _partition(
            "status", _("Cases by stage of work"), case_unit, [(s.label, by_status[s.value]) for s in Status]
        )
    )
    by_risk = Counter(
        dict(cases.values_list("risk_level").annotate(n=Count("pk")).values_list("risk_level", "n"))
    )
    out.append(
        _partition(
            "risk", _("Cases by risk level"), case_unit, [(r.label, by_risk[r.value]) for r in RiskLevel]
        )
    )
    stages = Counter(with_current_stage(cases).values_list("current_stage_id", flat=True))
    out.append(
        _partition(
            "journey",
            _("Cases by where the person is in their journey"),
            case_unit,
            [(t.label, stages[t.pk]) for t in _terms("case-journey-stages")]
            + [(str(NO_STAGE), stages[None])],
        )
    )
    needs = _m2m_counts(cases, "needs")
    out.append(
        _flags(
            "needs",
            _("Cases by need"),
            case_unit,
            n_cases,
            [(t.label, needs[t.pk]) for t in _terms("case-needs")],
        )
    )
    reasons = _m2m_counts(cases, "risk_reasons")
    out.append(
        _flags(
            "risk_reasons",
            _("Cases by risk factor"),
            case_unit,
            n_cases,
            [(t.label, reasons[t.pk]) for t in _terms("case-risk-factors")],
        )
    )

    incidents = list(
        Incident.objects.filter(case__in=cases.values("pk"))
        .select_related("gbv_type", "case__person")
        .prefetch_related("payments", "trafficking_acts", "trafficking_means", "trafficking_purposes")
    )
    incident_unit = _("incidents")
    by_type = Counter(i.gbv_type_id for i in incidents)
    out.append(
        _partition(
            "incident_types",
            _("Incidents by type (GBVIMS)"),
            incident_unit,
            [(t.label, by_type[t.pk]) for t in _terms("case-gbv-types")],
        )
    )
    by_year = Counter(incident_year(i) for i in incidents)
    years = sorted(y for y in by_year if y is not None)
    year_rows: list[tuple[str, int]] = []
    if years:
        year_rows = [(str(y), by_year[y]) for y in range(years[0], years[-1] + 1)]
    out.append(
        _partition(
            "incident_years",
            _("Incidents by year"),
            incident_unit,
            [*year_rows, (str(UNKNOWN_YEAR), by_year[None])],
        )
    )
    facts = [i.facts() for i in incidents]
    out.append(
        _flags(
            "incident_flags",
            _("Incidents by derived flag"),
            incident_unit,
            len(incidents),
            [
                (
                    _("Possible sexual exploitation"),
                    sum(flags.possible_sexual_exploitation(f) for f in facts),
                ),
                (_("Possible sexual slavery"), sum(flags.possible_sexual_slavery(f) for f in facts)),
                (
                    _("Survivor was a child"),
                    sum(flags.child_status(f) == flags.ChildStatus.CHILD for f in facts),
                ),
                (
                    _("Reported after more than 72 hours"),
                    sum(bool((d := flags.reporting_delay(f)) and d.late) for f in facts),
                ),
                (
                    _("All elements of trafficking recorded"),
                    sum(flags.trafficking_elements_met(f) for f in facts),
                ),
            ],
        )
    )

    referrals = Referral.objects.filter(case__in=cases.values("pk"))
    by_outcome = Counter(
        dict(referrals.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    )
    out.append(
        _partition(
            "referrals",
            _("Referrals by outcome"),
            _("referrals"),
            [(s.label, by_outcome[s.value]) for s in ReferralStatus],
        )
    )
    return out


def shown_values(all_tables: Iterable[Table]) -> list[str]:
    """Every number or marker the page shows (for tests and for the audit entry of the page)."""
    return [v for t in all_tables for v in [t.total, *(r.shown for r in t.rows)]]
