"""Property tests of the importers (issue 10): whatever a file holds, the import ends in a clear answer.

Hypothesis writes persons, events and cases files from arbitrary rows: values a documentation group would
write (so that imports succeed and write), mixed with random text (Hangul, control characters, NUL), empty
and huge values, values of the wrong type (JSON), random and duplicated headers, as CSV, TSV, JSON or XLSX in
one of the encodings Haven reads or one it does not, and then now and then truncates the file, damages some
of its bytes or replaces it with random binary. The property, for every file:

* the importer returns a report or raises ImportFileError or MappingError (a problem of the file as a whole,
  with a message); nothing else escapes it;
* every problem of a report names the file, a row (1 or more) and a column of the file or a Haven field (no
  column only for a row whose shape is wrong), with a reason;
* when a report has problems and the import is all or nothing, nothing is stored; a dry run never stores
  anything; with ``skip_invalid`` exactly the rows with problems are rejected.

Every person here is invented.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from haven.accounts.models import Role
from haven.cases.models import Case
from haven.exchange.importing import import_file
from haven.exchange.mapping import FIELDS, MappingError
from haven.exchange.models import ImportKind, ImportStatus
from haven.exchange.readers import ImportFileError, RowSource
from haven.exchange.tests.helpers import PERSON_HEADERS, setup_world, user_with, write_csv
from haven.records.models import Act, Event, Information, Person, PersonName
from haven.web.models import EventText

# Values a group would write in each column (keyed by Haven field): imports of these succeed, so that the
# writing is exercised as well as the checking.
GOOD: dict[str, dict[str, list[str]]] = {
    ImportKind.PERSONS: {
        "id": ["P1", "P2", "P3", "V1"],
        "name": ["김은정", "Kim Eun-jung", "리설화"],
        "name_hangul": ["김은정", "박철민", "리명숙"],
        "name_romanized": ["Kim Eun-jung", "Pak Chol-min", "Ri Myong-suk"],
        "sex": ["F", "여", "male", "U"],
        "birth_date": ["1985", "1985-03", "c. 1985", "1985년 3월"],
        "birth_year": ["1981", "1975"],
        "origin": ["함경북도", "량강도", "Hoeryong", "Musan-gun"],
        "exit_year": ["2008", "2011"],
        "confidentiality": ["internal", "기밀", "confidential"],
        "notes": ["Met at the shelter (fictional)", "비고 없음"],
    },
    ImportKind.EVENTS: {
        "id": ["A1", "A2", "A3"],
        "event_id": ["E1", "E2"],
        "title": ["국경에서 체포", "Detention (fictional)"],
        "date": ["2008년 3월", "c. 2009", "2010-03"],
        "place": ["Hoeryong", "KP-09", ""],
        "description": ["Arrested near the river (fictional)", ""],
        "act_type": ["030101", "arrest", "030102"],
        "victim_id": ["V1", "V2"],
        "victim_age": ["27", "33", ""],
        "confidentiality": ["confidential", "internal"],
        "source_id": ["S1", "V1", ""],
        "source_connection": ["witness", "0101", "목격자"],
        "source_date": ["2015-06", "c. 2016"],
        "source_interviewer": ["Yoon (fictional)"],
        "source_language": ["ko-KP", "중국어", "Korean"],
        "source_consent": ["익명", "full", "미상"],
        "source_reliability": ["02", "Highly reliable"],
        "source_remarks": ["Met twice (fictional)"],
    },
    ImportKind.CASES: {
        "id": ["C1", "C2", "C3"],
        "person_id": ["V1", "V2", "S1"],
        "name_hangul": ["김하늘"],
        "sex": ["여"],
        "birth_year": ["1990"],
        "status": ["assessment", "진행중", "new"],
        "risk_level": ["low", "낮음", "not assessed"],
        "risk_reasons": ["trafficked; broker_debt"],
        "needs": ["shelter, medical", "legal"],
        "whereabouts": ["A rented room (fictional)"],
        "safe_contact": ["Via the church (fictional)"],
        "summary": ["Referred by a partner (fictional)"],
        "journey": ["crossed_border:Hoeryong:2018-03; hiding_china::2018-04..2019", "in_dprk::unknown"],
        "opened_on": ["2021-03-05", "2020-11-20"],
        "confidentiality": ["confidential"],
    },
}
# The columns a file of each kind needs (mapping.REQUIRED, and a person for a case).
NEEDED = {
    ImportKind.PERSONS: ("id", "name_hangul"),
    ImportKind.EVENTS: ("id", "event_id", "title", "act_type", "victim_id"),
    ImportKind.CASES: ("id", "person_id", "opened_on"),
}
# 50 files of each kind by default (about 20 s for the three on SQLite); HAVEN_IMPORT_EXAMPLES=500 for a longer hunt.
EXAMPLES = int(os.environ.get("HAVEN_IMPORT_EXAMPLES", "50"))
STORED = (Person, PersonName, Event, Act, Information, Case, EventText)

_hangul = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
_any_char = st.characters(codec="utf-8")  # every character but lone surrogates: controls and NUL included
_text = st.text(st.one_of(_hangul, _any_char, st.sampled_from(',"\t\r\n;:\\ \x00\ufeff')), max_size=40)
_huge = st.builds(
    lambda ch, n: ch * n, st.sampled_from(["가", "a", "1", " ", '"', "\n"]), st.integers(300, 70_000)
)
_wrong_type = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
)


def _cell(kind: str, name: str) -> st.SearchStrategy[Any]:
    good = GOOD[kind].get(name) or [""]
    bad = st.one_of(st.just(""), _text, _huge, _wrong_type)
    return st.sampled_from(["good"] * 3 + ["bad"]).flatmap(
        lambda which: st.sampled_from(good) if which == "good" else bad
    )


@st.composite
def files(draw: Any, kind: str) -> tuple[str, bytes]:
    """Draw a file of ``kind``: its name and its bytes."""
    fields = FIELDS[kind]
    # The choices that make a file unreadable come last: Hypothesis draws and shrinks towards the first.
    chosen = list(NEEDED[kind])
    if draw(st.sampled_from([False] * 5 + [True])):  # a needed column left out
        chosen.remove(draw(st.sampled_from(chosen)))
    others = sorted(set(fields) - set(chosen))
    chosen += draw(st.lists(st.sampled_from(others), max_size=len(others), unique=True))
    chosen = draw(st.permutations(chosen))
    headers = [draw(st.sampled_from([name, *fields[name]])) for name in chosen]
    if draw(st.sampled_from([False] * 5 + [True])) and headers:  # a random or repeated header
        headers.insert(draw(st.integers(0, len(headers))), draw(st.one_of(_text, st.sampled_from(headers))))
    rows = [
        [draw(_cell(kind, name)) if i < len(chosen) else draw(_text) for i, name in enumerate(chosen)]
        for _ in range(draw(st.integers(0, 6)))
    ]
    if chosen and len(headers) > len(chosen):  # the random header got a cell of random text
        rows = [[*r, draw(_text)] for r in rows]
    if draw(st.sampled_from([False] * 5 + [True])) and rows:  # a ragged row
        rows[0] = rows[0][: draw(st.integers(0, len(rows[0])))] + draw(st.lists(_text, max_size=2))
    suffix = draw(st.sampled_from(["csv", "csv", "tsv", "txt", "json", "json", "xlsx", "xlsx"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp949", "utf-8", "latin-1", "utf-32"]))
    if suffix == "xlsx":
        data = _xlsx(headers, rows)
    elif suffix == "json":
        items: Any = [dict(zip(headers, r, strict=False)) for r in rows]
        shape = draw(st.sampled_from(["list"] * 4 + ["rows", "other"]))
        if shape == "rows":
            items = {"rows": items}
        elif shape == "other":
            items = draw(st.one_of(_wrong_type, st.lists(_wrong_type, max_size=3)))
        text = json.dumps(items, ensure_ascii=draw(st.booleans()))
        data = text.encode(encoding, errors="replace")
    else:
        out = io.StringIO()
        writer = csv.writer(out, delimiter="\t" if suffix == "tsv" else ",")
        writer.writerow(headers)
        writer.writerows([[_plain(v) for v in r] for r in rows])
        data = out.getvalue().encode(encoding, errors="replace")
    damage = draw(st.sampled_from(["none"] * 7 + ["truncated", "damaged", "binary"]))
    if damage == "truncated" and data:
        # Positions are drawn independent of the length: an XLSX's bytes (zip times) vary from run to run.
        data = data[: draw(st.integers(0, 2**24)) % len(data)]
    elif damage == "damaged" and data:
        spots = [i % len(data) for i in draw(st.lists(st.integers(0, 2**24), min_size=1, max_size=8))]
        damaged = bytearray(data)
        for spot in spots:
            damaged[spot] = draw(st.integers(0, 255))
        data = bytes(damaged)
    elif damage == "binary":
        data = draw(st.binary(max_size=3000))
    return f"{kind}.{suffix}", data


def _plain(value: Any) -> str:
    return "" if value is None else str(value)


def _xlsx(headers: list[str], rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for values in [headers, *rows]:
        # XLSX cannot hold control characters (openpyxl refuses them): the rest goes in as given.
        sheet.append(
            [
                ILLEGAL_CHARACTERS_RE.sub("", v)
                if isinstance(v, str)
                else v
                if isinstance(v, int | float)
                else _plain(v)
                for v in values
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _stored() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in STORED}


class ImportPropertyTest(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.org, cls.comp, cls.documenter = setup_world("prop")
        cls.worker = user_with(Role.CASE_WORKER, [cls.comp], "prop-worker")
        with tempfile.TemporaryDirectory() as tmp:
            persons = [
                ["V1", "김은정", "Kim Eun-jung", "F", "1981", "함경북도", "2008"],
                ["V2", "박철민", "Pak Chol-min", "M", "1975", "량강도", "2011"],
                ["S1", "윤미래", "", "F", "1970", "", "2012"],
            ]
            report = import_file(
                actor=cls.documenter,
                path=write_csv(Path(tmp) / "persons.csv", PERSON_HEADERS, persons),
                kind="persons",
                organisation=cls.org,
                compartment=cls.comp,
            )
        assert report.status == ImportStatus.SUCCEEDED, report.problems  # noqa: S101

    def _check(self, kind: str, drawn: tuple[str, bytes], mode: str) -> None:
        name, data = drawn
        with tempfile.TemporaryDirectory(prefix="haven-import-") as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            self._import_and_check(kind, path, mode)

    def _import_and_check(self, kind: str, path: Path, mode: str) -> None:
        before = _stored()
        actor = self.worker if kind == ImportKind.CASES else self.documenter
        try:
            report = import_file(
                actor=actor,
                path=path,
                kind=kind,
                organisation=self.org,
                compartment=self.comp,
                dry_run=mode == "dry run",
                skip_invalid=mode == "skip invalid",
            )
        except (ImportFileError, MappingError) as exc:
            event(f"{type(exc).__name__}: {str(exc)[:40]}")
            assert str(exc).strip()
            assert _stored() == before
            return
        event(
            f"{mode}: {report.status}, {'with' if report.problems else 'no'} problems, {report.created} created"
        )
        # A column of the file as it reads (a damaged or misdetected file has other headers than were written),
        # a Haven field (a column the file lacks), or none for a row whose shape is wrong.
        headers = RowSource(path).headers
        columns = {*headers, *FIELDS[kind], ""}
        for problem in report.problems:
            assert problem.file == path.name, problem
            assert problem.row >= 1, problem
            assert problem.reason.strip(), problem
            assert problem.column in columns, (problem, headers)
        if mode == "dry run":
            assert report.status == ImportStatus.DRY_RUN
            assert _stored() == before
        elif report.problems and mode == "all or nothing":
            assert report.status == ImportStatus.FAILED
            assert _stored() == before
        else:
            assert report.status == ImportStatus.SUCCEEDED, report.problems
            if report.problems:
                # The rejected rows, each with its reasons, are written for the user to correct.
                assert report.rejected_file is not None
                with report.rejected_file.open(encoding="utf-8-sig", newline="") as fh:
                    rejected = [int(r[0]) for r in list(csv.reader(fh))[1:]]
                assert rejected == sorted({p.row for p in report.problems})

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        drawn=files(ImportKind.PERSONS), mode=st.sampled_from(["all or nothing", "skip invalid", "dry run"])
    )
    def test_a_persons_file_is_imported_or_its_problems_named(
        self, drawn: tuple[str, bytes], mode: str
    ) -> None:
        self._check(ImportKind.PERSONS, drawn, mode)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        drawn=files(ImportKind.EVENTS), mode=st.sampled_from(["all or nothing", "skip invalid", "dry run"])
    )
    def test_an_events_file_is_imported_or_its_problems_named(
        self, drawn: tuple[str, bytes], mode: str
    ) -> None:
        self._check(ImportKind.EVENTS, drawn, mode)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(drawn=files(ImportKind.CASES), mode=st.sampled_from(["all or nothing", "skip invalid", "dry run"]))
    def test_a_cases_file_is_imported_or_its_problems_named(
        self, drawn: tuple[str, bytes], mode: str
    ) -> None:
        self._check(ImportKind.CASES, drawn, mode)
