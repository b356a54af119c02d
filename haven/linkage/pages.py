"""What the review pages show of a person: identifying values only to those who may see them.

Every person shown with its details is a read of a sensitive record, so :func:`cards` writes one
``RECORD_VIEWED`` audit entry per person (``via`` "linkage"), masked or not, like the record pages do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from haven.accounts import policy
from haven.lib.models import choice_label
from haven.linkage.evidence import EvidenceRow, evidence_rows
from haven.linkage.models import CandidatePair, LinkageRun
from haven.records.access import audit_views
from haven.records.models import NameKind, NameSystem, Person, Sex


@dataclass
class PersonCard:
    person: Person
    show_identifying: bool
    names: list[dict[str, Any]] = field(default_factory=list)
    birth_date: str = ""
    origin_detail: str = ""
    sex: str = ""

    @property
    def label(self) -> str:
        primary = next((n["text"] for n in self.names if n["primary"]), None)
        return primary or (
            self.names[0]["text"] if self.names else _("Person %(id)s") % {"id": self.person.pk}
        )


def person_card(user: Any, person: Person) -> PersonCard:
    """Return what ``user`` may see of ``person`` (names prefetched, primary first)."""
    show = policy.shows_identifying(user, person)
    names = [
        {
            "kind": choice_label(NameKind, n.kind),
            "system": choice_label(NameSystem, n.system) if n.system else "",
            "text": n.full_name if show else policy.MASK,
            "primary": n.is_primary,
        }
        for n in sorted(person.names.all(), key=lambda n: (not n.is_primary, n.pk))
    ]
    return PersonCard(
        person=person,
        show_identifying=show,
        names=names,
        birth_date=(person.birth_date or "") if show else policy.MASK,
        origin_detail=(person.origin_detail or "") if show else policy.MASK,
        sex=choice_label(Sex, person.sex),
    )


def cards(user: Any, persons: list[Person], *, request: Any = None) -> dict[int, PersonCard]:
    """Return the cards of ``persons`` and audit each as viewed."""
    out: dict[int, PersonCard] = {}
    for person in persons:
        if person.pk not in out:
            out[person.pk] = person_card(user, person)
    audit_views(user, [card.person for card in out.values()], request=request, via="linkage")
    return out


@dataclass
class PairView:
    pair: CandidatePair
    left: PersonCard
    right: PersonCard
    evidence: list[EvidenceRow]

    @property
    def percent(self) -> int:
        return round(100 * self.pair.match_probability)

    @property
    def cards(self) -> list[PersonCard]:
        return [self.left, self.right]

    @property
    def dom_id(self) -> str:
        return f"pair-{self.pair.pk}"


def pair_views(
    user: Any, run: LinkageRun, pairs: list[CandidatePair], *, request: Any = None
) -> list[PairView]:
    seen = cards(user, [p for pair in pairs for p in (pair.left, pair.right)], request=request)
    return [
        PairView(
            pair=pair,
            left=seen[pair.left_id],
            right=seen[pair.right_id],
            evidence=evidence_rows(pair.evidence, run.level_labels),
        )
        for pair in pairs
    ]
