from __future__ import annotations

from django.db import models
from django.utils.translation import get_language


class LocationKind(models.TextChoices):
    COUNTRY = "country"
    PROVINCE = "province"
    SPECIAL_CITY = "special_city"
    PREFECTURE = "prefecture"
    COUNTY = "county"
    CITY = "city"
    DISTRICT = "district"
    SITE = "site"
    BORDER_CROSSING = "border_crossing"
    DETENTION_FACILITY = "detention_facility"
    EMBASSY = "embassy"
    CONSULATE = "consulate"
    UNHCR_OFFICE = "unhcr_office"
    SHELTER = "shelter"
    TRANSIT_POINT = "transit_point"
    RIVER = "river"


class Location(models.Model):
    """A place in the gazetteer: country > province > county/city > site, with names in several scripts."""

    code = models.CharField(max_length=64, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    # "/CN/CN-JL/CN-JL-YANBIAN/" — codes from the root, so "everything inside a place" is one prefix query.
    path = models.CharField(max_length=400, db_index=True)
    kind = models.CharField(max_length=24, choices=LocationKind.choices)
    name_en = models.CharField(max_length=200)
    name_ko = models.CharField(max_length=200, blank=True)
    name_zh = models.CharField(max_length=200, blank=True)
    variants = models.JSONField(default=list, blank=True, help_text="Other spellings and romanizations.")
    latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    approximate = models.BooleanField(default=False, help_text="Coordinates are approximate.")
    facility_type = models.ForeignKey(
        "vocab.Term",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary__code": "facility-types"},
    )

    class Meta:
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True) | models.Q(latitude__gte=-90, latitude__lte=90),
                name="location_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True)
                | models.Q(longitude__gte=-180, longitude__lte=180),
                name="location_longitude_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")), name="location_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_en} ({self.name_ko})" if self.name_ko else self.name_en

    @property
    def name(self) -> str:
        return self.name_ko if (get_language() or "en").startswith("ko") and self.name_ko else self.name_en
