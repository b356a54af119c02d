"""The ``estimate`` command line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from haven.analytics.estimation.cli import main

from .datasets import HIV_CSV


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def hiv_csv(tmp_path: Path) -> Path:
    path = tmp_path / "hiv.csv"
    path.write_text(HIV_CSV)
    return path


def test_it_prints_json_for_the_aic_choice(hiv_csv: Path) -> None:
    code, out, err = run(["estimate", str(hiv_csv), "--json"])
    assert code == 0, err
    data = json.loads(out)
    assert data["model"] == "[12,3,4]"
    assert data["estimate"] == pytest.approx(12318.5, abs=0.06)


def test_it_honours_the_bic_criterion(hiv_csv: Path) -> None:
    code, out, _ = run(["estimate", str(hiv_csv), "--criterion", "bic", "--json"])
    assert code == 0
    assert json.loads(out)["model"] == "[1,2,3,4]"


def test_it_prints_a_readable_table(hiv_csv: Path) -> None:
    code, out, _ = run(["estimate", str(hiv_csv)])
    assert code == 0
    assert "[12,3,4]" in out
    assert "12,318.5" in out
    assert "10,266.0 - 14,992.3" in out


def test_it_runs_lcmcr_with_a_seed(hiv_csv: Path) -> None:
    argv = ["estimate", str(hiv_csv), "--method", "lcmcr", "--seed", "3", "--burnin", "50"]
    argv += ["--samples", "20", "--thinning", "1", "--json"]
    code, out, _ = run(argv)
    assert code == 0
    data = json.loads(out)
    assert data["method"] == "lcmcr"
    assert data["sampler"]["seed"] == 3
    assert data["sampler"]["K"] == 15


def test_it_estimates_strata(tmp_path: Path) -> None:
    path = tmp_path / "strata.csv"
    path.write_text("region,A,B,count\nn,1,1,20\nn,1,0,40\nn,0,1,50\ns,1,1,10\ns,1,0,30\ns,0,1,25\n")
    code, out, _ = run(["estimate", str(path), "--strata", "region", "--json"])
    assert code == 0
    data = json.loads(out)
    assert data["estimate"] == pytest.approx(20 + 40 + 50 + 60 * 70 / 20 - 110 + 65 + 40 * 35 / 10 - 65)
    assert set(data["strata"]) == {"n", "s"}
    code, table, _ = run(["estimate", str(path), "--strata", "region"])
    assert code == 0 and "total N" in table


def test_it_exits_2_with_one_line_naming_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("A,B,C\n1,0,1\n0,2,1\n")
    code, out, err = run(["estimate", str(path)])
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert f"{path}, line 3, column 'B'" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["estimate"],
        ["estimate", "x.csv", "--method", "dga"],
        ["estimate", "missing.csv"],
        ["frobnicate"],
    ],
)
def test_it_exits_2_on_bad_arguments(argv: list[str]) -> None:
    code, _, err = run(argv)
    assert code == 2
    assert err.startswith("haven estimate:") and err.count("\n") == 1


def test_it_exits_1_when_the_estimate_does_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "nooverlap.csv"
    path.write_text("A,B,count\n1,0,10\n0,1,12\n")
    code, out, err = run(["estimate", str(path), "--json"])
    assert code == 1
    assert out == ""
    assert err.startswith("haven estimate: no estimate:") and err.count("\n") == 1
    code, out, _ = run(["estimate", str(path), "--model", "Mt", "--json"])
    assert code == 1
    assert json.loads(out)["status"] == "unbounded"
