"""Writes the API makes that haven.records.services does not offer yet: a checked person create and updates.

Creating events, acts and sources goes through haven.records.services (event_create, act_create,
information_create). Persons are created through its ``person_create`` (which keeps the blind indexes in step),
with the policy check and the audit entry that the low-level function leaves to its callers.

Updates use optimistic locking (haven.lib.concurrency): the caller says which version it read; if the stored
record has moved on, nothing is saved and :class:`~haven.lib.concurrency.ConflictError` is raised. Every update
is one transaction that locks the row, writes the changed fields, increments ``version`` and appends a
RECORD_CHANGED audit entry in which identifying values appear only as keyed HMACs.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts import policy
from haven.accounts.models import Compartment
from haven.audit.models import AuditAction
from haven.audit.services import audit_record, audit_refusal, diff_for_audit
from haven.lib.concurrency import ConflictError, check_version
from haven.lib.dates import ImpreciseDate
from haven.records.models import Person, PersonName
from haven.records.services import NameInput, WriteRefused, person_create, person_names_write, person_reindex

# Fields an update may never touch through the API (ownership, bookkeeping, the lock itself).
_FIXED = frozenset(
    {"id", "organisation", "compartment", "created_at", "updated_at", "created_by", "version", "provenance"}
)
DATE_FIELDS = {"date": ("date_start", "date_end", "date_precision")}


def _refuse(actor: Any, reason: str, *, target: Any = None, compartment_id: int | None = None) -> None:
    audit_refusal(
        actor=actor,
        action=AuditAction.ACCESS_REFUSED,
        target=target,
        compartment_id=compartment_id,
        details={"via": "api", "reason": reason},
    )
    raise WriteRefused(reason)


def writable_compartment(actor: Any, code: str) -> Compartment | None:
    """Return the compartment ``code`` if it is granted to ``actor``; None alike if missing or not granted."""
    compartment = Compartment.objects.select_related("organisation").filter(code=code).first()
    if compartment is None or compartment.pk not in policy.compartment_ids(actor):
        return None
    return compartment


def check_may_write(actor: Any, compartment: Compartment, confidentiality: str) -> None:
    if not policy.has(actor, policy.C.EDIT_RECORDS):
        _refuse(actor, "may not edit records")
    if compartment.pk not in policy.compartment_ids(actor):
        _refuse(actor, "compartment not granted", compartment_id=compartment.pk)
    if confidentiality not in policy.clearance(actor):
        _refuse(actor, "confidentiality above clearance", compartment_id=compartment.pk)


def _names(items: list[dict[str, Any]]) -> list[NameInput]:
    return [
        NameInput(
            full_name=n["full_name"],
            kind=n.get("kind") or "hangul",
            system=n.get("system") or "",
            family_name=n.get("family_name"),
            given_name=n.get("given_name"),
            is_primary=bool(n.get("is_primary")),
        )
        for n in items
    ]


def _date(value: Any) -> ImpreciseDate:
    return value if isinstance(value, ImpreciseDate) else ImpreciseDate.unknown()


def person_create_checked(
    *, actor: Any, compartment: Compartment, data: dict[str, Any], request: Any = None
) -> Person:
    """Create a person after the policy check; audit it (field names and counts only, no values).

    Raises:
        WriteRefused: the actor may not write in the compartment at that level (audited).
        ValidationError: the external id is already used by a record of the organisation.
    """
    level = data.get("confidentiality") or "confidential"
    check_may_write(actor, compartment, level)
    external_id = (data.get("external_id") or "").strip()
    birth = data.get("birth_date")
    try:
        with transaction.atomic():
            if (
                external_id
                and Person.objects.filter(
                    organisation=compartment.organisation, external_id=external_id
                ).exists()
            ):
                raise ValidationError(
                    {"external_id": [_("The organisation already has a record with this id.")]}
                )
            person = person_create(
                organisation=compartment.organisation,
                compartment=compartment,
                names=_names(data["names"]),
                sex=data.get("sex") or "U",
                birth_date=birth if isinstance(birth, ImpreciseDate) else None,
                origin_province=data.get("origin_province"),
                origin_detail=data.get("origin_detail") or None,
                exit_year=data.get("exit_year"),
                confidentiality=level,
                external_id=external_id,
                provenance={"via": "api"},
                created_by=actor,
                counting_unit=data.get("counting_unit"),
            )
            extra = {
                "group_description": (data.get("group_description") or "").strip(),
                "number_of_persons_in_group": data.get("number_of_persons_in_group"),
                "sensitive_notes": data.get("sensitive_notes") or None,
            }
            changed = [name for name, value in extra.items() if value not in (None, "")]
            for name in changed:
                setattr(person, name, extra[name])
            if changed:
                person.save(update_fields=changed)
            given = sorted(k for k, v in data.items() if v not in (None, "", []) and k != "compartment")
            audit_record(
                actor=actor,
                action=AuditAction.RECORD_CREATED,
                target=person,
                request=request,
                details={"via": "api", "fields": given, "names": len(data["names"])},
            )
    except IntegrityError:
        # Two requests with the same external id at once: the database's unique constraint decides.
        raise ValidationError(
            {"external_id": [_("The organisation already has a record with this id.")]}
        ) from None
    return person


def _value_for_audit(record: Any, name: str) -> Any:
    if name in DATE_FIELDS:
        return str(getattr(record, name))
    field = record._meta.get_field(name)
    if field.many_to_many:
        return sorted(getattr(record, name).values_list("pk", flat=True))
    if field.is_relation:
        return getattr(record, field.attname)
    return getattr(record, name)


def _person_names(person: Person) -> list[list[Any]]:
    return sorted(
        [n.kind, n.system, n.full_name, n.family_name or "", n.given_name or "", n.is_primary]
        for n in PersonName.objects.filter(person=person)
    )


def _allowed_fields(model: Any) -> frozenset[str]:
    names = {f.name for f in model._meta.concrete_fields} | {f.name for f in model._meta.many_to_many}
    extra = {"date"} if hasattr(model, "date_precision") else set()
    if model is Person:
        extra.add("names")
    return frozenset((names | extra) - _FIXED - {"date_start", "date_end", "date_precision"})


def _name_rows(inputs: list[NameInput]) -> list[list[Any]]:
    return sorted(
        [n.kind, n.system, n.full_name, n.family_name or "", n.given_name or "", n.is_primary] for n in inputs
    )


def _replace_names(person: Person, inputs: list[NameInput]) -> None:
    PersonName.objects.filter(person=person).delete()
    person_names_write(person, inputs)


def record_update(
    *,
    actor: Any,
    record: Any,
    version: int,
    changes: dict[str, Any],
    request: Any = None,
) -> Any:
    """Apply ``changes`` to ``record`` if it is still at ``version``; return the record as saved.

    ``changes`` maps field names to values: model instances for foreign keys, lists for many-to-many fields,
    an ImpreciseDate for ``date``, a list of name dicts for a person's ``names`` (which replace all the names).
    ``record`` was read through an access function (the actor may see it); the actor must also be allowed to
    edit it, and a new confidentiality level must be within their clearance. When nothing differs, nothing
    is written and the version stays.

    Raises:
        WriteRefused: the actor may not edit the record (audited).
        ValidationError: a field that cannot be changed, a level above clearance, an external id in use.
        ConflictError: the record is no longer at ``version`` (nothing saved).
    """
    model = type(record)
    if not policy.can_edit(actor, record):
        _refuse(actor, "may not edit this record", target=record)
    unknown = sorted(set(changes) - _allowed_fields(model))
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    level = changes.get("confidentiality")
    if level is not None and level not in policy.clearance(actor):
        raise ValidationError(
            {"confidentiality": [_("You may not set the level %(level)s.") % {"level": level}]}
        )
    with transaction.atomic():
        conflict = check_version(model, record.pk, version)  # takes the row lock
        if conflict is not None:
            raise ConflictError(conflict)
        current = model._default_manager.get(pk=record.pk)
        external_id = changes.get("external_id")
        if (
            external_id
            and external_id != current.external_id
            and model._default_manager.filter(
                organisation_id=current.organisation_id, external_id=external_id
            )
            .exclude(pk=current.pk)
            .exists()
        ):
            raise ValidationError({"external_id": [_("The organisation already has a record with this id.")]})
        old: dict[str, Any] = {}
        new: dict[str, Any] = {}
        update_fields: set[str] = set()
        m2m: dict[str, list[Any]] = {}
        names: list[NameInput] | None = None
        for name, value in changes.items():
            if name == "names":
                names = _names(value)
                old[name], new[name] = _person_names(current), _name_rows(names)
                continue
            old[name] = _value_for_audit(current, name)
            if name in DATE_FIELDS:
                current.date = _date(value)
                update_fields.update(DATE_FIELDS[name])
            elif model._meta.get_field(name).many_to_many:
                m2m[name] = list(value or [])
                new[name] = sorted(t.pk for t in m2m[name])
                continue
            else:
                setattr(current, name, value)
                update_fields.add(name)
            new[name] = _value_for_audit(current, name)
        diff = diff_for_audit(old, new, sensitive=policy.identifying_fields(model) | {"names"})
        if not diff:
            return current
        current.version += 1
        current.updated_at = timezone.now()
        current.save(update_fields=sorted({*update_fields, "version", "updated_at"}))
        for name, items in m2m.items():
            if name in diff:
                getattr(current, name).set(items)
        if names is not None and "names" in diff:
            _replace_names(current, names)
        if isinstance(current, Person) and {"names", "birth_date"} & diff.keys():
            person_reindex(current)
        audit_record(
            actor=actor,
            action=AuditAction.RECORD_CHANGED,
            target=current,
            request=request,
            details={"via": "api", "version": current.version, "changes": diff},
        )
    return current
