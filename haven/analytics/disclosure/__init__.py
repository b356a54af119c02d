"""Disclosure control for tables about people, free of Django.

k-anonymity: in a table released outside Haven, every combination of quasi-identifiers (sex, birth year, county
of origin, exit year: values that, together, can single a person out to someone who knows them) must be shared
by at least k rows (Haven uses k = 5, as for small cells). :func:`check_k_anonymity` finds every combination
shared by fewer, names its rows, and ranks coarsenings that would fix them (birth year to 5-year bands, county
to province, exit year to periods); :func:`generalise_rows` applies them.

Typical use::

    from haven.analytics.disclosure import check_k_anonymity

    report = check_k_anonymity(rows, ["sex", "birth_year", "origin_province", "exit_year"], k=5,
                               labels=[r["pseudonym"] for r in rows])
    if not report.ok:
        print(report.summary())

Import rule: import from this package; ``internals/`` may change without notice.
"""

from __future__ import annotations

from .internals.generalise import (
    DEFAULT_GENERALISERS,
    EXIT_PERIODS,
    Generaliser,
    code_prefix,
    suppress,
    year_band,
    year_periods,
)
from .internals.kanon import DisclosureReport, Group, Suggestion, check_k_anonymity, generalise_rows

__all__ = [
    "DEFAULT_GENERALISERS",
    "EXIT_PERIODS",
    "DisclosureReport",
    "Generaliser",
    "Group",
    "Suggestion",
    "check_k_anonymity",
    "code_prefix",
    "generalise_rows",
    "suppress",
    "year_band",
    "year_periods",
]
