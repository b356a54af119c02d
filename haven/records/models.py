"""The events model of the HURIDOCS Events Standard Formats.

Person is one table whatever the role: a person is a victim through an Act, a perpetrator through an
Involvement, a source through an Information row, an intervening party through an Intervention. Each
record belongs to the organisation that documented it and to one compartment (need-to-know), and has a
confidentiality level. Identifying values (names in every script, birth dates, places of origin below the
province, free text marked sensitive) are stored encrypted; see haven.crypto.

Invariants live in the database: NOT NULL foreign keys (an act has a victim and an event), check
constraints (no chain of an event with itself, dates that make sense) and triggers where a check needs
another table (an involvement's event is its act's event); see migration 0002.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from haven.crypto.fields import EncryptedTextField
from haven.records.imprecise import ImpreciseDateDescriptor, imprecise_date_constraints, imprecise_date_fields


class Confidentiality(models.TextChoices):
    PUBLIC = "public", _("Public: may be published")
    INTERNAL = "internal", _("Internal: staff of the compartment")
    CONFIDENTIAL = "confidential", _("Confidential: named roles only")
    SECRET = "secret", _("Strictly confidential: never leaves the record")


def vocab(code: str) -> dict[str, str]:
    return {"vocabulary__code": code}


class RecordBase(models.Model):
    """What every documentation record carries: ownership, compartment, confidentiality and provenance."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    compartment = models.ForeignKey("accounts.Compartment", on_delete=models.PROTECT, related_name="+")
    confidentiality = models.CharField(
        max_length=16, choices=Confidentiality.choices, default=Confidentiality.CONFIDENTIAL
    )
    # The organisation's own id for the record (from its spreadsheet or database): re-importing the same
    # file finds the record again instead of duplicating it.
    external_id = models.CharField(max_length=100, blank=True)
    provenance = models.JSONField(
        default=dict, blank=True, help_text="Where the record came from (file, row, who, when)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Incremented on every change (optimistic locking)."
    )

    class Meta:
        abstract = True

    @classmethod
    def base_constraints(cls, name: str) -> list[models.BaseConstraint]:
        return [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~models.Q(external_id=""),
                name=f"{name}_external_id_unique_per_organisation",
            ),
            models.CheckConstraint(
                condition=models.Q(confidentiality__in=Confidentiality.values),
                name=f"{name}_confidentiality_valid",
            ),
        ]


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    OTHER = "X", _("Other")
    UNKNOWN = "U", _("Unknown")


class Person(RecordBase):
    """A person as one organisation recorded them (the same human in two lists is two rows, linked later)."""

    counting_unit = models.ForeignKey(
        "vocab.Term",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to=vocab("counting-units"),
    )
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    # Identifying: encrypted. The birth date is an imprecise date in text form ("1985", "c. 1985", "1985-03-02").
    birth_date = EncryptedTextField(_("date of birth"), null=True, blank=True)
    # Province of origin stays in clear for statistics (published figures give it); the county and any finer
    # detail identify a family and are encrypted.
    origin_province = models.ForeignKey(
        "places.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    origin_detail = EncryptedTextField(_("place of origin (county, town, address)"), null=True, blank=True)
    exit_year = models.PositiveSmallIntegerField(_("year of leaving North Korea"), null=True, blank=True)
    group_description = models.TextField(blank=True)
    number_of_persons_in_group = models.PositiveIntegerField(null=True, blank=True)
    sensitive_notes = EncryptedTextField(_("notes (sensitive)"), null=True, blank=True)

    class Meta:
        constraints = [
            *RecordBase.base_constraints("person"),
            models.CheckConstraint(condition=models.Q(sex__in=Sex.values), name="person_sex_valid"),
            models.CheckConstraint(
                condition=models.Q(exit_year__isnull=True)
                | models.Q(exit_year__gte=1945, exit_year__lte=2100),
                name="person_exit_year_range",
            ),
        ]
        indexes = [
            # The visible persons with the sex a search's facets count victims by, from the index alone
            # (PostgreSQL only: its migration, records 0004, leaves it out elsewhere). See Act.Meta.
            models.Index(
                fields=["compartment", "confidentiality"], include=["id", "sex"], name="person_visible"
            )
        ]

    def __str__(self) -> str:
        return f"Person {self.pk}"

    @property
    def primary_name(self) -> PersonName | None:
        names = list(self.names.all())
        return next((n for n in names if n.is_primary), names[0] if names else None)


class NameKind(models.TextChoices):
    HANGUL = "hangul", _("Hangul")
    ROMANIZED = "romanized", _("Romanized")
    HANJA = "hanja", _("Chinese characters (hanja)")
    CHINESE_ALIAS = "chinese_alias", _("Chinese alias")
    OTHER = "other", _("Other name")
    PSEUDONYM = "pseudonym", _("Pseudonym")


class NameSystem(models.TextChoices):
    """How the name is written: the Hangul orthography or the romanization system."""

    SOUTH = "south", _("South Korean orthography")
    NORTH = "north", _("North Korean orthography")
    RR = "rr", _("Revised Romanization")
    MR = "mr", _("McCune–Reischauer")
    NK = "nk", _("North Korean official romanization")
    PASSPORT = "passport", _("Passport / ad hoc")
    PINYIN = "pinyin", _("Pinyin")
    NONE = "", _("Not applicable / unknown")


class PersonName(models.Model):
    """One name of a person, in one script and system. All parts are encrypted; lookups use blind indexes."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="names")
    kind = models.CharField(max_length=16, choices=NameKind.choices)
    system = models.CharField(max_length=10, choices=NameSystem.choices, blank=True)
    full_name = EncryptedTextField(_("name as written"))
    family_name = EncryptedTextField(null=True, blank=True)
    given_name = EncryptedTextField(null=True, blank=True)
    is_primary = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(is_primary=True), name="one_primary_name_per_person"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=NameKind.values), name="personname_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name


class PersonIndex(models.Model):
    """Blind indexes of a person's identifying values, for exact lookup without clear text.

    Names contribute their phonetic keys (any spelling of the same name gives the same key: 리설주, 이설주,
    Ri Sol-ju, Lee Seol-ju), so "find this person" works across scripts without decrypting every row.
    """

    class Kind(models.TextChoices):
        NAME_EXACT = "name_exact"
        NAME_FULL = "name_full"
        SURNAME = "surname"
        GIVEN = "given"
        BIRTH_YEAR = "birth_year"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="indexes")
    name = models.ForeignKey(
        PersonName, on_delete=models.CASCADE, null=True, blank=True, related_name="indexes"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    index = models.CharField(max_length=32)

    class Meta:
        indexes = [models.Index(fields=["index", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} index of person {self.person_id}"


_event_date = imprecise_date_fields("date")


class Event(RecordBase):
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description (non-identifying narrative)"), blank=True)
    sensitive_notes = EncryptedTextField(_("notes (sensitive)"), null=True, blank=True)
    date_start, date_end, date_precision = _event_date
    date = ImpreciseDateDescriptor("date")
    location = models.ForeignKey(
        "places.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    violation_status = models.ForeignKey(
        "vocab.Term",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to=vocab("violation-status"),
    )
    monitoring_status = models.ForeignKey(
        "vocab.Term",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to=vocab("monitoring-status"),
    )
    impact = models.TextField(blank=True)
    remarks = models.TextField(blank=True)

    class Meta:
        constraints = [*RecordBase.base_constraints("event"), *imprecise_date_constraints("date", "event")]
        indexes = [
            # The visible events with what a search counts and sorts them by, read from the index alone
            # (PostgreSQL; SQLite has it without the INCLUDE columns): a search's matches among 175,000 visible
            # events took 330 ms reading the table, 180 ms from this index (benchmarks/bench_load.py).
            models.Index(
                fields=["compartment", "confidentiality"],
                include=["id", "date_start", "date_end", "location", "organisation"],
                name="event_visible",
            )
        ]

    def __str__(self) -> str:
        return self.title


_act_date = imprecise_date_fields("date")


class Act(RecordBase):
    """One act against one victim within one event (HURIDOCS Act)."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="acts")
    victim = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="acts_as_victim")
    act_type = models.ForeignKey(
        "vocab.Term", on_delete=models.PROTECT, related_name="+", limit_choices_to=vocab("act-types")
    )
    methods = models.ManyToManyField(
        "vocab.Term", blank=True, related_name="+", limit_choices_to=vocab("methods")
    )
    date_start, date_end, date_precision = _act_date
    date = ImpreciseDateDescriptor("date")
    location = models.ForeignKey(
        "places.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    facility = models.ForeignKey(
        "places.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Detention facility where the act took place, if any.",
    )
    stated_reason = models.TextField(blank=True)
    victim_age = models.PositiveSmallIntegerField(_("age of the victim at the time"), null=True, blank=True)
    victim_status_end = models.ForeignKey(
        "vocab.Term",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to=vocab("victim-status"),
    )
    victim_characteristics = models.ManyToManyField(
        "vocab.Term", blank=True, related_name="+", limit_choices_to=vocab("victim-characteristics")
    )
    attribution = models.ForeignKey(
        "vocab.Term",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to=vocab("attribution"),
    )
    physical_consequences = models.TextField(blank=True)
    psychological_consequences = models.TextField(blank=True)

    class Meta:
        constraints = [
            *RecordBase.base_constraints("act"),
            *imprecise_date_constraints("date", "act"),
            models.CheckConstraint(
                condition=models.Q(victim_age__isnull=True) | models.Q(victim_age__lte=120),
                name="act_victim_age_range",
            ),
        ]
        indexes = [
            models.Index(fields=["act_type", "date_start"]),
            # The visible acts with what a search's facets count (PostgreSQL only: its migration, records 0004,
            # leaves it out elsewhere). The facets of a common word hash every visible act, its victim and every
            # visible involvement, read from these indexes instead of the wide tables: 13-20 % less time (the
            # counting statement on the large benchmark instance, timed in process with index-only scans on and off).
            models.Index(
                fields=["compartment", "confidentiality"],
                include=["event", "act_type", "victim", "victim_age"],
                name="act_visible",
            ),
        ]

    def __str__(self) -> str:
        return f"Act {self.pk}"


class Involvement(RecordBase):
    """One perpetrator's part in one act. Its event must be the act's event (a database trigger checks)."""

    act = models.ForeignKey(Act, on_delete=models.PROTECT, related_name="involvements")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="involvements")
    perpetrator = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="involvements")
    degree = models.ForeignKey(
        "vocab.Term",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=vocab("involvement-degrees"),
    )
    perpetrator_types = models.ManyToManyField(
        "vocab.Term", blank=True, related_name="+", limit_choices_to=vocab("perpetrator-types")
    )
    latest_status = models.TextField(blank=True)
    remarks = models.TextField(blank=True)

    class Meta:
        constraints = [
            *RecordBase.base_constraints("involvement"),
            models.UniqueConstraint(
                fields=["act", "perpetrator"], name="involvement_one_per_perpetrator_per_act"
            ),
        ]
        indexes = [
            models.Index(  # see Act.Meta
                fields=["compartment", "confidentiality"], include=["id", "event"], name="involvement_visible"
            )
        ]

    def __str__(self) -> str:
        return f"Involvement {self.pk}: person {self.perpetrator_id} in act {self.act_id}"


class Consent(models.TextChoices):
    FULL = "full", _("May be used and quoted")
    ANONYMOUS = "anonymous", _("May be used without identifying the source")
    INTERNAL = "internal", _("Internal use only")
    NONE = "none", _("No consent / withdrawn")
    UNKNOWN = "unknown", _("Not recorded")


_info_date = imprecise_date_fields("date of source material")


class Information(RecordBase):
    """One source's information about one event: a testimony, document or report (HURIDOCS Information)."""

    source = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="information_given")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="information")
    related_person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="information_about"
    )
    connection = models.ForeignKey(
        "vocab.Term", on_delete=models.PROTECT, related_name="+", limit_choices_to=vocab("source-connections")
    )
    source_types = models.ManyToManyField(
        "vocab.Term", blank=True, related_name="+", limit_choices_to=vocab("source-types")
    )
    language = models.ForeignKey(
        "vocab.Term",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to=vocab("languages"),
    )
    reliability = models.ForeignKey(
        "vocab.Term",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to=vocab("reliability"),
    )
    date_start, date_end, date_precision = _info_date
    date = ImpreciseDateDescriptor("date")
    interviewer = models.CharField(max_length=200, blank=True)
    consent = models.CharField(max_length=10, choices=Consent.choices, default=Consent.UNKNOWN)
    remarks = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "information"
        constraints = [
            *RecordBase.base_constraints("information"),
            *imprecise_date_constraints("date", "information"),
            models.CheckConstraint(
                condition=models.Q(consent__in=Consent.values), name="information_consent_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Information {self.pk}: source {self.source_id} on event {self.event_id}"


_intervention_date = imprecise_date_fields("date")


class Intervention(RecordBase):
    intervening_party = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="interventions")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="interventions")
    victim = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="interventions_for"
    )
    intervention_type = models.ForeignKey(
        "vocab.Term", on_delete=models.PROTECT, related_name="+", limit_choices_to=vocab("intervention-types")
    )
    date_start, date_end, date_precision = _intervention_date
    date = ImpreciseDateDescriptor("date")
    parties_requested = models.TextField(blank=True)
    response = models.TextField(blank=True)
    impact = models.TextField(blank=True)
    remarks = models.TextField(blank=True)

    class Meta:
        constraints = [
            *RecordBase.base_constraints("intervention"),
            *imprecise_date_constraints("date", "intervention"),
        ]

    def __str__(self) -> str:
        return f"Intervention {self.pk} on event {self.event_id}"


class ChainOfEvents(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="chains_from")
    related_event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="chains_to")
    chain_type = models.ForeignKey(
        "vocab.Term", on_delete=models.PROTECT, related_name="+", limit_choices_to=vocab("chain-types")
    )
    remarks = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "chains of events"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(event=models.F("related_event")), name="chain_not_with_itself"
            ),
            models.UniqueConstraint(fields=["event", "related_event"], name="chain_pair_unique"),
        ]

    def __str__(self) -> str:
        return f"Event {self.event_id} → event {self.related_event_id}"


_relation_date = imprecise_date_fields("date")


class BiographicRelation(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relations_from")
    related_person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relations_to")
    relationship = models.ForeignKey(
        "vocab.Term", on_delete=models.PROTECT, related_name="+", limit_choices_to=vocab("relationship-types")
    )
    date_start, date_end, date_precision = _relation_date
    date = ImpreciseDateDescriptor("date")
    # Where a relative lives (e.g. family still in North Korea) identifies them: encrypted.
    details = EncryptedTextField(_("details (sensitive)"), null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(person=models.F("related_person")), name="relation_not_with_oneself"
            ),
            models.UniqueConstraint(
                fields=["person", "related_person", "relationship"], name="relation_unique"
            ),
            *imprecise_date_constraints("date", "relation"),
        ]

    def __str__(self) -> str:
        return f"Person {self.person_id} → person {self.related_person_id}"


class ClarificationNote(models.Model):
    """A note attached to one field value of one record (HURIDOCS clari_notes): why a value is uncertain."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    field_name = models.CharField(max_length=64)
    note = EncryptedTextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"Note on {self.content_type_id}:{self.object_id}.{self.field_name}"
