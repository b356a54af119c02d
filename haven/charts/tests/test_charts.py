"""Charts are valid XML, accessible, and draw exactly one mark per known value."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from haven.charts import (
    Series,
    bar_chart,
    data_table,
    line_chart,
    nice_ticks,
    percent,
    series_table,
    standalone,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    assert root.tag == f"{SVG}svg"
    return root


def classed(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if e.get("class") == cls]


class TestBarChart:
    def test_it_draws_one_bar_per_value_grouped(self) -> None:
        svg = bar_chart(
            ["2022", "2023", "2024"],
            [Series("Men", [35, 32, 26]), Series("Women", [32, 164, 210])],
            title="Arrivals by sex",
        )
        root = parse(svg)
        bars = classed(root, "rect", "bar")
        assert len(bars) == 6
        tips = [b.find(f"{SVG}title").text for b in bars]
        assert "2024 — Women: 210" in tips
        assert "2022 — Men: 35" in tips

    def test_it_makes_bars_proportional_to_values(self) -> None:
        root = parse(bar_chart(["a", "b"], Series("n", [100, 50]), title="t"))
        heights = [float(b.get("height")) for b in classed(root, "rect", "bar")]
        assert heights[0] == pytest.approx(2 * heights[1], rel=0.01)

    def test_it_stacks_series(self) -> None:
        root = parse(
            bar_chart(
                ["2023", "2024"],
                [Series("Men", [32, 26]), Series("Women", [164, 210])],
                title="Arrivals",
                stacked=True,
            )
        )
        bars = classed(root, "rect", "bar")
        assert len(bars) == 4
        # The women's bar of 2024 starts where the men's bar ends: same x, adjacent in y.
        men, women = bars[2], bars[3]
        assert men.get("x") == women.get("x")
        assert float(women.get("y")) + float(women.get("height")) == pytest.approx(
            float(men.get("y")), abs=0.2
        )
        totals = [t.text for t in classed(root, "text", "value")]
        assert totals == ["196", "236"]

    def test_it_draws_horizontal_bars_with_long_korean_labels(self) -> None:
        names = ["영국", "독일", "미국", "아주 긴 나라 이름이 잘리는지 확인하는 범주 " * 3]
        root = parse(
            bar_chart(
                names, Series("난민", [581, 146, 25, 7]), orientation="horizontal", title="t", lang="ko"
            )
        )
        bars = classed(root, "rect", "bar")
        assert len(bars) == 4
        widths = [float(b.get("width")) for b in bars]
        assert widths[0] > widths[1] > widths[2]
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "ko"
        labels = [t for t in root.iter(f"{SVG}text") if t.find(f"{SVG}title") is not None]
        assert labels and labels[0].text.endswith("…")  # truncated, full name kept as tooltip

    def test_it_skips_missing_values_and_prints_suppressed_labels(self) -> None:
        root = parse(
            bar_chart(
                ["A", "B", "C"], Series("n", [12, None, 30], labels=[None, "<5", None]), title="Small cells"
            )
        )
        assert len(classed(root, "rect", "bar")) == 2
        assert [t.text for t in classed(root, "text", "value")] == ["12", "<5", "30"]

    def test_it_handles_negative_values(self) -> None:
        root = parse(bar_chart(["men", "women"], Series("change", [-40, 120]), title="Change"))
        bars = classed(root, "rect", "bar")
        assert len(bars) == 2
        ticks = [
            t.text
            for g in root.iter(f"{SVG}g")
            if g.get("class") == "value-axis"
            for t in g.iter(f"{SVG}text")
        ]
        assert ticks[0].startswith("-")

    def test_it_is_accessible(self) -> None:
        root = parse(bar_chart(["a"], Series("n", [1]), title="My <chart> & co", description="Longer text"))
        assert root.get("role") == "img"
        ids = root.get("aria-labelledby").split()
        found = {e.get("id"): e for e in root.iter() if e.get("id")}
        assert found[ids[0]].tag == f"{SVG}title" and found[ids[0]].text == "My <chart> & co"
        assert found[ids[1]].tag == f"{SVG}desc" and found[ids[1]].text == "Longer text"

    def test_it_uses_no_style_or_script(self) -> None:
        svg = bar_chart(
            ["a", "b"], [Series("x", [1, 2]), Series("y", [3, 4])], title="t", note="Source: test"
        )
        assert "<style" not in svg and "style=" not in svg and "<script" not in svg
        assert not re.search(r"\son\w+=", svg)
        assert "NanumGothic" in svg and "WenQuanYi Micro Hei" in svg

    def test_it_is_deterministic_and_ids_differ_between_charts(self) -> None:
        a = bar_chart(["a"], Series("n", [1]), title="one")
        assert a == bar_chart(["a"], Series("n", [1]), title="one")
        assert parse(a).get("id") != parse(bar_chart(["a"], Series("n", [2]), title="one")).get("id")
        assert (
            parse(bar_chart(["a"], Series("n", [1]), title="t", id_prefix="arrivals")).get("id") == "arrivals"
        )

    def test_it_refuses_bad_input(self) -> None:
        with pytest.raises(ValueError, match="2 values for 3 categories"):
            bar_chart(["a", "b", "c"], Series("n", [1, 2]), title="t")
        with pytest.raises(ValueError, match="not a finite number"):
            bar_chart(["a"], Series("n", [float("nan")]), title="t")
        with pytest.raises(ValueError, match="orientation"):
            bar_chart(["a"], Series("n", [1]), title="t", orientation="diagonal")  # type: ignore[arg-type]

    def test_it_draws_an_empty_chart(self) -> None:
        root = parse(bar_chart([], Series("n", []), title="Nothing yet"))
        assert classed(root, "rect", "bar") == []

    def test_it_wraps_a_long_note(self) -> None:
        note = "Source: Ministry of Unification, published 2026-02-04. " * 6
        root = parse(bar_chart(["a"], Series("n", [1]), title="t", note=note, width=400))
        small = [t for t in root.iter(f"{SVG}text") if t.get("font-size") == "10"]
        assert len(small) >= 3
        assert "".join(t.text for t in small).replace(" ", "") == note.replace(" ", "")


class TestLineChart:
    def test_it_draws_one_point_per_value_and_breaks_at_gaps(self) -> None:
        years = [str(y) for y in range(2015, 2025)]
        women = Series("Women", [80.3, 78.7, 83.3, 85.2, 80.7, 68.6, 36.5, 47.8, 83.7, 89.0])
        other = Series("Other", [1, 2, None, 4, 5, 6, 7, 8, 9, None])
        root = parse(line_chart(years, [women, other], title="Share", number_format=percent, value_max=100))
        assert len(classed(root, "circle", "point")) == 10 + 8
        paths = classed(root, "path", "line")
        assert len(paths) == 2
        assert paths[1].get("d").count("M") == 2  # the gap at 2017 starts a new segment
        tips = [c.find(f"{SVG}title").text for c in classed(root, "circle", "point")]
        assert "2024 — Women: 89.0%" in tips

    def test_it_uses_ordinal_ticks_for_tiers(self) -> None:
        ticks = [(1, "Tier 1"), (2, "Tier 2"), (2.5, "Tier 2 Watch List"), (3, "Tier 3")]
        root = parse(
            line_chart(
                ["2003", "2004", "2005"],
                [Series("China", [2, 2.5, 2.5]), Series("North Korea", [3, 3, 3])],
                title="Tiers",
                value_ticks=ticks,
                step=True,
                separate=True,
            )
        )
        axis = [
            t.text
            for g in root.iter(f"{SVG}g")
            if g.get("class") == "value-axis"
            for t in g.iter(f"{SVG}text")
        ]
        assert axis == ["Tier 1", "Tier 2", "Tier 2 Watch List", "Tier 3"]
        d = classed(root, "path", "line")[0].get("d")
        assert "H" in d and "V" in d
        ys = {float(c.get("cy")) for c in classed(root, "circle", "point")}
        assert len(ys) == 3  # China 2 and 2.5, North Korea 3: distinct heights

    def test_it_thins_dense_year_labels(self) -> None:
        years = [str(y) for y in range(1990, 2026)]
        root = parse(line_chart(years, Series("n", list(range(36))), title="t", width=400))
        labels = [t.text for g in root.iter(f"{SVG}g") if g.get("class") == "category-axis" for t in g]
        assert labels[0] == "1990" and 5 < len(labels) < 36


class TestScalesAndTables:
    @pytest.mark.parametrize(
        ("low", "high", "expected"),
        [(0, 2914, [0, 1000, 2000, 3000]), (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1.0]), (0, 0, [0, 1])],
    )
    def test_nice_ticks(self, low: float, high: float, expected: list[float]) -> None:
        assert nice_ticks(low, high) == expected

    def test_nice_ticks_cover_the_range(self) -> None:
        for low, high in [(-37, 212), (3, 7), (0.001, 0.0042), (12345, 98765)]:
            ticks = nice_ticks(low, high)
            assert ticks[0] <= low and ticks[-1] >= high and len(ticks) <= 12

    def test_data_table_escapes_and_marks_numbers(self) -> None:
        html = data_table(["Year", "People"], [["<2024>", 1234], ["2025", None]], caption="A & B")
        assert "<caption>A &amp; B</caption>" in html
        assert '<th scope="row">&lt;2024&gt;</th><td class="num">1,234</td>' in html
        assert "<td>–</td>" in html
        with pytest.raises(ValueError, match="row 1 has 1 cells for 2 columns"):
            data_table(["a", "b"], [["x"]])

    def test_series_table_matches_the_chart(self) -> None:
        html = series_table(
            ["2023", "2024"], [Series("Men", [32, 26]), Series("Women", [164, None], labels=[None, "<5"])],
            category_label="Year",
        )  # fmt: skip
        assert '<th scope="col">Women</th>' in html
        assert '<th scope="row">2024</th><td class="num">26</td><td>&lt;5</td>' in html

    def test_standalone_adds_the_declaration_once(self) -> None:
        svg = bar_chart(["a"], Series("n", [1]), title="t")
        doc = standalone(svg)
        assert doc.startswith('<?xml version="1.0" encoding="UTF-8"?>')
        assert standalone(doc) == doc
        parse(doc.split("\n", 1)[1])
