"""Train a Fellegi-Sunter model with Splink, score candidate pairs and cluster them.

The backend is an in-memory DuckDB database (spilling to disk disabled, so no intermediate table of
identifying values ever reaches the disk) or a local Spark session whose scratch space is a private
directory in shared memory (``/dev/shm``), removed afterwards.

Training follows Splink's recommended sequence: the prior probability that two random records match
from deterministic rules (with an assumed recall), u probabilities from random sampling (seeded), then
m probabilities by expectation maximisation once per training blocking rule (each rule estimates the
comparisons it does not block on). The prior is then estimated again with the recall the trained model
implies for the deterministic rule (the product of the m probabilities of the levels it requires, times
the chance that a pair has all its fields), instead of a guessed recall: with the guess the prior was
off by a factor of two to three, which moves every probability. If reviewers' decisions are given,
m probabilities are then estimated from the accepted pairs (Splink's
``estimate_m_from_pairwise_labels``), replacing the EM estimates. Finally, comparisons the settings name
in ``conditional_u`` (sex) take their u among pairs agreeing on a field that nearly implies them (the
given name), so that the model does not count one piece of evidence twice.

Every float of the trained model is rounded to 10 significant digits, because DuckDB's parallel sums
differ in the last bits between runs; with rounding a seed gives the same model and clusters.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from splink import DuckDBAPI, Linker
from splink.internals.database_api import DatabaseAPI
from splink.internals.exceptions import SplinkException
from splink.internals.splink_dataframe import SplinkDataFrame

from .clustering import cluster_pairs
from .prepare import ProgressCallback
from .settings import GenericSettings, KoreanSettings, LinkageSettings, LinkType

__all__ = [
    "Backend",
    "LabelledPair",
    "TrainingError",
    "LinkResult",
    "PairEvidence",
    "default_settings",
    "run_linkage",
    "train_model_json",
]

Backend = Literal["duckdb", "spark"]

_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: Pairs below this probability are not kept as evidence (nor needed for clustering).
EVIDENCE_FLOOR: Final = 0.2
#: Term frequencies stored with a model only for values seen at least this often (k-anonymity: a model
#: JSON may be stored, and a value seen once or twice is close to a person's name).
TF_MIN_COUNT: Final = 5
#: Below this many records, term frequencies are taken from the model, not from the input.
TF_MIN_RECORDS: Final = 1000
#: Records per chunk when scoring (see run_linkage).
PREDICT_CHUNK_RECORDS: Final = 250_000


class TrainingError(ValueError):
    """The model cannot be trained on the records given (too few, or too few pairs agreeing).

    Pass a model trained on other records (``model=``) instead.
    """


@dataclass(frozen=True)
class LabelledPair:
    """A reviewer's decision on a pair of records.

    Attributes:
        left: (source, record_id) of one record.
        right: (source, record_id) of the other.
        match: True if the reviewer accepted the pair as one person, False if rejected.
    """

    left: tuple[str, str]
    right: tuple[str, str]
    match: bool


@dataclass(frozen=True)
class PairEvidence:
    """Why the model scored a pair as it did, for a reviewer.

    Attributes:
        left: Index of one record in the input.
        right: Index of the other record (left < right).
        match_probability: Posterior probability that the two records are one person.
        match_weight: log2 of the posterior odds (prior plus the Bayes factors of all comparisons).
        levels: For each comparison (surname, given_name, birth_year ...), the agreement level reached,
            e.g. {"birth_year": "Absolute difference of 'birth_year' <= 1", "origin": "same county"}.
        weights: For each comparison, its contribution to the match weight in bits (log2 Bayes factor,
            including any term-frequency adjustment): positive for evidence of a match, 0 when a value
            is missing.
    """

    left: int
    right: int
    match_probability: float
    match_weight: float
    levels: dict[str, str]
    weights: dict[str, float]


@dataclass(frozen=True)
class LinkResult:
    """Result of :func:`~haven.analytics.linkage.link_records`.

    Attributes:
        cluster_ids: One cluster id per input record, in input order. Ids are 1, 2, 3 ... numbered in
            order of each cluster's first record; records with equal ids are taken to be one person.
        pairs: Scored candidate pairs with ``match_probability`` >= 0.2, sorted by (left, right):
            columns ``left`` and ``right`` (record indexes), ``match_probability``, ``match_weight``, and
            per comparison ``gamma_<comparison>`` (the agreement level reached: -1 = a value is missing,
            higher = closer agreement; see ``levels``) and ``mw_<comparison>`` (its weight in bits).
        levels: For each comparison, the label of each gamma value.
        model_json: The trained Splink model (settings and m/u parameters) as JSON; pass it back as
            ``model=`` to reproduce a run without training.
        seed: Seed used for random sampling.
        threshold: Match probability at which pairs start a cluster.
        settings_name: "korean" or "generic".
        backend: "duckdb" or "spark".
        timings: Seconds spent per stage ("train", "predict", "cluster").
    """

    cluster_ids: tuple[int, ...]
    pairs: pa.Table
    levels: dict[str, dict[int, str]]
    model_json: str
    seed: int
    threshold: float
    settings_name: str
    backend: str
    timings: dict[str, float] = field(default_factory=dict)

    def evidence(self, index: int) -> PairEvidence:
        """Return the evidence for row ``index`` of :attr:`pairs`."""
        row = self.pairs.slice(index, 1).to_pylist()[0]
        levels = {
            name: labels.get(int(row[f"gamma_{name}"]), str(row[f"gamma_{name}"]))
            for name, labels in self.levels.items()
        }
        return PairEvidence(
            left=int(row["left"]),
            right=int(row["right"]),
            match_probability=float(row["match_probability"]),
            match_weight=float(row["match_weight"]),
            levels=levels,
            weights={name: float(row[f"mw_{name}"]) for name in self.levels},
        )


def _probability_to_weight(probability: float) -> float:
    p = min(max(probability, 1e-12), 1 - 1e-12)
    return float(np.log2(p / (1 - p)))


@contextlib.contextmanager
def _database(backend: Backend) -> Iterator[DatabaseAPI[Any]]:
    if backend == "duckdb":
        import duckdb

        # In-memory only: an empty temp_directory disables spilling, so identifying values never
        # reach the disk (DuckDB's default for :memory: is a ".tmp" directory in the working directory).
        con = duckdb.connect(":memory:", config={"temp_directory": ""})
        try:
            yield DuckDBAPI(con)
        finally:
            con.close()
        return
    if backend == "spark":
        with _spark_session() as spark:
            from splink import SparkAPI

            yield SparkAPI(spark_session=spark, break_lineage_method="persist")
        return
    raise ValueError(f"unknown backend {backend!r}; expected 'duckdb' or 'spark'")


@contextlib.contextmanager
def _spark_session() -> Iterator[Any]:
    try:
        from pyspark.sql import SparkSession
        from splink.internals.spark.jar_location import similarity_jar_location
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("the spark backend needs pyspark (pip install pyspark)") from exc
    # Shuffle and spill files go to a private directory in shared memory, not to disk.
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - RAM-backed by design
    scratch = tempfile.mkdtemp(prefix="haven-spark-", dir=base)
    os.chmod(scratch, 0o700)
    # Bind to loopback: the default (the host's first interface address) may refuse connections.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = (
        SparkSession.builder.master(f"local[{os.cpu_count() or 1}]")
        .appName("haven-linkage")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", "4g")
        .config("spark.local.dir", scratch)
        .config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    try:
        yield spark
    finally:
        spark.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def _aliases(sources: Sequence[str]) -> dict[str, str]:
    """Map source names to SQL-safe dataset names (the names themselves never enter SQL)."""
    return {source: f"s{i}" for i, source in enumerate(dict.fromkeys(sources))}


def _register(
    db: DatabaseAPI[Any], table: pa.Table, columns: Sequence[str], aliases: dict[str, str]
) -> list[SplinkDataFrame]:
    selected = table.select(["unique_id", *columns])
    frames = []
    for source, alias in aliases.items():
        subset = selected.filter(pc.equal(table["source"], source))
        if "source" in columns:  # compared as "same list or not": the alias says as much as the name
            position = subset.column_names.index("source")
            subset = subset.set_column(position, "source", pa.array([alias] * subset.num_rows, pa.string()))
        frames.append(db.register(subset, dataset_display_name=alias))
    return frames


def _level_labels(model: dict[str, Any]) -> dict[str, dict[int, str]]:
    out: dict[str, dict[int, str]] = {}
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        labels: dict[int, str] = {}
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        for lv in levels:
            if lv.get("is_null_level"):
                labels[-1] = lv.get("label_for_charts", "missing")
        # Splink numbers non-null levels from len-1 (best) down to 0 (else).
        for k, lv in enumerate(non_null):
            labels[len(non_null) - 1 - k] = lv.get("label_for_charts", lv["sql_condition"])
        out[comparison["output_column_name"]] = labels
    return out


def _label_tables(
    labels: Sequence[LabelledPair], table: pa.Table, aliases: dict[str, str]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    index = {
        (s, r): i
        for i, (s, r) in enumerate(
            zip(table["source"].to_pylist(), table["record_id"].to_pylist(), strict=True)
        )
    }
    accepted: list[tuple[int, int]] = []
    rejected: list[tuple[int, int]] = []
    for pair in labels:
        try:
            a, b = index[pair.left], index[pair.right]
        except KeyError as exc:
            raise ValueError(f"labelled pair refers to an unknown record {exc.args[0]!r}") from None
        if a == b:
            continue
        (accepted if pair.match else rejected).append((min(a, b), max(a, b)))
    return accepted, rejected


def _train(
    linker: Linker,
    settings: LinkageSettings,
    seed: int,
    db: DatabaseAPI[Any],
    accepted: list[tuple[int, int]],
    table: pa.Table,
    aliases: dict[str, str],
    report: ProgressCallback,
) -> None:
    steps = 2 + len(settings.training_rules()) + (1 if accepted else 0)
    report("train", 0, steps)
    linker.training.estimate_probability_two_random_records_match(
        settings.deterministic_rules(), recall=settings.recall
    )
    report("train", 1, steps)
    linker.training.estimate_u_using_random_sampling(max_pairs=settings.u_max_pairs, seed=seed)
    report("train", 2, steps)
    for k, rule in enumerate(settings.training_rules()):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=settings.em_max_pairs
        )
        report("train", 3 + k, steps)
    # Re-estimate the prior with the deterministic rules' recall implied by the trained m values.
    recall = _implied_recall(linker.misc.save_model_to_json(), settings.deterministic_comparisons())
    recall *= _complete_share(table, settings.deterministic_columns()) ** 2
    linker.training.estimate_probability_two_random_records_match(
        settings.deterministic_rules(), recall=recall
    )
    if accepted:
        sources = table["source"].to_pylist()
        label_table = pa.table(
            {
                "source_dataset_l": [aliases[sources[a]] for a, _ in accepted],
                "unique_id_l": [a for a, _ in accepted],
                "source_dataset_r": [aliases[sources[b]] for _, b in accepted],
                "unique_id_r": [b for _, b in accepted],
            }
        )
        frame = db.register(label_table, table_name=f"__haven_labels_{secrets.token_hex(4)}")
        linker.training.estimate_m_from_pairwise_labels(frame)
        report("train", steps, steps)


def _implied_recall(model: dict[str, Any], names: Sequence[str]) -> float:
    """Return P(all named comparisons at their best level | match) = product of those m probabilities."""
    recall = 1.0
    for comparison in model["comparisons"]:
        if comparison["output_column_name"] in names:
            best = next(lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level"))
            recall *= float(best.get("m_probability") or 1.0)
    return min(1.0, max(recall, 0.001))


def _complete_share(table: pa.Table, columns: Sequence[str]) -> float:
    """Return the share of records with all ``columns`` present (a pair has both with its square)."""
    if table.num_rows == 0:
        return 1.0
    present = pc.is_valid(table[columns[0]]) if columns else None
    for column in columns[1:]:
        present = pc.and_(present, pc.is_valid(table[column]))
    if present is None:
        return 1.0
    return max(pc.sum(present).as_py() / table.num_rows, 0.01)


def _predictions(frame: SplinkDataFrame, comparisons: dict[str, bool]) -> pa.Table:
    """Return the scored pairs as an Arrow table: indexes, probability, weight, levels, weights."""
    select = [
        "least(unique_id_l, unique_id_r) as left",
        "greatest(unique_id_l, unique_id_r) as right",
        "match_probability",
        "match_weight",
    ]
    for name, has_tf in comparisons.items():
        if not _IDENTIFIER.fullmatch(name):
            raise ValueError(f"model has an invalid comparison name {name!r}")
        select.append(f"cast(gamma_{name} as tinyint) as gamma_{name}")
        tf = f" + coalesce(mw_tf_adj_{name}, 0)" if has_tf else ""
        select.append(f"mw_{name}{tf} as mw_{name}")
    # Row order varies between runs (parallel execution); sort so results are reproducible.
    sql = f"select {', '.join(select)} from {{this}} order by 1, 2"  # noqa: S608 - identifiers checked above
    return frame.query_sql(sql).as_pyarrow_table()


def _missing_scorer(linker: Linker, db: DatabaseAPI[Any], sources: list[str], aliases: dict[str, str]) -> Any:
    def score(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        keys_l = [f"{aliases[sources[i]]}-__-{i}" for i in left.tolist()]
        keys_r = [f"{aliases[sources[j]]}-__-{j}" for j in right.tolist()]
        blocked = pa.table(
            {"match_key": pa.array(["0"] * len(keys_l)), "join_key_l": keys_l, "join_key_r": keys_r}
        )
        frame = db.register(blocked, table_name=f"__haven_pairs_{secrets.token_hex(4)}")
        linker.table_management.register_blocked_pairs_for_predict(frame)
        scored = linker.inference.predict(warning_mode="never").as_pyarrow_table()
        got_l = np.minimum(scored["unique_id_l"].to_numpy(), scored["unique_id_r"].to_numpy())
        got_r = np.maximum(scored["unique_id_l"].to_numpy(), scored["unique_id_r"].to_numpy())
        weights = scored["match_weight"].to_numpy().astype(np.float64)
        n = max(int(left.max(initial=0)), int(right.max(initial=0)), int(got_r.max(initial=0))) + 1
        lookup = dict(zip((got_l * n + got_r).tolist(), weights.tolist(), strict=True))
        return np.array([lookup[int(a) * n + int(b)] for a, b in zip(left, right, strict=True)])

    return score


def _check(table: pa.Table, settings: LinkageSettings) -> None:
    missing = [c for c in ("unique_id", "source", *settings.columns()) if c not in table.column_names]
    if missing:
        hint = " (prepare_records(..., keep_raw=True))" if settings.needs_raw_text else ""
        raise ValueError(f"records lack columns {missing}{hint}")


def _trained_model(
    db: DatabaseAPI[Any],
    inputs: SplinkDataFrame | list[SplinkDataFrame],
    table: pa.Table,
    settings: LinkageSettings,
    link_type: LinkType,
    seed: int,
    accepted: list[tuple[int, int]],
    aliases: dict[str, str],
    report: ProgressCallback,
) -> dict[str, Any]:
    trainer = Linker(inputs, settings.splink_settings(link_type), log_level=None)
    try:
        _train(trainer, settings, seed, db, accepted, table, aliases, report)
    except (SplinkException, ArithmeticError, ValueError) as exc:
        # Too few records, or too few that agree on the training rules' fields: EM finds no pairs to
        # learn from (EMTrainingException) or a level with no pairs at all (log of 0: "math domain error").
        raise TrainingError(
            f"the model cannot be trained on these {table.num_rows} records "
            f"({type(exc).__name__}: too few pairs agree on the training rules' fields)"
        ) from exc
    model = trainer.misc.save_model_to_json()
    for name, within in settings.conditional_u().items():
        _set_conditional_u(model, name, _agreement_share(table, name, within))
    model = _rounded(model)
    model.pop("linker_uid", None)  # random per linker; not part of the model
    model["haven"] = {
        "settings": settings.name,
        "term_frequencies": _term_frequencies(table, model),
        "tf_min_count": TF_MIN_COUNT,
    }
    return model


def _agreement_share(table: pa.Table, column: str, within: str) -> float | None:
    """Return the share of record pairs agreeing on ``column`` among those agreeing on ``within``.

    Pairs with either value missing are left out; None when no pair qualifies.
    """
    both = table.select([within, column]).filter(
        pc.and_(pc.is_valid(table[within]), pc.is_valid(table[column]))
    )
    if both.num_rows < 2:
        return None
    joint = both.group_by([within, column]).aggregate([([], "count_all")])["count_all"].to_numpy()
    outer = both.group_by([within]).aggregate([([], "count_all")])["count_all"].to_numpy()
    same_within = float((outer * (outer - 1)).sum())
    if same_within == 0:
        return None
    return float((joint * (joint - 1)).sum()) / same_within


def _set_conditional_u(model: dict[str, Any], name: str, share: float | None) -> None:
    """Set the u probabilities of a two-level comparison to ``share`` (agree) and 1 - ``share``."""
    if share is None or not 0 < share < 1:
        return
    comparison = next(c for c in model["comparisons"] if c["output_column_name"] == name)
    levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
    if len(levels) != 2:
        raise ValueError(f"comparison {name!r} must have two levels to take a conditional u")
    levels[0]["u_probability"] = share
    levels[1]["u_probability"] = 1 - share


_PARAMETERS: Final = ("m_probability", "u_probability", "fix_m_probability", "fix_u_probability")


def _for_dialect(model: dict[str, Any], backend: Backend, link_type: LinkType) -> dict[str, Any]:
    """Return ``model`` with its SQL in ``backend``'s dialect.

    A model's comparison and blocking SQL is written for the backend that trained it (DuckDB quotes
    identifiers with "", Spark with ``; the function names differ). For another backend the settings are
    regenerated from the settings class named in the model and the trained parameters copied over.
    """
    if model.get("sql_dialect", backend) == backend:
        return model
    name = model.get("haven", {}).get("settings")
    if name not in ("korean", "generic"):
        raise ValueError(f"a model trained on {model.get('sql_dialect')} cannot be used on {backend}")
    # The comparisons depend on the link type the model was trained for: only a model trained on several
    # lists compares them (a model is rescored with the link type of each run, so ask its comparisons).
    names = {c["output_column_name"] for c in model["comparisons"]}
    trained_for: LinkType = "link_and_dedupe" if "list" in names else "dedupe_only"
    fresh = default_settings(name).splink_settings(trained_for).create_settings_dict(backend)
    trained = {c["output_column_name"]: c for c in model["comparisons"]}
    shape = {c["output_column_name"]: len(c["comparison_levels"]) for c in fresh["comparisons"]}
    if shape != {n: len(c["comparison_levels"]) for n, c in trained.items()}:
        # A model saved by an earlier version of the settings (other comparisons or levels): its parameters
        # cannot be carried over level by level.
        raise ValueError(
            f"this model was trained with an earlier version of the {name} settings and cannot be moved from "
            f"{model.get('sql_dialect')} to {backend}: train a new one on {backend}"
        )
    for new in fresh["comparisons"]:
        old = trained[new["output_column_name"]]
        for new_level, old_level in zip(new["comparison_levels"], old["comparison_levels"], strict=True):
            new_level.update({k: old_level[k] for k in _PARAMETERS if k in old_level})
    for key, value in model.items():
        if key not in ("comparisons", "blocking_rules_to_generate_predictions", "sql_dialect"):
            fresh[key] = value
    return fresh


def _rounded(value: Any) -> Any:
    """Round every float to 10 significant digits.

    DuckDB sums in parallel, so the last bits of trained parameters vary between runs; rounding makes
    the model (and everything scored with it) identical for a seed.
    """
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _tf_columns(model: dict[str, Any]) -> list[str]:
    return sorted(
        {
            lv["tf_adjustment_column"]
            for c in model["comparisons"]
            for lv in c["comparison_levels"]
            if lv.get("tf_adjustment_column")
        }
    )


def _term_frequencies(table: pa.Table, model: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Return Splink-style term frequencies (share of non-null values) of frequent values only."""
    out: dict[str, dict[str, float]] = {}
    for column in _tf_columns(model):
        counts = pc.value_counts(table[column].drop_null()).to_pylist()
        total = sum(c["counts"] for c in counts)
        out[column] = {str(c["values"]): c["counts"] / total for c in counts if c["counts"] >= TF_MIN_COUNT}
    return out


def _register_term_frequencies(
    linker: Linker, db: DatabaseAPI[Any], model: dict[str, Any], schema: pa.Schema
) -> None:
    stored = model.get("haven", {}).get("term_frequencies", {})
    for column, values in stored.items():
        # JSON keys are strings; a year column is compared as the integer it is in the records.
        keys = pa.array(list(values), pa.string()).cast(schema.field(column).type)
        lookup = pa.table({column: keys, f"tf_{column}": list(values.values())})
        frame = db.register(lookup, table_name=f"__haven_tf_{secrets.token_hex(4)}")
        linker.table_management.register_term_frequency_lookup(frame, column)


def train_model_json(
    table: pa.Table,
    *,
    settings: LinkageSettings,
    backend: Backend,
    seed: int,
    labels: Sequence[LabelledPair],
    progress: ProgressCallback | None,
) -> str:
    """Train a model on prepared records and return it as JSON; see :func:`~..train_model`."""
    _check(table, settings)
    report = progress or (lambda stage, done, total: None)
    sources = table["source"].to_pylist()
    aliases = _aliases(sources)
    accepted, _ = _label_tables(labels, table, aliases)
    link_type: LinkType = "link_and_dedupe" if len(aliases) > 1 else "dedupe_only"
    with _database(backend) as db:
        frames = _register(db, table, settings.columns(), aliases)
        inputs = frames if len(frames) > 1 else frames[0]
        model = _trained_model(db, inputs, table, settings, link_type, seed, accepted, aliases, report)
    return json.dumps(model, sort_keys=True)


def run_linkage(
    table: pa.Table,
    *,
    settings: LinkageSettings,
    backend: Backend,
    threshold: float,
    seed: int | None,
    progress: ProgressCallback | None,
    labels: Sequence[LabelledPair] = (),
    model: str | dict[str, Any] | None = None,
    cluster: bool = True,
    split_probability: float | None = None,
) -> LinkResult:
    """Link prepared records; see :func:`haven.analytics.linkage.link_records`.

    ``split_probability`` (default: the threshold) is the mean match probability, as log-odds, two
    groups of a candidate cluster need to stay together.
    """
    if not 0 < threshold < 1:
        raise ValueError("threshold must be strictly between 0 and 1")
    _check(table, settings)
    report = progress or (lambda stage, done, total: None)
    seed = secrets.randbelow(2**31) if seed is None else seed
    n = table.num_rows
    sources = table["source"].to_pylist()
    aliases = _aliases(sources)
    accepted, rejected = _label_tables(labels, table, aliases)
    link_type: LinkType = "link_and_dedupe" if len(aliases) > 1 else "dedupe_only"
    timings: dict[str, float] = {}

    with _database(backend) as db:
        frames = _register(db, table, settings.columns(), aliases)
        inputs = frames if len(frames) > 1 else frames[0]
        if model is None:
            start = time.perf_counter()
            model_dict = _trained_model(
                db, inputs, table, settings, link_type, seed, accepted, aliases, report
            )
            timings["train"] = time.perf_counter() - start
        else:
            model_dict = json.loads(model) if isinstance(model, str) else dict(model)
            model_dict.pop("linker_uid", None)
        model_dict = _for_dialect(model_dict, backend, link_type)
        model_dict["link_type"] = link_type
        model_dict["sql_dialect"] = backend
        model_dict["retain_matching_columns"] = False
        model_dict["retain_intermediate_calculation_columns"] = False
        # Scoring always runs from the model JSON, so the returned model_json reproduces this run.
        scoring = {
            **model_dict,
            "retain_matching_columns": True,  # Splink keeps the gamma (level) columns only with these
            "retain_intermediate_calculation_columns": True,
        }
        extra = scoring.pop("haven", None)
        linker = Linker(inputs, scoring, log_level=None)
        if model is not None and extra and n < TF_MIN_RECORDS:
            # Term frequencies estimated from a handful of records are meaningless (a name seen in 2 of
            # 3 records would look common); use the frequencies stored with the model instead.
            _register_term_frequencies(linker, db, model_dict, table.schema)
        model_json = json.dumps(model_dict, sort_keys=True)
        levels = _level_labels(model_dict)

        start = time.perf_counter()
        report("predict", 0, 1)
        # Large inputs are scored in chunks of the left-hand records, so that the blocked pairs of only one
        # chunk are held at a time (1,000,000 records in 4 chunks: peak RSS 3.7 GB, 5.6 GB since the blocking on
        # keys one slip apart; unchunked, with one blocking rule more than then, 8.3 GB).
        chunks = max(1, -(-n // PREDICT_CHUNK_RECORDS))
        frame = linker.inference.predict(
            threshold_match_probability=EVIDENCE_FLOOR,
            num_chunks_left=chunks,
            num_chunks_right=1,
            warning_mode="never",
        )
        pairs = _predictions(frame, _tf_comparisons(model_dict))
        frame.drop_table_from_database_and_remove_from_cache()
        timings["predict"] = time.perf_counter() - start
        report("predict", 1, 1)

        cluster_ids: tuple[int, ...] = ()
        if cluster:
            start = time.perf_counter()
            report("cluster", 0, 1)
            labels_arr = cluster_pairs(
                n,
                pairs["left"].to_numpy(),
                pairs["right"].to_numpy(),
                pairs["match_weight"].to_numpy(),
                threshold_weight=_probability_to_weight(threshold),
                split_weight=_probability_to_weight(
                    threshold if split_probability is None else split_probability
                ),
                score_missing=_missing_scorer(linker, db, sources, aliases),
                must_link=_as_arrays(accepted),
                cannot_link=_as_arrays(rejected),
            )
            cluster_ids = tuple((labels_arr + 1).tolist())
            timings["cluster"] = time.perf_counter() - start
            report("cluster", 1, 1)

    return LinkResult(
        cluster_ids=cluster_ids,
        pairs=pairs,
        levels=levels,
        model_json=model_json,
        seed=seed,
        threshold=threshold,
        settings_name=settings.name,
        backend=backend,
        timings=timings,
    )


def _tf_comparisons(model: dict[str, Any]) -> dict[str, bool]:
    """Return each comparison's name and whether any of its levels has a term-frequency adjustment."""
    return {
        c["output_column_name"]: any(lv.get("tf_adjustment_column") for lv in c["comparison_levels"])
        for c in model["comparisons"]
    }


def _as_arrays(pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    if not pairs:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    arr = np.array(pairs, dtype=np.int64)
    return arr[:, 0], arr[:, 1]


def default_settings(name: str) -> LinkageSettings:
    """Return the settings called ``name`` ("korean" or "generic")."""
    if name == "korean":
        return KoreanSettings()
    if name == "generic":
        return GenericSettings()
    raise ValueError(f"unknown settings {name!r}; expected 'korean' or 'generic'")
