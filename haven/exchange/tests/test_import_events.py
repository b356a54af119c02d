"""Importing events with their acts: one row per act, event columns repeated for each of its acts."""

from __future__ import annotations

import pytest

from haven.exchange.importing import import_file
from haven.exchange.models import ImportStatus
from haven.exchange.tests.helpers import PERSON_HEADERS, setup_world, write_csv
from haven.lib.dates import ImpreciseDate
from haven.records.models import Act, Confidentiality, Consent, Event, Information, Person
from haven.vocab.models import Term
from haven.web.models import EventText
from haven.web.search import Filters, run_search

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


# ---- sources: one Information record per event and source person -------------------------------------------

SOURCE_HEADERS = [
    *HEADERS,
    "정보원번호",
    "정보원관계",
    "면담일",
    "면담자",
    "언어",
    "동의",
    "신뢰도",
    "정보원 비고",
]
S1 = ["S1", "witness", "2015-06", "Interviewer Yoon (fictional)", "ko-KP", "익명", "02", "Met twice in Seoul"]
SOURCE_ROWS = [
    [*ROWS[0], *S1],
    [*ROWS[1], *S1],
    [*ROWS[2], "V1", "피해자 본인", "c. 2016", "", "문화어", "May be used and quoted", "Highly reliable", ""],
    ["A4", "E2", "Detention", "c. 2009", "", "030102", "V2", "", "", "", "", "", "", "", "", ""],  # no source
]


@pytest.fixture
def sources(world, tmp_path):  # type: ignore[no-untyped-def]
    """The world, plus a witness who gave information (a person of the same organisation, imported first)."""
    org, comp, user = world
    import_file(
        actor=user,
        path=write_csv(
            tmp_path / "sources.csv", PERSON_HEADERS, [["S1", "윤미래", "", "F", "1970", "", "2012"]]
        ),
        kind="persons",
        organisation=org,
        compartment=comp,
    )
    return world


def _import_sources(world, tmp_path, rows, headers=SOURCE_HEADERS, **options):  # type: ignore[no-untyped-def]
    org, comp, user = world
    path = write_csv(tmp_path / "events.csv", headers, rows)
    return import_file(actor=user, path=path, kind="events", organisation=org, compartment=comp, **options)


def _terms(vocabulary: str, code: str) -> int:
    return Term.objects.get(vocabulary__code=vocabulary, code=code).pk


def _info_state() -> list[tuple[str, int]]:
    return sorted(Information.objects.values_list("external_id", "version"))


def test_sources_are_imported_with_every_field_one_information_per_event_and_source(sources, tmp_path):
    report = _import_sources(sources, tmp_path, SOURCE_ROWS)
    assert report.status == ImportStatus.SUCCEEDED, report.problems
    # Four acts (rows) and two information records: S1 on E1 (given on two rows), V1 on E2.
    assert (report.created, report.updated, report.unchanged) == (6, 0, 0)
    assert report.run.created == 6
    witness = Information.objects.get(external_id="E1:S1")
    assert witness.event == Event.objects.get(external_id="E1")
    assert witness.source == Person.objects.get(external_id="S1")
    assert witness.connection_id == _terms("source-connections", "0102")
    assert witness.date == ImpreciseDate.parse("2015-06")
    assert witness.interviewer == "Interviewer Yoon (fictional)"
    assert witness.language_id == _terms("languages", "ko-KP")
    assert witness.consent == Consent.ANONYMOUS
    assert witness.reliability_id == _terms("reliability", "02")
    assert witness.remarks == "Met twice in Seoul"
    _, comp, user = sources
    assert (witness.organisation.code, witness.compartment, witness.created_by) == ("ngo", comp, user)
    assert witness.confidentiality == Confidentiality.CONFIDENTIAL
    assert witness.provenance["row"] == 2 and witness.provenance["file"] == "events.csv"
    victim = Information.objects.get(external_id="E2:V1")
    assert victim.connection_id == _terms("source-connections", "0101")
    assert victim.date.precision == "estimated" and victim.language_id == _terms("languages", "ko-KP")
    assert (victim.consent, victim.reliability_id) == (Consent.FULL, _terms("reliability", "01"))
    assert (victim.interviewer, victim.remarks) == ("", "")
    assert Information.objects.count() == 2 and Act.objects.count() == 4


def test_running_it_again_changes_no_source_and_a_changed_source_is_updated(sources, tmp_path):
    _import_sources(sources, tmp_path, SOURCE_ROWS)
    state = _info_state()
    report = _import_sources(sources, tmp_path, SOURCE_ROWS)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 6)
    assert _info_state() == state
    rows = [r[:] for r in SOURCE_ROWS]
    for r in rows[:2]:
        r[13] = "미동의"  # the witness withdrew consent: both rows of E1 and S1 say so
    report = _import_sources(sources, tmp_path, rows)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 5)
    assert Information.objects.get(external_id="E1:S1").consent == Consent.NONE
    assert _info_state() == [("E1:S1", 2), ("E2:V1", 1)]


def test_a_source_without_connection_or_id_is_reported_by_row_and_column(sources, tmp_path):
    rows = [r[:] for r in SOURCE_ROWS]
    rows[2][9] = ""  # no connection
    rows[3][14] = "02"  # a reliability, but no source
    report = _import_sources(sources, tmp_path, rows)
    assert report.status == ImportStatus.FAILED
    assert [(p.row, p.column) for p in report.problems] == [
        (4, "정보원관계"),
        (5, "정보원번호"),
        (5, "정보원관계"),
    ]
    assert all("required" in p.reason for p in report.problems)
    assert Information.objects.count() == Event.objects.count() == Act.objects.count() == 0


def test_unknown_terms_persons_and_values_of_a_source_are_reported(sources, tmp_path):
    rows = [r[:] for r in SOURCE_ROWS]
    rows[0][9], rows[1][9] = "psychic", "psychic"
    rows[2][8], rows[2][10], rows[2][12], rows[2][13] = "NOBODY", "someday", "Klingon", "perhaps"
    report = _import_sources(sources, tmp_path, rows)
    problems = {(p.row, p.column): p.reason for p in report.problems}
    assert sorted(problems) == [(2, "정보원관계"), (3, "정보원관계"), (4, "동의"), (4, "면담일"), (4, "언어")]
    assert "psychic is not a term of the vocabulary source-connections" in problems[(2, "정보원관계")]
    assert "Klingon is not a term of the vocabulary languages" in problems[(4, "언어")]
    assert "perhaps is not a consent" in problems[(4, "동의")]
    # The rows are otherwise valid: the unknown source person is only found once the terms are right.
    rows[2][10], rows[2][12], rows[2][13] = "2016", "", ""
    rows[0][9], rows[1][9] = "목격자", "목격자"
    report = _import_sources(sources, tmp_path, rows)
    assert [(p.row, p.column) for p in report.problems] == [(4, "정보원번호")]
    assert "No person with the id NOBODY" in report.problems[0].reason
    assert Information.objects.count() == Event.objects.count() == Act.objects.count() == 0


def test_rows_of_one_event_and_source_that_disagree_are_reported_where_they_differ(sources, tmp_path):
    rows = [r[:] for r in SOURCE_ROWS]
    rows[1][10], rows[1][15] = "2015-07", "Met once"
    report = _import_sources(sources, tmp_path, rows)
    assert report.status == ImportStatus.FAILED
    assert [(p.row, p.column) for p in report.problems] == [(3, "면담일"), (3, "정보원 비고")]
    assert "has another value here than in row 2" in report.problems[0].reason
    assert Information.objects.count() == Event.objects.count() == Act.objects.count() == 0


def test_a_bad_source_row_is_rejected_alone_with_skip_invalid(sources, tmp_path):
    rows = [r[:] for r in SOURCE_ROWS]
    rows[2][9] = "psychic"
    report = _import_sources(sources, tmp_path, rows, skip_invalid=True)
    assert report.status == ImportStatus.SUCCEEDED
    assert report.rejected_rows == {4}
    assert report.rejected_file is not None and "psychic" in report.rejected_file.read_text(
        encoding="utf-8-sig"
    )
    # The acts of rows 2, 3 and 5 and the witness's information; E2 without row 4's source.
    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    assert list(Information.objects.values_list("external_id", flat=True)) == ["E1:S1"]
    assert sorted(Act.objects.values_list("external_id", flat=True)) == ["A1", "A2", "A4"]


def test_source_columns_in_english_and_ids_with_colons_give_distinct_information(sources, tmp_path):
    org, comp, user = sources
    import_file(
        actor=user,
        path=write_csv(tmp_path / "more.csv", PERSON_HEADERS, [["b:S1", "한가람", "", "M", "1960", "", ""]]),
        kind="persons",
        organisation=org,
        compartment=comp,
    )
    headers = ["id", "event_id", "title", "act_type", "victim_id", "source_id", "source_connection",
               "source_consent", "source_language", "source_reliability"]  # fmt: skip
    rows = [
        ["X1", "a:b", "Forced return (fictional)", "arrest", "V1", "S1", "0101", "내부", "중국어", "미상"],
        ["X2", "a", "Interrogation (fictional)", "arrest", "V2", "b:S1", "0102", "", "", ""],
    ]
    report = _import_sources(sources, tmp_path, rows, headers=headers)
    assert report.status == ImportStatus.SUCCEEDED, report.problems
    assert sorted(
        Information.objects.values_list("external_id", "event__external_id", "source__external_id")
    ) == [
        ("a:b\\:S1", "a", "b:S1"),
        ("a\\:b:S1", "a:b", "S1"),
    ]
    first = Information.objects.get(event__external_id="a:b")
    assert (first.consent, first.language_id) == (Consent.INTERNAL, _terms("languages", "zh"))
    assert Information.objects.get(event__external_id="a").consent == Consent.UNKNOWN


def test_an_imported_event_is_found_by_the_search_at_once_and_after_a_change(sources, tmp_path):
    _, _, user = sources
    report = _import_sources(sources, tmp_path, SOURCE_ROWS)
    assert report.status == ImportStatus.SUCCEEDED, report.problems
    # No catch-up: the import itself wrote the search text of the events in its transaction.
    assert EventText.objects.count() == 2
    _parsed, result = run_search(user, "국경에서", Filters())
    assert [e.external_id for e in result.events] == ["E1"]
    rows = [r[:] for r in SOURCE_ROWS]
    rows[2][2] = rows[3][2] = "Detention at Onsong (fictional)"
    report = _import_sources(sources, tmp_path, rows)
    assert report.updated == 2
    _parsed, result = run_search(user, "onsong", Filters())
    assert [e.external_id for e in result.events] == ["E2"]
    _parsed, result = run_search(user, '"detention" -onsong', Filters())
    assert list(result.events) == []
