"""Writes to the events model. Each service runs in one transaction.

The security core adds the permission check and the audit entry to each of these; callers (views, import,
demo) go through them rather than saving models directly, so that blind indexes are always in step with
the encrypted values they index.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from haven.accounts.models import Compartment, Organisation
from haven.analytics.korean import name_keys
from haven.crypto.keyring import blind_index
from haven.lib.dates import ImpreciseDate
from haven.places.models import Location
from haven.records.models import (
    Act,
    ClarificationNote,
    Confidentiality,
    Consent,
    Event,
    Information,
    Involvement,
    NameKind,
    Person,
    PersonIndex,
    PersonName,
    Sex,
)
from haven.vocab.models import Term, Vocabulary

_NOT_NAME_CHARS = re.compile(r"[\s\-‐‑·.,'’`]+")


def normalize_name_exact(text: str) -> str:
    """Return the form under which two spellings count as the *same writing* of a name."""
    return _NOT_NAME_CHARS.sub("", unicodedata.normalize("NFKC", text).casefold())


@dataclass(frozen=True)
class NameInput:
    full_name: str
    kind: str = NameKind.HANGUL
    system: str = ""
    family_name: str | None = None
    given_name: str | None = None
    is_primary: bool = False


def name_index_pairs(full_name: str) -> list[tuple[str, str]]:
    """Return (kind, blind index) pairs for one name: its exact form and its script-independent keys."""
    pairs = [(PersonIndex.Kind.NAME_EXACT.value, blind_index(normalize_name_exact(full_name), "name.exact"))]
    keys = name_keys(full_name)
    pairs += [(PersonIndex.Kind.NAME_FULL.value, blind_index(k, "name.full")) for k in sorted(keys.full_keys)]
    pairs += [
        (PersonIndex.Kind.SURNAME.value, blind_index(s, "name.surname")) for s in sorted(keys.surname_ids)
    ]
    if keys.given_key:
        pairs.append((PersonIndex.Kind.GIVEN.value, blind_index(keys.given_key, "name.given")))
    return pairs


def birth_year_index(year: int) -> str:
    return blind_index(str(year), "birth_year")


def person_index_rows(person: Person, names: Iterable[PersonName]) -> list[PersonIndex]:
    rows = [
        PersonIndex(person=person, name=name, kind=kind, index=index)
        for name in names
        for kind, index in name_index_pairs(name.full_name)
    ]
    if person.birth_date:
        year = ImpreciseDate.parse(person.birth_date).year
        if year:
            rows.append(
                PersonIndex(person=person, kind=PersonIndex.Kind.BIRTH_YEAR, index=birth_year_index(year))
            )
    return rows


@transaction.atomic
def person_create(
    *,
    organisation: Organisation,
    compartment: Compartment,
    names: list[NameInput],
    sex: str = "U",
    birth_date: ImpreciseDate | None = None,
    origin_province: Location | None = None,
    origin_detail: str | None = None,
    exit_year: int | None = None,
    confidentiality: str = Confidentiality.CONFIDENTIAL,
    external_id: str = "",
    provenance: dict[str, object] | None = None,
    created_by: object | None = None,
    counting_unit: object | None = None,
) -> Person:
    person = Person.objects.create(
        counting_unit=counting_unit,
        organisation=organisation,
        compartment=compartment,
        sex=sex,
        birth_date=str(birth_date) if birth_date and birth_date.is_known else None,
        origin_province=origin_province,
        origin_detail=origin_detail,
        exit_year=exit_year,
        confidentiality=confidentiality,
        external_id=external_id,
        provenance=provenance or {},
        created_by=created_by,
    )
    saved = person_names_write(person, names)
    PersonIndex.objects.bulk_create(person_index_rows(person, saved))
    return person


def person_names_write(person: Person, names: list[NameInput]) -> list[PersonName]:
    """Store a person's names (the first becomes primary when none is); the caller maintains the indexes."""
    if names and not any(n.is_primary for n in names):
        names = [NameInput(**{**names[0].__dict__, "is_primary": True}), *names[1:]]
    return [
        PersonName.objects.create(
            person=person,
            kind=n.kind,
            system=n.system,
            full_name=n.full_name,
            family_name=n.family_name,
            given_name=n.given_name,
            is_primary=n.is_primary,
        )
        for n in names
    ]


@transaction.atomic
def person_reindex(person: Person) -> None:
    """Recompute a person's blind indexes from their current names and birth date (after any edit)."""
    PersonIndex.objects.filter(person=person).delete()
    PersonIndex.objects.bulk_create(person_index_rows(person, list(PersonName.objects.filter(person=person))))


def persons_find_by_name(text: str) -> list[int]:
    """Return ids of persons having a name with the same script-independent key as ``text`` (no decryption)."""
    wanted = [index for kind, index in name_index_pairs(text) if kind in {"name_exact", "name_full"}]
    return sorted(set(PersonIndex.objects.filter(index__in=wanted).values_list("person_id", flat=True)))


# --- Documentation as documenters enter it: events, acts, involvements, information, notes ----------------
#
# Each public service below checks the access policy, validates what it is given, writes its rows in one
# transaction and appends the audit entries last (see haven.audit.services on the chain lock). Validation
# problems raise one ValidationError whose keys are "<ref>-<field>": ``ref`` is the caller's name for the
# item (the intake uses its form prefixes: "act-0", "inv-2-perp"), so that each message lands by its field.


class WriteRefused(PermissionDenied):
    """The actor may not write these records (role, compartment or clearance); the refusal is audited."""


@dataclass(frozen=True)
class NewPerson:
    """A person to create (through :func:`person_create`) as part of a larger write.

    Equal NewPerson values in one write are one person: the same new victim of two acts is created once.
    ``ref`` (where the caller entered the person) takes no part in that comparison.
    """

    names: tuple[NameInput, ...]
    sex: str = "U"
    birth_date: ImpreciseDate | None = None
    counting_unit: Term | None = None
    group_description: str = ""
    ref: str = field(default="", compare=False)


PersonSpec = Person | NewPerson


@dataclass
class EventInput:
    title: str
    description: str = ""
    date: ImpreciseDate = field(default_factory=ImpreciseDate.unknown)
    location: Location | None = None
    sensitive_notes: str | None = None
    ref: str = "event"


@dataclass
class InvolvementInput:
    perpetrator: PersonSpec
    degree: Term
    perpetrator_types: list[Term] = field(default_factory=list)
    remarks: str = ""
    ref: str = "involvement"


@dataclass
class ActInput:
    event: int  # the index of its event in TestimonyInput.events
    victim: PersonSpec
    act_type: Term
    methods: list[Term] = field(default_factory=list)
    date: ImpreciseDate = field(default_factory=ImpreciseDate.unknown)
    location: Location | None = None
    facility: Location | None = None
    victim_age: int | None = None
    stated_reason: str = ""
    involvements: list[InvolvementInput] = field(default_factory=list)
    ref: str = "act"


@dataclass
class InformationInput:
    """A source and what their account is: one Information row per event of the testimony."""

    source: PersonSpec
    connection: Term
    source_types: list[Term] = field(default_factory=list)
    language: Term | None = None
    reliability: Term | None = None
    date: ImpreciseDate = field(default_factory=ImpreciseDate.unknown)
    interviewer: str = ""
    consent: str = Consent.UNKNOWN
    remarks: str = ""
    ref: str = "source"


@dataclass
class TestimonyInput:
    compartment: Compartment
    information: InformationInput
    events: list[EventInput]
    acts: list[ActInput] = field(default_factory=list)
    confidentiality: str = Confidentiality.CONFIDENTIAL


@dataclass
class TestimonyResult:
    events: list[Event]
    acts: list[Act]
    involvements: list[Involvement]
    information: list[Information]
    persons_created: list[Person]


MAX_TEXT = 20_000
MAX_TITLE = 300
MAX_NAME = 300


class _Errors:
    """Collect per-field messages and raise them together, so that a form shows every problem at once."""

    def __init__(self) -> None:
        self.messages: dict[str, list[str]] = {}

    def add(self, ref: str, name: str, message: str) -> None:
        self.messages.setdefault(f"{ref}-{name}" if ref else name, []).append(str(message))

    def text(self, ref: str, name: str, value: str | None, limit: int = MAX_TEXT) -> None:
        if value and len(value) > limit:
            self.add(ref, name, _("Shorten this text to %(limit)d characters or fewer.") % {"limit": limit})

    def raise_if_any(self) -> None:
        if self.messages:
            raise ValidationError(self.messages)


def _refuse(actor: Any, reason: str, *, target: Any = None, compartment_id: int | None = None) -> NoReturn:
    from haven.audit.models import AuditAction
    from haven.audit.services import audit_refusal

    audit_refusal(
        actor=actor,
        action=AuditAction.ACCESS_REFUSED,
        target=target,
        compartment_id=compartment_id,
        details={"reason": reason},
    )
    raise WriteRefused(reason)


def _check_may_write(actor: Any, compartment: Compartment, confidentiality: str) -> None:
    from haven.accounts import policy

    if not policy.has(actor, policy.C.EDIT_RECORDS):
        _refuse(actor, "may not edit records")
    if compartment.pk not in policy.compartment_ids(actor):
        _refuse(actor, "compartment not granted", compartment_id=compartment.pk)
    if confidentiality not in policy.clearance(actor):
        _refuse(actor, "confidentiality above clearance", compartment_id=compartment.pk)


class _Vocab:
    """Check that a term belongs to the vocabulary a field takes (``limit_choices_to`` binds only forms)."""

    def __init__(self, errors: _Errors) -> None:
        self.errors = errors
        self._ids: dict[str, int | None] = {}

    def check(self, ref: str, name: str, terms: Iterable[Term | None], code: str) -> None:
        if code not in self._ids:
            self._ids[code] = Vocabulary.objects.filter(code=code).values_list("pk", flat=True).first()
        for term in terms:
            if term is not None and (term.vocabulary_id != self._ids[code] or term.retired):
                self.errors.add(ref, name, _("Choose a term from the list."))


def _check_person(errors: _Errors, actor: Any, spec: PersonSpec, ref: str) -> None:
    from haven.accounts import policy

    if isinstance(spec, Person):
        if not policy.can_view(actor, spec):
            # One message whether the person does not exist or may not be seen.
            errors.add(ref, "person", _("There is no such person, or you may not see them."))
        return
    if not any(n.full_name.strip() for n in spec.names) and not spec.group_description.strip():
        errors.add(ref, "name", _("Give the person's name (in any script), or choose a recorded person."))
    for n in spec.names:
        errors.text(ref, "name", n.full_name, MAX_NAME)
    if spec.sex not in Sex.values:
        errors.add(ref, "sex", _("Choose a value from the list."))


def _check_event(errors: _Errors, e: EventInput) -> None:
    if not e.title.strip():
        errors.add(e.ref, "title", _("Give the event a title."))
    errors.text(e.ref, "title", e.title, MAX_TITLE)
    errors.text(e.ref, "description", e.description)
    errors.text(e.ref, "sensitive_notes", e.sensitive_notes)


def _check_information(errors: _Errors, vocab: _Vocab, actor: Any, info: InformationInput) -> None:
    _check_person(errors, actor, info.source, f"{info.ref}-person")
    vocab.check(info.ref, "connection", [info.connection], "source-connections")
    vocab.check(info.ref, "source_types", info.source_types, "source-types")
    vocab.check(info.ref, "language", [info.language], "languages")
    vocab.check(info.ref, "reliability", [info.reliability], "reliability")
    if info.consent not in Consent.values:
        errors.add(info.ref, "consent", _("Choose a value from the list."))
    errors.text(info.ref, "interviewer", info.interviewer, 200)
    errors.text(info.ref, "remarks", info.remarks)


def _check_act(errors: _Errors, vocab: _Vocab, actor: Any, a: ActInput) -> None:
    _check_person(errors, actor, a.victim, f"{a.ref}-victim")
    vocab.check(a.ref, "act_type", [a.act_type], "act-types")
    vocab.check(a.ref, "methods", a.methods, "methods")
    if a.victim_age is not None and not 0 <= a.victim_age <= 120:
        errors.add(a.ref, "victim_age", _("Give an age between 0 and 120."))
    errors.text(a.ref, "stated_reason", a.stated_reason)
    seen: set[Any] = set()
    for inv in a.involvements:
        _check_involvement(errors, vocab, actor, inv)
        key = inv.perpetrator.pk if isinstance(inv.perpetrator, Person) else inv.perpetrator
        if key in seen:
            errors.add(inv.ref, "__all__", _("This perpetrator is already involved in this act."))
        seen.add(key)


def _check_involvement(errors: _Errors, vocab: _Vocab, actor: Any, inv: InvolvementInput) -> None:
    _check_person(errors, actor, inv.perpetrator, f"{inv.ref}-perp")
    vocab.check(inv.ref, "degree", [inv.degree], "involvement-degrees")
    vocab.check(inv.ref, "perpetrator_types", inv.perpetrator_types, "perpetrator-types")
    errors.text(inv.ref, "remarks", inv.remarks)


_BOOKKEEPING_FIELDS = frozenset(
    {"organisation", "compartment", "created_at", "updated_at", "created_by", "version", "provenance"}
)


def _given_fields(record: Any) -> list[str]:
    """Return the names of the fields a new record was given: never their values (some identify people)."""
    out = []
    for f in record._meta.concrete_fields:
        if f.primary_key or f.name in _BOOKKEEPING_FIELDS:
            continue
        if getattr(record, f.attname) not in (None, ""):
            out.append(f.name)
    out += [f.name for f in record._meta.many_to_many if getattr(record, f.name).exists()]
    return out


def _audit_created(actor: Any, records: Iterable[Any], *, via: str) -> None:
    from haven.audit.models import AuditAction
    from haven.audit.services import audit_record

    for record in records:
        details: dict[str, Any] = {"via": via, "fields": _given_fields(record)}
        if isinstance(record, Person):
            details["names"] = record.names.count()
        audit_record(actor=actor, action=AuditAction.RECORD_CREATED, target=record, details=details)


class _Writer:
    """Build the rows of one write in one compartment at one confidentiality level (no checks, no audit)."""

    def __init__(self, actor: Any, compartment: Compartment, level: str, via: str) -> None:
        self.actor, self.compartment, self.level, self.via = actor, compartment, level, via
        self.organisation = compartment.organisation
        self.new_persons: dict[NewPerson, Person] = {}
        self.created: list[Any] = []

    def _base(self) -> dict[str, Any]:
        return {
            "organisation": self.organisation,
            "compartment": self.compartment,
            "confidentiality": self.level,
            "created_by": self.actor,
            "provenance": {"via": self.via},
        }

    def person(self, spec: PersonSpec) -> Person:
        if isinstance(spec, Person):
            return spec
        if spec not in self.new_persons:
            person = person_create(
                organisation=self.organisation,
                compartment=self.compartment,
                names=[n for n in spec.names if n.full_name.strip()],
                sex=spec.sex,
                birth_date=spec.birth_date,
                confidentiality=self.level,
                provenance={"via": self.via},
                created_by=self.actor,
                counting_unit=spec.counting_unit,
            )
            if spec.group_description.strip():
                person.group_description = spec.group_description.strip()
                person.save(update_fields=["group_description"])
            self.new_persons[spec] = person
            self.created.append(person)
        return self.new_persons[spec]

    def event(self, e: EventInput) -> Event:
        event = Event(
            **self._base(),
            title=e.title.strip(),
            description=e.description.strip(),
            sensitive_notes=(e.sensitive_notes or "").strip() or None,
            location=e.location,
        )
        event.date = e.date
        event.save()
        self.created.append(event)
        return event

    def information(self, info: InformationInput, event: Event) -> Information:
        record = Information(
            **self._base(),
            source=self.person(info.source),
            event=event,
            connection=info.connection,
            language=info.language,
            reliability=info.reliability,
            interviewer=info.interviewer.strip(),
            consent=info.consent,
            remarks=info.remarks.strip(),
        )
        record.date = info.date
        record.save()
        record.source_types.set(info.source_types)
        self.created.append(record)
        return record

    def act(self, a: ActInput, event: Event) -> Act:
        act = Act(
            **self._base(),
            event=event,
            victim=self.person(a.victim),
            act_type=a.act_type,
            location=a.location,
            facility=a.facility,
            victim_age=a.victim_age,
            stated_reason=a.stated_reason.strip(),
        )
        act.date = a.date
        act.save()
        act.methods.set(a.methods)
        self.created.append(act)
        return act

    def involvement(self, inv: InvolvementInput, act: Act) -> Involvement:
        involvement = Involvement(
            **self._base(),
            act=act,
            event=act.event,
            perpetrator=self.person(inv.perpetrator),
            degree=inv.degree,
            remarks=inv.remarks.strip(),
        )
        involvement.save()
        involvement.perpetrator_types.set(inv.perpetrator_types)
        self.created.append(involvement)
        return involvement

    def audit(self) -> None:
        # Last: on PostgreSQL the first entry takes the chain's lock until the transaction ends.
        _audit_created(self.actor, self.created, via=self.via)


def testimony_create(*, actor: Any, testimony: TestimonyInput, via: str = "intake") -> TestimonyResult:
    """Create a whole testimony in one transaction: source, events, acts, involvements and new persons.

    Checks that ``actor`` may write in the compartment at the confidentiality given and may see every
    recorded person referred to; validates every item, collecting all problems into one ValidationError
    keyed "<ref>-<field>"; creates new persons through :func:`person_create` (their blind indexes with
    them), one Information row per event (the source's account of it), the events, acts and involvements;
    and audits each record created. Nothing is written unless everything is.

    Raises:
        WriteRefused: the actor may not write there (audited as a refusal).
        ValidationError: something given is incomplete or inconsistent; nothing was written.
    """
    t = testimony
    _check_may_write(actor, t.compartment, t.confidentiality)
    errors = _Errors()
    vocab = _Vocab(errors)
    _check_information(errors, vocab, actor, t.information)
    if not t.events:
        errors.add("", "__all__", _("A testimony needs at least one event."))
    for e in t.events:
        _check_event(errors, e)
    for a in t.acts:
        if not 0 <= a.event < len(t.events):
            errors.add(a.ref, "__all__", _("This act belongs to no event of the testimony."))
        _check_act(errors, vocab, actor, a)
    errors.raise_if_any()

    with transaction.atomic():
        w = _Writer(actor, t.compartment, t.confidentiality, via)
        events = [w.event(e) for e in t.events]
        information = [w.information(t.information, e) for e in events]
        acts, involvements = [], []
        for a in t.acts:
            act = w.act(a, events[a.event])
            acts.append(act)
            involvements += [w.involvement(inv, act) for inv in a.involvements]
        w.audit()
    return TestimonyResult(events, acts, involvements, information, list(w.new_persons.values()))


def event_create(
    *, actor: Any, compartment: Compartment, event: EventInput, confidentiality: str, via: str = "service"
) -> Event:
    """Create one event, checked and audited like a testimony's."""
    _check_may_write(actor, compartment, confidentiality)
    errors = _Errors()
    _check_event(errors, event)
    errors.raise_if_any()
    with transaction.atomic():
        w = _Writer(actor, compartment, confidentiality, via)
        record = w.event(event)
        w.audit()
    return record


def act_create(*, actor: Any, event: Event, act: ActInput, via: str = "service") -> Act:
    """Add an act (and its involvements) to an existing event, in the event's compartment and level.

    Writing in the event's compartment at its level needs exactly the rights to see and edit the event.
    """
    _check_may_write(actor, event.compartment, event.confidentiality)
    errors = _Errors()
    _check_act(errors, _Vocab(errors), actor, act)
    errors.raise_if_any()
    with transaction.atomic():
        w = _Writer(actor, event.compartment, event.confidentiality, via)
        record = w.act(act, event)
        for inv in act.involvements:
            w.involvement(inv, record)
        w.audit()
    return record


def involvement_create(
    *, actor: Any, act: Act, involvement: InvolvementInput, via: str = "service"
) -> Involvement:
    """Add a perpetrator's involvement to an existing act (one per perpetrator and act)."""
    _check_may_write(actor, act.compartment, act.confidentiality)
    errors = _Errors()
    _check_involvement(errors, _Vocab(errors), actor, involvement)
    if (
        isinstance(involvement.perpetrator, Person)
        and act.involvements.filter(perpetrator=involvement.perpetrator).exists()
    ):
        errors.add(involvement.ref, "__all__", _("This perpetrator is already involved in this act."))
    errors.raise_if_any()
    with transaction.atomic():
        w = _Writer(actor, act.compartment, act.confidentiality, via)
        record = w.involvement(involvement, act)
        w.audit()
    return record


def information_create(
    *, actor: Any, event: Event, information: InformationInput, via: str = "service"
) -> Information:
    """Add a source's account of an existing event."""
    _check_may_write(actor, event.compartment, event.confidentiality)
    errors = _Errors()
    _check_information(errors, _Vocab(errors), actor, information)
    errors.raise_if_any()
    with transaction.atomic():
        w = _Writer(actor, event.compartment, event.confidentiality, via)
        record = w.information(information, event)
        w.audit()
    return record


def persons_likely_same(
    candidates: QuerySet[Person],
    *,
    names: Iterable[str],
    sex: str = "U",
    birth_date: ImpreciseDate | None = None,
    limit: int = 10,
) -> list[Person]:
    """Return persons among ``candidates`` who are probably the person described, before creating them.

    Likely the same: one of their names shares a script-independent key with one of ``names`` (리설주 =
    Ri Sol-ju = Lee Seol-ju; found through the blind indexes, without decrypting), their sex does not
    contradict (either unknown, or equal) and their birth dates lie within a year of each other (or either
    is unknown). ``candidates`` is already narrowed to what the user may see (``policy.visible``). Persons
    with exactly the same writing of a name come first.
    """
    exact: set[str] = set()
    keyed: set[str] = set()
    for text in names:
        if not text or not text.strip():
            continue
        for kind, index in name_index_pairs(text):
            if kind == PersonIndex.Kind.NAME_EXACT:
                exact.add(index)
            elif kind == PersonIndex.Kind.NAME_FULL:
                keyed.add(index)
    if not exact and not keyed:
        return []
    exact_ids: set[int] = set()
    ids: set[int] = set()
    rows = PersonIndex.objects.filter(
        index__in=exact | keyed,
        kind__in=[PersonIndex.Kind.NAME_EXACT, PersonIndex.Kind.NAME_FULL],
    ).values_list("person_id", "index")
    for pid, index in rows:
        ids.add(pid)
        if index in exact:
            exact_ids.add(pid)
    out = []
    for person in candidates.filter(pk__in=ids).prefetch_related("names").order_by("pk")[: limit * 5]:
        if sex not in ("U", "") and person.sex not in ("U", "", sex):
            continue
        if birth_date is not None and birth_date.is_known and person.birth_date:
            try:
                theirs = ImpreciseDate.parse(person.birth_date)
            except ValueError:
                theirs = ImpreciseDate.unknown()
            if theirs.is_known and not _within_a_year(birth_date, theirs):
                continue
        out.append(person)
    out.sort(key=lambda p: (p.pk not in exact_ids, p.pk))
    return out[:limit]


def _within_a_year(a: ImpreciseDate, b: ImpreciseDate) -> bool:
    if a.start is None or a.end is None or b.start is None or b.end is None:
        return True
    return a.start.year - 1 <= b.end.year and b.start.year - 1 <= a.end.year


# The fields of each record type a clarification note may be attached to ("" is the record as a whole).
NOTE_FIELDS: dict[str, tuple[str, ...]] = {
    "records.person": (
        "", "sex", "birth_date", "origin_province", "origin_detail", "exit_year", "group_description",
    ),
    "records.event": ("", "title", "description", "date", "location", "violation_status"),
    "records.act": (
        "", "act_type", "victim", "methods", "date", "location", "facility", "victim_age", "stated_reason",
    ),
    "records.information": ("", "source", "connection", "date", "language", "reliability", "consent"),
}  # fmt: skip
MAX_NOTE = 5000


def clarification_note_add(*, actor: Any, record: Any, field_name: str, note: str) -> ClarificationNote:
    """Attach a clarification note (why a value is uncertain, where it came from) to a field of a record.

    The note is encrypted (it may quote identifying detail); the audit entry names the record and the
    field, never the text.

    Raises:
        WriteRefused: the actor may not edit the record (audited as a refusal).
        ValidationError: the field takes no notes, or the note is empty or too long; nothing was written.
    """
    from haven.accounts import policy
    from haven.audit.models import AuditAction
    from haven.audit.services import audit_record

    label = record._meta.label_lower
    if not policy.can_edit(actor, record):
        _refuse(actor, "may not edit this record", target=(label, record.pk))
    errors = _Errors()
    if field_name not in NOTE_FIELDS.get(label, ()):
        errors.add("", "field_name", _("Choose a field from the list."))
    text = (note or "").strip()
    if not text:
        errors.add("", "note", _("Write the note."))
    errors.text("", "note", text, MAX_NOTE)
    errors.raise_if_any()
    with transaction.atomic():
        created = ClarificationNote.objects.create(
            content_type=ContentType.objects.get_for_model(record),
            object_id=record.pk,
            field_name=field_name,
            note=text,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action=AuditAction.RECORD_CHANGED,
            target=record,
            details={"via": "page", "clarification_note": {"id": created.pk, "field": field_name or "*"}},
        )
    return created
