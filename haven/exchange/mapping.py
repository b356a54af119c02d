"""Which column of a file is which Haven field: a saved ColumnMapping first, then common headers.

The default headers cover what documentation groups write in English and Korean. Headers are compared after
case folding and removing spaces, underscores, hyphens, dots and brackets ("Full name", "full_name" and
"FULLNAME" are one header; "성 명" is "성명").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from haven.exchange.models import ColumnMapping, ImportKind

# Haven fields of each kind of import, and the headers that name them by default.
PERSON_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "record id", "external id", "번호", "고유번호", "관리번호", "ID번호"),
    "name": ("name", "full name", "이름", "성명", "성함"),
    "name_hangul": (
        "name hangul",
        "hangul name",
        "name ko",
        "korean name",
        "한글이름",
        "한글성명",
        "한글 이름",
    ),
    "name_romanized": (
        "name romanized",
        "romanized name",
        "name en",
        "english name",
        "name english",
        "영문이름",
        "영문성명",
        "영문 이름",
    ),  # fmt: skip
    "sex": ("sex", "gender", "성별"),
    "birth_date": ("dob", "date of birth", "birth date", "birthdate", "생년월일", "출생일"),
    "birth_year": ("birth year", "year of birth", "생년", "출생연도", "출생년도", "출생년"),
    "origin": ("origin", "place of origin", "hometown", "home town", "출신지", "고향", "출신지역"),
    "exit_year": ("exit year", "year of exit", "year left", "탈북연도", "탈북년도", "탈북년"),
    "confidentiality": ("confidentiality", "security level", "기밀등급", "보안등급", "공개등급"),
    "notes": ("notes", "sensitive notes", "비고", "메모", "특이사항"),
}
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "act id", "record id", "external id", "번호", "행위번호", "고유번호"),
    "event_id": ("event id", "event", "사건번호", "사건 id", "사건id"),
    "title": ("title", "event title", "제목", "사건명"),
    "date": ("date", "event date", "사건일자", "일자", "날짜", "발생일"),
    "place": ("place", "location", "장소", "발생장소", "위치"),
    "description": ("description", "narrative", "내용", "사건내용", "개요"),
    "act_type": ("act type", "act", "violation", "violation type", "행위유형", "행위 유형", "침해유형"),
    "victim_id": ("victim id", "victim", "person id", "피해자번호", "피해자 id", "피해자id"),
    "victim_age": ("victim age", "age", "피해자나이", "나이", "연령"),
    "confidentiality": ("confidentiality", "security level", "기밀등급", "보안등급", "공개등급"),
    # The source of the information (HURIDOCS Information): who gave it, how they know, the interview.
    "source_id": (
        "source id", "source", "source person id", "informant id", "informant", "정보원번호", "정보원 id",
        "정보원id", "정보원", "제보자번호", "제보자", "진술자번호", "진술자",
    ),
    "source_connection": (
        "source connection", "connection", "connection to information", "source relation", "정보원관계",
        "정보원 관계", "정보원과의 관계", "제보자관계", "진술자관계",
    ),
    "source_date": ("source date", "interview date", "date of interview", "면담일", "면담일자", "진술일", "인터뷰일"),
    "source_interviewer": ("interviewer", "source interviewer", "면담자", "조사자", "면담조사자", "인터뷰어"),
    "source_language": ("source language", "language", "interview language", "언어", "면담언어", "진술언어"),
    "source_consent": ("source consent", "consent", "동의", "동의여부", "정보제공동의", "정보원 동의"),
    "source_reliability": ("source reliability", "reliability", "신뢰도", "정보신뢰도", "정보원 신뢰도"),
    "source_remarks": ("source remarks", "source notes", "remarks", "정보원 비고", "정보원비고", "면담메모", "면담 메모"),
}  # fmt: skip
CASE_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "case id", "case no", "case number", "external id", "사례번호", "케이스번호", "관리번호", "번호"),
    "person_id": ("person id", "person", "survivor id", "client id", "대상자번호", "대상자 id", "인물번호"),
    "name": ("name", "full name", "이름", "성명", "성함"),
    "name_hangul": ("name hangul", "hangul name", "korean name", "한글이름", "한글성명"),
    "name_romanized": ("name romanized", "romanized name", "english name", "영문이름", "영문성명"),
    "sex": ("sex", "gender", "성별"),
    "birth_year": ("birth year", "year of birth", "생년", "출생연도", "출생년도"),
    "status": ("status", "case status", "workflow status", "상태", "진행상태", "진행 상태"),
    "risk_level": ("risk", "risk level", "위험", "위험도", "위험수준", "위험 수준"),
    "risk_reasons": ("risk reasons", "risk factors", "reasons for risk", "위험요인", "위험 요인", "위험사유"),
    "needs": ("needs", "need", "필요", "필요지원", "필요 지원", "욕구"),
    "whereabouts": (
        "whereabouts", "current location", "current whereabouts", "location now", "현재위치", "현재 위치",
        "현거주지", "현재 거주지",
    ),
    "safe_contact": ("safe contact", "contact", "연락방법", "안전연락", "연락처"),
    "summary": ("summary", "case summary", "notes", "요약", "사례요약", "비고", "메모"),
    "journey": ("journey", "journey stages", "stages", "route", "여정", "탈북경로", "이동경로", "경로"),
    "opened_on": ("opened", "opened on", "date opened", "open date", "intake date", "개시일", "접수일", "등록일"),
    "closed_on": ("closed", "closed on", "date closed", "close date", "종결일", "종료일"),
    "closure_reason": ("closure reason", "reason closed", "reason for closing", "종결사유", "종결 사유"),
    "owner": ("owner", "case worker", "caseworker", "worker", "담당자", "담당 사회복지사", "사례관리자"),
    "confidentiality": ("confidentiality", "security level", "기밀등급", "보안등급", "공개등급"),
}  # fmt: skip
FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    ImportKind.PERSONS: PERSON_FIELDS,
    ImportKind.EVENTS: EVENT_FIELDS,
    ImportKind.CASES: CASE_FIELDS,
}
REQUIRED: dict[str, tuple[str, ...]] = {
    ImportKind.PERSONS: ("id",),
    ImportKind.EVENTS: ("id", "event_id", "title", "act_type", "victim_id"),
    ImportKind.CASES: ("id", "opened_on"),
}

_NOISE = re.compile(r"[\s_\-.()\[\]/:]+")


def header_key(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text).casefold())


class MappingError(Exception):
    """The columns of the file cannot be mapped; the message says why."""


@dataclass
class ColumnPlan:
    """The resolved plan: Haven field → source column, plus value maps per field."""

    columns: dict[str, str]
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def column_of(self, haven_field: str) -> str:
        return self.columns.get(haven_field, haven_field)


def resolve(kind: str, headers: list[str], saved: ColumnMapping | None = None) -> ColumnPlan:
    """Return which header is which field, or raise MappingError naming the missing or unknown columns."""
    fields = FIELDS[kind]
    columns: dict[str, str] = {}
    value_maps: dict[str, dict[str, str]] = {}
    if saved is not None:
        for source, target in (saved.mapping or {}).items():
            if target not in fields:
                raise MappingError(
                    _("The saved mapping names an unknown field %(field)s.") % {"field": target}
                )
            if source in headers:
                columns[target] = source
        value_maps = {
            f: {header_key(str(k)): str(v) for k, v in m.items()} for f, m in (saved.value_maps or {}).items()
        }
    defaults = {header_key(alias): f for f, aliases in fields.items() for alias in (f, *aliases)}
    ignored = []
    for header in headers:
        if header in columns.values():
            continue
        target = defaults.get(header_key(header))
        if target is None:
            ignored.append(header)
            continue
        if target in columns:
            raise MappingError(
                _("The columns %(first)s and %(second)s both mean %(field)s; name one in a mapping.")
                % {"first": columns[target], "second": header, "field": target}
            )
        columns[target] = header
    missing = [f for f in REQUIRED[kind] if f not in columns]
    if missing:
        raise MappingError(_("Required columns are missing: %(fields)s.") % {"fields": ", ".join(missing)})
    if kind == ImportKind.PERSONS and not {"name", "name_hangul", "name_romanized"} & columns.keys():
        raise MappingError(_("The file has no name column (name, name_hangul or name_romanized)."))
    if (
        kind == ImportKind.CASES
        and not {"person_id", "name", "name_hangul", "name_romanized"} & columns.keys()
    ):
        raise MappingError(
            _("The file has no person column (person_id, or a name to enter the person with the case).")
        )
    return ColumnPlan(columns=columns, value_maps=value_maps, ignored=ignored)
