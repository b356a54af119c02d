"""The ``link`` command line: input errors and the shape of CLUSTERS.csv."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from haven.analytics.linkage import FIELDS, generate_lists
from haven.analytics.linkage.cli import main

HEADER = ",".join(FIELDS)


def _run(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    return main(list(argv), stderr=err), err.getvalue()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("source,name\na,Kim\n", "line 1: missing required column 'record_id'"),
        (
            f"{HEADER}\na,1,,,,1975,,\na,1,,,,1976,,\n",
            "line 3, column record_id: duplicate record ('a', '1')",
        ),
        (f"{HEADER}\na,1,,,,nineteen,,\n", "line 2, column birth_year: birth_year must be an integer year"),
        (f"{HEADER}\na,1,,,,,,2004\nb,2,,,,,,20O4\n", "line 3, column exit_year"),
        (f"{HEADER}\na,1,,,X?,,,\n", "line 2, column sex"),
        (f"{HEADER}\na,1,,\n", "line 2: 4 fields, the header has 8"),
        ("", "line 1: empty file"),
    ],
)
def test_it_rejects_bad_input_with_one_clear_line(tmp_path: Path, content: str, expected: str) -> None:
    records = _write(tmp_path / "records.csv", content)
    status, err = _run("link", str(records), "--out", str(tmp_path / "out.csv"))
    assert status == 2
    lines = err.strip().splitlines()
    errors = [line for line in lines if "error:" in line]
    assert errors == lines[-1:]  # progress lines may come first; the reason is one last line
    assert str(records) in errors[0] and expected in errors[0]
    assert not (tmp_path / "out.csv").exists()


def test_it_rejects_bad_options(tmp_path: Path) -> None:
    records = _write(tmp_path / "records.csv", f"{HEADER}\na,1,,,,,,\n")
    status, err = _run("link", str(records), "--out", str(tmp_path / "o.csv"), "--threshold", "1.5")
    assert status == 2 and "--threshold" in err
    status, _ = _run("link", str(records))  # --out is required
    assert status == 2
    status, err = _run("link", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o.csv"))
    assert status == 2 and "cannot read" in err


def test_it_writes_one_cluster_row_per_record_in_input_order(tmp_path: Path, model_json: str) -> None:
    rows = [
        {"source": "b", "record_id": "7", "name": "Ri Sol Ju", "sex": "F", "birth_year": "1989", "origin": "Hoeryong"},
        {"source": "a", "record_id": "1", "name_hangul": "리설주", "sex": "F", "birth_year": "1989",
         "origin": "함경북도 회령시"},
        {"source": "a", "record_id": "2", "name_hangul": "김영철", "sex": "M", "birth_year": "1961"},
    ]  # fmt: skip
    records = tmp_path / "records.csv"
    with records.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    model = _write(tmp_path / "model.json", model_json)
    out = tmp_path / "clusters.csv"
    status, err = _run("link", str(records), "--out", str(out), "--model", str(model), "--seed", "1")
    assert status == 0, err
    assert "3 records in 2 clusters" in err
    with out.open(encoding="utf-8", newline="") as handle:
        got = list(csv.reader(handle))
    assert got[0] == ["source", "record_id", "cluster_id"]
    assert [row[:2] for row in got[1:]] == [["b", "7"], ["a", "1"], ["a", "2"]]
    assert got[1][2] == got[2][2] != got[3][2]


def test_it_trains_and_saves_a_model(tmp_path: Path) -> None:
    data = generate_lists(1500, seed=21)
    records = tmp_path / "records.csv"
    with records.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(data.rows)
    out, model = tmp_path / "clusters.csv", tmp_path / "model.json"
    status, err = _run("link", str(records), "--out", str(out), "--save-model", str(model))
    assert status == 0, err
    assert "train" in err and "predict" in err and "cluster" in err  # progress on stderr
    with out.open(encoding="utf-8", newline="") as handle:
        assert sum(1 for _ in handle) == 1501
    assert model.read_text(encoding="utf-8").startswith("{")
