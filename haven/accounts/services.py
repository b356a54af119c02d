"""Writes to accounts: roles and compartment grants. Each checks the policy, runs in a transaction and audits."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from haven.accounts import policy
from haven.accounts.models import Compartment, CompartmentGrant, Role, User
from haven.audit.models import AuditAction
from haven.audit.services import audit_record, audit_refusal


def _require(actor: Any, capability: policy.Capability, what: str, request: Any = None) -> None:
    if not policy.has(actor, capability):
        audit_refusal(
            actor=actor,
            action=AuditAction.ACCESS_REFUSED,
            request=request,
            details={"attempted": what, "missing": capability.value},
        )
        raise PermissionDenied(f"{what} needs the {capability.value} capability")


@transaction.atomic
def user_set_role(*, actor: Any, user: User, role: str, request: Any = None) -> User:
    _require(actor, policy.Capability.MANAGE_USERS, "change a role", request)
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    old = user.role
    if old == role:
        return user
    user.role = role
    user.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action=AuditAction.ROLE_CHANGED,
        target=user,
        request=request,
        details={"old": old, "new": role},
    )
    return user


@transaction.atomic
def grant_add(*, actor: Any, user: User, compartment: Compartment, request: Any = None) -> CompartmentGrant:
    _require(actor, policy.Capability.MANAGE_USERS, "grant a compartment", request)
    grant, created = CompartmentGrant.objects.get_or_create(
        user=user, compartment=compartment, defaults={"granted_by": actor}
    )
    if created:
        audit_record(
            actor=actor,
            action=AuditAction.GRANT_ADDED,
            target=user,
            request=request,
            compartment_id=compartment.pk,
            details={"compartment": compartment.code},
        )
    return grant


@transaction.atomic
def grant_remove(*, actor: Any, user: User, compartment: Compartment, request: Any = None) -> None:
    _require(actor, policy.Capability.MANAGE_USERS, "remove a compartment grant", request)
    deleted, _ = CompartmentGrant.objects.filter(user=user, compartment=compartment).delete()
    if deleted:
        audit_record(
            actor=actor,
            action=AuditAction.GRANT_REMOVED,
            target=user,
            request=request,
            compartment_id=compartment.pk,
            details={"compartment": compartment.code},
        )
