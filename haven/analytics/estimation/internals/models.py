"""Hierarchical log-linear models for J-list capture data: terms, names, designs, enumeration.

A model is a downward-closed set of *terms*; a term is a sorted tuple of 0-based list
indices (``(0,)`` is the main effect of list 1, ``(0, 1)`` the 1x2 interaction). Main
effects are always present. Names use Rcapture's bracket notation over 1-based list
numbers, listing only the maximal terms, highest order first: ``"[12,3,4]"``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from .errors import EstimationInputError, TooManyModelsError

__all__ = [
    "DEFAULT_MAX_MODELS",
    "Heterogeneity",
    "LoglinearModel",
    "all_hierarchical_models",
    "cell_patterns",
    "count_hierarchical_models",
    "parse_model",
]

Term = tuple[int, ...]
HeterogeneityKind = Literal["chao", "poisson", "darroch", "gamma"]

#: Rcapture's closedpMS.t refuses to enumerate more than about this many models.
DEFAULT_MAX_MODELS = 10_000

_HETEROGENEITY_DEFAULT_THETA: dict[str, float] = {"poisson": 2.0, "gamma": 3.5}
_HETEROGENEITY_LABEL = {"chao": "Chao (LB)", "poisson": "Poisson", "darroch": "Darroch", "gamma": "Gamma"}


@dataclass(frozen=True)
class Heterogeneity:
    """Individual-heterogeneity columns f(k) of the capture count k (Rivest & Baillargeon 2007).

    Attributes:
        kind: ``"chao"`` (lower-bound model, columns ``(k - j + 1)+`` for j = 3..J whose
            negative coefficients are removed), ``"poisson"`` (``theta**k - 1``),
            ``"darroch"`` (``k**2 / 2``) or ``"gamma"`` (``log(theta) - log(theta + k)``).
        theta: Parameter of the Poisson (default 2) and Gamma (default 3.5) forms.
    """

    kind: HeterogeneityKind
    theta: float | None = None

    @classmethod
    def parse(cls, kind: str | Heterogeneity | None, theta: float | None = None) -> Heterogeneity | None:
        """Return a validated heterogeneity spec (``"lb"`` is an alias of ``"chao"``)."""
        if kind is None or isinstance(kind, Heterogeneity):
            return kind
        key = kind.lower()
        if key == "lb":
            key = "chao"
        if key not in _HETEROGENEITY_LABEL:
            raise EstimationInputError(
                f"unknown heterogeneity {kind!r}; use one of chao, lb, poisson, darroch, gamma"
            )
        if key in _HETEROGENEITY_DEFAULT_THETA:
            theta = _HETEROGENEITY_DEFAULT_THETA[key] if theta is None else float(theta)
            if theta <= 0:
                raise EstimationInputError("heterogeneity theta must be positive")
        else:
            theta = None
        return cls(key, theta)  # type: ignore[arg-type]

    @property
    def label(self) -> str:
        """Return the Rcapture-style label (``"Poisson2"``, ``"Gamma3.5"``, ``"Darroch"``)."""
        base = _HETEROGENEITY_LABEL[self.kind]
        if self.theta is None:
            return base
        return f"{base}{self.theta:g}"

    def columns(self, k: NDArray[np.int64], num_lists: int) -> NDArray[np.float64]:
        """Return the heterogeneity design columns for capture counts ``k`` (2-D)."""
        kf = k.astype(np.float64)
        theta = self.theta if self.theta is not None else _HETEROGENEITY_DEFAULT_THETA.get(self.kind, 1.0)
        if self.kind == "chao":
            if num_lists < 3:
                return np.zeros((len(k), 0))
            return np.column_stack([np.maximum(kf - j + 1, 0.0) for j in range(3, num_lists + 1)])
        if self.kind == "poisson":
            return (theta**kf - 1.0)[:, None]
        if self.kind == "darroch":
            return (kf**2 / 2.0)[:, None]
        return (np.log(theta) - np.log(theta + kf))[:, None]


@dataclass(frozen=True)
class LoglinearModel:
    """A log-linear capture-recapture model.

    Attributes:
        num_lists: J.
        terms: All interaction terms (size >= 2) present; main effects are implicit.
        homogeneous: If true, the J main effects are replaced by one column k (the number
            of lists a pattern is on): Rcapture's M0 (or Mh with heterogeneity).
        heterogeneity: Optional heterogeneity columns.
    """

    num_lists: int
    terms: frozenset[Term] = frozenset()
    homogeneous: bool = False
    heterogeneity: Heterogeneity | None = None

    @property
    def generators(self) -> list[Term]:
        """Return the maximal terms (including main effects not covered), in name order."""
        all_terms = set(self.terms) | {(j,) for j in range(self.num_lists)}
        maximal = [t for t in all_terms if not any(set(t) < set(u) for u in all_terms)]
        return sorted(maximal, key=lambda t: (-len(t), t))

    @property
    def order(self) -> int:
        """Return the highest interaction order (1 for independence)."""
        return max((len(t) for t in self.terms), default=1)

    @property
    def name(self) -> str:
        """Return the model name: bracket notation, or M0/Mh/Mth names as in Rcapture."""
        if self.homogeneous:
            base = "M0" if self.heterogeneity is None else "Mh"
        elif not self.terms and self.heterogeneity is not None:
            base = "Mth"
        else:
            base = term_name(self.generators)
        if self.heterogeneity is None:
            return base
        sep = " " if base in ("Mh", "Mth") else " + "
        return f"{base}{sep}{self.heterogeneity.label}"

    @property
    def bracket(self) -> str:
        """Return the bracket notation of the list-interaction part (``"[1,2,3,4]"`` for Mt)."""
        return term_name(self.generators)

    def sorted_terms(self) -> list[Term]:
        """Return the interaction terms by order, then lexicographically."""
        return sorted(self.terms, key=lambda t: (len(t), t))

    def column_names(self) -> list[str]:
        """Return the design column names (intercept first)."""
        names = ["(Intercept)"]
        if self.homogeneous:
            names.append("k")
        else:
            names.extend(str(j + 1) for j in range(self.num_lists))
            names.extend("".join(str(i + 1) for i in t) for t in self.sorted_terms())
        if self.heterogeneity is not None:
            width = self.heterogeneity.columns(np.array([1]), self.num_lists).shape[1]
            if self.heterogeneity.kind == "chao":
                names.extend(f"eta{j}" for j in range(3, 3 + width))
            else:
                names.append("tau")
        return names

    def design(self, patterns: NDArray[np.int8] | NDArray[np.int64]) -> NDArray[np.float64]:
        """Return the design matrix (intercept first) for the given 0/1 patterns."""
        x = patterns.astype(np.float64)
        k = patterns.sum(axis=1).astype(np.int64)
        cols: list[NDArray[np.float64]] = [np.ones(len(x))]
        if self.homogeneous:
            cols.append(k.astype(np.float64))
        else:
            cols.extend(x[:, j] for j in range(self.num_lists))
            cols.extend(np.prod(x[:, list(t)], axis=1) for t in self.sorted_terms())
        design = np.column_stack(cols)
        if self.heterogeneity is not None:
            design = np.hstack([design, self.heterogeneity.columns(k, self.num_lists)])
        return design


def term_name(terms: Sequence[Term]) -> str:
    """Return bracket notation for the given maximal terms (1-based digits)."""
    return "[" + ",".join("".join(str(i + 1) for i in t) for t in terms) + "]"


def cell_patterns(num_lists: int, *, include_zero: bool = False) -> NDArray[np.int8]:
    """Return all 0/1 patterns in code order (row c is the pattern whose binary code is c).

    Args:
        num_lists: J.
        include_zero: Include the unobservable all-zero pattern as row 0.
    """
    codes = np.arange(0 if include_zero else 1, 2**num_lists, dtype=np.int64)
    weights = 2 ** np.arange(num_lists - 1, -1, -1, dtype=np.int64)
    return ((codes[:, None] // weights[None, :]) % 2).astype(np.int8)


def _downward_closure(generators: Sequence[Term]) -> frozenset[Term]:
    terms: set[Term] = set()
    for g in generators:
        for size in range(2, len(g) + 1):
            terms.update(itertools.combinations(g, size))
    return frozenset(terms)


_BRACKET = re.compile(r"^\[\s*([0-9]+(\s*,\s*[0-9]+)*)?\s*\]$")


def parse_model(
    spec: str | LoglinearModel | Sequence[Sequence[int | str] | str],
    num_lists: int,
    list_names: Sequence[str] | None = None,
) -> LoglinearModel:
    """Return the model described by ``spec``.

    Args:
        spec: One of ``"M0"``, ``"Mt"`` (independence, also ``"independence"``),
            ``"saturated"`` (all terms up to order J-1), bracket notation such as
            ``"[12,3,4]"``, a :class:`LoglinearModel`, or a sequence of terms where each
            term is a sequence of 1-based list numbers or list names, or a digit string.
        num_lists: J.
        list_names: Names accepted in term sequences.

    Returns:
        The hierarchical model (main effects always included).

    Raises:
        EstimationInputError: If the spec is malformed, names an unknown list or contains
            the J-way interaction, which is aliased with the unobserved cell.
    """
    if isinstance(spec, LoglinearModel):
        if spec.num_lists != num_lists:
            raise EstimationInputError(f"model is for {spec.num_lists} lists, data has {num_lists}")
        return spec
    generators: list[Term] = []
    if isinstance(spec, str):
        key = spec.strip()
        lowered = key.lower()
        if lowered == "m0":
            return LoglinearModel(num_lists, homogeneous=True)
        if lowered in ("mt", "independence"):
            return LoglinearModel(num_lists)
        if lowered == "saturated":
            return LoglinearModel(
                num_lists,
                _downward_closure(list(itertools.combinations(range(num_lists), num_lists - 1))),
            )
        match = _BRACKET.match(key)
        if match is None:
            raise EstimationInputError(
                f"cannot read model {spec!r}; use bracket notation such as '[12,3,4]', 'M0' or 'Mt'"
            )
        if num_lists > 9:
            raise EstimationInputError("bracket notation supports at most 9 lists; pass terms as sequences")
        body = key[1:-1].strip()
        for part in [p.strip() for p in body.split(",")] if body else []:
            generators.append(_term_from_digits(part, num_lists, spec))
    else:
        for raw in spec:
            if isinstance(raw, str):
                generators.append(_term_from_digits(raw, num_lists, raw))
                continue
            members: list[int] = []
            for item in raw:
                if isinstance(item, str) and not item.isdigit():
                    if list_names is None or item not in list_names:
                        raise EstimationInputError(f"unknown list {item!r} in model term {tuple(raw)!r}")
                    members.append(list(list_names).index(item))
                else:
                    index = int(item)
                    if not 1 <= index <= num_lists:
                        raise EstimationInputError(
                            f"list number {index} in model term is not in 1..{num_lists}"
                        )
                    members.append(index - 1)
            term = tuple(sorted(set(members)))
            if not term:
                raise EstimationInputError("empty model term")
            generators.append(term)
    for term in generators:
        if len(term) >= num_lists:
            raise EstimationInputError(
                f"the {num_lists}-way interaction cannot be estimated: it is aliased with the "
                "unobserved cell (use order at most J-1)"
            )
    return LoglinearModel(num_lists, _downward_closure(generators))


def _term_from_digits(text: str, num_lists: int, spec: object) -> Term:
    if not text.isdigit():
        raise EstimationInputError(f"model term {text!r} in {spec!r} is not a string of list numbers")
    members = [int(ch) for ch in text]
    if len(set(members)) != len(members):
        raise EstimationInputError(f"model term {text!r} repeats a list")
    for m in members:
        if not 1 <= m <= num_lists:
            raise EstimationInputError(f"list number {m} in model {spec!r} is not in 1..{num_lists}")
    return tuple(sorted(m - 1 for m in members))


def _candidate_terms(num_lists: int, max_order: int) -> list[Term]:
    return [t for size in range(2, max_order + 1) for t in itertools.combinations(range(num_lists), size)]


def _enumerate(num_lists: int, max_order: int, limit: int | None) -> Iterator[frozenset[Term]]:
    """Yield every downward-closed family of interaction terms (depth-first).

    Terms are decided in order of size, so when a term is considered all its sub-terms
    have already been decided; including it is allowed only if they are all present.
    """
    candidates = _candidate_terms(num_lists, max_order)
    faces = [[f for f in itertools.combinations(t, len(t) - 1)] if len(t) > 2 else [] for t in candidates]
    chosen: set[Term] = set()
    produced = 0

    def walk(i: int) -> Iterator[frozenset[Term]]:
        nonlocal produced
        if i == len(candidates):
            produced += 1
            if limit is not None and produced > limit:
                raise _LimitReached
            yield frozenset(chosen)
            return
        yield from walk(i + 1)
        if all(f in chosen for f in faces[i]):
            chosen.add(candidates[i])
            yield from walk(i + 1)
            chosen.discard(candidates[i])

    yield from walk(0)


class _LimitReached(Exception):
    pass


def count_hierarchical_models(
    num_lists: int, max_order: int | None = None, *, limit: int | None = None
) -> int:
    """Return how many hierarchical models exist (main effects forced).

    Args:
        num_lists: J.
        max_order: Highest interaction order (default J - 1).
        limit: Stop counting past this many and return ``limit + 1``.
    """
    max_order = _check_max_order(num_lists, max_order)
    count = 0
    try:
        for _ in _enumerate(num_lists, max_order, limit):
            count += 1
    except _LimitReached:
        return (limit or 0) + 1
    return count


def _check_max_order(num_lists: int, max_order: int | None) -> int:
    if max_order is None:
        return num_lists - 1
    if not 1 <= max_order <= num_lists - 1:
        raise EstimationInputError(
            f"max_order must be between 1 and J - 1 = {num_lists - 1}, got {max_order}"
        )
    return int(max_order)


def all_hierarchical_models(
    num_lists: int,
    max_order: int | None = None,
    *,
    max_models: int | None = DEFAULT_MAX_MODELS,
    heterogeneity: Heterogeneity | None = None,
) -> list[LoglinearModel]:
    """Return every hierarchical model with all main effects and terms up to ``max_order``.

    Args:
        num_lists: J.
        max_order: Highest interaction order (default J - 1, as Rcapture's closedpMS.t).
        max_models: Refuse (like Rcapture's ``stopiflong``) when there are more models;
            ``None`` disables the limit.
        heterogeneity: Heterogeneity columns added to every model.

    Raises:
        TooManyModelsError: If the count exceeds ``max_models``; the message suggests the
            largest ``max_order`` that fits.
    """
    order = _check_max_order(num_lists, max_order)
    try:
        families = list(_enumerate(num_lists, order, max_models))
    except _LimitReached:
        limit = max_models or 0
        suggestion = ""
        for lower in range(order - 1, 0, -1):
            count = count_hierarchical_models(num_lists, lower, limit=limit)
            if count <= limit:
                suggestion = f"; max_order={lower} gives {count:,} models"
                break
        raise TooManyModelsError(
            f"{num_lists} lists with max_order={order} give more than {limit:,} models to fit"
            f"{suggestion} (or raise max_models)"
        ) from None
    models = [LoglinearModel(num_lists, f, heterogeneity=heterogeneity) for f in families]
    # Simplest models first, so ties in a criterion resolve towards parsimony.
    models.sort(key=lambda m: (len(m.terms), m.sorted_terms()))
    return models
