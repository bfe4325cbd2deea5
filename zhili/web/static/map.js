// The grid map: streets, communities and grids as polygons; works with no tile server (offline intranet).
(function () {
  "use strict";
  var el = document.getElementById("map");
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.5 });
  map.attributionControl.setPrefix("Leaflet");
  var tileUrl = el.dataset.tileUrl;
  if (tileUrl) {
    L.tileLayer(tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  }
  var colors = { urban: "#2b6cb0", rural: "#2f855a", special: "#c05621" };
  var info = document.getElementById("grid-info");
  var layers = {};

  function escapeHtml(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    });
  }

  function showGrid(code) {
    info.hidden = false;
    info.innerHTML = "加载中…";
    Promise.all([fetchJson("/api/org/grids/" + code), fetchJson("/api/org/grids/" + code + "/team").catch(function () { return null; })])
      .then(function (res) {
        var g = res[0], team = res[1];
        var html = "<h2>" + escapeHtml(g.name) + "</h2><p class='code'>网格编码 " + escapeHtml(g.code) + " · " + escapeHtml(g.kind_label) +
          "</p><p class='muted'>" + escapeHtml(g.street ? g.street.name : "") + " · " + escapeHtml(g.community.name) + " · 微网格 " + g.micro_grids.length + " 个</p>";
        if (team) {
          html += "<ul class='team'>" + team.members.map(function (m) {
            return "<li><span class='role'>" + escapeHtml(m.role_label) + "</span> " + escapeHtml(m.name) + " <span class='muted'>" + escapeHtml(m.phone || "") + "</span></li>";
          }).join("") + "</ul>";
        }
        html += "<p><a href='/gov/grids/" + encodeURIComponent(g.code) + "'>查看详情</a></p>";
        info.innerHTML = html;
      })
      .catch(function () { info.innerHTML = "无法加载该网格"; });
  }

  function addLayer(level, style, onEach) {
    return fetchJson("/api/org/map/" + level + ".geojson").then(function (fc) {
      layers[level] = L.geoJSON(fc, { style: style, onEachFeature: onEach });
      return layers[level];
    });
  }

  var gridStyle = function (f) { return { color: colors[f.properties.kind] || "#555", weight: 1, fillOpacity: 0.12 }; };
  Promise.all([
    // Outlines only: not interactive, so a click inside them reaches the grid underneath (Leaflet's canvas hit
    // test ignores `fill: false`).
    addLayer("street", function () { return { color: "#1a202c", weight: 2.5, fill: false, interactive: false }; }),
    addLayer("community", function () { return { color: "#805ad5", weight: 1.5, fill: false, dashArray: "4 3", interactive: false }; }),
    addLayer("grid", gridStyle, function (f, l) {
      l.bindTooltip(f.properties.name + " " + f.properties.code, { sticky: true });
      l.on("click", function () { showGrid(f.properties.code); });
    })
  ]).then(function () {
    var bounds = null;
    ["grid", "street"].forEach(function (k) {
      if (layers[k] && layers[k].getLayers().length) {
        bounds = bounds ? bounds.extend(layers[k].getBounds()) : layers[k].getBounds();
      }
    });
    layers.grid.addTo(map);
    layers.street.addTo(map);
    map.fitBounds(bounds || [[29.6, 121.4], [29.95, 121.9]]);
    el.dataset.ready = "1";
  }).catch(function (e) { el.textContent = "地图数据加载失败：" + e.message; });

  ["street", "community", "grid"].forEach(function (k) {
    document.getElementById("layer-" + k).addEventListener("change", function (ev) {
      if (!layers[k]) { return; }
      if (ev.target.checked) { layers[k].addTo(map); } else { map.removeLayer(layers[k]); }
    });
  });
})();
