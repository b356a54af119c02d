"""Permission-checked reads of cases: the only way user-facing code gets a case.

A case is seen by users with VIEW_CASES, in the compartments granted to them, at the confidentiality levels
their role is cleared for (haven.accounts.policy). Each read is audited; a case that does not exist and one
the user may not see give the same 404, so that existence never leaks. Lists, searches and statistics all
start from :func:`cases_visible_to`, so a case worker can neither see, find nor count another
compartment's cases.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from haven.accounts import policy
from haven.audit.models import AuditAction
from haven.audit.services import audit_record, audit_refusal
from haven.cases.models import Case

C = policy.Capability


def cases_visible_to(user: Any) -> QuerySet[Case]:
    return policy.visible(user, Case.objects.all(), capability=C.VIEW_CASES)


def can_view_case(user: Any, case: Case) -> bool:
    return policy.can_view(user, case, capability=C.VIEW_CASES)


def can_edit_case(user: Any, case: Case) -> bool:
    return policy.has(user, C.EDIT_CASES) and can_view_case(user, case)


def shows_identifying(user: Any, case: Case) -> bool:
    """May ``user`` see where the survivor is, how to reach them, the narratives, and their name?"""
    return policy.has(user, C.VIEW_IDENTIFYING) and can_view_case(user, case)


def _refuse_404(user: Any, reference: str, request: Any) -> None:
    audit_refusal(
        actor=user,
        action=AuditAction.ACCESS_REFUSED,
        target=("cases.case", reference),
        request=request,
        details={"reason": "not found or not permitted"},
    )
    raise Http404("No such case.")  # the same answer for missing and forbidden


def case_for_user(user: Any, reference: str, *, request: Any = None, via: str = "page") -> Case:
    """Return the case with ``reference`` if ``user`` may see it (audited as viewed); otherwise raise 404."""
    case = (
        Case.objects.select_related("person", "owner", "organisation", "compartment")
        .filter(reference=str(reference)[:16])
        .first()
    )
    if case is None or not can_view_case(user, case):
        _refuse_404(user, reference, request)
    assert case is not None  # noqa: S101  (for the type checker: _refuse_404 raised otherwise)
    audit_record(
        actor=user,
        action=AuditAction.CASE_VIEWED,
        target=case,
        request=request,
        details={"via": via, "identifying_shown": shows_identifying(user, case)},
    )
    return case


def case_for_editing(user: Any, reference: str, *, request: Any = None) -> Case:
    """Return a case ``user`` may change; 404 if they may not see it, 403 if they may see but not change it.

    No view is audited here: the service that makes the change writes the entry.
    """
    case = Case.objects.select_related("person", "organisation", "compartment").filter(
        reference=str(reference)[:16]
    )
    found = case.first()
    if found is None or not can_view_case(user, found):
        _refuse_404(user, reference, request)
    assert found is not None  # noqa: S101
    if not policy.has(user, C.EDIT_CASES):
        audit_refusal(
            actor=user,
            action=AuditAction.ACCESS_REFUSED,
            target=found,
            request=request,
            details={"reason": "may not change cases"},
        )
        raise PermissionDenied("You may not change cases.")
    return found
