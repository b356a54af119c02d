"""Importing events with their acts: one row per act, event columns repeated for each of its acts."""

from __future__ import annotations

import pytest

from haven.exchange.importing import import_file
from haven.exchange.models import ImportStatus
from haven.exchange.tests.helpers import PERSON_HEADERS, setup_world, write_csv
from haven.lib.dates import ImpreciseDate
from haven.records.models import Act, Event, Person

pytestmark = pytest.mark.django_db

HEADERS = ["번호", "사건번호", "제목", "사건일자", "장소", "행위유형", "피해자번호", "피해자나이"]


@pytest.fixture
def world(tmp_path):  # type: ignore[no-untyped-def]
    org, comp, user = setup_world()
    persons = [
        ["V1", "김은정", "Kim Eun-jung", "F", "1981", "함경북도", "2008"],
        ["V2", "박철민", "Pak Chol-min", "M", "1975", "량강도", "2011"],
    ]
    import_file(
        actor=user,
        path=write_csv(tmp_path / "persons.csv", PERSON_HEADERS, persons),
        kind="persons",
        organisation=org,
        compartment=comp,
    )
    return org, comp, user


def _import(world, tmp_path, rows, **options):  # type: ignore[no-untyped-def]
    org, comp, user = world
    path = write_csv(tmp_path / "events.csv", HEADERS, rows)
    return import_file(actor=user, path=path, kind="events", organisation=org, compartment=comp, **options)


ROWS = [
    ["A1", "E1", "국경에서 체포", "2008년 3월", "Hoeryong", "030101", "V1", "27"],
    ["A2", "E1", "국경에서 체포", "2008년 3월", "Hoeryong", "arrest", "V2", "33"],
    ["A3", "E2", "Detention", "c. 2009", "", "030102", "V1", ""],
]


def test_it_imports_events_and_their_acts(world, tmp_path):
    report = _import(world, tmp_path, ROWS)
    assert report.status == ImportStatus.SUCCEEDED, report.problems
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    e1 = Event.objects.get(external_id="E1")
    assert e1.date == ImpreciseDate.parse("2008-03") and e1.location.code == "KP-09-HOERYONG"
    assert sorted(e1.acts.values_list("external_id", "victim__external_id", "act_type__code")) == [
        ("A1", "V1", "030101"),
        ("A2", "V2", "030101"),
    ]
    assert Act.objects.get(external_id="A3").date.precision == "estimated"
    assert Act.objects.get(external_id="A1").provenance["row"] == 2


def test_running_it_again_changes_nothing_and_changes_are_updated(world, tmp_path):
    _import(world, tmp_path, ROWS)
    state = sorted(Act.objects.values_list("pk", "version"))
    report = _import(world, tmp_path, ROWS)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert sorted(Act.objects.values_list("pk", "version")) == state
    rows = [r[:] for r in ROWS]
    rows[2][3] = "2009-05"
    report = _import(world, tmp_path, rows)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    assert str(Event.objects.get(external_id="E2").date) == "2009-05"
    assert Event.objects.count() == 2 and Act.objects.count() == 3


def test_an_unknown_vocabulary_term_is_reported_and_nothing_stored(world, tmp_path):
    rows = [r[:] for r in ROWS]
    rows[1][5] = "tickling"
    report = _import(world, tmp_path, rows)
    assert report.status == ImportStatus.FAILED
    assert [(p.row, p.column) for p in report.problems] == [(3, "행위유형")]
    assert "tickling is not a term of the vocabulary act-types" in report.problems[0].reason
    assert Event.objects.count() == Act.objects.count() == 0


def test_unknown_victims_places_and_conflicting_event_rows_are_reported(world, tmp_path):
    rows = [r[:] for r in ROWS]
    rows[0][6] = "V9"
    rows[1][2] = "Another title"
    rows[2][4] = "Atlantis"
    report = _import(world, tmp_path, rows, skip_invalid=True)
    assert sorted((p.row, p.column) for p in report.problems) == [
        (2, "피해자번호"),
        (3, "사건번호"),
        (4, "장소"),
    ]
    assert Act.objects.count() == 0
    assert Person.objects.count() == 2


def test_a_victim_in_a_compartment_the_user_cannot_see_is_not_found(world, tmp_path):
    _, other, _ = setup_world("other")
    Person.objects.filter(external_id="V2").update(compartment=other)
    report = _import(world, tmp_path, ROWS)
    assert [(p.row, p.column) for p in report.problems] == [(3, "피해자번호")]
