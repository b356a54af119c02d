"""Writing the audit log: every state-changing service, every sensitive read and every refusal calls one of these.

- :func:`audit_record` writes in the caller's transaction, so the entry commits or rolls back with the change
  it describes (call it inside the service's ``transaction.atomic``). A change is never committed without its
  entry: if the entry cannot be written, the transaction is marked for rollback.
- :func:`audit_refusal` writes an entry that must survive whatever the caller's transaction does next: a
  refusal (the operation it refuses usually raises and rolls back), or an authentication event. Outside a
  transaction it is written at once, in its own; inside one, it is queued and written in its own transaction
  as soon as the caller's transaction ends, committed or rolled back (see :mod:`haven.audit.deferred`).

On PostgreSQL the first entry a transaction appends takes the chain's lock until that transaction ends, and
every other audited transaction waits for it: in a service, write the entry as late as possible (after the
change, just before the transaction commits), and never audit at the start of a long transaction.

``details`` must not contain clear text of sensitive values: give changes through :func:`diff_for_audit`,
which replaces sensitive values by keyed HMACs; anything named like a sensitive field otherwise is refused.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from haven.audit import chain, deferred
from haven.audit.models import AuditAction, AuditEntry
from haven.audit.redaction import MAX_DETAILS_CHARS, SENSITIVE_FIELDS, check_details, diff_for_audit

__all__ = ["SENSITIVE_FIELDS", "Target", "audit_record", "audit_refusal", "diff_for_audit", "flush_refusals"]

# A model instance, an ("app_label.model", id) pair, or None.
Target = models.Model | tuple[str, Any] | None

_PLAIN_ID = re.compile(r"\A[A-Za-z0-9_.:-]{1,64}\Z", re.ASCII)


def _target(target: Target) -> tuple[str, str, models.Model | None]:
    if target is None:
        return "", "", None
    if isinstance(target, models.Model):
        return target._meta.label_lower, "" if target.pk is None else str(target.pk), target
    if isinstance(target, tuple) and len(target) == 2:
        kind, ident = target
        return str(kind), "" if ident is None else str(ident), None
    raise TypeError(f"an audit target is a model instance or a (type, id) pair, not {target!r}")


def _target_id(raw: str) -> str:
    # Ids often come from URLs, that is from whoever typed them: whatever is not a plain id (a name typed into
    # the address bar, say) is kept only as an HMAC, so that clear text cannot enter the log this way either.
    if raw == "" or _PLAIN_ID.match(raw):
        return raw
    from haven.crypto.keyring import audit_fingerprint

    return "~" + audit_fingerprint(raw, "audit.target_id")


def _actor(actor: Any) -> tuple[Any, str]:
    if actor is None or not getattr(actor, "is_authenticated", False) or getattr(actor, "pk", None) is None:
        return None, ""
    return actor, actor.get_username()


def _ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    raw = (getattr(request, "META", None) or {}).get("REMOTE_ADDR") or ""
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return None
    # The form GenericIPAddressField stores, so that the hashed value is the value read back.
    return clean_ipv6_address(str(address)) if address.version == 6 else str(address)


def _build(
    *,
    actor: Any,
    action: AuditAction | int,
    target: Target,
    details: dict[str, Any] | None,
    request: HttpRequest | None,
    compartment_id: int | None,
) -> AuditEntry:
    action = AuditAction(action)  # refuses unknown codes
    details = {} if details is None else details
    if not isinstance(details, dict):
        raise TypeError("audit details are a dict")
    check_details(details)
    text = chain.canonical_json(details)
    if len(text) > MAX_DETAILS_CHARS:
        raise ValueError(f"audit details are {len(text)} characters; the limit is {MAX_DETAILS_CHARS}")
    target_type, target_id, instance = _target(target)
    if len(target_type) > 100:
        raise ValueError("audit target type is longer than 100 characters")
    if compartment_id is None and instance is not None:
        compartment_id = getattr(instance, "compartment_id", None)
    if compartment_id is not None and (
        isinstance(compartment_id, bool) or not isinstance(compartment_id, int)
    ):
        raise TypeError(f"compartment_id is an integer, not {compartment_id!r}")
    user, label = _actor(actor)
    return AuditEntry(
        created_at=timezone.now(),
        actor=user,
        actor_label=label,
        action=action.value,
        target_type=target_type,
        target_id=_target_id(target_id),
        compartment_id=compartment_id,
        details=chain.json_roundtrip(details),
        ip=_ip(request),
    )


def audit_record(
    *,
    actor: Any,
    action: AuditAction | int,
    target: Target = None,
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    compartment_id: int | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> AuditEntry:
    """Append an entry in the caller's transaction and return it.

    Args:
        actor: the user who acted; None (or an anonymous user) for the system or an unknown person.
        action: what happened.
        target: the object acted on: a model instance, or an ("app_label.model", id) pair.
        details: JSON-able facts (no floats); sensitive fields only through :func:`diff_for_audit`.
        request: the request, for the client's address (``REMOTE_ADDR``; a proxy in front must set it).
        compartment_id: the compartment concerned; taken from ``target`` when it has one.

    Raises:
        ValueError: details carry a sensitive value in clear, or are not storable exactly.
    """
    entry = _build(
        actor=actor,
        action=action,
        target=target,
        details=details,
        request=request,
        compartment_id=compartment_id,
    )
    return chain.append(entry, using=using)


def audit_records(
    *,
    actor: Any,
    action: AuditAction | int,
    targets: list[tuple[Target, dict[str, Any]]],
    request: HttpRequest | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> list[AuditEntry]:
    """Append one entry per (target, details), as :func:`audit_record` would one by one, in one statement."""
    entries = [
        _build(
            actor=actor,
            action=action,
            target=target,
            details=details,
            request=request,
            compartment_id=None,
        )
        for target, details in targets
    ]
    return chain.append_many(entries, using=using)


def audit_refusal(
    *,
    actor: Any,
    action: AuditAction | int = AuditAction.ACCESS_REFUSED,
    target: Target = None,
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    compartment_id: int | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> AuditEntry | None:
    """Record an entry that survives the caller's transaction; return it, or None while it waits to be written.

    For refusals (``ACCESS_REFUSED`` and the other 9xx codes) and for events that must be kept whatever the
    request does next (logins, failed logins). Outside an application transaction the entry is written now,
    in a transaction of its own. Inside one it is validated now (bad details raise here) and written in its own
    transaction as soon as the caller's transaction ends, whether it commits or rolls back. Arguments are
    those of :func:`audit_record`.
    """
    entry = _build(
        actor=actor,
        action=action,
        target=target,
        details=details,
        request=request,
        compartment_id=compartment_id,
    )
    if deferred.in_application_transaction(connections[using]):
        deferred.defer(entry, using=using)
        return None
    return chain.append(entry, using=using)


def flush_refusals(using: str = DEFAULT_DB_ALIAS) -> int:
    """Write now any refusals queued on this thread's connection (if no transaction is open); return the count."""
    return deferred.flush(using)
