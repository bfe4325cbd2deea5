// The monitoring board (/gov/monitor) and the leaders' cockpit (/gov/cockpit): charts with ECharts, each with a
// table view and a CSV link; the open-case map with Leaflet (grid heat layer, points only when zoomed in); the
// latest alerts; and the live feed (server-sent events) that keeps counters and alerts current without reload.
(function () {
  "use strict";
  var root = document.getElementById("monitor");
  if (!root) { return; }
  var dark = document.body.classList.contains("cockpit");
  var area = root.dataset.area || "";
  var days = root.dataset.days || "30";
  var POINTS_ZOOM = 14;
  var REFRESH_MS = 5 * 60 * 1000;
  var charts = {};  // name -> {data, chart}
  var seen = {};  // alert ids already listed

  function query(extra) {
    var q = "days=" + encodeURIComponent(days) + (area ? "&area=" + encodeURIComponent(area) : "");
    return "?" + q + (extra ? "&" + extra : "");
  }

  function escapeHtml(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) {
        return r.json().catch(function () { return {}; }).then(function (b) { throw new Error(b.message || r.status); });
      }
      return r.json();
    });
  }

  function fmt(value, unit) {
    if (value == null) { return "—"; }
    if (unit === "rate") { return (value * 100).toFixed(1) + "%"; }
    if (unit === "day") { return value; }
    return typeof value === "number" ? value.toLocaleString("zh-CN") : value;
  }

  // ---- counters ------------------------------------------------------------------------------------------------
  function setCounters(snap) {
    ["received_today", "open", "yellow", "red", "closed_today"].forEach(function (key) {
      var el = root.querySelector("[data-counter=" + key + "]");
      if (!el || snap[key] == null) { return; }
      var text = String(snap[key]);
      if (el.textContent !== text) {
        el.textContent = text;
        el.classList.add("bump");
        setTimeout(function () { el.classList.remove("bump"); }, 1500);
      }
    });
  }

  // ---- charts and their tables ---------------------------------------------------------------------------------
  function tableHtml(data) {
    var head = "<tr>" + data.columns.map(function (c) { return "<th>" + escapeHtml(c.label) + "</th>"; }).join("") + "</tr>";
    var body = data.rows.map(function (row) {
      return "<tr>" + row.map(function (v, i) {
        var unit = data.columns[i].unit;
        return "<td" + (unit === "count" || unit === "rate" ? " class='n'" : "") + ">" + escapeHtml(fmt(v, unit)) + "</td>";
      }).join("") + "</tr>";
    }).join("");
    if (!data.rows.length) { body = "<tr><td colspan='" + data.columns.length + "' class='muted'>暂无数据</td></tr>"; }
    return "<table><caption class='muted small'>" + escapeHtml(data.scope + " · " + data.start + " 至 " + data.end) +
      "</caption><thead>" + head + "</thead><tbody>" + body + "</tbody></table>";
  }

  function option(name, kind, data) {
    var text = dark ? "#cbd5e0" : "#4a5568";
    var base = { backgroundColor: "transparent", textStyle: { color: text }, tooltip: { trigger: "axis" },
                 grid: { left: 8, right: 16, top: 30, bottom: 8, containLabel: true } };
    if (kind === "line") {
      base.legend = { data: ["受理量", "结案量"], textStyle: { color: text }, top: 0 };
      base.xAxis = { type: "category", data: data.rows.map(function (r) { return String(r[0]).slice(5); }), boundaryGap: false };
      base.yAxis = { type: "value", minInterval: 1 };
      base.series = [
        { name: "受理量", type: "line", showSymbol: false, data: data.rows.map(function (r) { return r[1]; }), areaStyle: { opacity: 0.15 } },
        { name: "结案量", type: "line", showSymbol: false, data: data.rows.map(function (r) { return r[2]; }) }
      ];
      base.color = ["#63b3ed", "#68d391"];
      return base;
    }
    var rows = data.rows.slice().reverse();  // the largest on top
    base.grid.top = 8;
    base.xAxis = { type: "value", minInterval: 1 };
    base.yAxis = { type: "category", data: rows.map(function (r) { return r[0]; }), axisLabel: { width: 110, overflow: "truncate" } };
    base.series = [{ name: "受理量", type: "bar", data: rows.map(function (r) { return r[1]; }), barMaxWidth: 18,
                     label: { show: true, position: "right", color: text } }];
    base.color = [name === "streets" ? "#f6ad55" : "#63b3ed"];
    return base;
  }

  function loadChart(panel) {
    var name = panel.dataset.chart, kind = panel.dataset.kind;
    return fetchJson("/api/monitor/charts/" + name + query()).then(function (data) {
      var entry = charts[name] || (charts[name] = {});
      entry.data = data;
      var table = panel.querySelector(".chart-table");
      if (!table.hidden) { table.innerHTML = tableHtml(data); }
      if (kind !== "map" && window.echarts) {
        var el = panel.querySelector(".chart");
        entry.chart = entry.chart || window.echarts.init(el, dark ? "dark" : null, { renderer: "canvas" });
        entry.chart.setOption(option(name, kind, data), true);
      }
      panel.dataset.ready = "1";
    }).catch(function (e) {
      panel.querySelector(".chart").textContent = "加载失败：" + e.message;
      panel.dataset.ready = "error";
    });
  }

  function bindToggle(panel) {
    var button = panel.querySelector("[data-toggle]");
    button.addEventListener("click", function () {
      var table = panel.querySelector(".chart-table"), chart = panel.querySelector(".chart");
      var showTable = table.hidden;
      var entry = charts[panel.dataset.chart];
      if (showTable) { table.innerHTML = entry && entry.data ? tableHtml(entry.data) : "加载中…"; }
      table.hidden = !showTable;
      chart.hidden = showTable;
      button.textContent = showTable ? "图表" : "表格";
      button.setAttribute("aria-pressed", showTable ? "true" : "false");
      if (!showTable && entry && entry.chart) { entry.chart.resize(); }
      if (!showTable && map) { map.invalidateSize(); }
    });
  }

  var panels = Array.prototype.slice.call(root.querySelectorAll("[data-chart]"));
  function loadCharts() { return Promise.all(panels.map(loadChart)); }

  // ---- the map -------------------------------------------------------------------------------------------------
  var map = null, gridLayer = null, pointLayer = null, maxOpen = 0, fitted = false;
  var mapEl = document.getElementById("mon-map");
  var note = root.querySelector("[data-map-note]");
  var RAMP = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];

  function heat(open) {
    if (!open) { return dark ? "#1a365d" : "#f7fafc"; }
    var i = Math.min(RAMP.length - 1, Math.floor((open / Math.max(maxOpen, 1)) * RAMP.length));
    return RAMP[i];
  }

  function loadGrids() {
    return fetchJson("/api/monitor/map/grids.geojson" + query()).then(function (fc) {
      maxOpen = fc.max_open || 0;
      var layer = L.geoJSON(fc, {
        style: function (f) {
          return { color: dark ? "#4a6fa5" : "#718096", weight: 0.8, fillColor: heat(f.properties.open), fillOpacity: 0.75 };
        },
        onEachFeature: function (f, l) {
          var p = f.properties;
          l.bindTooltip(escapeHtml(p.name) + "<br>在办 " + p.open + " · 黄色预警 " + p.yellow + " · 红色超期 " + p.red, { sticky: true });
        }
      });
      if (gridLayer) { map.removeLayer(gridLayer); }
      gridLayer = layer.addTo(map);
      if (pointLayer) { pointLayer.bringToFront(); }
      if (!fitted) {
        fitted = true;
        map.fitBounds(layer.getLayers().length ? layer.getBounds() : [[29.6, 121.4], [29.95, 121.9]]);
      }
      mapEl.dataset.ready = "1";
    }).catch(function (e) { note.textContent = "地图数据加载失败：" + e.message; });
  }

  // The refresh: counts only (no geometry), restyling the drawn grids; grids absent from the answer have none.
  function refreshHeat() {
    if (!gridLayer) { return loadGrids(); }
    return fetchJson("/api/monitor/map/grids.geojson" + query("geometry=false")).then(function (fc) {
      var byCode = {};
      fc.features.forEach(function (f) { byCode[f.properties.code] = f.properties; });
      maxOpen = fc.max_open || 0;
      gridLayer.eachLayer(function (l) {
        var p = l.feature.properties, now = byCode[p.code] || { open: 0, yellow: 0, red: 0 };
        p.open = now.open; p.yellow = now.yellow; p.red = now.red;
        l.setStyle({ fillColor: heat(p.open) });
        l.setTooltipContent(escapeHtml(p.name) + "<br>在办 " + p.open + " · 黄色预警 " + p.yellow + " · 红色超期 " + p.red);
      });
    }).catch(function (e) { note.textContent = "地图数据刷新失败：" + e.message; });
  }

  var pointsSeq = 0;
  function loadPoints() {
    if (!map) { return; }
    var seq = ++pointsSeq;
    if (map.getZoom() < POINTS_ZOOM) {
      pointLayer.clearLayers();
      note.textContent = "放大到街区后显示案件点位";
      return;
    }
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",");
    fetchJson("/api/monitor/map/points" + query("bbox=" + bbox)).then(function (res) {
      if (seq !== pointsSeq) { return; }
      pointLayer.clearLayers();
      res.items.forEach(function (c) {
        var color = c.warn_level === "red" ? "#e53e3e" : c.warn_level === "yellow" ? "#d69e2e" : "#3182ce";
        L.circleMarker([c.lat, c.lon], { radius: 6, color: "#fff", weight: 1.5, fillColor: color, fillOpacity: 0.95 })
          .bindPopup("<b>" + escapeHtml(c.title) + "</b><br>" + escapeHtml(c.number) + " · " + escapeHtml(c.status_label) +
                     "<br><a href='/gov/cases/" + encodeURIComponent(c.number) + "'>查看案件</a>")
          .addTo(pointLayer);
      });
      note.textContent = "框内在办 " + res.items.length + " 件" + (res.truncated ? "（仅显示最紧急的 " + res.limit + " 件）" : "");
    }).catch(function (e) { note.textContent = e.message; });
  }

  function initMap() {
    if (!window.L || !mapEl) { return; }
    map = L.map(mapEl, { preferCanvas: true, zoomSnap: 0.5 });
    map.attributionControl.setPrefix("Leaflet");
    if (mapEl.dataset.tileUrl) {
      L.tileLayer(mapEl.dataset.tileUrl, { attribution: mapEl.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    pointLayer = L.featureGroup().addTo(map);
    map.on("moveend", loadPoints);
    loadGrids();
  }

  // ---- alerts --------------------------------------------------------------------------------------------------
  var alertList = root.querySelector("[data-alerts]");
  function alertItem(a, fresh) {
    var li = document.createElement("li");
    li.className = "l-" + a.level + (fresh ? " new" : "");
    li.dataset.alertId = a.id;
    var at = new Date(a.at).toLocaleString("zh-CN", { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
    var local = a.href && a.href.charAt(0) === "/" && a.href.charAt(1) !== "/";  // links stay on this site
    var title = local ? "<a href='" + escapeHtml(a.href) + "'>" + escapeHtml(a.title) + "</a>" : escapeHtml(a.title);
    li.innerHTML = title + "<span class='at'>" + escapeHtml(at) + " · " + escapeHtml(a.body) + "</span>";
    return li;
  }
  function addAlert(a, fresh) {
    if (seen[a.id]) { return; }
    seen[a.id] = true;
    var empty = alertList.querySelector(".muted");
    if (empty) { empty.remove(); }
    alertList.insertBefore(alertItem(a, fresh), alertList.firstChild);
    while (alertList.children.length > 50) { alertList.removeChild(alertList.lastChild); }
  }
  function loadAlerts() {
    return fetchJson("/api/monitor/alerts" + query("limit=20")).then(function (res) {
      alertList.innerHTML = "";
      seen = {};
      if (!res.items.length) { alertList.innerHTML = "<li class='muted'>暂无预警</li>"; }
      res.items.slice().reverse().forEach(function (a) { addAlert(a, false); });
    }).catch(function (e) { alertList.innerHTML = "<li class='muted'>预警加载失败：" + escapeHtml(e.message) + "</li>"; });
  }

  // ---- the live feed -------------------------------------------------------------------------------------------
  var live = root.querySelector("[data-live]");
  var mapRefresh = null;
  function connect() {
    if (!window.EventSource) { return; }
    var es = new EventSource(root.dataset.stream);
    es.onopen = function () { live.className = "live on"; live.title = "实时推送已连接"; };
    es.onerror = function () { live.className = "live off"; live.title = "实时推送重连中"; };
    es.addEventListener("snapshot", function (ev) {
      var snap = JSON.parse(ev.data);
      setCounters(snap);
      root.dataset.snapshotAt = snap.at;
      if (gridLayer && !mapRefresh) {  // the heat follows the counters, at most every 15 s
        mapRefresh = setTimeout(function () { mapRefresh = null; refreshHeat(); loadPoints(); }, 15000);
      }
    });
    es.addEventListener("alert", function (ev) { addAlert(JSON.parse(ev.data), true); });
  }

  // ---- the cockpit's header ------------------------------------------------------------------------------------
  var clock = document.querySelector("[data-clock]");
  if (clock) {
    var tick = function () {
      clock.textContent = new Date().toLocaleString("zh-CN", { year: "numeric", month: "2-digit", day: "2-digit",
        weekday: "short", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    };
    tick();
    setInterval(tick, 1000);
  }
  var full = document.querySelector("[data-fullscreen]");
  if (full) {
    full.addEventListener("click", function () {
      if (document.fullscreenElement) { document.exitFullscreen(); } else { document.documentElement.requestFullscreen(); }
    });
  }

  panels.forEach(bindToggle);
  loadCharts();
  loadAlerts();
  initMap();
  connect();
  setInterval(function () { loadCharts(); loadAlerts(); }, REFRESH_MS);
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (k) { if (charts[k].chart) { charts[k].chart.resize(); } });
  });
})();
