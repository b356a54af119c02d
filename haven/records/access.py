"""Permission-checked reads of records: the only way user-facing code gets a sensitive record.

Each function asks the access policy, writes the audit entry for the read (or the refusal), and gives the
same answer for a record that does not exist and one the user may not see, so existence never leaks.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from haven.accounts import policy
from haven.audit.models import AuditAction
from haven.audit.services import audit_record, audit_records, audit_refusal
from haven.records.models import Act, Event, Information, Person

M = TypeVar("M", bound=Model)


def audit_view(user: Any, record: Model, *, request: Any = None, via: str = "page") -> None:
    audit_record(
        actor=user,
        action=AuditAction.RECORD_VIEWED,
        target=record,
        request=request,
        compartment_id=getattr(record, "compartment_id", None),
        details={"via": via, "identifying_shown": policy.shows_identifying(user, record)},
    )


def audit_views(user: Any, records: list[Model], *, request: Any = None, via: str = "page") -> None:
    """:func:`audit_view` for several records shown together on one page: one entry each, one insert."""
    audit_records(
        actor=user,
        action=AuditAction.RECORD_VIEWED,
        targets=[
            (record, {"via": via, "identifying_shown": policy.shows_identifying(user, record)})
            for record in records
        ],
        request=request,
    )


def _get_for_user(user: Any, queryset: QuerySet[M], pk: Any, *, request: Any = None) -> M:
    model = queryset.model
    try:
        record = queryset.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        record = None
    if record is None or not policy.can_view(user, record):
        audit_refusal(
            actor=user,
            action=AuditAction.ACCESS_REFUSED,
            target=(model._meta.label_lower, str(pk)),
            request=request,
            details={"reason": "not found or not permitted"},
        )
        raise Http404("No such record.")  # the same answer for missing and forbidden
    audit_view(user, record, request=request)
    return record


def person_for_user(user: Any, pk: Any, *, request: Any = None) -> Person:
    return _get_for_user(
        user, Person.objects.select_related("origin_province").prefetch_related("names"), pk, request=request
    )


def event_for_user(user: Any, pk: Any, *, request: Any = None) -> Event:
    return _get_for_user(user, Event.objects.select_related("location"), pk, request=request)


def act_for_user(user: Any, pk: Any, *, request: Any = None) -> Act:
    return _get_for_user(
        user, Act.objects.select_related("event", "victim", "act_type", "location"), pk, request=request
    )


def information_for_user(user: Any, pk: Any, *, request: Any = None) -> Information:
    return _get_for_user(user, Information.objects.select_related("event", "source"), pk, request=request)


def persons_visible_to(user: Any) -> QuerySet[Person]:
    return policy.visible(user, Person.objects.all())


def events_visible_to(user: Any) -> QuerySet[Event]:
    return policy.visible(user, Event.objects.all())


def acts_visible_to(user: Any) -> QuerySet[Act]:
    return policy.visible(user, Act.objects.all())
