"""How many victims went undocumented: multiple systems estimation over the lists a user may see.

Each organisation's documented victims (in the report's scope) form one list. The same human on several lists
is recognised through the reviewers' accepted merges (haven.linkage.services.identity_map) and, where given,
a linkage clusters file (source, record_id, cluster_id; as ``haven export --level multilist`` reads). The
capture histories go to the log-linear models of haven.analytics.estimation, all hierarchical models fitted
and one chosen by BIC, with its 95% profile-likelihood interval.

Estimates need overlap between lists: without linked records, or with fewer than two lists or ten people, no
estimate is given and the report says why.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from haven.accounts import policy
from haven.analytics.estimation import (
    CaptureDataError,
    CaptureHistories,
    EstimateUnavailableError,
    EstimationInputError,
    loglinear_select,
)
from haven.records.models import Act, Person

MIN_OBSERVED = 2 * policy.SMALL_CELL


@dataclass
class Estimate:
    available: bool
    reason: str = ""
    lists: tuple[str, ...] = ()
    observed: int = 0
    estimate: float | None = None
    lower: float | None = None
    upper: float | None = None
    model: str = ""
    criterion: str = "bic"
    overlaps: int = 0  # people on more than one list
    notes: list[str] = field(default_factory=list)

    @property
    def undocumented(self) -> float | None:
        return None if self.estimate is None else self.estimate - self.observed


def _identity_map(person_ids: list[int]) -> dict[int, int]:
    try:
        from haven.linkage.services import identity_map
    except ImportError:  # the linkage app is optional for reports
        return {pk: pk for pk in person_ids}
    return identity_map(person_ids)


def histories_for(
    acts: QuerySet[Act], clusters: dict[tuple[str, str], str] | None = None
) -> tuple[CaptureHistories | None, dict[str, Any]]:
    """Return the capture histories of the victims of ``acts`` (one list per organisation) and some facts."""
    victims = Person.objects.filter(pk__in=acts.values("victim_id")).values_list(
        "pk", "organisation__code", "external_id"
    )
    rows = list(victims)
    identity = _identity_map([pk for pk, _o, _e in rows])
    units: dict[tuple[str, Any], set[str]] = {}
    for pk, org, external_id in rows:
        cluster = (clusters or {}).get((org, external_id)) if external_id else None
        unit: tuple[str, Any] = ("c", cluster) if cluster is not None else ("p", identity.get(pk, pk))
        units.setdefault(unit, set()).add(org)
    lists = sorted({o for orgs in units.values() for o in orgs})
    facts = {
        "lists": tuple(lists),
        "observed": len(units),
        "overlaps": sum(1 for o in units.values() if len(o) > 1),
    }
    if len(lists) < 2 or not units:
        return None, facts
    matrix = [[int(o in orgs) for o in lists] for orgs in units.values()]
    return CaptureHistories.from_rows(matrix, lists=lists), facts


def estimate_victims(acts: QuerySet[Act], clusters: dict[tuple[str, str], str] | None = None) -> Estimate:
    """Return the estimated number of victims of acts like ``acts`` (documented or not), or why there is none."""
    histories, facts = histories_for(acts, clusters)
    base = Estimate(False, lists=facts["lists"], observed=facts["observed"], overlaps=facts["overlaps"])
    if histories is None:
        base.reason = _(
            "An estimate needs at least two lists (organisations) documenting the same kind of acts."
        )
        return base
    if facts["observed"] < MIN_OBSERVED:
        base.reason = _("Too few people documented for an estimate.")
        return base
    if facts["overlaps"] == 0:
        base.reason = _(
            "No person is known to be on more than one list: link the lists first (linkage review, or a clusters "
            "file), since estimates rest on the overlap between lists."
        )
        return base
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            selection = loglinear_select(histories, criterion="bic", level=0.95)
    except (EstimateUnavailableError, EstimationInputError, CaptureDataError) as exc:
        base.reason = _("No log-linear model gives a usable estimate for these lists: %(error)s") % {
            "error": exc
        }
        return base
    chosen = selection.chosen
    upper = chosen.upper
    return Estimate(
        True,
        lists=selection.lists,
        observed=selection.observed,
        estimate=chosen.estimate,
        lower=chosen.lower,
        upper=upper if upper is None or math.isfinite(upper) else None,
        model=chosen.model,
        overlaps=facts["overlaps"],
        notes=[*selection.warnings, *chosen.warnings],
    )
