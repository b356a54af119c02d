"""Importing assistance cases (``haven import --kind cases``): one row per case, as a case worker's spreadsheet.

Called by :class:`haven.exchange.importing.Importer` once the policy has allowed the import (IMPORT_DATA and
EDIT_CASES in the compartment) and the run is recorded; the same rules as persons and events apply: every
row is checked and every problem kept as (file, row, column, reason); nothing is written unless no row has a
problem (or ``skip_invalid``); the valid rows are written in one transaction with one IMPORTED audit entry.

Columns (Haven field: see ``CASE_FIELDS`` in :mod:`haven.exchange.mapping` for the default headers):

* ``id`` (required): the organisation's own case number, unique per organisation; re-importing finds the
  case again by it.
* the person: ``person_id``, the id of a person of the same organisation imported before (``haven import
  --kind persons``); or names (``name``, ``name_hangul``, ``name_romanized``, with ``sex`` and
  ``birth_year``) to enter the person with the case, given ``person_id`` as their id when both are there.
  Names only enter a new person: an existing case keeps its person (change names by importing persons).
* ``status`` (new, assessment, plan, in progress, closed; English or Korean), with ``closed_on`` and
  ``closure_reason`` when closed; ``opened_on`` (required, a full date).
* ``risk_level`` (not assessed, low, medium, high; 낮음/중간/높음) and ``risk_reasons`` (case-risk-factors
  terms); ``needs`` (case-needs terms). Lists are separated by ``;``, ``,`` or new lines; each item is a
  code, English or Korean label, or alias, and a saved mapping's value map applies to each item.
* ``whereabouts`` (where the person is now), ``safe_contact``, ``summary``: encrypted, like the case form.
* ``journey``: the stages, in one cell, separated by ``;`` or new lines, each ``stage:place:date`` where
  place and date may be left out (``crossed_border:Hoeryong:2018-03; hiding_china:Yanji:2018-04..2019;
  resettled::2020``). The stage is a case-journey-stages term (a value map under ``journey`` applies to
  it), the place is looked up in the gazetteer, the date may be imprecise.
* ``owner``: the username of a case worker of the compartment (default: the importing user).
* ``confidentiality``.

An import loads a case's state as the spreadsheet has it: status changes are not walked through the workflow
one step at a time (the audit entry records the import, the case the run in its provenance).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from haven.accounts import policy
from haven.accounts.models import CompartmentGrant
from haven.cases.models import Case, ClosureReason, JourneyStage, RiskLevel, Status
from haven.cases.services import new_reference
from haven.exchange.importing import (
    BATCH,
    SEX_WORDS,
    Importer,
    ImportReport,
    PlaceLookup,
    TermLookup,
    write_person_names,
)
from haven.exchange.mapping import ColumnPlan, header_key
from haven.exchange.readers import RowSource
from haven.lib.dates import DateParseError, ImpreciseDate, Precision
from haven.records.models import Person, Sex

C = policy.Capability
MAX_TEXT = 20_000
_LIST_SPLIT = re.compile(r"\s*[;,、\n]\s*")
_STAGE_SPLIT = re.compile(r"\s*[;\n]\s*")

STATUS_WORDS: dict[str, str] = {
    **dict.fromkeys(["신규", "접수", "open", "opened"], Status.NEW),
    **dict.fromkeys(["사정", "평가", "초기상담"], Status.ASSESSMENT),
    **dict.fromkeys(["계획", "planning"], Status.PLAN),
    **dict.fromkeys(["진행", "진행중", "지원중", "ongoing", "active"], Status.IN_PROGRESS),
    **dict.fromkeys(["종결", "종료", "close"], Status.CLOSED),
}
RISK_WORDS: dict[str, str] = {
    **dict.fromkeys(["미평가", "미정", "none", "unassessed", "?"], RiskLevel.NOT_ASSESSED),
    **dict.fromkeys(["하", "낮음", "저"], RiskLevel.LOW),
    **dict.fromkeys(["중", "중간", "보통", "med"], RiskLevel.MEDIUM),
    **dict.fromkeys(["상", "높음", "고"], RiskLevel.HIGH),
}


def _fold(text: str) -> str:
    return re.sub(r"[\s\-_·.]+", "", unicodedata.normalize("NFKC", text).casefold())


def _choice_words(choices: type[models.TextChoices], extra: dict[str, str]) -> dict[str, str]:
    """Return {folded word: value} for the choices' values, English and Korean labels, and ``extra``."""
    words = {_fold(k): str(v) for k, v in extra.items()}
    for value, label in choices.choices:
        words[_fold(value)] = value
        for language in ("en", "ko"):
            with translation.override(language):
                words[_fold(str(label))] = value
    return words


@dataclass
class StageRow:
    stage_id: int
    date: ImpreciseDate
    place_id: int | None

    def key(self) -> tuple[Any, ...]:
        return (self.stage_id, self.date.start, self.date.end, str(self.date.precision), self.place_id)


@dataclass
class CaseRow:
    row: int
    external_id: str
    person_external_id: str | None
    names: list[tuple[str, str, str | None, str | None]]
    sex: str
    birth_year: int | None
    status: str
    risk_level: str
    risk_reasons: list[int]
    needs: list[int]
    whereabouts: str | None
    safe_contact: str | None
    summary: str | None
    stages: list[StageRow]
    opened_on: date
    closed_on: date | None
    closure_reason: str
    owner_id: int
    confidentiality: str
    person_id: int | None = None  # the existing person, once resolved

    def case_values(self) -> tuple[Any, ...]:
        return (
            self.status, self.risk_level, self.whereabouts, self.safe_contact, self.summary, self.opened_on,
            self.closed_on, self.closure_reason, self.owner_id, self.confidentiality,
        )  # fmt: skip


def _case_values(case: Case) -> tuple[Any, ...]:
    return (
        case.status, case.risk_level, case.current_whereabouts, case.safe_contact, case.summary, case.opened_on,
        case.closed_on, case.closure_reason, case.owner_id, case.confidentiality,
    )  # fmt: skip


class _CaseReader:
    """Checks each row of a cases file; keeps problems on the importer."""

    def __init__(self, imp: Importer, plan: ColumnPlan) -> None:
        self.imp = imp
        self.plan = plan
        self.places = PlaceLookup()
        self.risks = TermLookup("case-risk-factors")
        self.need_terms = TermLookup("case-needs")
        self.stage_terms = TermLookup("case-journey-stages")
        self.statuses = _choice_words(Status, STATUS_WORDS)
        self.risk_levels = _choice_words(RiskLevel, RISK_WORDS)
        self.reasons = _choice_words(ClosureReason, {})
        self.owners: dict[str, int | None] = {}

    def col(self, name: str) -> str:
        return self.plan.column_of(name)

    def _mapped(self, name: str, item: str) -> str:
        found = self.plan.value_maps.get(name, {}).get(header_key(item))
        return found if found is not None else item

    def _terms(self, row: dict[str, str], n: int, name: str, lookup: TermLookup) -> list[int]:
        found: list[int] = []
        for item in _LIST_SPLIT.split(self.imp._value(self.plan, row, name)):
            if not item:
                continue
            term_id, reason = lookup.find(self._mapped(name, item))
            if reason:
                self.imp.problem(n, self.col(name), reason)
            elif term_id not in found:
                found.append(term_id)  # type: ignore[arg-type]
        return sorted(found)

    def _choice(self, row: dict[str, str], n: int, name: str, words: dict[str, str], default: str) -> str:
        text = self.imp._value(self.plan, row, name)
        if not text:
            return default
        value = words.get(_fold(text))
        if value is None:
            known = ", ".join(sorted(set(words.values())))
            self.imp.problem(
                n, self.col(name), _("%(value)s is not one of: %(known)s.") % {"value": text, "known": known}
            )
            return default
        return value

    def _day(self, row: dict[str, str], n: int, name: str) -> date | None:
        parsed = self.imp._date(self.plan, row, n, name)
        if parsed is None:
            return None
        if parsed.precision != Precision.DAY or parsed.start is None:
            self.imp.problem(n, self.col(name), _("Give the full date (year, month and day)."))
            return None
        if parsed.start > timezone.localdate():
            self.imp.problem(n, self.col(name), _("The date is in the future."))
            return None
        return parsed.start

    def _text(self, row: dict[str, str], n: int, name: str) -> str | None:
        value = self.imp._value(self.plan, row, name)
        if len(value) > MAX_TEXT:
            self.imp.problem(n, self.col(name), _("At most %(n)s characters.") % {"n": MAX_TEXT})
        return value or None

    def _stages(self, row: dict[str, str], n: int) -> list[StageRow]:
        stages: list[StageRow] = []
        text = unicodedata.normalize("NFKC", self.imp._value(self.plan, row, "journey"))
        for i, entry in enumerate(e for e in _STAGE_SPLIT.split(text) if e):
            parts = [p.strip() for p in entry.split(":", 2)] + ["", ""]
            stage_text, place_text, date_text = parts[0], parts[1], parts[2]
            where = _("stage %(n)s (%(entry)s)") % {"n": i + 1, "entry": entry}
            if not stage_text:
                self.imp.problem(
                    n, self.col("journey"), _("%(where)s: the stage is missing.") % {"where": where}
                )
                continue
            stage_id, reason = self.stage_terms.find(self._mapped("journey", stage_text))
            if reason:
                self.imp.problem(n, self.col("journey"), f"{where}: {reason}")
            place_id = None
            if place_text:
                place_id, reason = self.places.find(place_text)
                if reason:
                    self.imp.problem(n, self.col("journey"), f"{where}: {reason}")
            when = ImpreciseDate.unknown()
            try:
                when = ImpreciseDate.parse(date_text)
            except DateParseError as exc:
                self.imp.problem(
                    n,
                    self.col("journey"),
                    _("%(where)s: not a date Haven understands: %(error)s") % {"where": where, "error": exc},
                )
            if stage_id is not None:
                stages.append(StageRow(stage_id=stage_id, date=when, place_id=place_id))
        return stages

    def _owner(self, row: dict[str, str], n: int) -> int | None:
        username = self.imp._value(self.plan, row, "owner")
        if not username:
            username = self.imp.actor.get_username()
        if username not in self.owners:
            user = get_user_model().objects.filter(username=username, is_active=True).first()
            ok = (
                user is not None
                and policy.has(user, C.EDIT_CASES)
                and CompartmentGrant.objects.filter(user=user, compartment=self.imp.compartment).exists()
            )
            self.owners[username] = user.pk if ok and user is not None else None
        owner_id = self.owners[username]
        if owner_id is None:
            self.imp.problem(
                n,
                self.col("owner"),
                _("%(user)s is not a case worker with access to this compartment.") % {"user": username},
            )
        return owner_id

    def parse(self, row: dict[str, str], n: int) -> CaseRow | None:
        imp, plan = self.imp, self.plan
        external_id = imp._id(plan, row, n)
        person_external_id = imp._value(plan, row, "person_id") or None
        if person_external_id and len(person_external_id) > 100:
            imp.problem(n, self.col("person_id"), _("An id has at most %(n)s characters.") % {"n": 100})
        names = [x for f in ("name_hangul", "name", "name_romanized") if (x := imp._name(plan, row, n, f))]
        has_names = any(imp._value(plan, row, f) for f in ("name_hangul", "name", "name_romanized"))
        if not person_external_id and not has_names:
            imp.problem(
                n,
                self.col("person_id" if "person_id" in plan.columns else "name"),
                _("Give the person: the id of a person imported before, or a name."),
            )
        sex_text = imp._value(plan, row, "sex")
        sex = SEX_WORDS.get(sex_text.casefold()) if sex_text else Sex.UNKNOWN
        if sex is None:
            imp.problem(
                n, self.col("sex"), _("%(value)s is not a sex (F, M, X or U; 여, 남).") % {"value": sex_text}
            )
        birth_year = imp._int(plan, row, n, "birth_year", 1900, timezone.now().year)
        status = self._choice(row, n, "status", self.statuses, Status.NEW)
        risk_level = self._choice(row, n, "risk_level", self.risk_levels, RiskLevel.NOT_ASSESSED)
        risk_reasons = self._terms(row, n, "risk_reasons", self.risks)
        if risk_level in (RiskLevel.MEDIUM, RiskLevel.HIGH) and not risk_reasons and n not in imp.problems:
            imp.problem(n, self.col("risk_reasons"), _("Give at least one reason for a medium or high risk."))
        needs = self._terms(row, n, "needs", self.need_terms)
        opened_on = self._day(row, n, "opened_on")
        if opened_on is None and not imp._value(plan, row, "opened_on"):
            imp.problem(n, self.col("opened_on"), _("A value is required."))
        closed_on = self._day(row, n, "closed_on")
        reason_text = imp._value(plan, row, "closure_reason")
        closure_reason = self._choice(row, n, "closure_reason", self.reasons, "") if reason_text else ""
        if status == Status.CLOSED:
            if closed_on is None and not imp._value(plan, row, "closed_on"):
                imp.problem(n, self.col("closed_on"), _("A closed case needs the date it was closed."))
            if not reason_text:
                imp.problem(n, self.col("closure_reason"), _("A closed case needs the reason it was closed."))
            if closed_on and opened_on and closed_on < opened_on:
                imp.problem(n, self.col("closed_on"), _("A case cannot close before it was opened."))
        elif closed_on is not None or reason_text:
            imp.problem(
                n,
                self.col("status"),
                _("Only a closed case has a closing date or reason; the status is %(status)s.")
                % {"status": Status(status).label},
            )
        whereabouts = self._text(row, n, "whereabouts")
        safe_contact = self._text(row, n, "safe_contact")
        summary = self._text(row, n, "summary")
        stages = self._stages(row, n)
        owner_id = self._owner(row, n)
        level = imp._confidentiality(plan, row, n)
        if n in imp.problems or external_id is None or opened_on is None or owner_id is None:
            return None
        return CaseRow(
            row=n,
            external_id=external_id,
            person_external_id=person_external_id,
            names=names,
            sex=str(sex),
            birth_year=birth_year,
            status=status,
            risk_level=risk_level,
            risk_reasons=risk_reasons,
            needs=needs,
            whereabouts=whereabouts,
            safe_contact=safe_contact,
            summary=summary,
            stages=stages,
            opened_on=opened_on,
            closed_on=closed_on,
            closure_reason=closure_reason,
            owner_id=owner_id,
            confidentiality=level,
        )


def import_cases(imp: Importer, source: RowSource, plan: ColumnPlan, report: ImportReport) -> None:
    """Check every row of a cases file, then write the valid ones (see the module docstring)."""
    reader = _CaseReader(imp, plan)
    parsed, rows = imp._read(source, reader.parse)
    imp._duplicates(((c.row, c.external_id) for c in parsed), plan.column_of("id"))
    parsed = [c for c in parsed if c.row not in imp.problems]
    existing = _existing_cases(imp, [c.external_id for c in parsed])
    for c in parsed:
        case = existing.get(c.external_id)
        if case is not None and (imp._not_editable(case) or not policy.has(imp.actor, C.VIEW_CASES)):
            imp.problem(
                c.row,
                plan.column_of("id"),
                _("The id %(id)s belongs to a record you may not change.") % {"id": c.external_id},
            )
    parsed = [c for c in parsed if c.row not in imp.problems]
    # The person: an existing case keeps its own; a new one takes the person with the id given, or a new
    # person entered from the names.
    wanted = sorted({c.person_external_id for c in parsed if c.person_external_id})
    persons = _persons(imp, wanted)
    for c in parsed:
        case = existing.get(c.external_id)
        if case is not None:
            if c.person_external_id and persons.get(c.person_external_id, case.person_id) != case.person_id:
                imp.problem(
                    c.row,
                    plan.column_of("person_id"),
                    _(
                        "The case %(id)s is about another person; a case's person cannot be changed by an import."
                    )
                    % {"id": c.external_id},
                )
            c.person_id = case.person_id
        elif c.person_external_id and c.person_external_id in persons:
            c.person_id = persons[c.person_external_id]
        elif not c.names:
            imp.problem(
                c.row,
                plan.column_of("person_id"),
                _(
                    "No person with the id %(id)s among this organisation's records you may see; import the persons first or give a name."
                )
                % {"id": c.person_external_id},
            )
        elif not policy.has(imp.actor, C.VIEW_IDENTIFYING):
            imp.problem(
                c.row, plan.column_of("name"), _("Only users who may see names can enter a new person.")
            )
    parsed = [c for c in parsed if c.row not in imp.problems]
    # One open case per person in a compartment, across the file and the cases already stored.
    _one_open_case_per_person(imp, plan, parsed, existing)
    valid = [c for c in parsed if c.row not in imp.problems]
    imp._finish(report, rows, _CaseWriter(imp, valid, existing))


def _existing_cases(imp: Importer, ids: list[str]) -> dict[str, Case]:
    found: dict[str, Case] = {}
    for start in range(0, len(ids), BATCH):
        for case in Case.objects.filter(
            organisation=imp.organisation, external_id__in=ids[start : start + BATCH]
        ).prefetch_related("risk_reasons", "needs", "stages"):
            found[case.external_id] = case
    return found


def _persons(imp: Importer, ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    visible = policy.visible(imp.actor, Person.objects.filter(organisation=imp.organisation))
    for start in range(0, len(ids), BATCH):
        for pk, external_id in visible.filter(external_id__in=ids[start : start + BATCH]).values_list(
            "pk", "external_id"
        ):
            found[external_id] = pk
    return found


def _one_open_case_per_person(
    imp: Importer, plan: ColumnPlan, rows: list[CaseRow], existing: dict[str, Case]
) -> None:
    column = plan.column_of("person_id" if "person_id" in plan.columns else "name")
    seen: dict[tuple[int, int], CaseRow] = {}
    keys: dict[int, tuple[int, int]] = {}
    for c in rows:
        if c.person_id is None or c.status == Status.CLOSED:
            continue
        case = existing.get(c.external_id)
        compartment_id = case.compartment_id if case is not None else imp.compartment.pk
        key = (compartment_id, c.person_id)
        first = seen.setdefault(key, c)
        if first is not c:
            imp.problem(
                c.row,
                column,
                _("The person already has an open case in row %(row)s; a person has one open case at a time.")
                % {"row": first.row},
            )
        else:
            keys[c.row] = key
    person_ids = sorted({key[1] for key in keys.values()})
    open_cases: dict[tuple[int, int], int] = {}
    for start in range(0, len(person_ids), BATCH):
        for pk, compartment_id, person_id in (
            Case.objects.filter(person_id__in=person_ids[start : start + BATCH])
            .exclude(status=Status.CLOSED)
            .values_list("pk", "compartment_id", "person_id")
        ):
            open_cases[(compartment_id, person_id)] = pk
    for c in rows:
        key = keys.get(c.row)
        if key is None or key not in open_cases:
            continue
        case = existing.get(c.external_id)
        if case is None or case.pk != open_cases[key]:
            imp.problem(c.row, column, _("This person already has an open case in this compartment."))


class _CaseWriter:
    def __init__(self, imp: Importer, rows: list[CaseRow], existing: dict[str, Case]) -> None:
        self.imp = imp
        self.new = [r for r in rows if r.external_id not in existing]
        self.changed: list[tuple[CaseRow, Case]] = []
        self.same = 0
        for r in rows:
            case = existing.get(r.external_id)
            if case is None:
                continue
            if self._differs(r, case):
                self.changed.append((r, case))
            else:
                self.same += 1

    def plan_counts(self) -> tuple[int, int, int]:
        return len(self.new), len(self.changed), self.same

    @staticmethod
    def _stage_keys(case: Case) -> list[tuple[Any, ...]]:
        return [
            (s.stage_id, s.date_start, s.date_end, str(s.date_precision), s.place_id)
            for s in sorted(case.stages.all(), key=lambda s: s.pk)
        ]

    def _differs(self, r: CaseRow, case: Case) -> bool:
        return (
            _case_values(case) != r.case_values()
            or sorted(t.pk for t in case.risk_reasons.all()) != r.risk_reasons
            or sorted(t.pk for t in case.needs.all()) != r.needs
            or self._stage_keys(case) != [s.key() for s in r.stages]
        )

    def _provenance(self, r: CaseRow) -> dict[str, Any]:
        return {**self.imp.provenance, "row": r.row}

    def _new_persons(self) -> None:
        imp = self.imp
        rows = [r for r in self.new if r.person_id is None]
        persons = [
            Person(
                organisation=imp.organisation,
                compartment=imp.compartment,
                confidentiality=r.confidentiality,
                external_id=r.person_external_id or "",
                provenance={**self._provenance(r), "via": "case", "case": r.external_id},
                created_by=imp.actor,
                sex=r.sex,
                birth_date=str(ImpreciseDate.from_parts(r.birth_year)) if r.birth_year else None,
            )
            for r in rows
        ]
        Person.objects.bulk_create(persons, batch_size=BATCH)
        write_person_names(list(zip(persons, rows, strict=True)))
        for person, r in zip(persons, rows, strict=True):
            r.person_id = person.pk

    @staticmethod
    def _references(n: int) -> list[str]:
        """Draw ``n`` unused case references (random, like case_create's: see haven.cases.models.Case)."""
        chosen: set[str] = set()
        while len(chosen) < n:
            draw = {new_reference() for _ in range(n - len(chosen))} - chosen
            taken = set(Case.objects.filter(reference__in=draw).values_list("reference", flat=True))
            chosen |= draw - taken
        return sorted(chosen)

    def _write_links(self, pairs: list[tuple[CaseRow, Case]]) -> None:
        risk_through = Case.risk_reasons.through
        need_through = Case.needs.through
        risk_through.objects.bulk_create(
            [risk_through(case_id=c.pk, term_id=t) for r, c in pairs for t in r.risk_reasons],
            batch_size=BATCH,
        )
        need_through.objects.bulk_create(
            [need_through(case_id=c.pk, term_id=t) for r, c in pairs for t in r.needs], batch_size=BATCH
        )
        stages = []
        for r, c in pairs:
            for s in r.stages:
                stage = JourneyStage(
                    case=c, stage_id=s.stage_id, place_id=s.place_id, created_by=self.imp.actor
                )
                stage.date = s.date
                stages.append(stage)
        JourneyStage.objects.bulk_create(stages, batch_size=BATCH)

    def write(self) -> tuple[int, int, int]:
        imp = self.imp
        self._new_persons()
        done = 0
        for start in range(0, len(self.new), BATCH):
            batch = self.new[start : start + BATCH]
            cases = [
                Case(
                    reference=reference,
                    organisation=imp.organisation,
                    compartment=imp.compartment,
                    confidentiality=r.confidentiality,
                    person_id=r.person_id,
                    owner_id=r.owner_id,
                    status=r.status,
                    opened_on=r.opened_on,
                    closed_on=r.closed_on,
                    closure_reason=r.closure_reason,
                    risk_level=r.risk_level,
                    current_whereabouts=r.whereabouts,
                    safe_contact=r.safe_contact,
                    summary=r.summary,
                    created_by=imp.actor,
                    external_id=r.external_id,
                    provenance=self._provenance(r),
                )
                for r, reference in zip(batch, self._references(len(batch)), strict=True)
            ]
            Case.objects.bulk_create(cases)
            self._write_links(list(zip(batch, cases, strict=True)))
            done += len(batch)
            imp.progress("written", done)
        now = timezone.now()
        for start in range(0, len(self.changed), BATCH):
            batch = self.changed[start : start + BATCH]
            for r, c in batch:
                (
                    c.status, c.risk_level, c.current_whereabouts, c.safe_contact, c.summary, c.opened_on,
                    c.closed_on, c.closure_reason, c.owner_id, c.confidentiality,
                ) = r.case_values()  # fmt: skip
                c.provenance, c.updated_at = self._provenance(r), now
                c.version += 1
            Case.objects.bulk_update(
                [c for _, c in batch],
                ["status", "risk_level", "current_whereabouts", "safe_contact", "summary", "opened_on",
                 "closed_on", "closure_reason", "owner", "confidentiality", "provenance", "updated_at", "version"],
            )  # fmt: skip
            ids = [c.pk for _, c in batch]
            Case.risk_reasons.through.objects.filter(case_id__in=ids).delete()
            Case.needs.through.objects.filter(case_id__in=ids).delete()
            JourneyStage.objects.filter(case_id__in=ids).delete()
            self._write_links(batch)
        return self.plan_counts()
