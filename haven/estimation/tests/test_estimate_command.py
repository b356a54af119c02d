"""`haven estimate` on both input forms, through the real console command."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HIV_PATTERNS = {  # Rcapture's HIV data (Abeni, Brancato & Perucci 1994), 4 lists
    "1111": 0,
    "1110": 3,
    "1101": 1,
    "1100": 33,
    "1011": 0,
    "1010": 20,
    "1001": 6,
    "1000": 403,
    "0111": 3,
    "0110": 35,
    "0101": 10,
    "0100": 545,
    "0011": 11,
    "0010": 621,
    "0001": 205,
}


def _haven(*args: str, tmp_path) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "HAVEN_MODE": "test", "HAVEN_HOME": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "haven.cli", "estimate", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_pattern_counts_give_the_documented_estimate(tmp_path):
    path = tmp_path / "hiv.csv"
    path.write_text("c1,c2,c3,c4,count\n" + "".join(f"{','.join(p)},{n}\n" for p, n in HIV_PATTERNS.items()))
    result = _haven(str(path), "--method", "loglinear", "--criterion", "aic", "--json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["method"] == "loglinear" and out["observed"] == 1896
    assert out["model"] == "[12,3,4]" and round(out["estimate"], 1) == 12318.5
    assert round(out["lower"]) == 10266 and round(out["upper"], 1) == 14992.3


def test_one_row_per_person_gives_the_same_answer(tmp_path):
    path = tmp_path / "people.csv"
    rows = [",".join(p) for p, n in HIV_PATTERNS.items() for _ in range(n)]
    path.write_text("c1,c2,c3,c4\n" + "\n".join(rows) + "\n")
    result = _haven(str(path), "--criterion", "bic", "--json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["model"] == "[1,2,3,4]" and round(out["estimate"], 1) == 11124.6


def test_bad_input_names_the_file_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,0\n1,yes\n")
    result = _haven(str(path), "--json", tmp_path=tmp_path)
    assert result.returncode == 2
    assert "bad.csv" in result.stderr and "3" in result.stderr and "b" in result.stderr
