"""Capture-history construction, validation and CSV reading."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from haven.analytics.estimation import CaptureDataError, CaptureDataWarning, CaptureHistories, read_lists_csv

from .datasets import HIV_CSV


def test_it_aggregates_individual_rows() -> None:
    h = CaptureHistories.from_rows([[1, 0, 1], [1, 0, 1], [0, 1, 0]], lists=["a", "b", "c"])
    assert h.n == 3
    assert h.pattern_counts()["101"] == 2
    assert h.pattern_counts()["010"] == 1
    assert h.list_totals() == {"a": 2, "b": 1, "c": 2}


def test_it_orders_cells_by_binary_code_of_the_pattern_string() -> None:
    h = CaptureHistories.from_counts({"1000": 5, "0001": 7, "1100": 2, "0110": 1})
    cells = h.cell_counts()
    assert cells[0b1000] == 5
    assert cells[0b0001] == 7
    assert cells[0b1100] == 2
    assert cells[0] == 0


def test_it_refuses_values_other_than_zero_and_one() -> None:
    with pytest.raises(CaptureDataError, match=r"row 2, column 'list 3': value 2 is not 0 or 1"):
        CaptureHistories.from_rows([[1, 0, 0], [0, 1, 2]])


def test_it_drops_all_zero_rows_with_a_warning_that_counts_them() -> None:
    with pytest.warns(CaptureDataWarning, match="dropped 2 individual"):
        h = CaptureHistories.from_rows([[0, 0], [1, 1], [0, 0], [1, 0], [0, 1]])
    assert h.n == 3
    assert "dropped 2" in h.warnings[0]


def test_it_refuses_a_list_with_no_captures_and_names_it() -> None:
    with pytest.raises(CaptureDataError, match="column 'c3': list has no captures"):
        CaptureHistories.from_rows([[1, 0, 0], [0, 1, 0]], lists=["c1", "c2", "c3"])


def test_it_refuses_fewer_than_two_lists() -> None:
    with pytest.raises(CaptureDataError, match="at least two lists"):
        CaptureHistories.from_rows([[1], [1]], lists=["only"])


def test_it_refuses_negative_or_fractional_counts() -> None:
    with pytest.raises(CaptureDataError, match="not a non-negative integer"):
        CaptureHistories.from_counts(["10", "01"], [3, -1])
    with pytest.raises(CaptureDataError, match="not a non-negative integer"):
        CaptureHistories.from_counts(["10", "01"], [3, 1.5])


def test_it_sums_duplicate_patterns() -> None:
    h = CaptureHistories.from_counts(["11", "10", "11"], [2, 3, 4])
    assert h.pattern_counts() == {"11": 6, "10": 3, "01": 0}


def test_it_reads_pattern_count_csv(tmp_path: Path) -> None:
    path = tmp_path / "hiv.csv"
    path.write_text(HIV_CSV)
    h = read_lists_csv(path)
    assert h.lists == ("c1", "c2", "c3", "c4")
    assert h.n == 1896
    assert h.list_totals() == {"c1": 466, "c2": 630, "c3": 693, "c4": 236}  # estimation-notes §1.2


def test_it_reads_individual_rows_with_strata() -> None:
    text = "region,A,B,C\nnorth,1,0,1\nnorth,0,1,1\nsouth,1,1,0\nsouth,1,0,0\nsouth,0,0,1\n"
    h = read_lists_csv(io.StringIO(text), strata="region")
    assert h.lists == ("A", "B", "C")
    assert h.stratum_labels == ("north", "south")
    assert h.stratum("north").n == 2
    assert h.stratum("south").n == 3


def test_it_joins_several_stratum_columns() -> None:
    text = "region,year,A,B\nn,2019,1,1\nn,2020,1,0\nn,2020,0,1\n"
    h = read_lists_csv(io.StringIO(text), strata="region,year")
    assert h.stratum_labels == ("n/2019", "n/2020")


def test_it_names_file_line_and_column_for_a_bad_value(tmp_path: Path) -> None:
    path = tmp_path / "lists.csv"
    path.write_text("A,B,C\n1,0,1\n0,yes,1\n")
    with pytest.raises(CaptureDataError) as excinfo:
        read_lists_csv(path)
    err = excinfo.value
    assert (err.source, err.line, err.column) == (str(path), 3, "B")
    assert (
        str(err)
        == f"{path}, line 3, column 'B': 'yes' is not 0 or 1 (list columns must hold 0/1 capture indicators)"
    )


@pytest.mark.parametrize(
    ("text", "strata", "message"),
    [
        ("A,B,count\n1,1,x\n", None, r"line 2, column 'count': 'x' is not a non-negative integer"),
        ("A,B\n1,1\n1\n", None, r"line 3: has 1 fields but the header has 2"),
        ("A,B\n1,1\n", "region", r"line 1, column 'region': stratum column not found"),
        ("A,B,region\n1,1,\n", "region", r"line 2, column 'region': empty stratum value"),
        ("", None, r"line 1: file is empty"),
        ("A,B\n", None, r"no data rows"),
        ("A,A\n1,1\n", None, r"duplicate column name"),
        ("A,B,C\n1,0,0\n0,1,0\n", None, r"column 'C': list has no captures"),
        ("A,B\n1,\n", None, r"line 2, column 'B': an empty value is not 0 or 1"),
    ],
)
def test_it_reports_csv_problems_precisely(text: str, strata: str | None, message: str) -> None:
    with pytest.raises(CaptureDataError, match=message) as excinfo:
        read_lists_csv(io.StringIO(text), strata=strata)
    assert str(excinfo.value).startswith("<stream>")


def test_it_reports_a_missing_file() -> None:
    with pytest.raises(CaptureDataError, match="no-such.csv: cannot read file"):
        read_lists_csv("no-such.csv")


def test_it_accepts_bom_spaces_and_semicolons() -> None:
    h = read_lists_csv(io.StringIO("\ufeffA; B ;Count\n1; 1 ;4\n1;0;2\n0;1;3\n"))
    assert h.lists == ("A", "B")
    assert h.n == 9


def test_it_warns_about_all_zero_rows_in_csv() -> None:
    with pytest.warns(CaptureDataWarning, match="dropped 3"):
        h = read_lists_csv(io.StringIO("A,B,count\n0,0,3\n1,1,2\n1,0,1\n0,1,1\n"))
    assert h.n == 4


def test_it_drops_a_list_without_captures_inside_one_stratum() -> None:
    text = "s,A,B,C\nx,1,1,0\nx,1,0,1\nx,0,1,1\ny,1,1,0\ny,1,0,0\ny,0,1,0\n"
    h = read_lists_csv(io.StringIO(text), strata="s")
    y = h.stratum("y")
    assert y.lists == ("A", "B")
    assert "'C' have no captures" in y.warnings[0]


def test_it_refuses_a_stratum_with_a_single_usable_list() -> None:
    text = "s,A,B\nx,1,1\nx,1,0\ny,1,0\n"
    h = read_lists_csv(io.StringIO(text), strata="s")
    with pytest.raises(CaptureDataError, match="stratum 'y': fewer than two lists"):
        h.by_stratum()


def test_it_keeps_arrays_read_only() -> None:
    h = CaptureHistories.from_counts({"11": 1, "10": 2, "01": 3})
    with pytest.raises(ValueError, match="read-only"):
        h.counts[0] = 5
    assert isinstance(h.patterns, np.ndarray)
