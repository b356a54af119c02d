"""Importing persons, events with their acts, and assistance cases (importing_cases.py) from CSV, XLSX and JSON.

The flow of :func:`import_file`:

1. The policy is asked first: the user needs IMPORT_DATA, the target compartment and EDIT_RECORDS (persons,
   events) or EDIT_CASES (cases); a refusal is audited.
2. The run is recorded (:class:`ImportRun`, in its own transaction: who, file name and SHA-256, kind).
3. Every row is read and validated (types, vocabulary terms, imprecise dates, names and their scripts, places
   against the gazetteer, required fields, ids duplicated in the file, ids of records the user may not
   change); every problem is kept as (file, row, column, reason), the reason in the user's language.
4. Unless it is a dry run, and only if no row has a problem (or ``skip_invalid``), the valid rows are written
   in ONE transaction, in bulk, with blind indexes computed by the same function the services use; the audit
   entry (IMPORTED, counts and file hash, no contents) and the run's outcome commit with them. A process
   killed before the commit leaves none of its rows.

Re-importing finds records again by their external id (the file's ``id`` column, unique per organisation):
a record whose values differ is updated (version + 1), an identical one is left alone.

An events file may also name the source of each act's information (``source_id`` and ``source_*`` columns):
one Information record per event and source person, whose external id is made of the two ids
(:func:`information_external_id`). The events written get their search text in the same transaction, so a
search finds them as soon as the import commits.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from haven.accounts import policy
from haven.accounts.models import Compartment, Organisation
from haven.analytics.korean import contains_hangul, normalize_place, parse_name
from haven.audit.models import AuditAction
from haven.audit.services import audit_record, audit_refusal
from haven.exchange.mapping import ColumnPlan, header_key, resolve
from haven.exchange.models import ColumnMapping, ImportKind, ImportRun, ImportStatus
from haven.exchange.readers import RowShapeError, RowSource
from haven.exchange.spreadsheet import escape_cell
from haven.lib.dates import DateParseError, ImpreciseDate
from haven.places.models import Location
from haven.records.models import (
    Act,
    Confidentiality,
    Consent,
    Event,
    Information,
    NameKind,
    Person,
    PersonIndex,
    PersonName,
    Sex,
)
from haven.records.services import MAX_TEXT, person_index_rows
from haven.vocab.models import Term
from haven.web.textsearch import event_texts_refresh

BATCH = 1000
# How often (in rows read) the progress callback hears of the reading. Stages, with the count they report:
# "read" (rows read so far), "checked" (all rows read and checked), "writing" (0: the write begins) and
# "written" (records created so far). The web import's job turns them into a progress bar.
PROGRESS_EVERY = 1000
MAX_ID = 100
MAX_NAME = 200
MAX_TITLE = 300
MAX_INTERVIEWER = Information._meta.get_field("interviewer").max_length or 200

SEX_WORDS: dict[str, str] = {
    **dict.fromkeys(["f", "female", "woman", "w", "여", "여성", "여자"], Sex.FEMALE),
    **dict.fromkeys(["m", "male", "man", "남", "남성", "남자"], Sex.MALE),
    **dict.fromkeys(["x", "other", "기타"], Sex.OTHER),
    **dict.fromkeys(["u", "unknown", "미상", "모름", "불명", "?"], Sex.UNKNOWN),
}
CONFIDENTIALITY_WORDS: dict[str, str] = {
    **dict.fromkeys(["public", "공개"], Confidentiality.PUBLIC),
    **dict.fromkeys(["internal", "내부"], Confidentiality.INTERNAL),
    **dict.fromkeys(["confidential", "비밀", "기밀"], Confidentiality.CONFIDENTIAL),
    **dict.fromkeys(["secret", "strictly confidential", "극비", "대외비"], Confidentiality.SECRET),
}
# Consent of a source (records.models.Consent): the values, their labels in English and Korean (added when an
# import starts, see _consent_words) and the words spreadsheets use.
CONSENT_WORDS: dict[str, str] = {
    **dict.fromkeys(["yes", "y", "quote", "may quote", "동의", "예", "전부 동의", "인용 가능"], Consent.FULL),
    **dict.fromkeys(["anon", "anonymously", "익명", "익명 사용", "비실명"], Consent.ANONYMOUS),
    **dict.fromkeys(["internal only", "내부", "내부용"], Consent.INTERNAL),
    **dict.fromkeys(["no", "n", "no consent", "withdrawn", "미동의", "동의 없음", "철회", "거부", "아니오"], Consent.NONE),
    **dict.fromkeys(["not recorded", "미상", "모름", "기록 없음", "?"], Consent.UNKNOWN),
}  # fmt: skip
SOURCE_FIELDS = (
    "source_id",
    "source_connection",
    "source_date",
    "source_interviewer",
    "source_language",
    "source_consent",
    "source_reliability",
    "source_remarks",
)
_LETTERS = re.compile(r"[^\W\d_]")


class ImportRefused(PermissionDenied):
    """The policy does not let the user import into this compartment."""


@dataclass(frozen=True)
class Problem:
    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}" + (f":{self.column}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass
class ImportReport:
    run: ImportRun
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    rejected_rows: set[int] = field(default_factory=set)
    rejected_file: Path | None = None

    @property
    def status(self) -> str:
        return self.run.status


@dataclass
class PersonRow:
    row: int
    external_id: str
    names: list[tuple[str, str, str | None, str | None]]  # kind, full name, family, given
    sex: str
    birth_date: str | None
    origin_province_id: int | None
    origin_detail: str | None
    exit_year: int | None
    confidentiality: str
    notes: str | None


@dataclass(frozen=True)
class SourceRow:
    """The source columns of one row: who gave the information about the row's event, and how."""

    person_external_id: str
    connection_id: int
    date: ImpreciseDate
    interviewer: str
    language_id: int | None
    consent: str
    reliability_id: int | None
    remarks: str

    def values(self) -> dict[str, Any]:
        """Return {source field: value} of what rows of the same event and source must agree on."""
        return {
            "source_connection": self.connection_id,
            "source_date": self.date,
            "source_interviewer": self.interviewer,
            "source_language": self.language_id,
            "source_consent": self.consent,
            "source_reliability": self.reliability_id,
            "source_remarks": self.remarks,
        }


@dataclass
class ActRow:
    row: int
    external_id: str
    event_id: str
    title: str
    date: ImpreciseDate
    location_id: int | None
    description: str
    act_type_id: int
    victim_external_id: str
    victim_age: int | None
    confidentiality: str
    source: SourceRow | None = None

    def event_values(self) -> tuple[Any, ...]:
        return (self.title, self.date, self.location_id, self.description, self.confidentiality)

    @property
    def information_id(self) -> str | None:
        if self.source is None:
            return None
        return information_external_id(self.event_id, self.source.person_external_id)


def information_external_id(event_id: str, source_id: str) -> str:
    """Return the external id of the Information record of one event and one source person.

    ``event:source``, with ``\\`` and ``:`` in either id escaped, so that no two pairs give the same id
    ("a:b" + "c" and "a" + "b:c" stay apart). Ids without those characters read as they are: ``E1:P7``.
    """

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace(":", "\\:")

    return f"{escape(event_id)}:{escape(source_id)}"


def _consent_words() -> dict[str, str]:
    """Return {folded word: consent}: the values, the labels in English and Korean, and CONSENT_WORDS."""
    words = {_fold(k): str(v) for k, v in CONSENT_WORDS.items()}
    for value, label in Consent.choices:
        words[_fold(value)] = value
        for language in ("en", "ko"):
            with translation.override(language):
                words[_fold(str(label))] = value
    return words


# ---- lookups --------------------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    return re.sub(r"[\s\-‐·.,'’]+", "", unicodedata.normalize("NFKC", text).casefold())


class TermLookup:
    """Terms of one vocabulary by code, English or Korean label, or alias."""

    def __init__(self, vocabulary: str) -> None:
        self.vocabulary = vocabulary
        self.by_key: dict[str, set[int]] = {}
        self.retired: set[int] = set()
        self.codes: dict[int, str] = {}
        for term in Term.objects.filter(vocabulary__code=vocabulary).only(
            "id", "code", "label_en", "label_ko", "aliases", "retired"
        ):
            self.codes[term.pk] = term.code
            if term.retired:
                self.retired.add(term.pk)
            keys = [term.code, term.label_en, term.label_ko, *[str(a) for a in term.aliases or []]]
            for key in keys:
                if key:
                    self.by_key.setdefault(_fold(key), set()).add(term.pk)
            # Codes win over labels: a code is never ambiguous.
        for term_id, code in self.codes.items():
            self.by_key[_fold(code)] = {term_id}

    def find(self, text: str) -> tuple[int | None, str | None]:
        ids = self.by_key.get(_fold(text), set())
        if not ids:
            return None, _("%(value)s is not a term of the vocabulary %(vocabulary)s.") % {
                "value": text,
                "vocabulary": self.vocabulary,
            }
        if len(ids) > 1:
            return None, _("%(value)s matches several terms (%(codes)s); give the code.") % {
                "value": text,
                "codes": ", ".join(sorted(self.codes[i] for i in ids)),
            }
        (term_id,) = ids
        if term_id in self.retired:
            return None, _("%(value)s is a retired term.") % {"value": text}
        return term_id, None


class PlaceLookup:
    """Gazetteer locations by code, English, Korean or Chinese name, or variant."""

    def __init__(self) -> None:
        self.by_key: dict[str, set[int]] = {}
        self.by_code: dict[str, int] = {}
        self.codes: dict[int, str] = {}
        for loc in Location.objects.only("id", "code", "name_en", "name_ko", "name_zh", "variants"):
            self.by_code[loc.code.casefold()] = loc.pk
            self.codes[loc.pk] = loc.code
            names = [loc.name_en, loc.name_ko, loc.name_zh]
            variants = loc.variants if isinstance(loc.variants, list) else []
            for name in [*names, *(str(v) for v in variants)]:
                if name:
                    self.by_key.setdefault(_fold(name), set()).add(loc.pk)
        self._origin_cache: dict[str, tuple[int | None, bool, str | None]] = {}

    def find(self, text: str) -> tuple[int | None, str | None]:
        if text.casefold() in self.by_code:
            return self.by_code[text.casefold()], None
        ids = self.by_key.get(_fold(text), set())
        if not ids:
            match = normalize_place(text)
            unit = (match.county or match.province) if match else None
            if unit is not None and unit.code.casefold() in self.by_code:
                return self.by_code[unit.code.casefold()], None
            return None, _("%(value)s is not a place in the gazetteer.") % {"value": text}
        if len(ids) > 1:
            return None, _("%(value)s names several places (%(codes)s); give the code.") % {
                "value": text,
                "codes": ", ".join(sorted(self.codes[i] for i in ids)[:6]),
            }
        return next(iter(ids)), None

    def origin(self, text: str) -> tuple[int | None, bool, str | None]:
        """Return (province id, names something below the province, problem) for a place of origin."""
        cached = self._origin_cache.get(text)
        if cached is None:
            cached = self._origin(text)
            self._origin_cache[text] = cached
        return cached

    def _origin(self, text: str) -> tuple[int | None, bool, str | None]:
        match = normalize_place(text)
        if match is None:
            return (
                None,
                False,
                _("The place of origin is not a North Korean province or county known to the gazetteer."),
            )
        if match.province is None:
            return (
                None,
                False,
                _("The place of origin could be several places (%(names)s); add the province.")
                % {
                    "names": ", ".join(u.name_en for u in match.candidates[:6]),
                },
            )
        province_id = self.by_code.get(match.province.code.casefold())
        if province_id is None:
            return (
                None,
                False,
                _("The province %(code)s is missing from the gazetteer.") % {"code": match.province.code},
            )
        return province_id, match.county is not None, None


# ---- the run --------------------------------------------------------------------------------------------------


def _widen_sqlite_cache() -> None:
    """Give SQLite a page cache big enough for bulk inserts into large indexes (blind indexes are random keys).

    With the default 2 MB cache every insert into a big index misses the cache and the import slows down as the
    table grows. The setting is per connection and only changes memory use.
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")  # KiB: 256 MiB at most, allocated as needed


def import_check_allowed(*, actor: Any, compartment: Compartment, kind: str = ImportKind.PERSONS) -> None:
    """Raise ImportRefused (and audit the refusal) unless ``actor`` may import ``kind`` into ``compartment``.

    Every kind needs IMPORT_DATA and the compartment, and the capability to write what it holds: persons and
    events need EDIT_RECORDS (a documenter's), cases EDIT_CASES (a case worker's). Case workers hold
    IMPORT_DATA for their case spreadsheets; that must not let them load documentation records.
    """
    needed = [
        policy.Capability.IMPORT_DATA,
        policy.Capability.EDIT_CASES if kind == ImportKind.CASES else policy.Capability.EDIT_RECORDS,
    ]
    missing = [c for c in needed if not policy.has(actor, c)]
    if not missing and compartment.pk in policy.compartment_ids(actor):
        return
    audit_refusal(
        actor=actor,
        target=("accounts.compartment", compartment.pk),
        details={
            "capability": (missing or needed)[0].value,
            "operation": "import",
            "kind": str(kind),
        },
        compartment_id=compartment.pk,
    )
    if kind == ImportKind.CASES:
        raise ImportRefused(_("You may not import cases into this compartment."))
    raise ImportRefused(_("You may not import data into this compartment."))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class Importer:
    def __init__(
        self,
        *,
        actor: Any,
        path: Path,
        kind: str,
        organisation: Organisation,
        compartment: Compartment,
        mapping: ColumnMapping | None = None,
        encoding: str | None = None,
        dry_run: bool = False,
        skip_invalid: bool = False,
        progress: Callable[[str, int], None] | None = None,
    ) -> None:
        self.actor = actor
        self.path = Path(path)
        self.kind = ImportKind(kind)
        self.organisation = organisation
        self.compartment = compartment
        self.mapping = mapping
        self.encoding = encoding
        self.dry_run = dry_run
        self.skip_invalid = skip_invalid
        self.progress = progress or (lambda stage, n: None)
        self.file = self.path.name
        self.clearance = policy.clearance(actor)
        self.visible_compartments = policy.compartment_ids(actor)
        self.problems: dict[int, list[Problem]] = {}

    # ---- reporting ----------------------------------------------------------------------------------------

    def problem(self, row: int, column: str, reason: str) -> None:
        self.problems.setdefault(row, []).append(Problem(self.file, row, column, reason))

    def _all_problems(self) -> list[Problem]:
        return [p for row in sorted(self.problems) for p in self.problems[row]]

    # ---- entry point --------------------------------------------------------------------------------------

    def run(self) -> ImportReport:
        import_check_allowed(actor=self.actor, compartment=self.compartment, kind=self.kind)
        source = RowSource(
            self.path, encoding=self.encoding
        )  # file-level checks raise before anything is recorded
        plan = resolve(self.kind, source.headers, self.mapping)
        sha = file_sha256(self.path)
        started = timezone.now()
        run = ImportRun.objects.create(
            user=self.actor,
            organisation=self.organisation,
            compartment=self.compartment,
            kind=self.kind,
            file_name=self.file[:255],
            file_sha256=sha,
            mapping_name=self.mapping.name if self.mapping else "",
            dry_run=self.dry_run,
            skip_invalid=self.skip_invalid,
            started_at=started,
        )
        self.provenance = {
            "file": self.file,
            "sha256": sha,
            "by": self.actor.get_username(),
            "at": started.isoformat(),
            "import_id": run.pk,
        }
        report = ImportReport(run=run)
        try:
            if self.kind == ImportKind.PERSONS:
                self._persons(source, plan, report)
            elif self.kind == ImportKind.CASES:
                from haven.exchange.importing_cases import import_cases

                import_cases(self, source, plan, report)
            else:
                self._events(source, plan, report)
        except BaseException:
            ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.FAILED, finished_at=timezone.now())
            raise
        return report

    def _finish(self, report: ImportReport, rows: int, writer: Any) -> None:
        report.rows = rows
        report.problems = self._all_problems()
        report.rejected_rows = set(self.problems)
        run = report.run
        run.rows = rows
        run.rejected = len(report.rejected_rows)
        run.finished_at = timezone.now()
        if self.dry_run:
            report.created, report.updated, report.unchanged = writer.plan_counts()
            run.status = ImportStatus.DRY_RUN
        elif report.problems and not self.skip_invalid:
            run.status = ImportStatus.FAILED
        else:
            _widen_sqlite_cache()
            self.progress("writing", 0)
            with transaction.atomic():
                report.created, report.updated, report.unchanged = writer.write()
                run.status = ImportStatus.SUCCEEDED
                run.created, run.updated, run.unchanged = report.created, report.updated, report.unchanged
                run.finished_at = timezone.now()
                run.save()
                audit_record(
                    actor=self.actor,
                    action=AuditAction.IMPORTED,
                    target=run,
                    compartment_id=self.compartment.pk,
                    details={
                        "import_id": run.pk,
                        "kind": self.kind.value,
                        "organisation": self.organisation.code,
                        "compartment": self.compartment.code,
                        "sha256": run.file_sha256,
                        "rows": rows,
                        "created": report.created,
                        "updated": report.updated,
                        "unchanged": report.unchanged,
                        "rejected": run.rejected,
                    },
                )
            return
        run.created, run.updated, run.unchanged = report.created, report.updated, report.unchanged
        run.save()

    # ---- common field checks ------------------------------------------------------------------------------

    def _value(self, plan: ColumnPlan, row: dict[str, str], name: str) -> str:
        column = plan.columns.get(name)
        if column is None:
            return ""
        value = row.get(column, "").strip()
        mapped = plan.value_maps.get(name, {}).get(header_key(value)) if value else None
        return mapped if mapped is not None else value

    def _id(self, plan: ColumnPlan, row: dict[str, str], n: int, name: str = "id") -> str | None:
        value = self._value(plan, row, name)
        if not value:
            self.problem(n, plan.column_of(name), _("A value is required."))
            return None
        if len(value) > MAX_ID:
            self.problem(n, plan.column_of(name), _("An id has at most %(n)s characters.") % {"n": MAX_ID})
            return None
        return value

    def _date(self, plan: ColumnPlan, row: dict[str, str], n: int, name: str) -> ImpreciseDate | None:
        """Return the column's imprecise date; None when it is empty, or unreadable (the problem noted)."""
        text = self._value(plan, row, name)
        if not text:
            return None
        try:
            return ImpreciseDate.parse(text)
        except DateParseError as exc:
            self.problem(
                n, plan.column_of(name), _("Not a date Haven understands: %(error)s") % {"error": exc}
            )
            return None

    def _int(
        self, plan: ColumnPlan, row: dict[str, str], n: int, name: str, low: int, high: int
    ) -> int | None:
        value = self._value(plan, row, name)
        if not value:
            return None
        try:
            number = int(value.removesuffix("년").strip())
        except ValueError:
            self.problem(n, plan.column_of(name), _("%(value)s is not a whole number.") % {"value": value})
            return None
        if not low <= number <= high:
            self.problem(
                n,
                plan.column_of(name),
                _("%(value)s is not between %(low)s and %(high)s.")
                % {"value": number, "low": low, "high": high},
            )
            return None
        return number

    def _confidentiality(self, plan: ColumnPlan, row: dict[str, str], n: int) -> str:
        value = self._value(plan, row, "confidentiality")
        level = Confidentiality.CONFIDENTIAL.value
        if value:
            found = CONFIDENTIALITY_WORDS.get(value.casefold())
            if found is None:
                self.problem(
                    n,
                    plan.column_of("confidentiality"),
                    _("%(value)s is not a confidentiality level (public, internal, confidential, secret).")
                    % {"value": value},
                )
                return level
            level = str(found)
        if level not in self.clearance:
            self.problem(
                n,
                plan.column_of("confidentiality"),
                _("You may not create records at the level %(level)s.") % {"level": level},
            )
        return level

    def _duplicates(self, ids: Iterable[tuple[int, str]], column: str) -> None:
        first: dict[str, int] = {}
        for n, external_id in ids:
            if external_id in first:
                self.problem(
                    n,
                    column,
                    _("The id %(id)s is also in row %(row)s.")
                    % {"id": external_id, "row": first[external_id]},
                )
            else:
                first[external_id] = n

    def _read(self, source: RowSource, parse: Callable[[dict[str, str], int], Any]) -> tuple[list[Any], int]:
        parsed: list[Any] = []
        rows = 0
        for n, row in source:
            rows += 1
            if isinstance(row, RowShapeError):
                self.problem(n, row.column, row.reason)
            else:
                item = parse(row, n)
                if item is not None and n not in self.problems:
                    parsed.append(item)
            if rows % PROGRESS_EVERY == 0:
                self.progress("read", rows)
        self.progress("checked", rows)
        return parsed, rows

    def _not_editable(self, record: Any) -> bool:
        return (
            record.compartment_id not in self.visible_compartments
            or record.confidentiality not in self.clearance
        )

    # ---- persons ------------------------------------------------------------------------------------------

    def _persons(self, source: RowSource, plan: ColumnPlan, report: ImportReport) -> None:
        self.places = PlaceLookup()
        parsed, rows = self._read(source, lambda row, n: self._person_row(plan, row, n))
        self._duplicates(((p.row, p.external_id) for p in parsed), plan.column_of("id"))
        parsed = [p for p in parsed if p.row not in self.problems]
        existing = self._existing_persons([p.external_id for p in parsed])
        for p in parsed:
            person = existing.get(p.external_id)
            if person is not None and self._not_editable(person):
                self.problem(
                    p.row,
                    plan.column_of("id"),
                    _("The id %(id)s belongs to a record you may not change.") % {"id": p.external_id},
                )
        valid = [p for p in parsed if p.row not in self.problems]
        writer = _PersonWriter(self, valid, existing)
        self._finish(report, rows, writer)

    def _name(
        self, plan: ColumnPlan, row: dict[str, str], n: int, name: str
    ) -> tuple[str, str, str | None, str | None] | None:
        value = unicodedata.normalize("NFC", self._value(plan, row, name))
        if not value:
            return None
        column = plan.column_of(name)
        if len(value) > MAX_NAME:
            self.problem(n, column, _("A name has at most %(n)s characters.") % {"n": MAX_NAME})
            return None
        if not _LETTERS.search(value):
            self.problem(n, column, _("The value is not a name."))
            return None
        parsed = parse_name(value)
        hangul = contains_hangul(value)
        if name == "name_hangul" and (not hangul or parsed.script != "hangul"):
            self.problem(n, column, _("This column holds names in Hangul; the value is not in Hangul."))
            return None
        if name == "name_romanized" and (hangul or parsed.script not in {"latin", "mixed"}):
            self.problem(
                n, column, _("This column holds romanized names; the value is not in Latin letters.")
            )
            return None
        if parsed.script == "mixed" and hangul:
            self.problem(
                n,
                column,
                _("The name mixes scripts: give the Hangul and the romanized name in separate columns."),
            )
            return None
        kind = {"hangul": NameKind.HANGUL, "han": NameKind.HANJA}.get(parsed.script, NameKind.ROMANIZED)
        return kind, value, parsed.surname or None, parsed.given or None

    def _person_row(self, plan: ColumnPlan, row: dict[str, str], n: int) -> PersonRow | None:
        external_id = self._id(plan, row, n)
        names = [x for f in ("name_hangul", "name", "name_romanized") if (x := self._name(plan, row, n, f))]
        if not names and not any(
            self._value(plan, row, f) for f in ("name_hangul", "name", "name_romanized")
        ):
            self.problem(n, plan.column_of("name"), _("A name is required."))
        sex_text = self._value(plan, row, "sex")
        sex = SEX_WORDS.get(sex_text.casefold(), None) if sex_text else Sex.UNKNOWN
        if sex is None:
            self.problem(
                n,
                plan.column_of("sex"),
                _("%(value)s is not a sex (F, M, X or U; 여, 남).") % {"value": sex_text},
            )
        birth = self._date(plan, row, n, "birth_date")
        this_year = timezone.now().year
        year = self._int(plan, row, n, "birth_year", 1900, this_year)
        if year is not None:
            if birth is not None and birth.is_known and birth.year != year:
                self.problem(
                    n,
                    plan.column_of("birth_year"),
                    _("The birth year does not agree with the date of birth."),
                )
            elif birth is None or not birth.is_known:
                birth = ImpreciseDate.from_parts(year)
        province_id, detailed, origin_text = None, False, self._value(plan, row, "origin")
        if origin_text:
            province_id, detailed, reason = self.places.origin(origin_text)
            if reason:
                self.problem(n, plan.column_of("origin"), reason)
        exit_year = self._int(plan, row, n, "exit_year", 1945, this_year)
        level = self._confidentiality(plan, row, n)
        notes = self._value(plan, row, "notes") or None
        if external_id is None or n in self.problems:
            return None
        return PersonRow(
            row=n,
            external_id=external_id,
            names=names,
            sex=str(sex),
            birth_date=str(birth) if birth is not None and birth.is_known else None,
            origin_province_id=province_id,
            origin_detail=origin_text if detailed else None,
            exit_year=exit_year,
            confidentiality=level,
            notes=notes,
        )

    def _existing_persons(self, ids: list[str]) -> dict[str, Person]:
        found: dict[str, Person] = {}
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            for person in Person.objects.filter(
                organisation=self.organisation, external_id__in=chunk
            ).prefetch_related("names"):
                found[person.external_id] = person
        return found

    # ---- events with acts ---------------------------------------------------------------------------------

    def _events(self, source: RowSource, plan: ColumnPlan, report: ImportReport) -> None:
        self.places = PlaceLookup()
        self.act_types = TermLookup("act-types")
        self.source_connections = TermLookup("source-connections")
        self.languages = TermLookup("languages")
        self.reliabilities = TermLookup("reliability")
        self.consents = _consent_words()
        parsed, rows = self._read(source, lambda row, n: self._act_row(plan, row, n))
        self._duplicates(((a.row, a.external_id) for a in parsed), plan.column_of("id"))
        # Rows of one event must agree on the event's own fields.
        first: dict[str, ActRow] = {}
        for a in parsed:
            seen = first.setdefault(a.event_id, a)
            if seen is not a and seen.event_values() != a.event_values():
                self.problem(
                    a.row,
                    plan.column_of("event_id"),
                    _(
                        "The event %(id)s has other values (title, date, place, description or level) in row %(row)s."
                    )
                    % {"id": a.event_id, "row": seen.row},
                )
        self._sources_agree(parsed, plan)
        parsed = [a for a in parsed if a.row not in self.problems]
        persons = self._visible_persons(
            sorted(
                {a.victim_external_id for a in parsed}
                | {a.source.person_external_id for a in parsed if a.source}
            )
        )
        for a in parsed:
            for person_id, column in (
                (a.victim_external_id, "victim_id"),
                (a.source.person_external_id if a.source else None, "source_id"),
            ):
                if person_id is not None and person_id not in persons:
                    self.problem(
                        a.row,
                        plan.column_of(column),
                        _(
                            "No person with the id %(id)s among this organisation's records you may see; import the persons first."
                        )
                        % {"id": person_id},
                    )
        events = self._existing(Event, sorted({a.event_id for a in parsed}))
        acts = self._existing(Act, [a.external_id for a in parsed])
        information = self._existing(Information, sorted({a.information_id for a in parsed if a.source}))
        for a in parsed:
            for record, column in (
                (events.get(a.event_id), "event_id"),
                (acts.get(a.external_id), "id"),
                (information.get(a.information_id or ""), "source_id"),
            ):
                if record is not None and self._not_editable(record):
                    self.problem(
                        a.row,
                        plan.column_of(column),
                        _("The id %(id)s belongs to a record you may not change.")
                        % {"id": getattr(record, "external_id", "")},
                    )
        valid = [a for a in parsed if a.row not in self.problems]
        writer = _EventWriter(self, valid, events, acts, persons, information)
        self._finish(report, rows, writer)

    def _sources_agree(self, parsed: list[ActRow], plan: ColumnPlan) -> None:
        """Report rows whose source columns differ from an earlier row's of the same event and source."""
        first: dict[str, ActRow] = {}
        for a in parsed:
            if a.source is None or a.information_id is None:
                continue
            seen = first.setdefault(a.information_id, a)
            if seen is a or seen.source is None:
                continue
            theirs = seen.source.values()
            for name, value in a.source.values().items():
                if value != theirs[name]:
                    self.problem(
                        a.row,
                        plan.column_of(name),
                        _(
                            "The source %(source)s of the event %(event)s has another value here than in row %(row)s; rows of one event and source must agree."
                        )
                        % {"source": a.source.person_external_id, "event": a.event_id, "row": seen.row},
                    )

    def _act_row(self, plan: ColumnPlan, row: dict[str, str], n: int) -> ActRow | None:
        external_id = self._id(plan, row, n)
        event_id = self._id(plan, row, n, "event_id")
        victim_id = self._id(plan, row, n, "victim_id")
        title = self._value(plan, row, "title")
        if not title:
            self.problem(n, plan.column_of("title"), _("A value is required."))
        elif len(title) > MAX_TITLE:
            self.problem(
                n, plan.column_of("title"), _("A title has at most %(n)s characters.") % {"n": MAX_TITLE}
            )
        date = self._date(plan, row, n, "date") or ImpreciseDate.unknown()
        location_id = None
        text = self._value(plan, row, "place")
        if text:
            location_id, reason = self.places.find(text)
            if reason:
                self.problem(n, plan.column_of("place"), reason)
        act_type_id = None
        text = self._value(plan, row, "act_type")
        if not text:
            self.problem(n, plan.column_of("act_type"), _("A value is required."))
        else:
            act_type_id, reason = self.act_types.find(text)
            if reason:
                self.problem(n, plan.column_of("act_type"), reason)
        age = self._int(plan, row, n, "victim_age", 0, 120)
        level = self._confidentiality(plan, row, n)
        source = self._source(plan, row, n)
        if source is not None and event_id is not None:
            if len(information_external_id(event_id, source.person_external_id)) > MAX_ID:
                self.problem(
                    n,
                    plan.column_of("source_id"),
                    _(
                        "The event id and the source id together are too long (at most %(n)s characters) to identify the source's information."
                    )
                    % {"n": MAX_ID},
                )
        if n in self.problems or None in (external_id, event_id, victim_id, act_type_id):
            return None
        return ActRow(
            row=n,
            external_id=external_id,  # type: ignore[arg-type]
            event_id=event_id,  # type: ignore[arg-type]
            title=title,
            date=date,
            location_id=location_id,
            description=self._value(plan, row, "description"),
            act_type_id=act_type_id,  # type: ignore[arg-type]
            victim_external_id=victim_id,  # type: ignore[arg-type]
            victim_age=age,
            confidentiality=level,
            source=source,
        )

    def _term(
        self, plan: ColumnPlan, row: dict[str, str], n: int, name: str, lookup: TermLookup
    ) -> int | None:
        text = self._value(plan, row, name)
        if not text:
            return None
        term_id, reason = lookup.find(text)
        if reason:
            self.problem(n, plan.column_of(name), reason)
        return term_id

    def _source(self, plan: ColumnPlan, row: dict[str, str], n: int) -> SourceRow | None:
        """Return the row's source (None when it names none); a source needs its id and connection."""
        if not any(self._value(plan, row, name) for name in SOURCE_FIELDS):
            return None
        for name in ("source_id", "source_connection"):
            if not self._value(plan, row, name):
                self.problem(n, plan.column_of(name), _("A value is required when the row gives a source."))
        person_id = self._value(plan, row, "source_id")
        if len(person_id) > MAX_ID:
            self.problem(
                n, plan.column_of("source_id"), _("An id has at most %(n)s characters.") % {"n": MAX_ID}
            )
        connection_id = self._term(plan, row, n, "source_connection", self.source_connections)
        date = self._date(plan, row, n, "source_date") or ImpreciseDate.unknown()
        interviewer = self._value(plan, row, "source_interviewer")
        if len(interviewer) > MAX_INTERVIEWER:
            self.problem(
                n,
                plan.column_of("source_interviewer"),
                _("A name has at most %(n)s characters.") % {"n": MAX_INTERVIEWER},
            )
        language_id = self._term(plan, row, n, "source_language", self.languages)
        reliability_id = self._term(plan, row, n, "source_reliability", self.reliabilities)
        consent = Consent.UNKNOWN.value
        text = self._value(plan, row, "source_consent")
        if text:
            found = self.consents.get(_fold(text))
            if found is None:
                self.problem(
                    n,
                    plan.column_of("source_consent"),
                    _(
                        "%(value)s is not a consent (full, anonymous, internal, none, unknown; 동의, 익명, 내부, 미동의, 미상)."
                    )
                    % {"value": text},
                )
            else:
                consent = found
        remarks = self._value(plan, row, "source_remarks")
        if len(remarks) > MAX_TEXT:
            self.problem(
                n,
                plan.column_of("source_remarks"),
                _("A text has at most %(n)s characters.") % {"n": MAX_TEXT},
            )
        if not person_id or connection_id is None or len(person_id) > MAX_ID:
            return None
        return SourceRow(
            person_external_id=person_id,
            connection_id=connection_id,
            date=date,
            interviewer=interviewer,
            language_id=language_id,
            consent=consent,
            reliability_id=reliability_id,
            remarks=remarks,
        )

    def _visible_persons(self, ids: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        visible = policy.visible(self.actor, Person.objects.filter(organisation=self.organisation))
        for start in range(0, len(ids), BATCH):
            for pk, external_id in visible.filter(external_id__in=ids[start : start + BATCH]).values_list(
                "pk", "external_id"
            ):
                found[external_id] = pk
        return found

    def _existing(self, model: Any, ids: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for start in range(0, len(ids), BATCH):
            for record in model.objects.filter(
                organisation=self.organisation, external_id__in=ids[start : start + BATCH]
            ):
                found[record.external_id] = record
        return found


# ---- writers: compare, then write in bulk ---------------------------------------------------------------------


def write_person_names(pairs: list[tuple[Person, Any]]) -> None:
    """Write the names of new persons, each with its blind indexes (the same rows the services write).

    ``pairs`` are (saved person, row) with ``row.names`` a list of (kind, full name, family, given).
    """
    names: list[PersonName] = []
    owned: list[tuple[Person, list[PersonName]]] = []
    for person, r in pairs:
        mine = [
            PersonName(
                person=person,
                kind=kind,
                full_name=full,
                family_name=fam,
                given_name=given,
                is_primary=i == 0,
            )
            for i, (kind, full, fam, given) in enumerate(r.names)
        ]
        names += mine
        owned.append((person, mine))
    PersonName.objects.bulk_create(names, batch_size=BATCH)
    PersonIndex.objects.bulk_create(
        [row for person, mine in owned for row in person_index_rows(person, mine)], batch_size=2 * BATCH
    )


class _PersonWriter:
    def __init__(self, importer: Importer, rows: list[PersonRow], existing: dict[str, Person]) -> None:
        self.imp = importer
        self.new = [r for r in rows if r.external_id not in existing]
        self.changed: list[tuple[PersonRow, Person]] = []
        self.same = 0
        for r in rows:
            person = existing.get(r.external_id)
            if person is None:
                continue
            if self._differs(r, person):
                self.changed.append((r, person))
            else:
                self.same += 1

    def plan_counts(self) -> tuple[int, int, int]:
        return len(self.new), len(self.changed), self.same

    @staticmethod
    def _names(r: PersonRow) -> list[tuple[str, str]]:
        return sorted((kind, full) for kind, full, _, _ in r.names)

    def _differs(self, r: PersonRow, p: Person) -> bool:
        return (
            p.sex,
            p.birth_date,
            p.origin_province_id,
            p.origin_detail,
            p.exit_year,
            p.confidentiality,
            p.sensitive_notes,
        ) != (
            r.sex,
            r.birth_date,
            r.origin_province_id,
            r.origin_detail,
            r.exit_year,
            r.confidentiality,
            r.notes,
        ) or sorted((n.kind, n.full_name) for n in p.names.all()) != self._names(r)

    def _provenance(self, r: PersonRow) -> dict[str, Any]:
        return {**self.imp.provenance, "row": r.row}

    def _write_names(self, pairs: list[tuple[Person, PersonRow]]) -> None:
        write_person_names(pairs)

    def write(self) -> tuple[int, int, int]:
        imp = self.imp
        done = 0
        for start in range(0, len(self.new), BATCH):
            batch = self.new[start : start + BATCH]
            persons = [
                Person(
                    organisation=imp.organisation,
                    compartment=imp.compartment,
                    confidentiality=r.confidentiality,
                    external_id=r.external_id,
                    provenance=self._provenance(r),
                    created_by=imp.actor,
                    sex=r.sex,
                    birth_date=r.birth_date,
                    origin_province_id=r.origin_province_id,
                    origin_detail=r.origin_detail,
                    exit_year=r.exit_year,
                    sensitive_notes=r.notes,
                )
                for r in batch
            ]
            Person.objects.bulk_create(persons)
            self._write_names(list(zip(persons, batch, strict=True)))
            done += len(batch)
            imp.progress("written", done)
        now = timezone.now()
        for start in range(0, len(self.changed), BATCH):
            batch = self.changed[start : start + BATCH]
            for r, p in batch:
                p.sex, p.birth_date, p.origin_province_id = r.sex, r.birth_date, r.origin_province_id
                p.origin_detail, p.exit_year, p.confidentiality = (
                    r.origin_detail,
                    r.exit_year,
                    r.confidentiality,
                )
                p.sensitive_notes, p.provenance = r.notes, self._provenance(r)
                p.version += 1
                p.updated_at = now
            Person.objects.bulk_update(
                [p for _, p in batch],
                ["sex", "birth_date", "origin_province", "origin_detail", "exit_year", "confidentiality",
                 "sensitive_notes", "provenance", "version", "updated_at"],
            )  # fmt: skip
            ids = [p.pk for _, p in batch]
            PersonIndex.objects.filter(person_id__in=ids).delete()
            PersonName.objects.filter(person_id__in=ids).delete()
            self._write_names([(p, r) for r, p in batch])
        return self.plan_counts()


class _EventWriter:
    """Write events, their acts and their sources' information; counts are acts (rows) plus information."""

    def __init__(
        self,
        importer: Importer,
        rows: list[ActRow],
        events: dict[str, Event],
        acts: dict[str, Act],
        persons: dict[str, int],
        information: dict[str, Information],
    ) -> None:
        self.imp = importer
        self.rows = rows
        self.events = events
        self.acts = acts
        self.persons = persons
        first: dict[str, ActRow] = {}
        for r in rows:
            first.setdefault(r.event_id, r)
        self.event_rows = first
        self.new_events = [r for eid, r in first.items() if eid not in events]
        self.changed_events = [
            (r, events[eid])
            for eid, r in first.items()
            if eid in events and self._event_differs(r, events[eid])
        ]
        self.new_acts = [r for r in rows if r.external_id not in acts]
        self.changed_acts = [
            (r, acts[r.external_id])
            for r in rows
            if r.external_id in acts and self._act_differs(r, acts[r.external_id])
        ]
        # A row counts as changed when its act or its event changed.
        changed_event_ids = {r.event_id for r, _ in self.changed_events}
        changed_act_ids = {r.external_id for r, _ in self.changed_acts}
        self.updated = sum(
            1
            for r in rows
            if r.external_id in acts and (r.external_id in changed_act_ids or r.event_id in changed_event_ids)
        )
        self.same = len(rows) - len(self.new_acts) - self.updated
        # One Information per event and source: the first row of each gives its values (the rows agree).
        info_rows: dict[str, tuple[ActRow, SourceRow]] = {}
        for r in rows:
            if r.source is not None:
                info_rows.setdefault(
                    information_external_id(r.event_id, r.source.person_external_id), (r, r.source)
                )
        self.information = information
        self.new_information = [(iid, r, s) for iid, (r, s) in info_rows.items() if iid not in information]
        self.changed_information = [
            (r, s, information[iid])
            for iid, (r, s) in info_rows.items()
            if iid in information and self._information_differs(r, s, information[iid])
        ]
        self.same_information = len(info_rows) - len(self.new_information) - len(self.changed_information)

    def plan_counts(self) -> tuple[int, int, int]:
        return (
            len(self.new_acts) + len(self.new_information),
            self.updated + len(self.changed_information),
            self.same + self.same_information,
        )

    @staticmethod
    def _event_differs(r: ActRow, e: Event) -> bool:
        return (e.title, e.date, e.location_id, e.description, e.confidentiality) != r.event_values()

    def _act_differs(self, r: ActRow, a: Act) -> bool:
        event = self.events.get(r.event_id)
        return (
            event is None
            or a.event_id != event.pk
            or (a.victim_id, a.act_type_id, a.victim_age, a.date, a.location_id, a.confidentiality)
            != (
                self.persons[r.victim_external_id],
                r.act_type_id,
                r.victim_age,
                r.date,
                r.location_id,
                r.confidentiality,
            )
        )

    def _information_differs(self, r: ActRow, s: SourceRow, info: Information) -> bool:
        event = self.events.get(r.event_id)
        return (
            event is None
            or info.event_id != event.pk
            or (
                info.source_id,
                info.connection_id,
                info.date,
                info.interviewer,
                info.language_id,
                info.consent,
                info.reliability_id,
                info.remarks,
                info.confidentiality,
            )
            != (
                self.persons[s.person_external_id],
                s.connection_id,
                s.date,
                s.interviewer,
                s.language_id,
                s.consent,
                s.reliability_id,
                s.remarks,
                r.confidentiality,
            )
        )

    @staticmethod
    def _set_information(info: Information, s: SourceRow) -> None:
        # The values as records.services writes them (_Writer.information): all in clear, text stripped.
        info.connection_id, info.language_id, info.reliability_id = (
            s.connection_id,
            s.language_id,
            s.reliability_id,
        )
        info.interviewer, info.consent, info.remarks = s.interviewer.strip(), s.consent, s.remarks.strip()
        info.date = s.date

    def _provenance(self, r: ActRow) -> dict[str, Any]:
        return {**self.imp.provenance, "row": r.row}

    def write(self) -> tuple[int, int, int]:
        imp = self.imp
        now = timezone.now()
        created = []
        for r in self.new_events:
            e = Event(
                organisation=imp.organisation,
                compartment=imp.compartment,
                confidentiality=r.confidentiality,
                external_id=r.event_id,
                provenance=self._provenance(r),
                created_by=imp.actor,
                title=r.title,
                description=r.description,
                location_id=r.location_id,
            )
            e.date = r.date
            created.append(e)
        Event.objects.bulk_create(created, batch_size=BATCH)
        for e in created:
            self.events[e.external_id] = e
        changed = []
        for r, e in self.changed_events:
            e.title, e.description, e.location_id, e.confidentiality = (
                r.title,
                r.description,
                r.location_id,
                r.confidentiality,
            )
            e.date = r.date
            e.provenance, e.updated_at = self._provenance(r), now
            e.version += 1
            changed.append(e)
        Event.objects.bulk_update(
            changed,
            ["title", "description", "location", "confidentiality", "date_start", "date_end", "date_precision",
             "provenance", "updated_at", "version"],
            batch_size=BATCH,
        )  # fmt: skip
        acts = []
        for r in self.new_acts:
            a = Act(
                organisation=imp.organisation,
                compartment=imp.compartment,
                confidentiality=r.confidentiality,
                external_id=r.external_id,
                provenance=self._provenance(r),
                created_by=imp.actor,
                event=self.events[r.event_id],
                victim_id=self.persons[r.victim_external_id],
                act_type_id=r.act_type_id,
                victim_age=r.victim_age,
                location_id=r.location_id,
            )
            a.date = r.date
            acts.append(a)
        for start in range(0, len(acts), BATCH):
            Act.objects.bulk_create(acts[start : start + BATCH])
            imp.progress("written", start + len(acts[start : start + BATCH]))
        changed_acts = []
        for r, a in self.changed_acts:
            a.event = self.events[r.event_id]
            a.victim_id, a.act_type_id, a.victim_age = (
                self.persons[r.victim_external_id],
                r.act_type_id,
                r.victim_age,
            )
            a.location_id, a.confidentiality = r.location_id, r.confidentiality
            a.date = r.date
            a.provenance, a.updated_at = self._provenance(r), now
            a.version += 1
            changed_acts.append(a)
        Act.objects.bulk_update(
            changed_acts,
            ["event", "victim", "act_type", "victim_age", "location", "confidentiality", "date_start", "date_end",
             "date_precision", "provenance", "updated_at", "version"],
            batch_size=BATCH,
        )  # fmt: skip
        self._write_information(now, written=len(acts))
        # Bulk writes send no signal: index the events written now, so that a search finds them at once.
        event_texts_refresh([e.pk for e in created] + [e.pk for e in changed])
        return self.plan_counts()

    def _write_information(self, now: datetime, *, written: int) -> None:
        imp = self.imp
        new = []
        for external_id, r, s in self.new_information:
            info = Information(
                organisation=imp.organisation,
                compartment=imp.compartment,
                confidentiality=r.confidentiality,
                external_id=external_id,
                provenance=self._provenance(r),
                created_by=imp.actor,
                event=self.events[r.event_id],
                source_id=self.persons[s.person_external_id],
            )
            self._set_information(info, s)
            new.append(info)
        for start in range(0, len(new), BATCH):
            Information.objects.bulk_create(new[start : start + BATCH])
            imp.progress("written", written + start + len(new[start : start + BATCH]))
        changed = []
        for r, s, info in self.changed_information:
            info.event = self.events[r.event_id]
            info.source_id = self.persons[s.person_external_id]
            info.confidentiality = r.confidentiality
            self._set_information(info, s)
            info.provenance, info.updated_at = self._provenance(r), now
            info.version += 1
            changed.append(info)
        Information.objects.bulk_update(
            changed,
            ["event", "source", "connection", "language", "reliability", "date_start", "date_end", "date_precision",
             "interviewer", "consent", "remarks", "confidentiality", "provenance", "updated_at", "version"],
            batch_size=BATCH,
        )  # fmt: skip


def import_file(
    *,
    actor: Any,
    path: Path | str,
    kind: str,
    organisation: Organisation,
    compartment: Compartment,
    mapping: ColumnMapping | None = None,
    encoding: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    rejected_path: Path | str | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> ImportReport:
    """Import ``path``; return the report (counts, problems). See the module docstring for the rules.

    Raises:
        ImportRefused: the policy does not allow the import (the refusal is audited).
        ImportFileError: the file as a whole cannot be read (nothing is recorded or stored).
        MappingError: required columns are missing or ambiguous.
    """
    importer = Importer(
        actor=actor,
        path=Path(path),
        kind=kind,
        organisation=organisation,
        compartment=compartment,
        mapping=mapping,
        encoding=encoding,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        progress=progress,
    )
    report = importer.run()
    if skip_invalid and report.rejected_rows and not dry_run:
        target = Path(rejected_path) if rejected_path else Path(f"{path}.rejected.csv")
        write_rejected(Path(path), target, report, encoding=encoding)
        report.rejected_file = target
    return report


def write_rejected(source: Path, target: Path, report: ImportReport, *, encoding: str | None = None) -> None:
    """Write the rejected rows, each with its reasons, to ``target`` (UTF-8 with BOM, cells escaped).

    The file holds the rows as they were given, identifying values included: it is as sensitive as the file
    that was imported, and belongs where that file is kept.
    """
    reasons: dict[int, list[str]] = {}
    for p in report.problems:
        reasons.setdefault(p.row, []).append(f"{p.column}: {p.reason}" if p.column else p.reason)
    rows = RowSource(source, encoding=encoding)
    # Readable by the owner only, like the export files: it holds identifying values.
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([_("row"), _("reasons"), *rows.headers])
        for n, row in rows:
            if n not in reasons:
                continue
            cells = (
                [""] * len(rows.headers)
                if isinstance(row, RowShapeError)
                else [row.get(h, "") for h in rows.headers]
            )
            writer.writerow([escape_cell(v) for v in [str(n), "; ".join(reasons[n]), *cells]])
