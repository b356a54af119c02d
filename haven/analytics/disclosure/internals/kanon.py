"""k-anonymity: find the combinations of quasi-identifiers shared by fewer than k rows, and what would fix them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from .generalise import MISSING, Generaliser

Row = Mapping[str, Any] | Sequence[Any]


@dataclass(frozen=True)
class Group:
    """A combination of quasi-identifier values and the rows that have it.

    Attributes:
        combination: ``(column, value)`` pairs, in the order of the quasi-identifiers (``""`` = missing).
        rows: The labels of the rows (row numbers from 1, or the ids given).
    """

    combination: tuple[tuple[str, str], ...]
    rows: tuple[Any, ...]

    @property
    def size(self) -> int:
        return len(self.rows)

    def describe(self) -> str:
        return ", ".join(f"{c}={v if v != MISSING else '(missing)'}" for c, v in self.combination)


@dataclass(frozen=True)
class Suggestion:
    """Coarsening some columns, and how many rows would still fail afterwards."""

    generalisers: tuple[tuple[str, Generaliser], ...]
    failing_rows: int
    failing_groups: int

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c, _g in self.generalisers)

    def describe(self) -> str:
        return "; ".join(
            f"{c} (removed)" if g.name == "suppress" else f"{c} to {g.description}"
            for c, g in self.generalisers
        )


@dataclass(frozen=True)
class DisclosureReport:
    """The result of a k-anonymity check.

    Attributes:
        k: The threshold: every combination must be shared by at least k rows.
        quasi_identifiers: The columns checked.
        rows: Number of rows checked.
        failing: The combinations shared by fewer than k rows, rarest first.
        suggestions: Coarsenings to try, best first (fewest rows still failing, then fewest columns changed).
        applied: Generalisations already applied to the data before this check.
    """

    k: int
    quasi_identifiers: tuple[str, ...]
    rows: int
    failing: tuple[Group, ...]
    suggestions: tuple[Suggestion, ...] = ()
    applied: tuple[tuple[str, Generaliser], ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.failing

    @property
    def failing_rows(self) -> tuple[Any, ...]:
        return tuple(r for g in self.failing for r in g.rows)

    def summary(self, limit: int = 20) -> str:
        """Return a plain-English account: which combinations fail, their rows, and what to coarsen."""
        if self.ok:
            return f"Every combination of {', '.join(self.quasi_identifiers)} is shared by at least {self.k} rows."
        lines = [
            f"{len(self.failing_rows)} of {self.rows} rows have a combination of "
            f"{', '.join(self.quasi_identifiers)} shared by fewer than {self.k} rows:"
        ]
        for g in self.failing[:limit]:
            lines.append(f"  {g.describe()}: {g.size} row(s): {', '.join(map(str, g.rows))}")
        if len(self.failing) > limit:
            lines.append(f"  ... and {len(self.failing) - limit} more combinations")
        for s in self.suggestions[:3]:
            lines.append(f"Coarsening {s.describe()} would leave {s.failing_rows} row(s) failing.")
        return "\n".join(lines)


def _value(row: Row, column: str, index: int) -> Any:
    if isinstance(row, Mapping):
        return row.get(column)
    return row[index]


def _norm(value: Any) -> str:
    return MISSING if value is None else str(value).strip()


def _groups(keys: list[tuple[str, ...]], labels: Sequence[Any]) -> dict[tuple[str, ...], list[Any]]:
    groups: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    for key, label in zip(keys, labels, strict=True):
        groups[key].append(label)
    return groups


def _failing(
    keys: list[tuple[str, ...]], labels: Sequence[Any], qi: Sequence[str], k: int
) -> tuple[Group, ...]:
    found = [
        Group(tuple(zip(qi, key, strict=True)), tuple(rows))
        for key, rows in _groups(keys, labels).items()
        if len(rows) < k
    ]
    return tuple(sorted(found, key=lambda g: (g.size, [str(v) for _c, v in g.combination])))


def check_k_anonymity(
    rows: Sequence[Row],
    quasi_identifiers: Sequence[str],
    *,
    k: int = 5,
    labels: Sequence[Any] | None = None,
    columns: Sequence[str] | None = None,
    generalisers: Mapping[str, Generaliser] | None = None,
    suggest: bool = True,
) -> DisclosureReport:
    """Return every combination of ``quasi_identifiers`` shared by fewer than ``k`` rows, naming its rows.

    A missing value (``None`` or ``""``) counts as a value of its own: a reader of the table sees it.

    Args:
        rows: Mappings (column -> value) or sequences (then give ``columns``, the names of their positions).
        quasi_identifiers: The columns that, combined, could single a person out (e.g. sex, birth year,
            county of origin, exit year).
        k: The smallest group allowed.
        labels: How to name each row in the report (pseudonyms, ids); default row numbers from 1.
        columns: Column names of sequence rows.
        generalisers: Candidate coarsenings per column, tried for the suggestions (default: Haven's).
        suggest: Compute suggestions (each is a re-check of the table).

    Returns:
        The report; ``report.ok`` when every combination has at least ``k`` rows.

    Raises:
        ValueError: ``k`` < 2, no quasi-identifiers, a quasi-identifier not among ``columns``, or ``labels``
            of the wrong length.
    """
    from .generalise import DEFAULT_GENERALISERS

    qi = tuple(quasi_identifiers)
    if k < 2:
        raise ValueError("k must be at least 2")
    if not qi:
        raise ValueError("name at least one quasi-identifier")
    index = {c: i for i, c in enumerate(columns)} if columns is not None else {}
    if columns is not None:
        missing = [c for c in qi if c not in index]
        if missing:
            raise ValueError(f"quasi-identifiers not among the columns: {', '.join(missing)}")
    names = list(labels) if labels is not None else list(range(1, len(rows) + 1))
    if len(names) != len(rows):
        raise ValueError(f"{len(names)} labels for {len(rows)} rows")
    values = [tuple(_norm(_value(r, c, index.get(c, 0))) for c in qi) for r in rows]
    failing = _failing(values, names, qi, k)
    suggestions: list[Suggestion] = []
    if suggest and failing:
        candidates = generalisers if generalisers is not None else DEFAULT_GENERALISERS
        usable = [(c, candidates[c]) for c in qi if c in candidates]
        for size in range(1, len(usable) + 1):
            for chosen in combinations(usable, size):
                positions = {qi.index(c): g for c, g in chosen}
                coarse = [
                    tuple(_norm(positions[i](v)) if i in positions else v for i, v in enumerate(key))
                    for key in values
                ]
                after = _failing(coarse, names, qi, k)
                suggestions.append(Suggestion(tuple(chosen), sum(g.size for g in after), len(after)))
        suggestions.sort(key=lambda s: (s.failing_rows, len(s.generalisers), s.columns))
    return DisclosureReport(k, qi, len(rows), failing, tuple(suggestions))


def generalise_rows(
    rows: Sequence[Mapping[str, Any]], generalisers: Mapping[str, Generaliser]
) -> list[dict[str, Any]]:
    """Return copies of ``rows`` with each column in ``generalisers`` coarsened."""
    return [{c: (generalisers[c](v) if c in generalisers else v) for c, v in row.items()} for row in rows]
