"""Probabilistic record linkage of victims' lists across organisations (Fellegi-Sunter with Splink).

Django-free. Three steps:

1. :func:`prepare_records` turns raw records (``source, record_id, name, name_hangul, sex, birth_year,
   origin, exit_year``) into comparison columns: surname ids, phonetic given-name keys, full keys, a jamo
   string, birth year, sex, origin province and county codes, exit year. Names as written are kept only
   when the generic baseline asks for them, and nothing is written to disk.
2. :func:`link_records` trains a Splink 5 model (or reuses one), scores candidate pairs on an
   in-memory DuckDB database (or a local Spark session) and clusters them into people with a method
   that resists chaining (connected components, then average-linkage splitting on match weights; see
   :mod:`.internals.clustering`). The :class:`LinkResult` holds a cluster id per record, the scored
   pairs with their per-comparison agreement levels (the evidence a reviewer sees) and the model JSON.
3. :func:`train_model` trains a model alone, optionally from reviewers' decisions (:class:`LabelledPair`),
   to be passed back to :func:`link_records` as ``model=``.

:class:`KoreanSettings` is the model to use; :class:`GenericSettings` is a generic Splink set-up on raw
name strings, kept as a baseline for benchmarks. :func:`generate_lists` makes labelled synthetic lists and
:func:`pairwise_scores` measures a clustering against the truth.

Import rule: import from this package; :mod:`.internals` may be reorganised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa

from .internals.engine import (
    Backend,
    LabelledPair,
    LinkResult,
    PairEvidence,
    TrainingError,
    run_linkage,
    train_model_json,
)
from .internals.evaluation import PairwiseScores, pairwise_scores
from .internals.prepare import FIELDS, InputError, ProgressCallback, prepare_records
from .internals.settings import GenericSettings, KoreanSettings, LinkageSettings
from .internals.synthetic import SyntheticData, generate_lists

__all__ = [
    "DEFAULT_THRESHOLD",
    "FIELDS",
    "Backend",
    "GenericSettings",
    "InputError",
    "KoreanSettings",
    "LabelledPair",
    "LinkResult",
    "LinkageSettings",
    "PairEvidence",
    "PairwiseScores",
    "ProgressCallback",
    "SyntheticData",
    "TrainingError",
    "generate_lists",
    "link_records",
    "pairwise_scores",
    "prepare_records",
    "train_model",
]

#: Default match probability at which a scored pair starts a cluster and groups stay together (see
#: :func:`link_records`).
DEFAULT_THRESHOLD = 0.35


def _prepared(
    records: pa.Table | Iterable[Mapping[str, Any]],
    settings: LinkageSettings,
    progress: ProgressCallback | None,
) -> pa.Table:
    if isinstance(records, pa.Table):
        return records
    return prepare_records(records, keep_raw=settings.needs_raw_text, progress=progress)


def link_records(
    records: pa.Table | Iterable[Mapping[str, Any]],
    *,
    backend: Backend = "duckdb",
    threshold: float = DEFAULT_THRESHOLD,
    seed: int | None = None,
    progress: ProgressCallback | None = None,
    settings: LinkageSettings | None = None,
    labels: Sequence[LabelledPair] = (),
    model: str | None = None,
) -> LinkResult:
    """Find the records that describe the same person, across and within sources.

    Splink's ``link_and_dedupe`` over the sources (``dedupe_only`` when there is one source). Unless
    ``model`` is given, the model is trained first: the prior from deterministic rules, u by seeded random
    sampling, m by EM on several training blocking rules, then m from accepted ``labels`` if any.

    Clustering: pairs with match probability >= ``threshold`` form candidate clusters (connected
    components); inside each candidate cluster of three or more records every pair is scored, and the
    cluster is split by average linkage on match weights, keeping groups together only while the mean
    weight across them reaches the threshold's weight (log-odds). Accepted labels are forced together,
    rejected ones apart. The default threshold is 0.35 rather than the more usual 0.9: the split step,
    not the threshold, guards against over-merging, and the mean over every pair of a cluster counts
    pairs that merely lack shared fields (one record has a birth year, the other an origin) as evidence
    against, so a mean below even odds still describes one person. Pairwise F1 is flat between 0.3 and
    0.4 on the benchmark's lists (0.5 loses about 0.003); see ``benchmarks/bench_linkage.py``.

    Args:
        records: Output of :func:`prepare_records`, or raw records (mappings with the keys of
            :data:`FIELDS`), which are then prepared.
        backend: "duckdb" (in memory) or "spark" (local session; needs pyspark and Java 17).
        threshold: Match probability at which a pair starts a cluster, and the mean probability (as
            log-odds) at which groups of a candidate cluster stay together; strictly between 0 and 1.
        seed: Seed for random sampling; the result is deterministic for a seed and input order. None
            draws a seed, reported in :attr:`LinkResult.seed`.
        progress: Called as ``progress(stage, done, total)``.
        settings: :class:`KoreanSettings` (default) or :class:`GenericSettings`.
        labels: Reviewers' decisions: accepted pairs train m and are kept together, rejected pairs are
            kept apart.
        model: A model JSON from :attr:`LinkResult.model_json` or :func:`train_model`; skips training.
            A model holds SQL that is executed, so load only models this system produced. With fewer
            than 1,000 records, term frequencies come from the model (values seen at least 5 times in
            its training data) rather than from the records.

    Returns:
        Cluster ids, scored pairs with their evidence, and the model.

    Raises:
        InputError: If raw records are invalid.
        TrainingError: If no ``model`` is given and one cannot be trained on these records (too few
            records, or too few pairs agreeing on the training rules' fields).
        ValueError: If the threshold is out of range, the records lack the columns the settings need,
            the backend is unknown or a label names an unknown record.
    """
    chosen = settings if settings is not None else KoreanSettings()
    table = _prepared(records, chosen, progress)
    return run_linkage(
        table,
        settings=chosen,
        backend=backend,
        threshold=threshold,
        seed=seed,
        progress=progress,
        labels=labels,
        model=model,
    )


def train_model(
    records: pa.Table | Iterable[Mapping[str, Any]],
    *,
    labels: Sequence[LabelledPair] = (),
    settings: LinkageSettings | None = None,
    backend: Backend = "duckdb",
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> str:
    """Train a linkage model and return it as Splink model JSON.

    Trains as :func:`link_records` does; when ``labels`` contain accepted pairs their comparison levels
    re-estimate the m probabilities (Splink's ``estimate_m_from_pairwise_labels``), replacing the EM
    estimates. Rejected pairs do not enter training (they are a biased sample of non-matches, so they
    would distort u); :func:`link_records` uses them as cannot-link constraints.

    Args:
        records: Prepared or raw records.
        labels: Reviewers' decisions.
        settings: :class:`KoreanSettings` (default) or :class:`GenericSettings`.
        backend: "duckdb" or "spark".
        seed: Seed for random sampling.
        progress: Called as ``progress(stage, done, total)``.

    Returns:
        The model JSON, to pass to :func:`link_records` as ``model=``.

    Raises:
        TrainingError: If a model cannot be trained on these records.
    """
    chosen = settings if settings is not None else KoreanSettings()
    table = _prepared(records, chosen, progress)
    return train_model_json(
        table, settings=chosen, backend=backend, seed=seed, labels=labels, progress=progress
    )
