"""The review pages' side-by-side and evidence tables (written in Python): escaping, masking, labels."""

from __future__ import annotations

from django.utils import translation

from haven.accounts.models import Compartment, Organisation
from haven.accounts.policy import MASK
from haven.linkage.evidence import EvidenceRow
from haven.linkage.pages import PersonCard
from haven.linkage.templatetags.review import evidence_table, side_by_side
from haven.places.models import Location
from haven.records.models import Person


def _card(pk: int, *, shown: bool, names: list[dict[str, object]], detail: str = "") -> PersonCard:
    person = Person(
        pk=pk,
        organisation=Organisation(code="alpha", name_en="Alpha <NGO>", name_ko="알파"),
        compartment=Compartment(code="alpha-main", name="main"),
        origin_province=Location(code="KP-09", name_en="North Hamgyong", name_ko="함경북도"),
        exit_year=2011,
    )
    return PersonCard(
        person=person,
        show_identifying=shown,
        names=names,
        birth_date="1984" if shown else MASK,
        origin_detail=detail if shown else MASK,
        sex="Female",
    )


def test_values_are_escaped_and_masked_cells_marked() -> None:
    shown = _card(
        7,
        shown=True,
        names=[{"kind": "Hangul", "system": "South", "text": "<script>최</script>", "primary": True}],
        detail='near the "old" mine & river',
    )
    hidden = _card(8, shown=False, names=[])
    masked = _card(9, shown=False, names=[{"kind": "Hangul", "system": "", "text": MASK, "primary": True}])
    assert '<span class="value masked">' + MASK in str(side_by_side([masked], "x"))
    assert f'<td class="masked" lang="">{MASK}</td>' in str(side_by_side([masked], "x"))
    assert '<td class="" lang="">near' in str(side_by_side([shown], "x"))
    html = str(side_by_side([shown, hidden], 'The "two" records'))
    assert "<script>" not in html and "&lt;script&gt;최&lt;/script&gt;" in html
    assert "near the &quot;old&quot; mine &amp; river" in html
    assert 'aria-label="The &quot;two&quot; records"' in html
    assert 'href="/records/persons/7/"' in html and "Record 8" in html
    assert '<td class="masked">' + MASK in html and "<li>—</li>" in html  # no names: a dash
    assert "Alpha &lt;NGO&gt; / 알파" in html and "함경북도 / North Hamgyong" in html
    assert 'class="side-by-side"' in html
    assert 'class="side-by-side wide"' in str(side_by_side([shown, hidden, shown], "x"))


def test_evidence_rows_in_order_with_their_verdicts_and_korean_labels() -> None:
    rows = [
        EvidenceRow(comparison="a", label="Surname", level="exact <match>", gamma=3, weight=4.26),
        EvidenceRow(comparison="b", label="Birth year", level="not recorded", gamma=-1, weight=0.0),
        EvidenceRow(comparison="c", label="Sex", level="differs", gamma=0, weight=-6.04),
    ]
    html = str(evidence_table(rows))
    assert html.index("Surname") < html.index("Birth year") < html.index("Sex")
    assert 'class="ev-agree"' in html and 'class="ev-missing"' in html and 'class="ev-against"' in html
    assert "exact &lt;match&gt;" in html and ">4.3<" in html and ">-6.0<" in html
    with translation.override("ko"):
        korean = str(evidence_table(rows))
    assert "Weight (bits)" in html and "Weight (bits)" not in korean
