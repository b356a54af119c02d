"""Haven's access policy: the one place that decides who may do and see what.

Every view, service, export, command and API endpoint asks this module; none decides on its own. Three
questions are answered here:

1. *May this user do X at all?* — capabilities by role (:func:`has`).
2. *May this user see this record?* — need-to-know: the record's compartment must be granted to the user,
   and its confidentiality level within the role's clearance (:func:`visible`, :func:`can_view`).
3. *May this user see this field of it?* — identifying fields (names in every script, birth dates, places of
   origin below the province, family members and where they live, contact details, current location of a
   person in hiding, free text marked sensitive) need :attr:`Capability.VIEW_IDENTIFYING`
   (:func:`shows_identifying`, :func:`masked`).

Django's ``is_superuser`` grants nothing here: even the first administrator sees identifying data only
through a role that carries it, in compartments granted to them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from haven.accounts.models import Role


class Capability(StrEnum):
    VIEW_RECORDS = "view_records"
    VIEW_IDENTIFYING = "view_identifying"
    EDIT_RECORDS = "edit_records"
    DELETE_RECORDS = "delete_records"
    VIEW_CASES = "view_cases"
    EDIT_CASES = "edit_cases"
    OVERRIDE_CONSENT = "override_consent"
    IMPORT_DATA = "import_data"
    EXPORT_FULL = "export_full"
    EXPORT_PSEUDONYMISED = "export_pseudonymised"
    EXPORT_AGGREGATE = "export_aggregate"
    RUN_LINKAGE = "run_linkage"
    MERGE_RECORDS = "merge_records"
    RUN_ESTIMATION = "run_estimation"
    VIEW_AUDIT = "view_audit"
    MANAGE_USERS = "manage_users"
    MANAGE_KEYS = "manage_keys"
    BACKUP = "backup"
    USE_ADMIN = "use_admin"


C = Capability
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.ADMINISTRATOR: frozenset(
        {
            C.VIEW_RECORDS,
            C.VIEW_CASES,
            C.MANAGE_USERS,
            C.MANAGE_KEYS,
            C.BACKUP,
            C.VIEW_AUDIT,
            C.USE_ADMIN,
            C.EXPORT_AGGREGATE,
        }
    ),
    Role.DOCUMENTER: frozenset(
        {
            C.VIEW_RECORDS,
            C.VIEW_IDENTIFYING,
            C.EDIT_RECORDS,
            C.DELETE_RECORDS,
            C.IMPORT_DATA,
            C.EXPORT_FULL,
            C.EXPORT_PSEUDONYMISED,
            C.EXPORT_AGGREGATE,
            C.MERGE_RECORDS,
            C.USE_ADMIN,
        }
    ),
    Role.CASE_WORKER: frozenset(
        {
            C.VIEW_RECORDS,
            C.VIEW_IDENTIFYING,
            C.VIEW_CASES,
            C.EDIT_CASES,
            C.OVERRIDE_CONSENT,
            C.EXPORT_AGGREGATE,
            # Case workers bring their organisation's existing case spreadsheets (haven import --kind cases,
            # which needs IMPORT_DATA and EDIT_CASES in the compartment; no other role has both).
            C.IMPORT_DATA,
        }
    ),
    Role.ANALYST: frozenset(
        {
            C.VIEW_RECORDS,
            C.EXPORT_PSEUDONYMISED,
            C.EXPORT_AGGREGATE,
            C.RUN_LINKAGE,
            C.RUN_ESTIMATION,
            C.USE_ADMIN,
        }
    ),
    Role.AUDITOR: frozenset({C.VIEW_AUDIT}),
    Role.VIEWER: frozenset({C.VIEW_RECORDS, C.EXPORT_AGGREGATE, C.USE_ADMIN}),
}

# Confidentiality levels each role may see inside its granted compartments.
CLEARANCE: dict[str, frozenset[str]] = {
    Role.ADMINISTRATOR: frozenset({"public", "internal"}),
    Role.DOCUMENTER: frozenset({"public", "internal", "confidential", "secret"}),
    Role.CASE_WORKER: frozenset({"public", "internal", "confidential", "secret"}),
    Role.ANALYST: frozenset({"public", "internal", "confidential"}),
    Role.AUDITOR: frozenset(),
    Role.VIEWER: frozenset({"public", "internal"}),
}

# Actions that need a fresh re-authentication ("sudo mode") even inside a valid session.
SUDO_CAPABILITIES = frozenset(
    {
        C.DELETE_RECORDS,
        C.EXPORT_FULL,
        C.EXPORT_PSEUDONYMISED,
        C.EXPORT_AGGREGATE,
        C.MANAGE_KEYS,
        C.MANAGE_USERS,
        C.BACKUP,
        C.MERGE_RECORDS,
        C.OVERRIDE_CONSENT,
    }
)

# Identifying fields per model ("app_label.model"): masked for users without VIEW_IDENTIFYING.
IDENTIFYING_FIELDS: dict[str, frozenset[str]] = {
    "records.person": frozenset({"birth_date", "origin_detail", "sensitive_notes"}),
    "records.personname": frozenset({"full_name", "family_name", "given_name"}),
    "records.event": frozenset({"sensitive_notes"}),
    "records.biographicrelation": frozenset({"details"}),
    "records.clarificationnote": frozenset({"note"}),
    # Assistance cases (haven.cases): where a person hides and how to reach them, and every narrative.
    "cases.case": frozenset({"current_whereabouts", "safe_contact", "summary"}),
    "cases.journeystage": frozenset({"place_detail", "notes"}),
    "cases.consent": frozenset({"notes"}),
    "cases.consentoverride": frozenset({"reason"}),
    "cases.referral": frozenset({"notes"}),
    "cases.servicerecord": frozenset({"notes"}),
    "cases.followup": frozenset({"task"}),
    "cases.incident": frozenset({"narrative", "place_detail"}),
}

MASK = "•••"
SMALL_CELL = 5  # counts from 1 to SMALL_CELL - 1 single people out and are shown as "<5"

M = TypeVar("M", bound=Model)


def _role(user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    return getattr(user, "role", None)


def has(user: Any, capability: Capability) -> bool:
    role = _role(user)
    return role is not None and capability in ROLE_CAPABILITIES.get(role, frozenset())


def requires_mfa(user: Any) -> bool:
    """Two-factor authentication is required for every role that can see identifying data or control access."""
    return has(user, C.VIEW_IDENTIFYING) or has(user, C.MANAGE_USERS) or has(user, C.MANAGE_KEYS)


def requires_sudo(capability: Capability) -> bool:
    return capability in SUDO_CAPABILITIES


def compartment_ids(user: Any) -> frozenset[int]:
    """Return the ids of the compartments granted to ``user`` (cached on the user object for the request)."""
    if _role(user) is None:
        return frozenset()
    cached = getattr(user, "_haven_compartment_ids", None)
    if cached is None:
        cached = frozenset(user.grants.values_list("compartment_id", flat=True))
        user._haven_compartment_ids = cached
    return cached


def clearance(user: Any) -> frozenset[str]:
    role = _role(user)
    return CLEARANCE.get(role, frozenset()) if role else frozenset()


def visible(
    user: Any,
    queryset: QuerySet[M],
    *,
    compartment_field: str = "compartment",
    confidentiality_field: str | None = "confidentiality",
    capability: Capability = Capability.VIEW_RECORDS,
) -> QuerySet[M]:
    """Narrow ``queryset`` to what ``user`` may see: granted compartments and cleared confidentiality levels.

    ``capability`` is what lets the user read such records at all (VIEW_CASES for assistance cases).
    """
    if not has(user, capability):
        return queryset.none()
    q = queryset.filter(**{f"{compartment_field}_id__in": compartment_ids(user)})
    if confidentiality_field:
        q = q.filter(**{f"{confidentiality_field}__in": clearance(user)})
    return q


def can_view(user: Any, record: Any, *, capability: Capability = Capability.VIEW_RECORDS) -> bool:
    if not has(user, capability):
        return False
    if record.compartment_id not in compartment_ids(user):
        return False
    level = getattr(record, "confidentiality", None)
    return level is None or level in clearance(user)


def can_edit(user: Any, record: Any) -> bool:
    return has(user, C.EDIT_RECORDS) and can_view(user, record)


def can_delete(user: Any, record: Any) -> bool:
    return has(user, C.DELETE_RECORDS) and can_view(user, record)


def shows_identifying(user: Any, record: Any | None = None) -> bool:
    """May ``user`` see the identifying fields of ``record`` (or of records in general when None)?"""
    if not has(user, C.VIEW_IDENTIFYING):
        return False
    return record is None or can_view(user, _owner(record))


def _owner(record: Any) -> Any:
    # A name belongs to its person: the person's compartment and level decide.
    return getattr(record, "person", record) if record._meta.label_lower == "records.personname" else record


def identifying_fields(model: type[Model] | Model) -> frozenset[str]:
    return IDENTIFYING_FIELDS.get(model._meta.label_lower, frozenset())


def masked(user: Any, record: Any, field: str) -> Any:
    """Return the field's value if ``user`` may see it, otherwise the mask."""
    if field in identifying_fields(record) and not shows_identifying(user, record):
        return MASK
    return getattr(record, field)


def disclose_count(count: int) -> str:
    """Return a count safe to show: 1 to 4 would single people out and become "<5"."""
    return f"<{SMALL_CELL}" if 0 < count < SMALL_CELL else str(count)
