"""Case pages. Thin: reads through haven.cases.access and selectors, writes through haven.cases.services.

Every change is a POST that answers with a redirect to the case page (so a reload never repeats it); when the
input is refused, the case page is shown again with the message next to the field that caused it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from haven.accounts import policy
from haven.accounts.sudo import ensure_sudo
from haven.audit.models import AuditAction
from haven.audit.services import audit_record
from haven.cases import access, forms, selectors, services, stats, workflow
from haven.cases.models import Case, Consent, FollowUp, Incident, JourneyStage, Referral, RiskLevel, Status
from haven.crypto.keyring import audit_fingerprint
from haven.lib.models import choice_label
from haven.lib.paging import page_counted_up_to
from haven.records.models import Person
from haven.records.services import NameInput, persons_find_by_name

C = policy.Capability


def _require(request: HttpRequest, capability: policy.Capability) -> None:
    if not policy.has(request.user, capability):
        raise Http404("No such page.")


# ---- list, due, statistics ----------------------------------------------------------------------------


@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    _require(request, C.VIEW_CASES)
    form = forms.CaseListForm(request.GET or None)
    filters = selectors.CaseFilters()
    name = ""
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = selectors.CaseFilters(
            status=data["status"] or "",
            risk_level=data["risk_level"] or "",
            mine=bool(data["mine"]),
            stage=data["stage"] or "",
            reference=data["reference"] or "",
        )
        name = (data.get("name") or "").strip()
    # The list never shows where a person is, how to reach them or the summary: they are not read (nor decrypted).
    qs = selectors.case_list(request.user, filters).defer(
        "current_whereabouts", "safe_contact", "summary", "provenance"
    )
    if name:
        if not policy.has(request.user, C.VIEW_IDENTIFYING):
            form.add_error("name", _("You may not search by name."))
            qs = qs.none()
        else:
            qs = qs.filter(person_id__in=persons_find_by_name(name))
    # Counted only up to a thousand: past that, "more than 1,000 cases" and pages without a last one. Counting
    # all 100,000 cases of a large organisation on every view of the list was a third of its database time.
    page, total = page_counted_up_to(
        qs, selectors.LIST_PAGE_SIZE, request.GET.get("page"), limit=selectors.LIST_COUNTED_UP_TO
    )
    rows = list(page.object_list)
    audit_record(
        actor=request.user,
        action=AuditAction.CASE_SEARCHED,
        request=request,
        details={
            "filters": filters.for_audit(),
            "name": audit_fingerprint(name, "audit.search") if name else None,
            "page": page.number,
            "cases": total,  # None: more than cases_counted_up_to
            "cases_counted_up_to": selectors.LIST_COUNTED_UP_TO,
        },
    )
    labels = form.stage_labels
    due = selectors.next_followups([c.pk for c in rows])
    case_url = selectors.case_url_maker()
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "cases/case_list.html",
        {
            "form": form,
            "page": page,
            "total": total,
            "counted_up_to": selectors.LIST_COUNTED_UP_TO,
            "rows": [
                {
                    "case": c,
                    "url": case_url(c.reference),
                    "status": choice_label(Status, c.status),
                    "risk": choice_label(RiskLevel, c.risk_level),
                    "stage": labels.get(c.current_stage_id, ""),
                    # ISO dates written here, as the template's date filter would ("Y-m-d"): fifty rows of
                    # filters and {% url %} tags were over a third of the list's rendering.
                    "opened": c.opened_on.isoformat(),
                    "next_due": due[c.pk].isoformat() if c.pk in due else "",
                }
                for c in rows
            ],
            "base_query": params.urlencode(),
            "can_edit": policy.has(request.user, C.EDIT_CASES),
        },
    )


@require_GET
def due_list(request: HttpRequest) -> HttpResponse:
    _require(request, C.EDIT_CASES)
    items = selectors.due_for(request.user)
    audit_record(
        actor=request.user,
        action=AuditAction.CASE_SEARCHED,
        request=request,
        details={"via": "due list", "followups": len(items)},
    )
    show = policy.has(request.user, C.VIEW_IDENTIFYING)
    today = timezone.localdate()
    return render(
        request,
        "cases/due.html",
        {
            "items": [
                {"followup": f, "task": f.task if show else policy.MASK, "overdue": f.due_on < today}
                for f in items
            ],
            "within": selectors.DUE_WITHIN_DAYS,
        },
    )


@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    _require(request, C.VIEW_CASES)
    organisations = stats.organisations_for(request.user)
    chosen = None
    wanted = request.GET.get("organisation")
    for org in organisations:
        if wanted and str(org.pk) == wanted:
            chosen = org
    if chosen is None and organisations:
        chosen = organisations[0]
    all_tables = stats.tables(request.user, chosen) if chosen else []
    audit_record(
        actor=request.user,
        action=AuditAction.REPORT_GENERATED,
        request=request,
        details={"report": "case statistics", "organisation": chosen.pk if chosen else None},
    )
    return render(
        request,
        "cases/statistics.html",
        {
            "organisations": organisations,
            "organisation": chosen,
            "tables": all_tables,
            "withheld": any(t.has_withheld for t in all_tables),
            "min_population": stats.disclosure.min_population(stats.THRESHOLD),
        },
    )


# ---- creating a case ----------------------------------------------------------------------------------


def case_new(request: HttpRequest) -> HttpResponse:
    _require(request, C.EDIT_CASES)
    initial = {}
    if request.method == "GET" and request.GET.get("person", "").isdigit():
        initial["person_id"] = int(request.GET["person"])
    form = forms.CaseCreateForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person: Person | services.NewSurvivor
        if data["person_id"]:
            found = Person.objects.filter(pk=data["person_id"]).first()
            if found is None or not policy.can_view(request.user, found):
                form.add_error("person_id", _("No such person in your compartments."))
                return render(request, "cases/case_new.html", {"form": form}, status=400)
            person = found
        else:
            names = []
            if data["name_hangul"].strip():
                names.append(NameInput(data["name_hangul"].strip(), "hangul", "south", is_primary=True))
            if data["name_latin"].strip():
                names.append(NameInput(data["name_latin"].strip(), "romanized", "passport"))
            person = services.NewSurvivor(
                names=tuple(names),
                sex=data["sex"],
                birth_date=data["birth_date"] if data["birth_date"].is_known else None,
            )
        try:
            case = services.case_create(
                actor=request.user,
                compartment=data["compartment"],
                person=person,
                confidentiality=data["confidentiality"],
                summary=data["summary"],
                current_whereabouts=data["current_whereabouts"],
                safe_contact=data["safe_contact"],
            )
        except services.CaseInputError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Case %(ref)s opened.") % {"ref": case.reference})
            return redirect("cases:detail", reference=case.reference)
    return render(request, "cases/case_new.html", {"form": form}, status=400 if form.is_bound else 200)


# ---- the case page ------------------------------------------------------------------------------------


def _forms_for(case: Case, user: Any, data: Any = None) -> dict[str, Any]:
    """Every form of the case page, unbound (the one that failed is replaced by its bound copy)."""
    return {
        "details_form": forms.DetailsForm(
            user=user,
            initial={
                "summary": case.summary,
                "current_whereabouts": case.current_whereabouts,
                "safe_contact": case.safe_contact,
                "confidentiality": case.confidentiality,
            },
        ),
        "assign_form": forms.AssignForm(
            case=case, initial={"owner": case.owner_id, "team": list(case.team.values_list("pk", flat=True))}
        ),
        "close_form": forms.CloseForm(),
        "risk_form": forms.RiskForm(
            initial={"risk_level": case.risk_level, "risk_reasons": list(case.risk_reasons.all())}
        ),
        "needs_form": forms.NeedsForm(initial={"needs": list(case.needs.all())}),
        "stage_form": forms.StageForm(),
        "consent_form": forms.ConsentForm(case=case),
        "referral_form": forms.ReferralForm(case=case),
        "service_form": forms.ServiceForm(case=case),
        "followup_form": forms.FollowUpForm(case=case, initial={"assigned_to": case.owner_id}),
        "incident_form": forms.IncidentForm(),
        "document_form": forms.DocumentForm(),
    }


def _render_case(
    request: HttpRequest,
    case: Case,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
    errors_for: int | None = None,
) -> HttpResponse:
    context = selectors.case_page(request.user, case)
    can_edit = access.can_edit_case(request.user, case)
    context.update(
        {
            "can_edit": can_edit,
            "can_override": policy.has(request.user, C.OVERRIDE_CONSENT),
            "next_statuses": [(s, label) for s, label in Status.choices if workflow.may_move(case.status, s)],
            "status_labels": dict(Status.choices),
            "error_incident": errors_for,
        }
    )
    if can_edit:
        context.update(_forms_for(case, request.user))
        context.update(bound or {})
        for view in context["incidents"]:
            pk = view.incident.pk
            if errors_for == pk and "payment_form" in (bound or {}):
                view.payment_form = bound["payment_form"]  # type: ignore[attr-defined,index]
            else:
                view.payment_form = forms.PaymentForm(auto_id=f"id_payment{pk}_%s")  # type: ignore[attr-defined]
    return render(request, "cases/case_detail.html", context, status=status)


@require_GET
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = access.case_for_user(request.user, reference, request=request)
    return _render_case(request, case)


def _errors_to_form(form: Any, exc: Any) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _act(
    request: HttpRequest,
    reference: str,
    form_name: str,
    make_form: Callable[[Case], Any],
    call: Callable[[Case, dict[str, Any]], Any],
    *,
    done: str,
    anchor: str,
    errors_for: Callable[[dict[str, Any]], int | None] | None = None,
) -> HttpResponse:
    """Run one change: validate the form, call the service, redirect; or show the page with the errors."""
    case = access.case_for_editing(request.user, reference, request=request)
    form = make_form(case)
    if form.is_valid():
        try:
            call(case, form.cleaned_data)
        except services.CaseInputError as exc:
            _errors_to_form(form, exc)
        except services.ConsentRequired as exc:
            form.add_error(None, str(exc))
            case.refresh_from_db()
            audit_record(
                actor=request.user,
                action=AuditAction.CASE_VIEWED,
                target=case,
                request=request,
                details={"via": "page"},
            )
            return _render_case(request, case, bound={form_name: form}, status=403)
        else:
            messages.success(request, done)
            return redirect(reverse("cases:detail", args=[case.reference]) + f"#{anchor}")
    case.refresh_from_db()
    audit_record(
        actor=request.user,
        action=AuditAction.CASE_VIEWED,
        target=case,
        request=request,
        details={"via": "page"},
    )
    incident = errors_for(form.cleaned_data if hasattr(form, "cleaned_data") else {}) if errors_for else None
    return _render_case(request, case, bound={form_name: form}, status=400, errors_for=incident)


@require_POST
def update_details(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "details_form",
        lambda case: forms.DetailsForm(request.POST, user=request.user),
        lambda case, d: services.case_update_details(
            actor=request.user,
            case=case,
            summary=d["summary"],
            current_whereabouts=d["current_whereabouts"],
            safe_contact=d["safe_contact"],
            confidentiality=d["confidentiality"],
        ),
        done=_("Saved."),
        anchor="details",
    )


@require_POST
def assign(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "assign_form",
        lambda case: forms.AssignForm(request.POST, case=case),
        lambda case, d: services.case_assign(actor=request.user, case=case, owner=d["owner"], team=d["team"]),
        done=_("Owner and team saved."),
        anchor="team",
    )


@require_POST
def transition(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "transition_form",
        lambda case: forms.TransitionForm(request.POST),
        lambda case, d: services.case_transition(actor=request.user, case=case, to=d["to"]),
        done=_("Status changed."),
        anchor="workflow",
    )


@require_POST
def close(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "close_form",
        lambda case: forms.CloseForm(request.POST),
        lambda case, d: services.case_close(
            actor=request.user, case=case, reason=d["closure_reason"], closed_on=d["closed_on"]
        ),
        done=_("Case closed."),
        anchor="workflow",
    )


@require_POST
def reopen(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "reopen_form",
        lambda case: forms.forms.Form(request.POST),
        lambda case, d: services.case_reopen(actor=request.user, case=case),
        done=_("Case reopened."),
        anchor="workflow",
    )


@require_POST
def set_risk(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "risk_form",
        lambda case: forms.RiskForm(request.POST),
        lambda case, d: services.case_set_risk(
            actor=request.user, case=case, level=d["risk_level"], reasons=d["risk_reasons"]
        ),
        done=_("Risk saved."),
        anchor="risk",
    )


@require_POST
def set_needs(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "needs_form",
        lambda case: forms.NeedsForm(request.POST),
        lambda case, d: services.case_set_needs(actor=request.user, case=case, needs=d["needs"]),
        done=_("Needs saved."),
        anchor="risk",
    )


@require_POST
def add_stage(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "stage_form",
        lambda case: forms.StageForm(request.POST),
        lambda case, d: services.stage_add(
            actor=request.user,
            case=case,
            stage=d["stage"],
            when=d["when"],
            place=d["place"],
            place_detail=d["place_detail"],
            notes=d["notes"],
        ),
        done=_("Stage added."),
        anchor="journey",
    )


@require_POST
def remove_stage(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = access.case_for_editing(request.user, reference, request=request)
    stage = get_object_or_404(JourneyStage, pk=pk, case=case)
    services.stage_remove(actor=request.user, stage=stage)
    messages.success(request, _("Stage removed."))
    return redirect(reverse("cases:detail", args=[case.reference]) + "#journey")


@require_POST
def record_consent(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "consent_form",
        lambda case: forms.ConsentForm(request.POST, case=case),
        lambda case, d: services.consent_record(
            actor=request.user,
            case=case,
            scope=d["scope"],
            granted=d["granted"],
            given_on=d["given_on"],
            given_by=d["given_by"],
            partners=d["partners"],
            notes=d["notes"],
        ),
        done=_("Consent recorded."),
        anchor="consent",
    )


@require_POST
def withdraw_consent(request: HttpRequest, reference: str) -> HttpResponse:
    def call(case: Case, d: dict[str, Any]) -> Any:
        consent = get_object_or_404(Consent, pk=d["consent"], case=case)
        return services.consent_withdraw(actor=request.user, consent=consent, withdrawn_on=d["withdrawn_on"])

    return _act(
        request,
        reference,
        "withdraw_form",
        lambda case: forms.WithdrawForm(request.POST),
        call,
        done=_("Consent withdrawn; referrals made under it were revoked."),
        anchor="consent",
    )


@require_POST
def refer(request: HttpRequest, reference: str) -> HttpResponse:
    if (request.POST.get("override_reason") or "").strip():
        # Going ahead without consent is a sensitive act: the user confirms who they are first.
        if not policy.has(request.user, C.OVERRIDE_CONSENT):
            raise PermissionDenied("You may not override consent.")
        ensure_sudo(request)
    return _act(
        request,
        reference,
        "referral_form",
        lambda case: forms.ReferralForm(request.POST, case=case),
        lambda case, d: services.referral_create(
            actor=request.user,
            case=case,
            partner=d["partner"],
            need=d["need"],
            notes=d["notes"],
            override_reason=d["override_reason"] or None,
        ),
        done=_("Referral sent."),
        anchor="referrals",
    )


@require_POST
def referral_status(request: HttpRequest, reference: str) -> HttpResponse:
    def call(case: Case, d: dict[str, Any]) -> Any:
        referral = get_object_or_404(Referral, pk=d["referral"], case=case)
        return services.referral_set_status(actor=request.user, referral=referral, status=d["status"])

    return _act(
        request,
        reference,
        "referral_status_form",
        lambda case: forms.ReferralStatusForm(request.POST),
        call,
        done=_("Referral updated."),
        anchor="referrals",
    )


@require_POST
def add_service(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "service_form",
        lambda case: forms.ServiceForm(request.POST, case=case),
        lambda case, d: services.service_record(
            actor=request.user,
            case=case,
            service=d["service"],
            given_on=d["given_on"],
            provider=d["provider"],
            notes=d["notes"],
        ),
        done=_("Service recorded."),
        anchor="services",
    )


@require_POST
def add_followup(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "followup_form",
        lambda case: forms.FollowUpForm(request.POST, case=case),
        lambda case, d: services.followup_create(
            actor=request.user, case=case, assigned_to=d["assigned_to"], due_on=d["due_on"], task=d["task"]
        ),
        done=_("Follow-up added."),
        anchor="followups",
    )


@require_POST
def close_followup(request: HttpRequest, reference: str) -> HttpResponse:
    def call(case: Case, d: dict[str, Any]) -> Any:
        followup = get_object_or_404(FollowUp, pk=d["followup"], case=case)
        return services.followup_close(actor=request.user, followup=followup, status=d["status"])

    response = _act(
        request,
        reference,
        "followup_close_form",
        lambda case: forms.FollowUpCloseForm(request.POST),
        call,
        done=_("Follow-up closed."),
        anchor="followups",
    )
    nxt = request.POST.get("next", "")
    if response.status_code == 302 and nxt == "due":
        return redirect("cases:due")
    return response


def _incident_input(d: dict[str, Any]) -> services.IncidentInput:
    return services.IncidentInput(
        gbv_type=d["gbv_type"],
        when=d["when"],
        place=d["place"],
        place_detail=d["place_detail"],
        first_reported_on=d["first_reported_on"],
        survivor_age=d["survivor_age"],
        goods_money_exchanged=d["goods_money_exchanged"],
        abduction_status=d["abduction_status"],
        perpetrator_count=d["perpetrator_count"],
        perpetrator_types=list(d["perpetrator_types"]),
        trafficking_acts=list(d["trafficking_acts"]),
        trafficking_means=list(d["trafficking_means"]),
        trafficking_purposes=list(d["trafficking_purposes"]),
        ilo_indicators=list(d["ilo_indicators"]),
        narrative=d["narrative"],
    )


@require_POST
def add_incident(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "incident_form",
        lambda case: forms.IncidentForm(request.POST),
        lambda case, d: services.incident_save(actor=request.user, case=case, data=_incident_input(d)),
        done=_("Incident recorded."),
        anchor="incidents",
    )


def incident_edit(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """Change an incident (before it is documented): a page of its own, the form is long."""
    if request.method == "POST":
        case = access.case_for_editing(request.user, reference, request=request)
    else:
        case = access.case_for_user(request.user, reference, request=request)
        if not access.can_edit_case(request.user, case):
            raise PermissionDenied("You may not change cases.")
    incident = get_object_or_404(Incident, pk=pk, case=case)
    if request.method == "POST":
        form = forms.IncidentForm(request.POST)
        if form.is_valid():
            try:
                services.incident_save(
                    actor=request.user, case=case, data=_incident_input(form.cleaned_data), incident=incident
                )
            except services.CaseInputError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("Incident saved."))
                return redirect(reverse("cases:detail", args=[case.reference]) + "#incidents")
    else:
        form = forms.IncidentForm(
            initial={
                "gbv_type": incident.gbv_type,
                "when": "" if not incident.date.is_known else str(incident.date),
                "place": incident.place,
                "place_detail": incident.place_detail,
                "first_reported_on": incident.first_reported_on,
                "survivor_age": incident.survivor_age,
                "goods_money_exchanged": incident.goods_money_exchanged,
                "abduction_status": incident.abduction_status,
                "perpetrator_count": incident.perpetrator_count,
                "perpetrator_types": list(incident.perpetrator_types.all()),
                "trafficking_acts": list(incident.trafficking_acts.all()),
                "trafficking_means": list(incident.trafficking_means.all()),
                "trafficking_purposes": list(incident.trafficking_purposes.all()),
                "ilo_indicators": list(incident.ilo_indicators.all()),
                "narrative": incident.narrative,
            }
        )
    return render(
        request,
        "cases/incident_edit.html",
        {"case": case, "incident": incident, "form": form},
        status=400 if form.is_bound else 200,
    )


@require_POST
def add_payment(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    def call(case: Case, d: dict[str, Any]) -> Any:
        incident = get_object_or_404(Incident, pk=pk, case=case)
        return services.payment_add(
            actor=request.user,
            incident=incident,
            kind=d["kind"],
            amount=d["amount"],
            currency=d["currency"],
            when=d["when"],
        )

    return _act(
        request,
        reference,
        "payment_form",
        lambda case: forms.PaymentForm(request.POST, auto_id=f"id_payment{pk}_%s"),
        call,
        done=_("Payment recorded."),
        anchor=f"incident-{pk}",
        errors_for=lambda d: pk,
    )


@require_POST
def document_incident(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    if (request.POST.get("override_reason") or "").strip():
        if not policy.has(request.user, C.OVERRIDE_CONSENT):
            raise PermissionDenied("You may not override consent.")
        ensure_sudo(request)
    created: dict[str, Any] = {}

    def call(case: Case, d: dict[str, Any]) -> Any:
        incident = get_object_or_404(Incident, pk=pk, case=case)
        created["result"] = services.incident_document(
            actor=request.user,
            incident=incident,
            act_type=d["act_type"],
            override_reason=d["override_reason"] or None,
        )
        return created["result"]

    response = _act(
        request,
        reference,
        "document_form",
        lambda case: forms.DocumentForm(request.POST),
        call,
        done=_("Documented as an event with its acts; the survivor's account is linked as its source."),
        anchor=f"incident-{pk}",
        errors_for=lambda d: pk,
    )
    if response.status_code == 302 and "result" in created:
        return redirect("web:event", pk=created["result"].event.pk)
    return response
