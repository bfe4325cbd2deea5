// The hotspot map: grids that stand out against their own baseline, and recurring point clusters. No tiles needed.
(function () {
  "use strict";
  var el = document.getElementById("insight-map");
  if (!el || !window.L) { return; }
  var data = JSON.parse(el.dataset.layer || "{}");
  var map = L.map(el, { preferCanvas: true });
  map.attributionControl.setPrefix("Leaflet");
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  var bounds = [];
  (data.grids || []).forEach(function (g) {
    var r = 6 + Math.min(18, g.score * 2);
    L.circleMarker([g.lat, g.lon], { radius: r, color: "#c05621", fillOpacity: 0.5 })
      .bindPopup("<b>" + esc(g.name) + "</b><br>近期 " + g.recent + " 件，预期 " + g.expected.toFixed(1) + " 件（" + g.ratio.toFixed(1) + "×）")
      .addTo(map);
    bounds.push([g.lat, g.lon]);
  });
  (data.clusters || []).forEach(function (c, i) {
    L.circle([c.lat, c.lon], { radius: Math.max(30, c.radius_m), color: "#c53030", fillOpacity: 0.35 })
      .bindPopup("<b>聚集 #" + (i + 1) + "</b>：" + c.size + " 件<br>" + c.top.map(function (t) { return esc(t[0]) + " " + t[1]; }).join("、"))
      .addTo(map);
    bounds.push([c.lat, c.lon]);
  });
  if (bounds.length) { map.fitBounds(bounds, { padding: [30, 30], maxZoom: 16 }); } else { map.setView([29.82, 121.55], 12); }
})();
