"""How a pair's evidence reads: every level of the Korean model has a reviewer's label, in both languages."""

from __future__ import annotations

from django.utils import translation

from haven.analytics.linkage import KoreanSettings
from haven.linkage.evidence import COMPARISONS, LEVELS, MISSING, evidence_rows


def test_every_comparison_and_level_of_the_korean_model_has_a_label() -> None:
    for comparison in KoreanSettings().comparisons("link_and_dedupe"):
        name = comparison.get_comparison("duckdb").output_column_name
        assert name in COMPARISONS, name
        levels = comparison.get_comparison("duckdb").comparison_levels
        scored = [lv for lv in levels if not lv.is_null_level]
        # Gammas count down from the best level to 0 (the "else" level); each has a label or reads "different".
        for gamma in range(len(scored) - 1, 0, -1):
            assert gamma in LEVELS[name], (name, gamma)


def test_the_romanization_check_says_when_it_does_not_apply() -> None:
    rows = {r.comparison: r for r in evidence_rows({"romanization": [-1, 0.0], "sex": [-1, 0.0]}, {})}
    assert rows["romanization"].level.startswith("does not apply")
    assert rows["sex"].level == str(MISSING)
    against = evidence_rows({"romanization": [0, -4.7]}, {})[0]
    assert against.verdict == "against" and "cannot be spelled" in against.level
    with translation.override("ko"):
        assert evidence_rows({"romanization": [1, 0.2]}, {})[0].label == "로마자 표기와 한글 대조"


def test_weights_read_to_one_decimal_and_none_reads_minus_zero() -> None:
    from haven.linkage.evidence import EvidenceRow

    def row(weight: float, gamma: int = 1) -> EvidenceRow:
        return EvidenceRow(comparison="sex", label="Sex", level="same", gamma=gamma, weight=weight)

    weights = (3.46, -6.81, -0.04, 0.0, 12.0, 0.25, -0.35)
    assert [row(w).weight_text for w in weights] == ["3.5", "-6.8", "0.0", "0.0", "12.0", "0.3", "-0.4"]
    assert [(r.verdict, r.symbol) for r in (row(2.0), row(-2.0), row(0.1), row(0.0, gamma=-1))] == [
        ("agree", "✓"), ("against", "✗"), ("neutral", "·"), ("missing", "?"),
    ]  # fmt: skip
