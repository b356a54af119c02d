"""The audit log: one append-only, hash-chained table of who did (or tried to do) what, and when.

Entries are written only by :mod:`haven.audit.services` (``audit_record``, ``audit_refusal``), which number
them without gaps (``seq``) and chain them (``entry_hash`` covers ``prev_hash``); see :mod:`haven.audit.chain`.
Nothing ever updates or deletes an entry: the model and its queryset refuse, and so do database triggers on
SQLite and PostgreSQL (migration 0002), and ``haven audit verify`` finds whatever got past them.

An entry holds no clear text of anything sensitive: the target is named by type and id, and changes to
sensitive fields appear only as keyed HMACs (:func:`haven.audit.redaction.diff_for_audit`).
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """An attempt to change or remove an audit entry, or to write one other than through the services."""


class AuditAction(models.IntegerChoices):
    """What an entry records. Codes are grouped by hundreds per area, with gaps left for growth.

    The codes are stored and chained: never renumber or reuse one. Add new codes in the gaps of their area.
    """

    # 100–199 authentication and sessions
    LOGIN = 100, _("logged in")
    LOGIN_FAILED = 101, _("login failed")
    LOGOUT = 102, _("logged out")
    LOCKOUT = 103, _("locked out after repeated failures")
    SESSION_ENDED = 110, _("session ended (timeout or terminated)")
    SESSION_CLIENT_CHANGED = 111, _("session used from another client")
    REAUTHENTICATED = 120, _("re-authenticated")
    MFA_ENABLED = 130, _("two-factor authentication enabled")
    MFA_DISABLED = 131, _("two-factor authentication disabled")
    MFA_FAILED = 132, _("two-factor code refused")
    PASSWORD_CHANGED = 140, _("password changed")
    PASSWORD_RESET = 141, _("password reset")
    API_TOKEN_CREATED = 150, _("API token created")
    API_TOKEN_REVOKED = 151, _("API token revoked")

    # 200–299 documentation records (persons, events, acts, sources, ...)
    RECORD_VIEWED = 200, _("record viewed")
    RECORD_SEARCHED = 201, _("records searched")
    RECORD_CREATED = 210, _("record created")
    RECORD_CHANGED = 211, _("record changed")
    RECORD_DELETED = 212, _("record deleted")
    RECORD_MERGED = 220, _("records merged")
    RECORD_UNMERGED = 221, _("merge undone")

    # 300–399 assistance cases
    CASE_VIEWED = 300, _("case viewed")
    CASE_SEARCHED = 301, _("cases searched")
    CASE_CREATED = 310, _("case created")
    CASE_CHANGED = 311, _("case changed")
    CASE_CLOSED = 312, _("case closed")
    CASE_REOPENED = 313, _("case reopened")
    CASE_DELETED = 314, _("case deleted")
    CONSENT_RECORDED = 320, _("consent recorded")
    CONSENT_WITHDRAWN = 321, _("consent withdrawn")
    CONSENT_OVERRIDDEN = 322, _("consent overridden")
    REFERRAL_MADE = 330, _("referral made")
    REFERRAL_CHANGED = 331, _("referral status changed")

    # 400–499 data leaving or entering Haven
    EXPORTED = 400, _("data exported")
    REPORT_GENERATED = 401, _("report generated")
    IMPORTED = 410, _("data imported")

    # 500–599 administration: users, access, keys, backups, the audit log itself
    USER_CREATED = 500, _("user created")
    USER_DEACTIVATED = 501, _("user deactivated")
    ROLE_CHANGED = 510, _("role changed")
    GRANT_ADDED = 511, _("compartment granted")
    GRANT_REMOVED = 512, _("compartment grant removed")
    KEY_ROTATED = 520, _("key rotated or re-wrapped")
    BACKUP_MADE = 530, _("backup made")
    BACKUP_RESTORED = 531, _("backup restored")
    AUDIT_VIEWED = 540, _("audit log viewed")

    # 600–699 evidence files and their chain of custody
    EVIDENCE_ADDED = 600, _("evidence added")
    EVIDENCE_VIEWED = 601, _("evidence viewed")
    EVIDENCE_DOWNLOADED = 602, _("evidence downloaded")

    # 700–799 record linkage and estimation
    LINKAGE_RUN = 700, _("linkage run")
    LINKAGE_REVIEWED = 701, _("linkage candidate reviewed")
    ESTIMATION_RUN = 710, _("estimation run")

    # 900–999 refusals: every one is recorded (written by audit_refusal, so it outlives a rollback)
    ACCESS_REFUSED = 900, _("access refused")
    REAUTHENTICATION_REQUIRED = 901, _("refused until re-authentication")
    RATE_LIMITED = 910, _("refused: too many requests")

    @property
    def area(self) -> int:
        """Return the hundred this code belongs to (100 authentication, 200 records, ... 900 refusals)."""
        return self.value // 100 * 100

    @property
    def is_refusal(self) -> bool:
        return self.value >= 900


AREAS: dict[int, str] = {
    100: "authentication",
    200: "records",
    300: "cases",
    400: "exports and imports",
    500: "administration",
    600: "evidence",
    700: "linkage and estimation",
    900: "refusals",
}


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Read-only: bulk writes would bypass the chain, and updates and deletes are what the log forbids."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit entries cannot be updated")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("audit entries cannot be deleted")

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit entries are written one at a time by haven.audit.services")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit entries cannot be updated")

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit entries cannot be updated")


class AuditEntry(models.Model):
    """One event, at position ``seq`` of the chain. Fields are what :mod:`haven.audit.chain` hashes."""

    seq = models.PositiveBigIntegerField(_("entry number"), unique=True, editable=False)
    created_at = models.DateTimeField(_("when"), editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,  # a user with a history is deactivated, never deleted
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # covered by the (actor, created_at) index
        editable=False,
    )
    actor_label = models.CharField(
        _("user name"),
        max_length=150,
        blank=True,
        editable=False,
        help_text=_("As it was when the entry was written."),
    )
    action = models.PositiveSmallIntegerField(_("action"), choices=AuditAction.choices, editable=False)
    target_type = models.CharField(_("target type"), max_length=100, blank=True, editable=False)
    target_id = models.CharField(_("target id"), max_length=64, blank=True, editable=False)
    # A plain number, not a foreign key: entries outlive the compartments they mention.
    compartment_id = models.PositiveBigIntegerField(_("compartment"), null=True, blank=True, editable=False)
    details = models.JSONField(_("details"), default=dict, blank=True, editable=False)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    entry_hash = models.CharField(max_length=64, editable=False)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["seq"]
        # Entries can be viewed; nobody can be given a permission to add, change or delete them.
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["target_type", "target_id", "created_at"], name="audit_target_time"),
            models.Index(fields=["actor", "created_at"], name="audit_actor_time"),
            models.Index(fields=["action", "created_at"], name="audit_action_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="audit_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_action_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Only the chain's append (haven.audit.chain.append) may insert, and nothing may update.
        if not self._state.adding or not getattr(self, "_chain_append", False):
            raise AppendOnlyError(
                "audit entries are written only through haven.audit.services.audit_record / audit_refusal, "
                "and are never changed"
            )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit entries cannot be deleted")

    @property
    def target_label(self) -> str:
        return f"{self.target_type}:{self.target_id}" if self.target_id else self.target_type
