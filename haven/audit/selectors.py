"""Reading the audit log (for auditors; callers check ``Capability.VIEW_AUDIT`` first)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import QuerySet

from haven.audit.models import AuditAction, AuditEntry


def audit_entries(
    *,
    actor: Any = None,
    action: AuditAction | int | Iterable[AuditAction | int] | None = None,
    target: models.Model | tuple[str, Any] | str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    """Return entries in chain order, narrowed by whichever filters are given.

    Args:
        actor: a user (or a user id).
        action: one code or several.
        target: a model instance or an ("app_label.model", id) pair for one object, or "app_label.model" for
            every object of a type.
        since: entries at or after this moment.
        until: entries before this moment.
    """
    qs = AuditEntry.objects.all()
    if actor is not None:
        qs = qs.filter(actor_id=getattr(actor, "pk", actor))
    if action is not None:
        codes = [int(action)] if isinstance(action, int) else [int(a) for a in action]
        qs = qs.filter(action__in=codes)
    if isinstance(target, models.Model):
        qs = qs.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
    elif isinstance(target, tuple):
        qs = qs.filter(target_type=str(target[0]), target_id=str(target[1]))
    elif isinstance(target, str):
        qs = qs.filter(target_type=target)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs.order_by("seq")
