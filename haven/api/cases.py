"""Assistance cases, read-only (scope cases:read): the case pages' rules (haven.cases) as JSON.

Cases are read through haven.cases.access (VIEW_CASES, granted compartments, cleared levels; the same 404 for a
missing and a forbidden case; each read audited). Where the person is, how to reach them, the narratives and
the survivor's name are shown only to roles that may see identifying data; the places of a journey are then
given only as their country, as on the case page.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from haven.accounts import policy
from haven.accounts.models import Compartment, Organisation
from haven.api import presenters as p
from haven.api import serializers as s
from haven.api.models import Scope
from haven.api.views import CURSOR_PARAMETERS, ApiView, Cursor, _errors, _validated
from haven.audit.models import AuditAction
from haven.audit.services import audit_record
from haven.cases import access, selectors
from haven.cases.models import Case, RiskLevel, Status
from haven.records.models import Person
from haven.vocab.models import Term

MASK = policy.MASK


def _masked(show: bool, value: str | None) -> str | None:
    return (value or None) if show else MASK


def case_out(user: Any, case: Case, *, detail: bool) -> dict[str, Any]:
    """Return one case as the API shows it; ``detail`` adds its journey, consents and referrals."""
    out = _case_fields(
        user,
        case,
        organisation=case.organisation.code,
        compartment=case.compartment.code,
        person=case.person,
        risk_reasons=list(case.risk_reasons.all()),
        needs=list(case.needs.all()),
        detail=detail,
    )
    if detail:
        _add_case_page(user, case, out)
    return out


def cases_out(user: Any, cases: list[Case]) -> list[dict[str, Any]]:
    """Return a page of cases as the list shows them, with a few queries for the whole page.

    A list of 50 cases loaded each case's organisation, compartment, person and terms as model instances
    (about 450 objects, the person's encrypted fields decrypted only to check that the person may be seen):
    most of the request's time. Here the organisations, compartments and terms are read once for the page,
    and of each person only what the access check needs.
    """
    ids = [c.pk for c in cases]
    organisations = dict(
        Organisation.objects.filter(pk__in={c.organisation_id for c in cases}).values_list("pk", "code")
    )
    compartments = dict(
        Compartment.objects.filter(pk__in={c.compartment_id for c in cases}).values_list("pk", "code")
    )
    persons = {
        row["pk"]: SimpleNamespace(
            compartment_id=row["compartment_id"], confidentiality=row["confidentiality"]
        )
        for row in Person.objects.filter(pk__in={c.person_id for c in cases}).values(
            "pk", "compartment_id", "confidentiality"
        )
    }
    reasons = _terms_by_case(Case.risk_reasons.through, ids)
    needs = _terms_by_case(Case.needs.through, ids)
    return [
        _case_fields(
            user,
            case,
            organisation=organisations[case.organisation_id],
            compartment=compartments[case.compartment_id],
            person=persons[case.person_id],
            risk_reasons=reasons.get(case.pk, []),
            needs=needs.get(case.pk, []),
            detail=False,
        )
        for case in cases
    ]


def _terms_by_case(through: Any, case_ids: list[int]) -> dict[int, list[Term]]:
    """Return the terms linked to each case through ``through``, in the vocabulary's order."""
    links = list(through.objects.filter(case_id__in=case_ids).values_list("case_id", "term_id"))
    # In Term's own ordering, as the case's related managers give them.
    terms = list(
        Term.objects.filter(pk__in={t for _c, t in links}).only(
            "code", "label_en", "label_ko", "vocabulary_id", "sort_order"
        )
    )
    position = {t.pk: i for i, t in enumerate(terms)}
    out: dict[int, list[Term]] = {}
    for case_id, term_id in sorted(links, key=lambda link: position[link[1]]):
        out.setdefault(case_id, []).append(terms[position[term_id]])
    return out


def _case_fields(
    user: Any,
    case: Case,
    *,
    organisation: str,
    compartment: str,
    person: Any,
    risk_reasons: list[Term],
    needs: list[Term],
    detail: bool,
) -> dict[str, Any]:
    show = access.shows_identifying(user, case)
    person_visible = policy.can_view(user, person)
    return {
        "reference": case.reference,
        "organisation": organisation,
        "compartment": compartment,
        "confidentiality": case.confidentiality,
        "version": case.version,
        "status": case.status,
        "opened_on": case.opened_on,
        "closed_on": case.closed_on,
        "closure_reason": case.closure_reason,
        "reopened_count": case.reopened_count,
        "risk_level": case.risk_level,
        "risk_reasons": [p.term_ref(t) for t in risk_reasons],
        "needs": [p.term_ref(t) for t in needs],
        "identifying_shown": show,
        # The person as a record: their id only to those who may open it; their name only on a case read alone.
        "person": (
            {"id": case.person_id, "label": selectors.person_label(user, case) if detail else MASK}
            if person_visible
            else None
        ),
        "current_whereabouts": _masked(show, case.current_whereabouts),
        "safe_contact": _masked(show, case.safe_contact),
        "summary": _masked(show, case.summary),
        "created_at": case.created_at,
        "updated_at": case.updated_at,
    }


def _add_case_page(user: Any, case: Case, out: dict[str, Any]) -> None:
    """Add the case's journey, consents and referrals to ``out`` (a case read alone)."""
    page = selectors.case_page(user, case)
    out["journey"] = [
        {
            "stage": p.term_ref(j["stage"].stage),
            "date": p.date_out(j["stage"].date),
            "place": j["place"],
            "place_detail": None if j["place_detail"] == "" else j["place_detail"],
            "notes": None if j["notes"] == "" else j["notes"],
        }
        for j in page["journey"]
    ]
    out["consents"] = [
        {
            "scope": c["consent"].scope,
            "granted": c["consent"].granted,
            "given_on": c["consent"].given_on,
            "withdrawn_on": c["consent"].withdrawn_on,
            "partners": [x.name_en for x in c["partners"]],
        }
        for c in page["consents"]
    ]
    out["referrals"] = [
        {
            "partner": r["referral"].partner.name_en,
            "need": p.term_ref(r["referral"].need),
            "status": r["referral"].status,
            "sent_on": r["referral"].sent_on,
        }
        for r in page["referrals"]
    ]


class JourneyStageSerializer(serializers.Serializer):
    stage = s.TermRefSerializer(allow_null=True)
    date = s.DateSerializer()
    place = serializers.CharField(
        allow_blank=True,
        help_text="The place; only its country for roles that may not see where a person is.",
    )
    place_detail = serializers.CharField(allow_null=True, help_text=s.MASKED)
    notes = serializers.CharField(allow_null=True, help_text=s.MASKED)


class ConsentSerializer(serializers.Serializer):
    scope = serializers.CharField()
    granted = serializers.BooleanField()
    given_on = serializers.DateField()
    withdrawn_on = serializers.DateField(allow_null=True)
    partners = serializers.ListField(child=serializers.CharField())


class ReferralSerializer(serializers.Serializer):
    partner = serializers.CharField()
    need = s.TermRefSerializer(allow_null=True)
    status = serializers.CharField()
    sent_on = serializers.DateField()


class CaseSerializer(serializers.Serializer):
    reference = serializers.CharField()
    organisation = serializers.CharField()
    compartment = serializers.CharField()
    confidentiality = serializers.ChoiceField(choices=s.Confidentiality.choices)
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Status.choices)
    opened_on = serializers.DateField()
    closed_on = serializers.DateField(allow_null=True)
    closure_reason = serializers.CharField(allow_blank=True)
    reopened_count = serializers.IntegerField()
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices)
    risk_reasons = s.TermRefSerializer(many=True)
    needs = s.TermRefSerializer(many=True)
    identifying_shown = serializers.BooleanField()
    person = s.PersonRefSerializer(
        allow_null=True,
        help_text="Null when the person's record may not be seen; the label is masked in lists.",
    )
    current_whereabouts = serializers.CharField(allow_null=True, help_text=s.MASKED)
    safe_contact = serializers.CharField(allow_null=True, help_text=s.MASKED)
    summary = serializers.CharField(allow_null=True, help_text=s.MASKED)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CaseDetailSerializer(CaseSerializer):
    journey = JourneyStageSerializer(many=True)
    consents = ConsentSerializer(many=True)
    referrals = ReferralSerializer(many=True)


CasePageSerializer = s.page_serializer(CaseSerializer, "CasePage")


class CaseParamsSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        required=False,
        choices=[("open", "open"), *Status.choices],
        help_text="open: every status but closed.",
    )
    risk_level = serializers.ChoiceField(required=False, choices=RiskLevel.choices)
    mine = serializers.BooleanField(
        required=False, default=False, help_text="Only cases you own or are on the team of."
    )


def _cases(user: Any, params: dict[str, Any]) -> QuerySet[Case]:
    filters = selectors.CaseFilters(
        status=params.get("status") or "",
        risk_level=params.get("risk_level") or "",
        mine=bool(params.get("mine")),
    )
    # Of the case list's joins only the cases themselves are needed: cases_out reads the rest for the page.
    return selectors.case_list(user, filters).select_related(None).defer("provenance")


class CaseList(ApiView):
    required_scopes = {"GET": (Scope.CASES_READ,)}

    @extend_schema(
        operation_id="cases_list",
        summary="List the assistance cases you may see (scope cases:read)",
        parameters=[CaseParamsSerializer, *CURSOR_PARAMETERS],
        responses={200: CasePageSerializer, **_errors(400, 401, 403, 404, 429)},
        tags=["cases"],
    )
    def get(self, request: Request) -> Response:
        params = _validated(CaseParamsSerializer(data=request.query_params))
        paginator = Cursor()
        page = list(paginator.paginate_queryset(_cases(request.user, params), request, view=self) or [])
        audit_record(
            actor=request.user,
            action=AuditAction.CASE_SEARCHED,
            request=request._request,
            details={
                "via": "api",
                "filters": {k: v for k, v in params.items() if v},
                "references": [c.reference for c in page],
            },
        )
        data = s.represent(CaseSerializer, cases_out(request.user, page), many=True)
        return paginator.get_paginated_response(data)


class CaseDetail(ApiView):
    required_scopes = {"GET": (Scope.CASES_READ,)}

    @extend_schema(
        operation_id="cases_read",
        summary="Read an assistance case, with its journey, consents and referrals (scope cases:read)",
        parameters=[OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={200: CaseDetailSerializer, **_errors(401, 403, 404, 429)},
        tags=["cases"],
    )
    def get(self, request: Request, reference: str) -> Response:
        case = access.case_for_user(request.user, reference, request=request._request, via="api")
        return Response(s.represent(CaseDetailSerializer, case_out(request.user, case, detail=True)))
