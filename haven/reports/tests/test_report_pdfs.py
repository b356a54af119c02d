"""The organisation report and a transit brief as PDF, in Korean and in English, from synthetic demo data.

The text of each PDF is extracted (pypdf) and checked: Hangul present and correct, and every figure printed
equal to what the database holds for the user. Page images go to test-artifacts/reports/ for a human to look at.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader

from haven.accounts.models import Compartment, Organisation, Role
from haven.accounts.tests.personas import make_user
from haven.analytics.disclosure import WITHHELD, protect_partition
from haven.audit.models import AuditAction, AuditEntry
from haven.demo.generator import DemoBuilder
from haven.records.models import Act
from haven.reports.rendering import pdf_pages_to_png
from haven.reports.services import report_generate

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "reports"


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def save_pages(pdf: bytes, stem: str) -> list[Path]:
    (ARTIFACTS / f"{stem}.pdf").parent.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{stem}.pdf").write_bytes(pdf)
    for old in ARTIFACTS.glob(f"{stem}-*.png"):
        old.unlink()
    return pdf_pages_to_png(pdf, ARTIFACTS, stem, dpi=60)


@pytest.fixture
def demo(reference):  # type: ignore[no-untyped-def]
    DemoBuilder(persons=260, seed=11).build()
    user = make_user(Role.DOCUMENTER, list(Compartment.objects.all()))[0]
    return user


def test_organisation_report_pdfs_in_korean_and_english_match_the_database(demo) -> None:
    user = demo
    org = Organisation.objects.get(code="hanbit")
    acts = Act.objects.filter(organisation=org)  # a documenter granted every compartment sees every act
    total = acts.count()
    victims = acts.values("victim_id").distinct().count()
    assert total >= 50
    by_type = Counter(acts.values_list("act_type__label_ko", "act_type__label_en"))

    ko = report_generate(actor=user, kind="organisation", organisation="hanbit", lang="ko", fmt="pdf")
    en = report_generate(actor=user, kind="organisation", organisation="hanbit", lang="en", fmt="pdf")
    assert ko.content.startswith(b"%PDF") and en.content.startswith(b"%PDF")
    ko_text, en_text = text_of(ko.content), text_of(en.content)

    # Hangul, present and correct: the title, the organisation's Korean name, labels, obligations.
    assert "정기 보고서: 한빛 증언기록원 (가상)" in ko_text
    assert "집계 수치만 담고 있습니다" in ko_text
    assert "관련 국제 의무" in ko_text and "강제송환 (농르풀망, 강제북송)" in ko_text
    assert "1951년 난민의 지위에 관한 협약" in ko_text
    assert "Periodic report: Hanbit Testimony Archive (fictional)" in en_text
    assert not re.search(r"[\uac00-\ud7a3]", en_text.split("Reference context")[0].replace("통일부", ""))

    # Figures: the totals, and every act type with its count as the database has it.
    assert f"피해자 {victims}명에 대해 기록된 행위 {total}건" in ko_text
    assert f"{total} documented acts against {victims} victims" in en_text
    # Every row as the small-cell rule shows it: exact, "<5", or withheld (with the smallest large cells).
    labels, counts = list(by_type), list(by_type.values())
    shown = protect_partition(counts, 5)
    assert shown is not None and any(s == str(n) for s, n in zip(shown, counts, strict=True))
    for (label_ko, label_en), n, s in zip(labels, counts, shown, strict=True):
        assert f"{label_ko} {s.replace(WITHHELD, '비공개')}" in ko_text, (label_ko, n, s)
        assert f"{label_en} {s}" in en_text, (label_en, n, s)
    assert re.search(rf"합계 {total}\b", ko_text) and re.search(rf"Total {total}\b", en_text)

    # Reference context, cited.
    assert "Ministry of Unification" in en_text and "2026-02-04" in en_text

    # Both generations are in the audit log, with the hash of what was handed out.
    entries = AuditEntry.objects.filter(action=AuditAction.REPORT_GENERATED).order_by("seq")
    assert [e.details["language"] for e in entries] == ["ko", "en"]
    assert [e.details["sha256"] for e in entries] == [ko.sha256, en.sha256]
    assert all(e.details["organisation"] == "hanbit" and e.actor == user for e in entries)

    assert len(save_pages(ko.content, "organisation-ko")) >= 3
    assert len(save_pages(en.content, "organisation-en")) >= 3


def test_transit_brief_pdf_for_china_in_korean(demo) -> None:
    user = demo
    acts = Act.objects.filter(location__path__startswith="/CN/")
    total = acts.count()
    brief = report_generate(actor=user, kind="transit", country="CN", lang="ko", fmt="pdf")
    text = text_of(brief.content)
    assert "경유국 브리핑: 중국" in text
    assert f"기록된 행위 {total}건" in text
    assert "3등급" in text  # TIP tiers of China
    assert "1951년 난민의 지위에 관한 협약 및 1967년 의정서 제33조" in text and "1982" in text
    assert "UNHCR 자료에는 이 나라의 북한 출신 난민이나 비호신청자가 없습니다" in text
    assert save_pages(brief.content, "transit-cn-ko")
