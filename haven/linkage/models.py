"""Record linkage in the database: runs, candidate pairs and clusters, reviewers' decisions, and merges.

Nothing here holds a name, a birth date or a place of origin in clear. A run stores what the model found
about pairs of :class:`~haven.records.models.Person` rows (probabilities, and per comparison the agreement
level reached and its weight in bits); the people themselves stay where they are, each with its own
organisation, compartment and provenance. The trained model (which lists frequent name keys with their
frequencies) is stored encrypted.

**Merges never touch a Person.** An :class:`Identity` groups persons taken to be one human through
:class:`Membership` rows. Every change of grouping is a :class:`Merge` operation, of kind ``merge`` (a new
identity takes in every member of the identities and persons it joins, whose memberships are closed) or
``undo`` (the memberships a merge opened are closed and the ones it closed are opened again, in the same
identities as before). Rows are only ever added, and a membership only ever closed, so the grouping at any
moment can be read back from the history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from haven.crypto.fields import EncryptedTextField


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


class LinkageRun(models.Model):
    """One linkage of the persons of some compartments, as one user was allowed to see them."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED)
    compartments = models.ManyToManyField("accounts.Compartment", related_name="+")
    settings_name = models.CharField(max_length=16, default="korean")
    threshold = models.FloatField(help_text="Match probability at which a pair starts a cluster.")
    seed = models.PositiveIntegerField()
    backend = models.CharField(max_length=12, default="duckdb")
    model_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Run whose trained model was reused instead of training a new one.",
    )
    job_id = models.PositiveBigIntegerField(null=True, blank=True, help_text="haven.jobs Job that ran it.")
    # The trained Splink model (settings and m/u parameters, frequent name keys): sensitive, encrypted.
    model_json = EncryptedTextField(blank=True, default="")
    # comparison -> {gamma: label}: how to read the evidence of this run's pairs.
    level_labels = models.JSONField(default=dict, blank=True)
    person_count = models.PositiveIntegerField(default=0)
    pair_count = models.PositiveIntegerField(default=0)
    cluster_count = models.PositiveIntegerField(default=0, help_text="Clusters of two or more persons.")
    labels_accepted = models.PositiveIntegerField(default=0)
    labels_rejected = models.PositiveIntegerField(default=0)
    timings = models.JSONField(default=dict, blank=True)
    # For the user: a clear sentence, never a traceback or a value.
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold__gt=0) & models.Q(threshold__lt=1), name="linkagerun_threshold"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=RunStatus.values), name="linkagerun_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Linkage run {self.pk} ({self.status})"


class ProposedCluster(models.Model):
    """A group of two or more persons the run's clustering put together."""

    run = models.ForeignKey(LinkageRun, on_delete=models.CASCADE, related_name="clusters")
    number = models.PositiveIntegerField(help_text="The engine's cluster id within the run.")
    size = models.PositiveIntegerField()
    # Over the scored pairs inside the cluster: the weakest link and the mean (uncertainty ordering).
    min_probability = models.FloatField()
    mean_probability = models.FloatField()
    members = models.ManyToManyField("records.Person", through="ClusterMember", related_name="+")

    class Meta:
        ordering = ["min_probability", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="linkage_cluster_number_unique"),
            models.CheckConstraint(condition=models.Q(size__gte=2), name="linkage_cluster_size"),
        ]
        indexes = [models.Index(fields=["run", "min_probability"], name="linkage_cluster_queue")]

    def __str__(self) -> str:
        return f"Cluster {self.number} of run {self.run_id}"


class ClusterMember(models.Model):
    cluster = models.ForeignKey(ProposedCluster, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey("records.Person", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cluster", "person"], name="linkage_cluster_member_unique")
        ]

    def __str__(self) -> str:
        return f"Person {self.person_id} in cluster {self.cluster_id}"


class CandidatePair(models.Model):
    """Two persons the model scored, with why: per comparison the agreement level and its weight.

    ``evidence`` maps each comparison (surname, given_name, birth_year, sex, origin, exit_year) to
    ``[gamma, weight]``: the level reached (-1 = a value is missing; higher = closer agreement; labels in
    the run's ``level_labels``) and its contribution to the match weight in bits. No value is stored.
    """

    run = models.ForeignKey(LinkageRun, on_delete=models.CASCADE, related_name="pairs")
    left = models.ForeignKey("records.Person", on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey("records.Person", on_delete=models.CASCADE, related_name="+")
    match_probability = models.FloatField()
    match_weight = models.FloatField()
    # |probability - 0.5|: the queue shows the least certain pairs first.
    uncertainty = models.FloatField()
    evidence = models.JSONField(default=dict)
    cluster = models.ForeignKey(
        ProposedCluster, on_delete=models.SET_NULL, null=True, blank=True, related_name="pairs"
    )

    class Meta:
        ordering = ["uncertainty", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "left", "right"], name="linkage_pair_unique"),
            models.CheckConstraint(condition=models.Q(left__lt=models.F("right")), name="linkage_pair_order"),
        ]
        indexes = [models.Index(fields=["run", "uncertainty"], name="linkage_pair_queue")]

    def __str__(self) -> str:
        return f"Pair {self.left_id}–{self.right_id} of run {self.run_id}"


class Identity(models.Model):
    """One human as the reviewers grouped them: the persons whose membership in it is open."""

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"Identity {self.pk}"


class MergeKind(models.TextChoices):
    MERGE = "merge", _("merge")
    UNDO = "undo", _("undo")


class Merge(models.Model):
    """One change of grouping: a merge into a new identity, or the undoing of such a merge."""

    kind = models.CharField(max_length=8, choices=MergeKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The identity a merge created, or the one an undo dissolved.
    identity = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="merges")
    undoes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="undone_by"
    )
    run = models.ForeignKey(LinkageRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # A reviewer's note may say why two people are one: encrypted.
    note = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="merge") & models.Q(undoes__isnull=True))
                | (models.Q(kind="undo") & models.Q(undoes__isnull=False)),
                name="linkage_merge_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"


class Membership(models.Model):
    """A person's place in an identity, from the operation that opened it to the one that closed it."""

    identity = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="memberships")
    # PROTECT: a merged person cannot vanish from under its identity; undo the merge first.
    person = models.ForeignKey("records.Person", on_delete=models.PROTECT, related_name="+")
    opened_by = models.ForeignKey(Merge, on_delete=models.PROTECT, related_name="opened")
    closed_by = models.ForeignKey(
        Merge, on_delete=models.PROTECT, null=True, blank=True, related_name="closed"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(closed_by__isnull=True),
                name="linkage_one_open_membership_per_person",
            )
        ]
        indexes = [models.Index(fields=["identity", "closed_by"], name="linkage_membership_open")]

    def __str__(self) -> str:
        return f"Person {self.person_id} in identity {self.identity_id}"


class Decision(models.TextChoices):
    ACCEPT = "accept", _("same person")
    REJECT = "reject", _("different people")
    UNSURE = "unsure", _("unsure")


class ReviewDecision(models.Model):
    """A reviewer's judgement on two persons (kind ``pair``) or on a proposed cluster (kind ``cluster``).

    Pair decisions are the labels later runs learn from. A new decision on the same two persons (or
    cluster) supersedes the current one, and undoing a merge supersedes the decisions that made it; the
    old rows stay as history (``current`` False).
    """

    class Kind(models.TextChoices):
        PAIR = "pair", _("pair")
        CLUSTER = "cluster", _("cluster")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    left = models.ForeignKey(
        "records.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    right = models.ForeignKey(
        "records.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    cluster = models.ForeignKey(
        ProposedCluster, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions"
    )
    pair = models.ForeignKey(
        CandidatePair, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions"
    )
    run = models.ForeignKey(LinkageRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decision = models.CharField(max_length=8, choices=Decision.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)
    note = EncryptedTextField(blank=True, default="")
    merge = models.ForeignKey(
        Merge, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    current = models.BooleanField(default=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="pair", left__isnull=False, right__isnull=False, left__lt=models.F("right"))
                )
                | models.Q(kind="cluster", left__isnull=True, right__isnull=True),
                name="linkage_decision_shape",
            ),
            models.CheckConstraint(
                condition=models.Q(decision__in=Decision.values), name="linkage_decision_valid"
            ),
            models.UniqueConstraint(
                fields=["left", "right"],
                condition=models.Q(current=True, kind="pair"),
                name="linkage_one_current_pair_decision",
            ),
            models.UniqueConstraint(
                fields=["cluster"],
                condition=models.Q(current=True, kind="cluster"),
                name="linkage_one_current_cluster_decision",
            ),
        ]
        indexes = [models.Index(fields=["left", "right", "current"], name="linkage_decision_pair")]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.decided_by_id}"
