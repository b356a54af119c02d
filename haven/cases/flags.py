"""Flags derived from what an incident record says: computed every time, never stored, never typed.

The rules follow UNICEF's Primero (``gbv_case_context`` in app/models/concerns/gender_based_violence.rb and
``elapsed_reporting_time``), extended with the elements of trafficking in the Palermo Protocol:

- *possible sexual exploitation*: rape or sexual assault, and goods or money changed hands (including a sale
  price recorded for the person), or the purpose of trafficking was prostitution or sexual exploitation;
- *possible sexual slavery*: rape or sexual assault while the survivor was abducted or trafficked, or held
  for a purpose of trafficking;
- *child*: the survivor was under 18 at the time, from the age recorded or from the birth date and the
  incident date (both may be imprecise: "possibly a child" when the ranges do not decide);
- *reporting delay*: time from the incident to its first report, in the GBVIMS bands, and whether it is
  certainly past the 72 hours in which post-exposure prophylaxis and emergency care work best;
- *trafficking*: the three Palermo elements (act, means, purpose) are all recorded; for a child the act and
  the purpose suffice (Palermo Protocol art. 3(c)).

Pure functions over plain values, so each rule is tested on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from haven.lib.dates import ImpreciseDate

# The act type each GBVIMS type is documented as (HURIDOCS MT4 codes in haven/vocab/data/act-types.yaml).
# Denial of resources and non-GBV incidents have no single equivalent: the user chooses one.
GBV_ACT_TYPES: dict[str, str] = {
    "rape": "02011101",
    "sexual_assault": "02011103",
    "physical_assault": "020101",
    "forced_marriage": "070102",
    "psychological_abuse": "020103",
}

SEXUAL_TYPES = frozenset({"rape", "sexual_assault"})
SEXUAL_PURPOSES = frozenset({"prostitution", "sexual_exploitation"})
ABDUCTED = frozenset({"trafficked", "forced_conscription", "other_abduction"})
ADULT_AGE = 18
PEP_WINDOW_DAYS = 3


class ChildStatus(StrEnum):
    CHILD = "child"
    POSSIBLY_CHILD = "possibly_child"
    ADULT = "adult"
    UNKNOWN = "unknown"


# GBVIMS "elapsed reporting time" bands: (code, first day, last day or None for open-ended).
DELAY_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0_3_days", 0, 3),
    ("4_5_days", 4, 5),
    ("6_14_days", 6, 14),
    ("15_30_days", 15, 30),
    ("over_1_month", 31, None),
)


def delay_band(days: int) -> str:
    for code, low, high in DELAY_BANDS:
        if days >= low and (high is None or days <= high):
            return code
    return DELAY_BANDS[0][0]  # negative: reported before the latest day the incident may have ended


@dataclass(frozen=True)
class ReportingDelay:
    """The delay between an incident and its first report, as a band or a range of bands."""

    min_days: int
    max_days: int
    first_band: str
    last_band: str

    @property
    def is_exact_band(self) -> bool:
        return self.first_band == self.last_band

    @property
    def late(self) -> bool:
        """Certainly reported after the first 72 hours."""
        return self.min_days > PEP_WINDOW_DAYS


@dataclass(frozen=True)
class IncidentFacts:
    gbv_type: str | None
    incident_date: ImpreciseDate
    first_reported_on: date | None = None
    survivor_age: int | None = None
    survivor_birth: ImpreciseDate | None = None
    goods_money_exchanged: bool = False
    sale_price_recorded: bool = False
    abduction_status: str = "none"
    trafficking_acts: frozenset[str] = field(default_factory=frozenset)
    trafficking_means: frozenset[str] = field(default_factory=frozenset)
    trafficking_purposes: frozenset[str] = field(default_factory=frozenset)


def _years_between(earlier: date, later: date) -> int:
    years = later.year - earlier.year
    if (later.month, later.day) < (earlier.month, earlier.day):
        years -= 1
    return years


def age_range(facts: IncidentFacts) -> tuple[int, int] | None:
    """Return the youngest and oldest the survivor can have been at the incident, if anything says."""
    if facts.survivor_age is not None:
        return facts.survivor_age, facts.survivor_age
    birth, when = facts.survivor_birth, facts.incident_date
    if birth is None or not birth.is_known or not when.is_known:
        return None
    assert birth.start and birth.end and when.start and when.end  # noqa: S101  (known dates have both ends)
    youngest = max(0, _years_between(birth.end, when.start))
    oldest = max(0, _years_between(birth.start, when.end))
    return youngest, oldest


def child_status(facts: IncidentFacts) -> ChildStatus:
    ages = age_range(facts)
    if ages is None:
        return ChildStatus.UNKNOWN
    youngest, oldest = ages
    if oldest < ADULT_AGE:
        return ChildStatus.CHILD
    if youngest >= ADULT_AGE:
        return ChildStatus.ADULT
    return ChildStatus.POSSIBLY_CHILD


def possible_sexual_exploitation(facts: IncidentFacts) -> bool:
    if facts.gbv_type not in SEXUAL_TYPES:
        return False
    return (
        facts.goods_money_exchanged
        or facts.sale_price_recorded
        or bool(facts.trafficking_purposes & SEXUAL_PURPOSES)
    )


def possible_sexual_slavery(facts: IncidentFacts) -> bool:
    if facts.gbv_type not in SEXUAL_TYPES:
        return False
    return facts.abduction_status in ABDUCTED or bool(facts.trafficking_purposes)


def reporting_delay(facts: IncidentFacts) -> ReportingDelay | None:
    when, reported = facts.incident_date, facts.first_reported_on
    if reported is None or not when.is_known:
        return None
    assert when.start and when.end  # noqa: S101
    low = max(0, (reported - when.end).days)
    high = max(0, (reported - when.start).days)
    return ReportingDelay(low, high, delay_band(low), delay_band(high))


def trafficking_elements_met(facts: IncidentFacts) -> bool:
    if not facts.trafficking_acts or not facts.trafficking_purposes:
        return False
    return bool(facts.trafficking_means) or child_status(facts) == ChildStatus.CHILD


def codes(terms: Iterable[object]) -> frozenset[str]:
    return frozenset(str(getattr(t, "code", t)) for t in terms)
