"""How a pair's evidence reads for a reviewer: each comparison, the level reached, and its weight.

The engine labels its levels in English SQL-ish terms ("Absolute difference of 'birth_year' <= 1"); the
Korean-aware model's levels are translated here. A level the table does not know (another model) is shown
with the engine's own label.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from haven.lib.i18n import translated

COMPARISONS: dict[str, Promise] = {
    "surname": _("Surname"),
    "given_name": _("Given name"),
    "birth_year": _("Birth year"),
    "sex": _("Sex"),
    "origin": _("Place of origin"),
    "exit_year": _("Year of leaving"),
    "list": _("List"),
    "romanization": _("Romanization against Hangul"),
    "name": _("Name (as written)"),
    "hangul": _("Name in Hangul (as written)"),
}

MISSING = _("not recorded in one or both")
# A comparison that applies to some pairs only says so instead of "not recorded".
NOT_APPLICABLE: dict[str, Promise] = {
    "romanization": _(
        "does not apply (not the same given-name key, or no romanized name beside a Hangul one)"
    ),
}
DIFFERENT = _("different")

LEVELS: dict[str, dict[int, Promise]] = {
    "surname": {2: _("same surname"), 1: _("surname readings overlap")},
    "given_name": {
        6: _("same given name in Hangul"),
        5: _("given names differ in Hangul"),
        4: _("same given name (any spelling)"),
        3: _("another reading agrees"),
        2: _("one slip apart"),
        1: _("similar"),
    },
    "birth_year": {
        4: _("same year"),
        3: _("within 1 year"),
        2: _("within 2 years"),
        1: _("within 5 years"),
    },
    "sex": {1: _("same")},
    "origin": {
        3: _("same county"),
        2: _("same province, county unknown"),
        1: _("same province, different county"),
    },
    "exit_year": {3: _("same year"), 2: _("within 1 year"), 1: _("within 3 years")},
    "list": {1: _("same list"), 0: _("different lists")},
    "romanization": {
        1: _("the romanized given name can be spelled from the Hangul one"),
        0: _("the romanized given name cannot be spelled from the Hangul one"),
    },
}


@dataclass(frozen=True)
class EvidenceRow:
    comparison: str
    label: str
    level: str
    gamma: int
    weight: float

    @cached_property
    def verdict(self) -> str:
        """Return "missing", "agree", "against" or "neutral" (a CSS class and a screen-reader word)."""
        if self.gamma < 0:
            return "missing"
        if self.weight > 0.5:
            return "agree"
        if self.weight < -0.5:
            return "against"
        return "neutral"

    @property
    def symbol(self) -> str:
        """Return the verdict's sign beside the level (the row's class and the level's words say it too)."""
        return VERDICT_SYMBOLS[self.verdict]

    @property
    def weight_text(self) -> str:
        """Return the weight to one decimal, without a minus sign on a weight that rounds to zero.

        Formatted here, not with ``floatformat`` in the template: a review page shows a hundred and twenty of
        these, and the filter's locale-aware Decimal arithmetic was a tenth of its rendering. Haven's two
        languages both write a decimal point.
        """
        rounded = Decimal(repr(self.weight)).quantize(Decimal("0.1"), ROUND_HALF_UP)  # as floatformat rounds
        return f"{rounded.copy_abs() if rounded.is_zero() else rounded}"


VERDICT_SYMBOLS = {"agree": "✓", "against": "✗", "missing": "?", "neutral": "·"}


# Every level's words in one table, translated once per language (a review page shows over a hundred):
# (comparison, gamma) -> words, where gamma -1 is "not recorded" (or "does not apply"), and ("", gamma) holds
# the words for any comparison whose own table does not name that level.
_LEVEL_WORDS: dict[tuple[str, int], Promise] = {
    **{(name, gamma): words for name, levels in LEVELS.items() for gamma, words in levels.items()},
    **{(name, -1): words for name, words in NOT_APPLICABLE.items()},
    ("", -1): MISSING,
    ("", 0): DIFFERENT,
}


def _level_label(
    comparison: str, gamma: int, run_labels: dict[str, Any], words: dict[tuple[str, int], str]
) -> str:
    """The words for ``gamma`` of ``comparison``; ``words``: ``translated(_LEVEL_WORDS)``."""
    if gamma < 0:
        return words.get((comparison, -1)) or words[("", -1)]
    known = words.get((comparison, gamma))
    if known is not None:
        return known
    if gamma == 0:
        return words[("", 0)]
    return str(run_labels.get(comparison, {}).get(str(gamma), gamma))


def evidence_rows(evidence: dict[str, Any], run_labels: dict[str, Any]) -> list[EvidenceRow]:
    """Return a pair's evidence in the order of the model's comparisons."""
    order = [name for name in run_labels if name in evidence]
    order += [name for name in evidence if name not in order]
    comparisons, words = translated(COMPARISONS), translated(_LEVEL_WORDS)
    rows = []
    for name in order:
        gamma, weight = evidence[name]
        rows.append(
            EvidenceRow(
                comparison=name,
                label=comparisons.get(name, name),
                level=_level_label(name, int(gamma), run_labels, words),
                gamma=int(gamma),
                weight=float(weight),
            )
        )
    return rows
