/* Haven map: Natural Earth boundaries drawn by Leaflet, markers from the permission-checked JSON endpoint.
 *
 * Nothing is fetched from another host: the base map is the vendored world-atlas TopoJSON, converted with
 * topojson-client; there is no tile layer. The page passes its URLs and texts in data-* attributes (no inline
 * script under the CSP), and every text from the server goes into the page as text, never as HTML.
 */
(function () {
  "use strict";

  var SIZES = [10, 12, 18, 22, 26, 30]; // marker diameter in pixels for size classes 0-5
  var START = [[8, 95], [50, 135]]; // the Korean peninsula, north-east China and the Mekong route

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function popupContent(p, labels) {
    var box = el("div", "map-popup");
    box.appendChild(el("p", "map-popup-title", p.name));
    box.appendChild(el("p", "map-popup-kind", p.facility ? (p.facility_type || labels.facility) : p.kind_label));
    if (p.approximate) box.appendChild(el("p", "map-popup-approx", labels.approximate));
    var counts = el("dl", "map-popup-counts");
    counts.appendChild(el("dt", "", labels.events));
    counts.appendChild(el("dd", "", p.events));
    counts.appendChild(el("dt", "", labels.acts));
    counts.appendChild(el("dd", "", p.acts));
    box.appendChild(counts);
    var links = el("ul", "map-popup-links");
    var a1 = el("a", "map-popup-place", labels.place_page);
    a1.href = p.place_url;
    var a2 = el("a", "", labels.search);
    a2.href = p.search_url;
    var li1 = el("li");
    li1.appendChild(a1);
    var li2 = el("li");
    li2.appendChild(a2);
    links.appendChild(li1);
    links.appendChild(li2);
    box.appendChild(links);
    return box;
  }

  function markerFor(p, labels) {
    var d = SIZES[Math.min(p.size, SIZES.length - 1)];
    var classes = ["map-marker", "map-size-" + p.size, p.facility ? "map-marker-facility" : "map-marker-place"];
    if (p.approximate) classes.push("map-marker-approx");
    // Markers large enough to hold a number show the acts (or, with none, the events) counted there.
    var number = /^[0-9]+$/;
    var text = number.test(p.acts) && p.acts !== "0" ? p.acts : (number.test(p.events) ? p.events : "");
    var inner = el("span", "map-marker-count", p.size > 1 ? text : "");
    var icon = L.divIcon({ className: classes.join(" "), html: inner, iconSize: [d, d] });
    var name = p.name + " — " + labels.events + ": " + p.events + ", " + labels.acts + ": " + p.acts +
      (p.approximate ? " (" + labels.approximate + ")" : "");
    var marker = L.marker([p.lat, p.lon], {
      icon: icon,
      keyboard: true,
      title: name,
      riseOnHover: true,
      zIndexOffset: p.facility ? 1000 : 0
    });
    marker.on("add", function () {
      var node = marker.getElement();
      if (node) node.setAttribute("aria-label", name);
    });
    marker.bindPopup(popupContent(p, labels), { maxWidth: 280 });
    return marker;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  function start() {
    var box = document.getElementById("map");
    var status = document.getElementById("map-status");
    if (!box || !window.L || !window.topojson) return;
    var data = box.dataset;
    function say(text) {
      if (status) status.textContent = text;
    }
    say(data.loading);

    var map = L.map(box, {
      keyboard: true,
      zoomControl: false,
      attributionControl: false,
      minZoom: 2,
      maxZoom: 10,
      maxBounds: [[-85, -200], [85, 200]],
      worldCopyJump: false
    });
    L.control.zoom({ zoomInTitle: data.zoomIn, zoomOutTitle: data.zoomOut }).addTo(map);
    L.control.attribution({ prefix: false }).addAttribution(data.attribution).addTo(map);
    map.fitBounds(START);

    // Focus the first link of an opened popup, so that a keyboard user can follow it.
    map.on("popupopen", function (e) {
      var link = e.popup.getElement() && e.popup.getElement().querySelector("a.map-popup-place");
      if (link) link.focus();
    });

    var base = getJSON(data.basemap).then(function (topo) {
      var land = topojson.feature(topo, topo.objects.countries);
      L.geoJSON(land, {
        interactive: false,
        style: { className: "map-country", color: "#6b7280", weight: 0.8, fillColor: "#f4f1e8", fillOpacity: 1 }
      }).addTo(map);
    });

    var markers = getJSON(data.url).then(function (payload) {
      var layer = L.featureGroup();
      payload.places.forEach(function (p) {
        markerFor(p, payload.labels).addTo(layer);
      });
      layer.addTo(map);
      var counted = payload.places.filter(function (p) { return p.size > 0; });
      if (counted.length) {
        var bounds = L.latLngBounds(counted.map(function (p) { return [p.lat, p.lon]; }));
        map.fitBounds(bounds.pad(0.2), { maxZoom: 7 });
      }
    });

    Promise.all([base, markers]).then(function () {
      say(data.loaded);
    }, function () {
      say(data.failed);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
