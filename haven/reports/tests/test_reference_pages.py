"""Reference charts: pages for any signed-in user, figures that match the shipped files, SVG and PNG downloads."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import translation

from haven.accounts.models import Role
from haven.accounts.tests.personas import make_user
from haven.reference.services import DATA_DIR
from haven.reports import refcharts

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


def shipped(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / f"{name}.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def bars(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)  # noqa: S314
    return [e for e in root.iter(f"{SVG}rect") if e.get("class") == "bar"]


@pytest.fixture
def viewer(reference):  # type: ignore[no-untyped-def]
    return make_user(Role.AUDITOR, [])[0]  # a role that sees no records still sees published statistics


def test_it_draws_every_year_of_arrivals_by_sex(reference) -> None:
    charts = refcharts.arrivals_charts()
    single = {r["period"] for r in shipped("mou-arrivals-annual") if r["period"].isdigit()}
    assert "2025" in single  # the corrected 2025 row counts: it is the only 2025 row
    assert len(bars(charts[0].svg)) == 2 * len(single)
    tips = {t.text for b in bars(charts[0].svg) for t in b}
    assert "2024 — Women: 210" in tips and "2024 — Men: 26" in tips
    root = ET.fromstring(charts[1].svg)  # noqa: S314
    points = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "point"]
    assert len(points) == len(single)
    assert "2024: 89.0%" in {t.text for c in points for t in c}


def test_it_computes_the_change_between_two_periods(reference) -> None:
    chart = refcharts.period_change_chart((2011, 2011), (2012, 2012))
    assert chart.facts["a"].total == 2706 and chart.facts["b"].total == 1502
    assert chart.facts["total_change"] == -1204
    assert chart.facts["total_change_pct"] == pytest.approx(-44.49, abs=0.01)
    assert "−44.5%" in chart.table and "−1,204" in chart.table
    longer = refcharts.period_change_chart((2002, 2006), (2020, 2024))
    assert longer.facts["a"].total == 1142 + 1285 + 1898 + 1384 + 2028
    assert longer.facts["b"].female == 157 + 23 + 32 + 164 + 210


def test_it_refuses_periods_outside_the_series(reference) -> None:
    with pytest.raises(
        refcharts.PeriodError, match="Period A: the dataset has single years from 2002 to 2025"
    ):
        refcharts.period_change_chart((1995, 2000), (2020, 2024))
    with pytest.raises(refcharts.PeriodError, match="Period B: the first year"):
        refcharts.period_change_chart((2002, 2003), (2024, 2020))


def test_it_shows_unhcr_countries_for_a_year_with_small_values_marked(reference) -> None:
    chart = refcharts.asylum_chart(2012)
    rows = [r for r in shipped("unhcr-dprk-origin") if r["year"] == "2012"]
    assert chart.facts["countries"] == len(rows)
    assert chart.facts["refugees"] == sum(int(r["refugees"] or 0) for r in rows) == 1126
    assert len(bars(chart.svg)) == sum(1 for r in rows for k in ("refugees", "asylum_seekers") if r[k])
    assert "United Kingdom" in chart.table and "1–5" in chart.table  # Switzerland: 5 refugees


def test_it_draws_tier_history_in_korean(reference) -> None:
    with translation.override("ko"):
        chart = refcharts.tier_chart()
    assert "북한" in chart.svg and "중국" in chart.svg and "3등급" in chart.svg
    root = ET.fromstring(chart.svg)  # noqa: S314
    points = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "point"]
    ranked = [r for r in shipped("tip-tiers") if r["tier"] in refcharts.TIER_VALUES]
    assert len(points) == len(ranked)
    assert chart.source.caveats[0].startswith("연도는 보고서 연도")


def test_pages_show_source_date_and_caveats(client, viewer) -> None:
    client.force_login(viewer)
    for page in ("arrivals", "change", "asylum", "tiers"):
        response = client.get(reverse("reference:page", args=[page]))
        assert response.status_code == 200, page
        html = response.content.decode()
        assert "<svg" in html and 'role="img"' in html
        assert "Published" in html and "Caveats" in html
    html = client.get(reverse("reference:page", args=["arrivals"])).content.decode()
    assert "2026-02-04" in html and "Ministry of Unification" in html
    assert "style=" not in html.split("<main", 1)[1]


def test_change_page_reports_a_bad_period_where_it_is(client, viewer) -> None:
    client.force_login(viewer)
    url = reverse("reference:page", args=["change"])
    response = client.get(url, {"a_first": "2010", "a_last": "2005", "b_first": "2020", "b_last": "2024"})
    assert response.status_code == 200
    assert "Period A: the last year must not be before the first." in response.content.decode()
    response = client.get(url, {"a_first": "2010", "a_last": "2014", "b_first": "2020", "b_last": "2024"})
    assert "2010–2014" in response.content.decode()


def test_downloads_are_svg_and_png_with_the_source(client, viewer) -> None:
    client.force_login(viewer)
    svg = client.get(reverse("reference:download", args=["asylum", "svg"]), {"year": "2010"})
    assert svg.status_code == 200 and svg["Content-Type"].startswith("image/svg+xml")
    text = svg.content.decode()
    assert text.startswith("<?xml") and "Source: UNHCR" in text and "2026-06-25" in text
    ET.fromstring(text.split("\n", 1)[1])  # noqa: S314
    png = client.get(reverse("reference:download", args=["tiers", "png"]))
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(reverse("reference:download", args=["nothing", "svg"])).status_code == 404


def test_pages_are_in_korean(client, viewer) -> None:
    client.force_login(viewer)
    client.cookies["django_language"] = "ko"
    html = client.get(
        reverse("reference:page", args=["arrivals"]), HTTP_ACCEPT_LANGUAGE="ko"
    ).content.decode()
    assert "여성" in html and "통일부" in html


def test_anonymous_users_are_sent_to_log_in(client, reference) -> None:
    response = client.get(reverse("reference:index"))
    assert response.status_code == 302 and "login" in response["Location"]
