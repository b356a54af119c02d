"""The write services behind the intake (haven.records.services): permission, validation, one transaction, audit."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from haven.accounts import policy
from haven.accounts.models import Role
from haven.audit.models import AuditAction, AuditEntry
from haven.lib.dates import DateParseError, ImpreciseDate, Precision
from haven.lib.testing.leaks import shows
from haven.records import services as rs
from haven.records.models import Act, ClarificationNote, Event, Involvement, NameKind, Person
from haven.records.services import (
    ActInput,
    EventInput,
    InformationInput,
    InvolvementInput,
    NameInput,
    NewPerson,
    WriteRefused,
    act_create,
    clarification_note_add,
    event_create,
    information_create,
    involvement_create,
    persons_likely_same,
)
from haven.records.tests import factories as f
from haven.web.intake.forms import parse_date_text
from haven.web.tests.stories import Story, story

pytestmark = pytest.mark.django_db


@pytest.fixture
def s() -> Story:
    return story()


def new(name: str, sex: str = "U", birth: str | None = None) -> NewPerson:
    return NewPerson(
        names=(NameInput(name, NameKind.HANGUL, "", is_primary=True),),
        sex=sex,
        birth_date=ImpreciseDate.parse(birth) if birth else None,
    )


def a_testimony(s: Story, **kw: object) -> rs.TestimonyInput:
    victim = new("강은별", "F", "1992")
    data = {
        "compartment": s.world.comp_a,
        "information": InformationInput(source=victim, connection=f.term("source-connections", "0101")),
        "events": [EventInput(title="구금", description="보위부 구류장에 갇혔다.", ref="event-0")],
        "acts": [
            ActInput(event=0, victim=victim, act_type=f.term("act-types", "030102"), ref="act-0"),
            ActInput(
                event=0,
                victim=new("강은별", "F", "1992"),
                act_type=f.term("act-types", "02011111"),
                ref="act-1",
            ),
        ],
        "confidentiality": "confidential",
    }
    data.update(kw)
    return rs.TestimonyInput(**data)  # type: ignore[arg-type]


def test_it_creates_an_equal_new_person_once(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    result = rs.testimony_create(actor=doc, testimony=a_testimony(s))
    assert len(result.persons_created) == 1
    assert {a.victim_id for a in result.acts} == {result.information[0].source_id}


def test_it_refuses_roles_and_compartments_and_levels_and_audits_the_refusal(s: Story, monkeypatch) -> None:
    before = Event.objects.count()
    with pytest.raises(WriteRefused):
        rs.testimony_create(actor=s.world.users[Role.ANALYST], testimony=a_testimony(s))
    with pytest.raises(WriteRefused):
        rs.testimony_create(
            actor=s.world.users[Role.DOCUMENTER], testimony=a_testimony(s, compartment=s.world.comp_b)
        )
    monkeypatch.setitem(policy.CLEARANCE, Role.DOCUMENTER, frozenset({"public", "internal"}))
    with pytest.raises(WriteRefused):
        rs.testimony_create(actor=s.world.users[Role.DOCUMENTER], testimony=a_testimony(s))
    assert Event.objects.count() == before
    reasons = [e.details["reason"] for e in AuditEntry.objects.filter(action=AuditAction.ACCESS_REFUSED)]
    assert reasons[-3:] == [
        "may not edit records",
        "compartment not granted",
        "confidentiality above clearance",
    ]


def test_it_collects_every_problem_keyed_by_field_and_writes_nothing(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    bad = a_testimony(
        s,
        events=[EventInput(title=" ", ref="event-0")],
        acts=[
            ActInput(
                event=3,
                victim=s.world.person_b,
                act_type=f.term("methods", "0101"),
                victim_age=130,
                ref="act-0",
            ),
            ActInput(
                event=0,
                victim=new(""),
                act_type=f.term("act-types", "030101"),
                involvements=[
                    InvolvementInput(
                        perpetrator=s.perpetrator, degree=f.term("involvement-degrees", "0101"), ref="inv-0"
                    ),
                    InvolvementInput(
                        perpetrator=s.perpetrator, degree=f.term("act-types", "030101"), ref="inv-1"
                    ),
                ],
                ref="act-1",
            ),
        ],
    )
    counts = (Person.objects.count(), Event.objects.count(), Act.objects.count())
    with pytest.raises(ValidationError) as caught:
        rs.testimony_create(actor=doc, testimony=bad)
    assert set(caught.value.message_dict) == {
        "event-0-title",
        "act-0-__all__",
        "act-0-victim-person",
        "act-0-act_type",
        "act-0-victim_age",
        "act-1-victim-name",
        "inv-1-degree",
        "inv-1-__all__",
    }
    assert (Person.objects.count(), Event.objects.count(), Act.objects.count()) == counts


def test_it_audits_each_created_record_without_identifying_values(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    result = rs.testimony_create(actor=doc, testimony=a_testimony(s))
    entries = AuditEntry.objects.filter(action=AuditAction.RECORD_CREATED, actor=doc)
    targets = {(e.target_type, e.target_id) for e in entries}
    assert ("records.person", str(result.persons_created[0].pk)) in targets
    assert ("records.event", str(result.events[0].pk)) in targets
    person_entry = entries.get(target_type="records.person")
    assert "birth_date" in person_entry.details["fields"] and person_entry.details["names"] == 1
    assert not shows("강은별", str(person_entry.details)) and not shows("1992", str(person_entry.details))
    assert entries.get(target_type="records.act", target_id=str(result.acts[0].pk)).details["via"] == "intake"


def test_the_single_record_services_check_validate_and_audit(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    event = event_create(
        actor=doc,
        compartment=s.world.comp_a,
        event=EventInput(title="Questioned"),
        confidentiality="internal",
    )
    act = act_create(
        actor=doc,
        event=event,
        act=ActInput(event=0, victim=s.world.person_a, act_type=f.term("act-types", "030101")),
    )
    assert act.compartment == event.compartment and act.confidentiality == "internal"
    inv = involvement_create(
        actor=doc,
        act=act,
        involvement=InvolvementInput(perpetrator=s.perpetrator, degree=f.term("involvement-degrees", "0101")),
    )
    assert inv.event_id == event.pk
    with pytest.raises(ValidationError):
        involvement_create(
            actor=doc,
            act=act,
            involvement=InvolvementInput(
                perpetrator=s.perpetrator, degree=f.term("involvement-degrees", "0101")
            ),
        )
    info = information_create(
        actor=doc,
        event=event,
        information=InformationInput(source=s.source, connection=f.term("source-connections", "0101")),
    )
    assert info.source_id == s.source.pk
    with pytest.raises(WriteRefused):
        act_create(
            actor=s.world.users[Role.ANALYST],
            event=event,
            act=ActInput(event=0, victim=s.world.person_a, act_type=f.term("act-types", "030101")),
        )
    created = AuditEntry.objects.filter(action=AuditAction.RECORD_CREATED, actor=doc)
    assert {e.target_type for e in created} >= {
        "records.event",
        "records.act",
        "records.involvement",
        "records.information",
    }
    assert Involvement.objects.filter(act=act).count() == 1


def test_it_finds_likely_namesakes_through_the_blind_indexes(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    visible = policy.visible(doc, Person.objects.all())
    assert persons_likely_same(visible, names=["Lee Seol-ju"]) == [s.source]
    assert persons_likely_same(
        visible, names=["리설주"], sex="F", birth_date=ImpreciseDate.parse("1985")
    ) == [s.source]
    assert persons_likely_same(visible, names=["리설주"], sex="M") == []
    assert persons_likely_same(visible, names=["리설주"], birth_date=ImpreciseDate.parse("1990")) == []
    assert persons_likely_same(visible, names=["Moon Ha-ram"]) == []  # compartment B
    assert persons_likely_same(visible, names=["", "  "]) == []


def test_it_adds_a_clarification_note_encrypted_and_audited(s: Story) -> None:
    doc = s.world.users[Role.DOCUMENTER]
    note = clarification_note_add(
        actor=doc, record=s.arrest, field_name="date", note="She was unsure of the year"
    )
    assert ClarificationNote.objects.get(pk=note.pk).note == "She was unsure of the year"
    entry = AuditEntry.objects.filter(action=AuditAction.RECORD_CHANGED).latest("seq")
    assert entry.target_id == str(s.arrest.pk) and entry.details["clarification_note"]["field"] == "date"
    assert "unsure" not in str(entry.details)
    with pytest.raises(ValidationError):
        clarification_note_add(actor=doc, record=s.arrest, field_name="password", note="x")
    with pytest.raises(ValidationError):
        clarification_note_add(actor=doc, record=s.arrest, field_name="date", note="  ")
    with pytest.raises(WriteRefused):
        clarification_note_add(actor=s.world.users[Role.ANALYST], record=s.arrest, field_name="", note="x")
    with pytest.raises(WriteRefused):
        clarification_note_add(actor=doc, record=s.hidden, field_name="", note="x")


@pytest.mark.parametrize(
    ("text", "start", "end", "precision"),
    [
        ("spring 2009?", date(2009, 3, 1), date(2009, 5, 31), Precision.ESTIMATED),
        ("2009년 봄", date(2009, 3, 1), date(2009, 5, 31), Precision.ESTIMATED),
        ("winter 2009", date(2009, 12, 1), date(2010, 2, 28), Precision.ESTIMATED),
        ("2010년 말", date(2010, 9, 1), date(2010, 12, 31), Precision.ESTIMATED),
        ("early 2011", date(2011, 1, 1), date(2011, 4, 30), Precision.ESTIMATED),
        ("2010-03", date(2010, 3, 1), date(2010, 3, 31), Precision.MONTH),
        ("2009..2010", date(2009, 1, 1), date(2010, 12, 31), Precision.YEAR),
    ],
)
def test_it_reads_seasons_and_parts_of_a_year(
    text: str, start: date, end: date, precision: Precision
) -> None:
    value = parse_date_text(text)
    assert (value.start, value.end, value.precision) == (start, end, precision)


def test_it_refuses_what_is_not_a_date() -> None:
    for text in ("spring", "someday 2009", "2010-13"):
        with pytest.raises(DateParseError):
            parse_date_text(text)
    assert not parse_date_text("").is_known
