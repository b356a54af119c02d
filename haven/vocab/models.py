from __future__ import annotations

from django.db import models
from django.utils.translation import get_language


class Vocabulary(models.Model):
    """A controlled vocabulary (a HURIDOCS micro-thesaurus or one of Haven's own), loaded from a data file."""

    code = models.SlugField(max_length=48, unique=True)
    name_en = models.CharField(max_length=200)
    name_ko = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    source = models.TextField()

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "vocabularies"

    def __str__(self) -> str:
        return self.code


class Term(models.Model):
    """One term of a vocabulary. Codes are stable: never reused or renumbered; retired terms stay."""

    vocabulary = models.ForeignKey(Vocabulary, on_delete=models.PROTECT, related_name="terms")
    code = models.CharField(max_length=48)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    # "/01/0201/020111/" — the codes from the root, so a term's descendants are one prefix query.
    path = models.CharField(max_length=500, db_index=True)
    depth = models.PositiveSmallIntegerField()
    label_en = models.CharField(max_length=300)
    label_ko = models.CharField(max_length=300)
    origin = models.CharField(max_length=16, default="huridocs")
    notes = models.TextField(blank=True)
    aliases = models.JSONField(default=list, blank=True)
    inverse_code = models.CharField(max_length=48, blank=True)
    retired = models.BooleanField(default=False)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["vocabulary", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["vocabulary", "code"], name="term_code_unique_in_vocabulary"),
            models.CheckConstraint(condition=~models.Q(parent=models.F("id")), name="term_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    @property
    def label(self) -> str:
        return self.label_ko if (get_language() or "en").startswith("ko") and self.label_ko else self.label_en
