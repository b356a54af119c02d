from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from haven.audit.models import AuditAction, AuditEntry
from haven.reference.services import DATA_DIR

pytestmark = pytest.mark.usefixtures("shipped")


def run(*args: str) -> str:
    out = StringIO()
    call_command("reference", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_list_names_every_dataset_with_title_publisher_versions_and_date():
    out = run("list")
    heads = {line.split()[0]: line for line in out.splitlines() if not line.startswith(" ")}
    assert set(heads) == {p.stem for p in DATA_DIR.glob("*.csv")}
    assert heads["mou-arrivals-annual"].endswith("1 version, current v1, published 2026-02-04")
    assert heads["tip-tiers"].endswith("published not stated")
    assert "  North Korean defectors arriving in South Korea, by year and sex (MOU)\n" in out
    assert "  북한이탈주민 연도별 입국 인원 (성별, 통일부)\n" in out
    assert "  Publisher: UNHCR, the UN Refugee Agency\n" in out
    assert "  Publisher: US Department of State, Office to Monitor and Combat Trafficking in Persons\n" in out


def test_export_prints_the_csv_with_its_source_header():
    out = run("export", "tip-tiers")
    assert out.startswith("# US Trafficking in Persons report tier placements")
    body = "".join(line for line in out.splitlines(keepends=True) if not line.startswith("# "))
    assert body == (DATA_DIR / "tip-tiers.csv").read_text(encoding="utf-8")


def test_update_history_diff_and_export_of_an_old_version(tmp_path):
    text = (DATA_DIR / "mou-arrivals-annual.csv").read_text(encoding="utf-8")
    path = tmp_path / "mou.csv"
    path.write_text(text.replace("2025,25,198,223", "2025,27,200,227"), encoding="utf-8")
    out = run(
        "update", "mou-arrivals-annual", str(path), "--published-on", "2026-07-01", "--note", "July table"
    )
    assert "version 2 loaded from mou.csv (26 rows) and now current" in out
    assert "3 cells changed, 0 rows added, 0 rows removed" in out
    history = run("history", "mou-arrivals-annual", "--diff", "1", "2")
    assert "v1" in history and "v2       *" in history and "2026-07-01" in history
    assert "changed  period=2025, status=corrected: total '223' -> '227'" in history
    assert "\n2025,25,198,223," in run("export", "mou-arrivals-annual", "--version", "1")
    assert "\n2025,27,200,227," in run("export", "mou-arrivals-annual")


def test_update_records_the_named_user(tmp_path, django_user_model):
    user = django_user_model.objects.create_user("analyst", password="x")
    path = tmp_path / "tip.csv"
    path.write_text("report_year,country_iso,tier\n2026,PRK,Tier 3\n", encoding="utf-8")
    run("update", "tip-tiers", str(path), "--user", "analyst")
    assert "analyst" in run("history", "tip-tiers")
    entry = AuditEntry.objects.filter(action=AuditAction.IMPORTED).order_by("-seq").first()
    assert entry.actor == user
    with pytest.raises(CommandError, match="no active user named 'ghost'"):
        run("update", "tip-tiers", str(path), "--user", "ghost")


def test_errors_are_command_errors_naming_the_problem(tmp_path):
    with pytest.raises(CommandError, match="no reference dataset named 'nope'"):
        run("export", "nope")
    bad = tmp_path / "bad.csv"
    bad.write_text("period,male,female,total\n2025,x,1,1\n", encoding="utf-8")
    with pytest.raises(CommandError, match="bad.csv: row 2, column 'male': not a whole number"):
        run("update", "mou-arrivals-annual", str(bad))
    with pytest.raises(CommandError):
        run("update", "mou-arrivals-annual", str(bad), "--published-on", "July")


def test_load_is_idempotent():
    assert "new versions: 0" in run("load")
