"""Reads for the case pages: lists without names, the journey with its derived current stage, the due list.

Everything starts from haven.cases.access.cases_visible_to (compartments, clearance, VIEW_CASES). Identifying
values are replaced by the mask for users who may not see them; survivor names appear only on a case's own
page, never in a list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from haven.accounts import policy
from haven.cases import flags, workflow
from haven.cases.access import cases_visible_to, shows_identifying
from haven.cases.models import Case, FollowUp, FollowUpStatus, Incident, JourneyStage, ReferralStatus, Status
from haven.lib.dates import ImpreciseDate, Precision
from haven.places.models import Location
from haven.vocab.models import Term

LIST_PAGE_SIZE = 50
LIST_COUNTED_UP_TO = 1000  # the case list counts up to this, then says "more than"
DUE_WITHIN_DAYS = 7


def format_date(value: ImpreciseDate) -> str:
    if not value.is_known:
        return _("date unknown")
    text = str(value)
    if value.precision == Precision.ESTIMATED:
        return _("c. %(date)s") % {"date": text.removeprefix("c. ")}
    return text


# ---- the current journey stage ------------------------------------------------------------------------
# The stages in order: by start date, a stage of unknown date before every dated one (it is usually where a
# journey began, "in North Korea"), then in the order they were entered. The current stage is the last.


def _stage_key(stage: JourneyStage) -> tuple[Any, ...]:
    return (stage.date_start is not None, stage.date_start or date.min, stage.date_end or date.min, stage.pk)


def ordered_stages(stages: list[JourneyStage]) -> list[JourneyStage]:
    return sorted(stages, key=_stage_key)


def current_stage(stages: list[JourneyStage]) -> JourneyStage | None:
    return max(stages, key=_stage_key) if stages else None


def _latest_stage() -> QuerySet[JourneyStage]:
    return JourneyStage.objects.filter(case=OuterRef("pk")).order_by(
        F("date_start").desc(nulls_last=True), F("date_end").desc(nulls_last=True), "-pk"
    )


def with_current_stage(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate each case with ``current_stage_id`` (a vocab Term id) from its latest journey stage."""
    return queryset.annotate(current_stage_id=Subquery(_latest_stage().values("stage_id")[:1]))


def _country(path: str) -> str:
    code = next((c for c in path.split("/") if c), "")
    return code


def _place_for(user_sees: bool, place: Location | None, countries: dict[str, str] | None = None) -> str:
    """The place, or only its country for users who may not see where a person is."""
    if place is None:
        return ""
    if user_sees:
        return place.name
    code = _country(place.path)
    if countries is not None and code in countries:
        return countries[code]
    country = Location.objects.filter(code=code).first()
    name = country.name if country else ""
    if countries is not None:
        countries[code] = name
    return name


# ---- the list -----------------------------------------------------------------------------------------


@dataclass
class CaseFilters:
    status: str = ""
    risk_level: str = ""
    mine: bool = False
    stage: str = ""
    reference: str = ""

    def for_audit(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v and k != "reference"} | (
            {"reference": True} if self.reference else {}
        )


def case_list(user: Any, filters: CaseFilters) -> QuerySet[Case]:
    qs = with_current_stage(cases_visible_to(user)).select_related("owner")
    if filters.status == "open":
        qs = qs.exclude(status=Status.CLOSED)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.risk_level:
        qs = qs.filter(risk_level=filters.risk_level)
    if filters.mine:
        qs = qs.filter(Q(owner=user) | Q(team=user)).distinct()
    if filters.stage:
        qs = qs.filter(
            current_stage_id__in=Term.objects.filter(
                vocabulary__code="case-journey-stages", code=filters.stage
            ).values("pk")
        )
    if filters.reference:
        qs = qs.filter(reference__icontains=filters.reference.strip().upper()[:16])
    return qs.order_by("-opened_on", "reference")


def case_url_maker() -> Callable[[str], str]:
    """Return a function giving a case page's URL from its reference, as ``reverse("cases:detail")`` would.

    For lists: one ``reverse`` with a placeholder, then a string per row, quoted as ``reverse`` quotes a path
    segment. References are Haven's own (letters, digits, hyphens), never a "/".
    """
    before, after = reverse("cases:detail", args=["-REF-"]).split("-REF-")
    return lambda reference: f"{before}{quote(reference, safe=RFC3986_SUBDELIMS + '~:@')}{after}"


def next_followups(case_ids: list[int]) -> dict[int, date]:
    rows = (
        FollowUp.objects.filter(case_id__in=case_ids, status=FollowUpStatus.OPEN)
        .order_by("case_id", "due_on")
        .values_list("case_id", "due_on")
    )
    out: dict[int, date] = {}
    for case_id, due in rows:
        out.setdefault(case_id, due)
    return out


# ---- a worker's due list ------------------------------------------------------------------------------


def due_for(user: Any, *, within_days: int = DUE_WITHIN_DAYS, today: date | None = None) -> list[FollowUp]:
    """Return the open follow-ups assigned to ``user`` that are overdue or due within ``within_days``.

    Only on cases the user can still see: a follow-up on a case moved out of their compartments drops out.
    """
    today = today or timezone.localdate()
    return list(
        FollowUp.objects.filter(
            assigned_to=user,
            status=FollowUpStatus.OPEN,
            due_on__lte=today + timedelta(days=within_days),
            case__in=cases_visible_to(user),
        )
        .select_related("case")
        .order_by("due_on", "pk")
    )


# ---- the case page ------------------------------------------------------------------------------------


def _masked(show: bool, value: str | None) -> str:
    if not show:
        return policy.MASK
    return value or ""


def person_label(user: Any, case: Case) -> str:
    """The survivor's primary name on the case's own page, or the mask; never used in lists."""
    person = case.person
    if not shows_identifying(user, case) or not policy.can_view(user, person):
        return policy.MASK
    name = person.primary_name
    return name.full_name if name else _("Person %(id)s") % {"id": person.pk}


DELAY_LABELS = {
    "0_3_days": gettext_lazy("0–3 days"),
    "4_5_days": gettext_lazy("4–5 days"),
    "6_14_days": gettext_lazy("6–14 days"),
    "15_30_days": gettext_lazy("2 weeks to 1 month"),
    "over_1_month": gettext_lazy("more than 1 month"),
}
CHILD_LABELS = {
    flags.ChildStatus.CHILD: gettext_lazy("Child at the time"),
    flags.ChildStatus.POSSIBLY_CHILD: gettext_lazy("Possibly a child at the time"),
    flags.ChildStatus.ADULT: "",
    flags.ChildStatus.UNKNOWN: "",
}


def delay_label(delay: flags.ReportingDelay | None) -> str:
    if delay is None:
        return ""
    if delay.is_exact_band:
        return str(DELAY_LABELS[delay.first_band])
    return _("%(low)s to %(high)s") % {
        "low": DELAY_LABELS[delay.first_band],
        "high": DELAY_LABELS[delay.last_band],
    }


@dataclass
class IncidentView:
    incident: Incident
    date: str
    place: str
    narrative: str
    place_detail: str
    child: str
    child_label: str
    sexual_exploitation: bool
    sexual_slavery: bool
    delay: flags.ReportingDelay | None
    delay_label: str
    trafficking: bool
    payments: list[Any]
    needs_act_type: bool


def incident_views(
    user: Any, case: Case, incidents: list[Incident], countries: dict[str, str] | None = None
) -> list[IncidentView]:
    show = shows_identifying(user, case)
    countries = {} if countries is None else countries
    out = []
    for i in incidents:
        facts = i.facts()
        child = flags.child_status(facts)
        delay = flags.reporting_delay(facts)
        out.append(
            IncidentView(
                incident=i,
                date=format_date(i.date),
                place=_place_for(show, i.place, countries),
                narrative=_masked(show, i.narrative),
                place_detail=_masked(show, i.place_detail),
                child=child.value,
                child_label=str(CHILD_LABELS[child]),
                sexual_exploitation=flags.possible_sexual_exploitation(facts),
                sexual_slavery=flags.possible_sexual_slavery(facts),
                delay=delay,
                delay_label=delay_label(delay),
                trafficking=flags.trafficking_elements_met(facts),
                payments=list(i.payments.all()),
                needs_act_type=i.gbv_type.code not in flags.GBV_ACT_TYPES,
            )
        )
    return out


def case_page(user: Any, case: Case) -> dict[str, Any]:
    show = shows_identifying(user, case)
    countries: dict[str, str] = {}
    stages = list(case.stages.select_related("stage", "place"))
    journey = [
        {
            "stage": s,
            "date": format_date(s.date),
            "place": _place_for(show, s.place, countries),
            "place_detail": _masked(show, s.place_detail),
            "notes": _masked(show, s.notes),
        }
        for s in ordered_stages(stages)
    ]
    current = current_stage(stages)
    incidents = list(
        case.incidents.select_related(
            "gbv_type", "place", "documented_event", "case__person"
        ).prefetch_related(
            "payments",
            "perpetrator_types",
            "trafficking_acts",
            "trafficking_means",
            "trafficking_purposes",
            "ilo_indicators",
        )
    )
    consents = list(case.consents.select_related("recorded_by", "withdrawn_by").prefetch_related("partners"))
    referrals = list(
        case.referrals.select_related("partner", "need", "consent", "override__overridden_by", "sent_by")
    )
    return {
        "case": case,
        "show_identifying": show,
        "person_label": person_label(user, case),
        "person_visible": policy.can_view(user, case.person),
        "summary": _masked(show, case.summary),
        "current_whereabouts": _masked(show, case.current_whereabouts),
        "safe_contact": _masked(show, case.safe_contact),
        "team": list(case.team.all()),
        "risk_reasons": list(case.risk_reasons.all()),
        "needs": list(case.needs.all()),
        "journey": journey,
        "current_stage": current,
        "current_place": _place_for(show, current.place, countries) if current else "",
        "consents": [
            {"consent": c, "notes": _masked(show, c.notes), "partners": list(c.partners.all())}
            for c in consents
        ],
        "referrals": [
            {
                "referral": r,
                "notes": _masked(show, r.notes),
                "override_reason": _masked(show, r.override.reason) if r.override_id else "",
                "next": [
                    (s, ReferralStatus(s).label)
                    for s in ReferralStatus.values
                    if workflow.referral_may_move(r.status, s)
                ],
            }
            for r in referrals
        ],
        "services": [
            {"service": s, "notes": _masked(show, s.notes)}
            for s in case.services.select_related("service", "provider", "recorded_by")
        ],
        "followups": [
            {"followup": f, "task": _masked(show, f.task)}
            for f in case.followups.select_related("assigned_to", "completed_by")
        ],
        "incidents": incident_views(user, case, incidents, countries),
    }
