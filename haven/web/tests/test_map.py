"""Map: markers and the table fallback from policy-filtered counts, an offline base map, no inline code.

Counts are the hand-worked figures of :func:`haven.web.tests.test_dashboard.corpus`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.urls import reverse

from haven.accounts.models import Role
from haven.audit.models import AuditAction, AuditEntry
from haven.places.models import Location, LocationKind
from haven.records.tests import factories as f
from haven.web.map import size_class
from haven.web.tests.stories import place
from haven.web.tests.test_dashboard import INLINE, Corpus, corpus

pytestmark = pytest.mark.django_db

MAP_JS = Path(__file__).resolve().parents[1] / "static" / "web" / "map.js"


@pytest.fixture
def c() -> Corpus:
    return corpus()


def _data(client, user, **params):  # type: ignore[no-untyped-def]
    client.force_login(user)
    response = client.get(reverse("web:map_data"), params)
    assert response.status_code == 200, response.content
    return {p["id"]: p for p in response.json()["places"]}, response.json()


def _page(client, user, **params) -> str:  # type: ignore[no-untyped-def]
    client.force_login(user)
    response = client.get(reverse("web:map"), params)
    assert response.status_code == 200
    return response.content.decode()


def _rows(html: str) -> dict[str, tuple[str, str, str]]:
    """Return the fallback table as {place name: (events, acts, location note)}."""
    body = html.split('class="map-table"')[1].split("</tbody>")[0]
    rows = re.findall(
        r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>\s*<td>[^<]*</td>\s*<td class="num">([^<]+)</td>'
        r'\s*<td class="num">([^<]+)</td>\s*<td>([^<]+)</td>',
        body,
    )
    return {name: (events, acts, where) for name, events, acts, where in rows}


def test_it_counts_events_and_acts_by_place_as_the_user_may_see_them(client, c: Corpus) -> None:
    doc = c.story.world.users[Role.DOCUMENTER]
    places, payload = _data(client, doc)
    hoeryong = places[place("KP-09-HOERYONG").pk]
    # Six events and acts of compartment A; compartment B's six at the same place are not counted.
    assert (hoeryong["events"], hoeryong["acts"]) == ("6", "6")
    facility = places[place("KP-09-ONSONG-MSS-DETENTION").pk]
    assert (facility["events"], facility["acts"]) == ("<5", "8")  # the jipkyulso event; acts at the facility
    assert facility["facility"] is True and facility["approximate"] is True
    yanji = places[place("CN-JL-YANBIAN-YANJI").pk]
    assert (yanji["events"], yanji["acts"]) == ("<5", "<5")
    assert (payload["events_unplaced"], payload["acts_unplaced"]) == ("<5", "<5")
    # The viewer (up to "internal") sees the Hoeryong arrests, the facility's seven and the two abductions in
    # Yanji, not person_a's acts: a lone small count (Yanji's 2) is withheld with the smallest other (6).
    places, _payload = _data(client, c.story.world.users[Role.VIEWER])
    assert places[place("KP-09-HOERYONG").pk]["acts"] == "withheld"
    assert places[place("KP-09-ONSONG-MSS-DETENTION").pk]["acts"] == "7"
    yanji = places[place("CN-JL-YANBIAN-YANJI").pk]
    assert (yanji["events"], yanji["acts"]) == ("<5", "withheld")
    assert places[place("KP-09-HOERYONG").pk]["events"] == "6"


def test_it_sends_no_count_finer_than_it_shows(client, c: Corpus) -> None:
    places, _payload = _data(client, c.story.world.users[Role.DOCUMENTER])
    for p in places.values():
        for key in ("events", "acts"):
            assert p[key] in {"0", "<5", "withheld"} or int(p[key]) >= 5, p
        # The size class tells no more than the label: a hidden count is drawn the smallest.
        if not p["acts"].isdigit() and not p["events"].isdigit():
            assert p["size"] == 1, p
        assert set(p) == {
            "id", "name", "kind", "kind_label", "facility", "facility_type", "lat", "lon", "approximate",
            "events", "acts", "size", "place_url", "search_url",
        }  # fmt: skip
    assert [size_class(n) for n in (0, 1, 4, 5, 19, 20, 99, 100, 500, 10_000)] == [
        0,
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        5,
        5,
    ]


def test_it_shows_every_detention_facility_even_without_acts(client, c: Corpus) -> None:
    places, _payload = _data(client, c.story.world.users[Role.ANALYST])
    facilities = Location.objects.filter(kind=LocationKind.DETENTION_FACILITY, latitude__isnull=False)
    assert facilities.count() >= 10
    for facility in facilities:
        marker = places[facility.pk]
        assert marker["facility"] and marker["facility_type"], facility.code
        assert marker["approximate"] == facility.approximate
    yodok = places[place("KP-08-YODOK-KWANLISO-15").pk]
    assert (yodok["events"], yodok["acts"], yodok["size"]) == ("0", "0", 0)


def test_it_links_each_marker_to_the_place_page_and_to_a_search_there(client, c: Corpus) -> None:
    arrest = f.term("act-types", "030101")
    places, _payload = _data(client, c.story.world.users[Role.DOCUMENTER], act_type=arrest.pk)
    hoeryong = place("KP-09-HOERYONG")
    marker = places[hoeryong.pk]
    assert marker["place_url"] == reverse("web:place", args=[hoeryong.pk])
    assert marker["search_url"] == f"/search/?act_type={arrest.pk}&place={hoeryong.pk}"
    response = client.get(marker["search_url"])
    assert response.status_code == 200
    assert "6 events" in response.content.decode()  # the search finds the six events the marker counts


def test_it_filters_by_type_of_act_and_period(client, c: Corpus) -> None:
    doc = c.story.world.users[Role.DOCUMENTER]
    # Ten arrests (ten events): Hoeryong's six, and four more in threes and ones that cannot be shown as "<5"
    # (they add up to less than 5): all withheld, with the six, whose place is still shown.
    places, payload = _data(client, doc, act_type=f.term("act-types", "030101").pk)
    assert (places[place("KP-09-HOERYONG").pk]["events"], places[place("KP-09-HOERYONG").pk]["acts"]) == (
        "withheld",
        "withheld",
    )
    assert places[place("KP-09-ONSONG-MSS-DETENTION").pk]["acts"] == "0"  # no arrest there
    # In 2012 only Hoeryong's six: too few to break down by place, so not even the place is given.
    places, payload = _data(client, doc, year_from=2012, year_to=2012)
    assert place("KP-09-HOERYONG").pk not in places
    assert places[place("KP-09-ONSONG-MSS-DETENTION").pk]["acts"] == "0"
    assert payload["notes"] == ["6 events: too few to show by place.", "6 acts: too few to show by place."]


def test_it_answers_bad_filters_with_the_field_and_the_reason(client, c: Corpus) -> None:
    client.force_login(c.story.world.users[Role.DOCUMENTER])
    response = client.get(reverse("web:map_data"), {"year_from": 2015, "year_to": 2010})
    assert response.status_code == 400
    assert response.json() == {"errors": {"year_to": ["The period ends (2010) before it starts (2015)."]}}
    response = client.get(reverse("web:map_data"), {"act_type": "999999"})
    assert response.status_code == 400 and list(response.json()["errors"]) == ["act_type"]
    html = client.get(reverse("web:map"), {"year_from": "soon"}).content.decode()
    assert "Enter a whole number." in html and 'id="map"' not in html


def test_it_refuses_roles_without_records_and_asks_strangers_to_log_in(client, c: Corpus) -> None:
    client.force_login(c.story.world.users[Role.AUDITOR])
    assert client.get(reverse("web:map")).status_code == 404
    assert client.get(reverse("web:map_data")).status_code == 404
    client.logout()
    for name in ("web:map", "web:map_data"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


def test_it_audits_the_page_and_the_data_as_searches(client, c: Corpus) -> None:
    doc = c.story.world.users[Role.DOCUMENTER]
    before = AuditEntry.objects.filter(action=AuditAction.RECORD_SEARCHED).count()
    _page(client, doc, year_from=2010)
    _data(client, doc, year_from=2010)
    entries = list(AuditEntry.objects.filter(action=AuditAction.RECORD_SEARCHED).order_by("seq"))[before:]
    assert [(e.actor, e.details["via"], e.details["filters"]) for e in entries] == [
        (doc, "map", {"year_from": 2010, "certain": True}),
        (doc, "map-data", {"year_from": 2010, "certain": True}),
    ]


def test_it_lists_the_same_places_and_counts_in_a_table(client, c: Corpus) -> None:
    doc = c.story.world.users[Role.DOCUMENTER]
    html = _page(client, doc)
    rows = _rows(html)
    places, _payload = _data(client, doc)
    assert len(rows) == len(places)  # every place has coordinates: none is left off the map
    for p in places.values():
        events, acts, where = rows[p["name"]]
        assert (events, acts) == (p["events"].replace("<", "&lt;"), p["acts"].replace("<", "&lt;"))
        assert where == ("approximate" if p["approximate"] else "exact")
    assert rows["Hoeryong"][:2] == ("6", "6")
    assert "Not on the map for want of a place: &lt;5 events, &lt;5 acts." in html


def test_it_loads_everything_from_haven_with_no_inline_code(client, c: Corpus) -> None:
    client.force_login(c.story.world.users[Role.ANALYST])
    response = client.get(reverse("web:map"))
    html = response.content.decode()
    for pattern in INLINE:
        assert not pattern.search(html), pattern.pattern
    # Every script, style sheet and data file is Haven's own (relative URLs), and each exists.
    urls = re.findall(r'(?:src|href|data-url|data-basemap)="([^"]+)"', html)
    assert all(u.startswith(("/", "?", "#")) for u in urls), urls
    static = [u for u in urls if u.startswith(settings.STATIC_URL)]
    for name in (
        "leaflet.js",
        "leaflet.css",
        "topojson-client.min.js",
        "countries-50m.json",
        "map.js",
        "map.css",
    ):
        url = next(u for u in static if u.endswith(name))
        assert finders.find(url.removeprefix(settings.STATIC_URL)), url
    # The policy allows styles from Haven only: Leaflet positions its layers through the CSSOM, which needs no
    # 'unsafe-inline'.
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert re.search(r"style-src 'self'(;|$)", csp) and re.search(r"script-src 'self'(;|$)", csp)
    # The script draws the vendored boundaries (no tile layer) and never injects server text as HTML.
    js = MAP_JS.read_text()
    assert "tileLayer" not in js and "innerHTML" not in js and "http" not in js.replace("https://", "")
    assert "keyboard: true" in js


def test_it_ships_the_boundaries_it_draws() -> None:
    path = finders.find("vendor/world-atlas/countries-50m.json")
    assert path, "world-atlas is not vendored"
    topo = json.loads(Path(path).read_text())
    assert topo["type"] == "Topology" and len(topo["objects"]["countries"]["geometries"]) > 200


def test_it_names_places_and_kinds_in_korean(client, c: Corpus) -> None:
    user = c.story.world.users[Role.ANALYST]
    user.preferred_language = "ko"
    user.save(update_fields=["preferred_language"])
    places, payload = _data(client, user)
    hoeryong = places[place("KP-09-HOERYONG").pk]
    assert (hoeryong["name"], hoeryong["kind_label"]) == ("회령시", "시")
    assert payload["labels"]["approximate"] == "대략적 위치"
    html = _page(client, user)
    assert "지도" in html and "장소별 건수" in html


def test_it_reads_in_a_fixed_number_of_queries(client, c: Corpus, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    client.force_login(c.story.world.users[Role.DOCUMENTER])
    client.get(reverse("web:map_data"))  # warm the session
    # Session, user, two-factor and compartments (4); the records' version (1); the shared cache's read (1),
    # events and acts by place (2) and the cache's write (5); places and kinds (2); audit (2, and on PostgreSQL
    # the chain's advisory lock). No session save: it is pushed back at most once a minute.
    with django_assert_num_queries(17 + (connection.vendor == "postgresql")):
        assert client.get(reverse("web:map_data"), {"year_from": 2010}).status_code == 200


# ---- in a browser -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_it_draws_the_map_offline_under_the_csp_and_works_with_the_keyboard(browser_for) -> None:  # type: ignore[no-untyped-def]
    from haven.accounts.tests.personas import PASSWORD

    c = corpus()
    analyst = c.story.world.users[Role.ANALYST]
    b = browser_for()
    page = b.page
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    b.login(analyst.username, PASSWORD)
    b.go(reverse("web:map"))
    page.wait_for_selector("#map-status:has-text('Map loaded.')", timeout=30_000)
    # The boundaries are drawn from the vendored TopoJSON, and there is one marker per place with coordinates.
    assert page.locator("path.map-country").count() > 200
    n_places = len(page.locator(".map-table tbody tr").all())
    assert page.locator(".leaflet-marker-icon.map-marker").count() == n_places
    assert page.locator(".leaflet-tile").count() == 0
    # Keyboard: from the map, Tab reaches a marker; Enter opens its popup and puts the focus on its first link.
    page.locator("#map").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert "map-marker" in focused, focused
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert "Events" in label and "Acts" in label
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-popup .map-popup")
    assert page.evaluate("document.activeElement.className") == "map-popup-place"
    href = page.evaluate("document.activeElement.getAttribute('href')")
    assert href.startswith("/records/places/")
    b.screenshot("map")
    b.go(reverse("web:dashboard"))
    assert page.locator("svg.chart[role=img]").count() == 5
    b.screenshot("dashboard")
    violations = [m for m in console if "Content Security Policy" in m or "Refused" in m]
    assert not violations, violations
