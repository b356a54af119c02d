"""Disclosure control for tables about people, free of Django.

Small cells: in a table of counts shown to someone who may not see them, no count from 1 to 4 may be read or
worked out from the rest (totals, other cells, the rules themselves). :func:`protect_partition` protects a
breakdown of a shown total, :func:`protect_flag` one yes/no property out of a total, :func:`protect_table` a
table of breakdowns (one per stratum) printed with their totals and a grand total; :func:`disclose_total`
shows one count alone. Each returns labels: the count, ``"<5"`` or :data:`WITHHELD`. Every user of Haven's
statistics (case statistics, reports, estimation runs) goes through these; the rules are in
``internals/smallcells.py`` and are checked against a reader who knows them.

k-anonymity: in a table released outside Haven, every combination of quasi-identifiers (sex, birth year, county
of origin, exit year: values that, together, can single a person out to someone who knows them) must be shared
by at least k rows (Haven uses k = 5, as for small cells). :func:`check_k_anonymity` finds every combination
shared by fewer, names its rows, and ranks coarsenings that would fix them (birth year to 5-year bands, county
to province, exit year to periods); :func:`generalise_rows` applies them.

Typical use::

    from haven.analytics.disclosure import WITHHELD, check_k_anonymity, protect_partition

    protect_partition([3, 2, 10])  # ["<5", "<5", "10"]
    protect_partition([1, 12, 8])  # [WITHHELD, "12", WITHHELD]

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
from .internals.smallcells import (
    SMALL,
    THRESHOLD,
    WITHHELD,
    ProtectedTable,
    disclose_total,
    min_population,
    protect_flag,
    protect_partition,
    protect_table,
)

__all__ = [
    "DEFAULT_GENERALISERS",
    "EXIT_PERIODS",
    "SMALL",
    "THRESHOLD",
    "WITHHELD",
    "DisclosureReport",
    "Generaliser",
    "Group",
    "ProtectedTable",
    "Suggestion",
    "check_k_anonymity",
    "code_prefix",
    "disclose_total",
    "generalise_rows",
    "min_population",
    "protect_flag",
    "protect_partition",
    "protect_table",
    "suppress",
    "year_band",
    "year_periods",
]
