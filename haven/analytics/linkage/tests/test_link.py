"""link_records on tiny literal data sets with hand-checked answers, and its guarantees."""

from __future__ import annotations

import json

import pytest

from haven.analytics.linkage import (
    GenericSettings,
    LabelledPair,
    generate_lists,
    link_records,
    pairwise_scores,
    prepare_records,
    train_model,
)

from .conftest import record


def test_it_links_the_spellings_of_one_person(model_json: str) -> None:
    rows = [
        record("a", "1", name_hangul="리설주", sex="F", birth_year="1989", origin="함경북도 회령시"),
        record("b", "7", name="Ri Sol Ju", sex="F", birth_year="1989", origin="Hoeryong"),
        record("c", "3", name="Lee Seol-ju", name_hangul="이설주", sex="female", birth_year="1988",
               origin="North Hamgyong"),
    ]  # fmt: skip
    result = link_records(rows, model=model_json, seed=0)
    assert len(set(result.cluster_ids)) == 1


def test_it_keeps_namesakes_apart(model_json: str) -> None:
    rows = [
        record("a", "1", name_hangul="김영철", sex="M", birth_year="1961", origin="양강도 혜산시", exit_year="2005"),
        record("b", "1", name="Kim Yong Chol", sex="M", birth_year="1978", origin="Chongjin, North Hamgyong",
               exit_year="2012"),
    ]  # fmt: skip
    result = link_records(rows, model=model_json, seed=0)
    assert result.cluster_ids == (1, 2)


def test_it_does_not_chain_through_an_ambiguous_record(model_json: str) -> None:
    # B (name and birth year only) is close to both A and C; A and C are different men.
    rows = [
        record("a", "A", name="Kim Yong Chol", name_hangul="김영철", sex="M", birth_year="1970",
               origin="Musan, North Hamgyong", exit_year="2001"),
        record("b", "B", name="Kim Yong-chol", sex="M", birth_year="1970"),
        record("c", "C", name="Kim Young Chul", name_hangul="김영철", sex="M", birth_year="1971",
               origin="Hyesan, Ryanggang", exit_year="2015"),
    ]  # fmt: skip
    result = link_records(rows, model=model_json, seed=0, threshold=0.3)
    probabilities = {
        (e.left, e.right): e.match_probability for e in map(result.evidence, range(result.pairs.num_rows))
    }
    assert probabilities[(0, 1)] >= 0.3 and probabilities[(1, 2)] >= 0.3  # connected components would merge
    assert result.cluster_ids[0] != result.cluster_ids[2]


def test_it_explains_each_pair(model_json: str) -> None:
    rows = [
        record("a", "1", name_hangul="박금순", sex="F", birth_year="1957", origin="요덕군", exit_year="2006"),
        record("b", "2", name="PARK KEUM SOON", sex="F", birth_year="1958", origin="Yodok", exit_year="2006"),
    ]
    result = link_records(rows, model=model_json, seed=0)
    evidence = result.evidence(0)
    assert (evidence.left, evidence.right) == (0, 1)
    assert evidence.levels["surname"] == "same surname"
    assert evidence.levels["given_name"] == "same given-name key"
    assert evidence.levels["birth_year"] == "Absolute difference of 'birth_year' <= 1"
    assert evidence.levels["origin"] == "same county"
    assert evidence.levels["list"] == "different lists"
    comparisons = {
        "surname",
        "given_name",
        "romanization",
        "birth_year",
        "sex",
        "origin",
        "exit_year",
        "list",
    }
    assert set(evidence.levels) == comparisons
    assert evidence.match_probability > 0.9
    assert evidence.weights["given_name"] > 5 and evidence.weights["exit_year"] > 0
    assert result.cluster_ids == (1, 1)


def test_it_is_deterministic_for_a_seed_and_reproducible_from_its_model() -> None:
    data = generate_lists(1500, seed=5)
    table = prepare_records(data.rows)
    first = link_records(table, seed=3)
    second = link_records(table, seed=3)
    assert first.cluster_ids == second.cluster_ids
    assert first.model_json == second.model_json
    replay = link_records(table, model=first.model_json, seed=99)
    assert replay.cluster_ids == first.cluster_ids
    assert pairwise_scores(first.cluster_ids, data.person_ids).f1 > 0.85


def test_it_applies_reviewers_labels(model_json: str) -> None:
    rows = [
        record(
            "a", "1", name_hangul="최명옥", sex="F", birth_year="1966", origin="함북 무산", exit_year="2002"
        ),
        record("b", "1", name="Choi Myung-ok", sex="F", birth_year="1966", origin="Musan", exit_year="2002"),
        record("c", "1", name="Choe Myong Ok", sex="F", birth_year="1990"),
    ]
    plain = link_records(rows, model=model_json, seed=0)
    assert plain.cluster_ids[0] == plain.cluster_ids[1] != plain.cluster_ids[2]
    labels = [
        LabelledPair(("a", "1"), ("b", "1"), match=False),
        LabelledPair(("a", "1"), ("c", "1"), match=True),
    ]
    labelled = link_records(rows, model=model_json, seed=0, labels=labels)
    assert labelled.cluster_ids[0] == labelled.cluster_ids[2] != labelled.cluster_ids[1]
    with pytest.raises(ValueError, match="unknown record"):
        link_records(rows, model=model_json, labels=[LabelledPair(("a", "1"), ("z", "9"), match=True)])


def test_it_trains_m_from_accepted_labels() -> None:
    data = generate_lists(1200, seed=8)
    by_person: dict[int, list[int]] = {}
    for i, person in enumerate(data.person_ids):
        by_person.setdefault(person, []).append(i)
    pairs = [m[:2] for m in by_person.values() if len(m) >= 2][:200]
    labels = [
        LabelledPair(
            (data.rows[a]["source"], data.rows[a]["record_id"]),
            (data.rows[b]["source"], data.rows[b]["record_id"]),
            match=True,
        )
        for a, b in pairs
    ]
    unlabelled = json.loads(train_model(data.rows, seed=0))
    labelled = json.loads(train_model(data.rows, seed=0, labels=labels))
    assert unlabelled["comparisons"] != labelled["comparisons"]
    assert (
        unlabelled["probability_two_random_records_match"] == labelled["probability_two_random_records_match"]
    )


def test_the_generic_baseline_needs_raw_text() -> None:
    rows = generate_lists(600, seed=4).rows
    with pytest.raises(ValueError, match="keep_raw"):
        link_records(prepare_records(rows), settings=GenericSettings(), seed=0)
    result = link_records(rows, settings=GenericSettings(), seed=0)
    assert len(result.cluster_ids) == 600
    assert set(result.levels) == {"name", "hangul", "birth_year", "sex", "origin", "exit_year"}


@pytest.mark.slow
def test_it_runs_on_spark(model_json: str) -> None:
    pytest.importorskip("pyspark")
    data = generate_lists(800, seed=12)
    table = prepare_records(data.rows)
    duck = link_records(table, model=model_json, seed=0)
    spark = link_records(table, model=model_json, seed=0, backend="spark")
    assert pairwise_scores(spark.cluster_ids, duck.cluster_ids).f1 > 0.99


def test_training_estimates_each_comparison_once_per_level(model_json: str) -> None:
    # Name comparisons are trained only by EM runs that do not block on the name: blocking on full_key
    # used to "train" them on pairs agreeing by construction, giving m = 1 to the exact levels.
    model = json.loads(model_json)
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        m = [lv.get("m_probability") or 0.0 for lv in levels]
        assert sum(m) <= 1.01, comparison["output_column_name"]
        assert max(m) < 0.999, comparison["output_column_name"]


def test_hangul_given_names_decide_over_a_shared_key(model_json: str) -> None:
    rows = [
        record("a", "1", name_hangul="김선주", sex="F", birth_year="1980", origin="Hoeryong"),
        record("b", "1", name_hangul="김순조", sex="F", birth_year="1980", origin="Hoeryong"),
        record("c", "1", name="Kim Seon-ju", sex="F", birth_year="1980", origin="Hoeryong"),
        record("d", "1", name_hangul="김선주", sex="F", birth_year="1980", origin="Hoeryong"),
    ]
    result = link_records(rows, model=model_json, seed=0)
    evidence = map(result.evidence, range(result.pairs.num_rows))
    levels = {(e.left, e.right): e.levels["given_name"] for e in evidence}
    # 선주 and 순조 share the key "son-co", but their Hangul differs by more than one slip (a one-vowel
    # difference, 선희 / 순희, is indistinguishable from a typing slip).
    assert levels.get((0, 1), "not scored") in ("given names differ in Hangul", "not scored")
    assert levels[(0, 3)] == "same given name in Hangul"
    assert levels[(0, 2)] == "same given-name key"
    assert result.cluster_ids[0] == result.cluster_ids[3] != result.cluster_ids[1]


def test_sex_adds_little_to_a_shared_given_name(model_json: str) -> None:
    # Its u is the agreement rate among pairs sharing a given name, not among random pairs (0.59).
    model = json.loads(model_json)
    sex = next(c for c in model["comparisons"] if c["output_column_name"] == "sex")
    agree = next(lv for lv in sex["comparison_levels"] if not lv.get("is_null_level"))
    assert agree["u_probability"] > 0.85


def test_two_records_of_one_list_need_more_agreement(model_json: str) -> None:
    fields = {
        "name": "Namgung Ha-neul",
        "sex": "F",
        "birth_year": "1975",
        "origin": "Musan",
        "exit_year": "2004",
    }
    rows = [record("a", "1", **fields), record("a", "2", **fields), record("b", "1", **fields)]
    result = link_records(rows, model=model_json, seed=0)
    evidence = {(e.left, e.right): e for e in map(result.evidence, range(result.pairs.num_rows))}
    assert evidence[(0, 1)].levels["list"] == "same list"
    assert evidence[(0, 2)].levels["list"] == "different lists"
    assert evidence[(0, 1)].match_weight < evidence[(0, 2)].match_weight - 1


def test_a_romanization_that_cannot_spell_the_hangul_weighs_against(model_json: str) -> None:
    rows = [
        record("a", "1", name_hangul="김선희", sex="F", birth_year="1980", origin="Hoeryong"),
        record("b", "1", name="Kim Seon-hui", sex="F", birth_year="1980", origin="Hoeryong"),
        record("c", "1", name="Kim Soon-hee", sex="F", birth_year="1980", origin="Hoeryong"),  # 순희
        record("d", "1", name_hangul="김선희", sex="F", birth_year="1980", origin="Hoeryong"),
    ]
    result = link_records(rows, model=model_json, seed=0, threshold=0.01)
    evidence = {(e.left, e.right): e for e in map(result.evidence, range(result.pairs.num_rows))}
    # All four share the key "son-hi"; only a romanization against Hangul is compared.
    assert evidence[(0, 1)].levels["romanization"] == "the romanization can spell the Hangul"
    assert evidence[(0, 2)].levels["romanization"] == "the romanization cannot spell the Hangul"
    assert evidence[(0, 2)].weights["romanization"] < 0 < evidence[(0, 1)].weights["romanization"]
    assert evidence[(0, 3)].weights["romanization"] == 0  # both in Hangul: the given-name levels decide
    assert evidence[(1, 2)].weights["romanization"] == 0  # two romanizations: nothing to check against


def test_a_singular_spelling_one_slip_from_a_shared_one_is_a_slip(model_json: str) -> None:
    fields = {"sex": "M", "birth_year": "1970", "origin": "Musan"}
    rows = [
        record("a", "1", name="Choe Jong-min", **fields),
        record("b", "1", name="Choe Jong-min", **fields),
        record("c", "1", name="Choe Jong-mn", **fields),  # a dropped vowel: no one else spells it so
        record("d", "1", name="Choe Jong-mi", **fields),
        record("e", "1", name="Choe Jong-mi", **fields),  # a real name one letter from Jong-min
    ]
    result = link_records(rows, model=model_json, seed=0, threshold=0.01)
    levels = {
        (e.left, e.right): e.levels["given_name"] for e in map(result.evidence, range(result.pairs.num_rows))
    }
    assert levels[(0, 2)] == "one slip apart"
    assert levels.get((0, 3), "not scored") in ("similar", "not scored")


def test_a_model_moves_to_another_backend_only_if_its_settings_are_current(model_json: str) -> None:
    from haven.analytics.linkage.internals.engine import _for_dialect

    model = {**json.loads(model_json), "sql_dialect": "duckdb"}  # as a run stores it
    moved = _for_dialect(model, "spark", "link_and_dedupe")
    conditions = [lv["sql_condition"] for c in moved["comparisons"] for lv in c["comparison_levels"]]
    assert any("`" in sql for sql in conditions)  # Spark's quoting
    m = {
        c["output_column_name"]: [lv.get("m_probability") for lv in c["comparison_levels"]]
        for c in model["comparisons"]
    }
    assert {
        c["output_column_name"]: [lv.get("m_probability") for lv in c["comparison_levels"]]
        for c in moved["comparisons"]
    } == m  # every trained parameter carried over, level by level
    # A model saved before the romanization comparison existed cannot be carried over level by level.
    earlier = {
        **model,
        "comparisons": [c for c in model["comparisons"] if c["output_column_name"] != "romanization"],
    }
    with pytest.raises(ValueError, match="earlier version"):
        _for_dialect(earlier, "spark", "link_and_dedupe")
