"""Reference datasets, their versions, and the rows of each version.

A dataset is described by its metadata file (``data/<name>.yaml``); each load of a file (the one shipped with
Haven, or a newer one as its publisher published it) is a new :class:`ReferenceVersion`, never an edit of an
old one, so a figure cited from an earlier version can always be shown again. One version per dataset is
current. Rows hold the cells as exact strings, so an export reproduces the file's content.
Written only by :mod:`haven.reference.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class ReferenceDataset(models.Model):
    """A published statistical series: who publishes it, where, under what terms, and how to read it."""

    name = models.SlugField(_("name"), max_length=64, unique=True)
    title_en = models.CharField(_("title (English)"), max_length=300)
    title_ko = models.CharField(_("title (Korean)"), max_length=300)
    publisher = models.CharField(_("publisher"), max_length=300)
    source_url = models.CharField(_("source address"), max_length=500)
    sources = models.JSONField(_("further sources"), default=list, blank=True)
    licence = models.CharField(_("licence"), max_length=300, blank=True)
    caveats = models.JSONField(_("caveats"), default=list, blank=True)
    # [{"name", "type", "required", "unit", "description", "aliases", "choices"}, ...]
    columns = models.JSONField(_("columns"), default=list)
    # {"key": [...], "checks": [...], "filter": {...}, "formats": [...], "json": "rows" | "sum-by-year"}
    spec = models.JSONField(_("file rules"), default=dict)
    created_at = models.DateTimeField(_("created"), default=now, editable=False)
    updated_at = models.DateTimeField(_("metadata updated"), default=now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("reference dataset")
        verbose_name_plural = _("reference datasets")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return self.name


class ReferenceVersion(models.Model):
    """One load of a dataset's file. Versions are numbered 1, 2, ... per dataset and never changed."""

    class Origin(models.TextChoices):
        SHIPPED = "shipped", _("shipped with Haven")
        FILE = "file", _("loaded from a publisher's file")

    dataset = models.ForeignKey(ReferenceDataset, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    retrieved_on = models.DateField(_("retrieved on"), null=True, blank=True)
    source_file_name = models.CharField(_("file"), max_length=255)
    source_format = models.CharField(_("file format"), max_length=16)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    columns = models.JSONField(_("columns"), default=list)  # the column names, in order, of this version
    row_count = models.PositiveIntegerField(_("rows"))
    loaded_at = models.DateTimeField(_("loaded at"), default=now, editable=False)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    is_current = models.BooleanField(_("current"), default=False)

    class Meta:
        ordering = ["dataset", "number"]
        verbose_name = _("reference dataset version")
        verbose_name_plural = _("reference dataset versions")
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="reference_version_number_unique"),
            models.UniqueConstraint(
                fields=["dataset"],
                condition=models.Q(is_current=True),
                name="reference_one_current_version",
            ),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="reference_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.name} v{self.number}"


class ReferenceRow(models.Model):
    """One row of a version: ``{column: exact string}``, at its position in the file."""

    version = models.ForeignKey(ReferenceVersion, on_delete=models.CASCADE, related_name="rows")
    index = models.PositiveIntegerField(_("row"))
    values = models.JSONField(_("values"))

    class Meta:
        ordering = ["version", "index"]
        verbose_name = _("reference dataset row")
        verbose_name_plural = _("reference dataset rows")
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["version", "index"], name="reference_row_index_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.version} row {self.index}"
