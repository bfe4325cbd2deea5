// Case pages: the open-cases map, a case's pin, the pin picker (click / GPS / typed coordinates), the routing
// suggestion on the intake form, and revealing a caller's data. No tile server is needed (offline intranet):
// without one the maps show grid outlines for staff and just the pin for residents.
(function () {
  "use strict";
  var FALLBACK = [[29.6, 121.4], [29.95, 121.9]];
  var COLORS = { none: "#2b6cb0", yellow: "#d69e2e", red: "#c53030" };

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.json();
    });
  }

  function baseMap(el) {
    var map = L.map(el, { zoomSnap: 0.5 });
    map.attributionControl.setPrefix("Leaflet");
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    return map;
  }

  // Grid outlines as the background where the user may see them (staff with map.view).
  function gridLayer(map, el, fit) {
    if (!el.dataset.layers) { return Promise.resolve(null); }
    return getJson("/api/org/map/grid.geojson").then(function (fc) {
      var layer = L.geoJSON(fc, { style: { color: "#718096", weight: 1, fillOpacity: 0.05 }, interactive: false });
      layer.addTo(map);
      if (fit && layer.getLayers().length) { map.fitBounds(layer.getBounds()); }
      return layer;
    }).catch(function () { return null; });
  }

  // The workbench: open cases as dots coloured by warning level.
  function casesMap(el) {
    var map = baseMap(el);
    map.fitBounds(FALLBACK);
    getJson(el.dataset.src).then(function (fc) {
      var layer = L.geoJSON(fc, {
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 6, weight: 1, color: "#fff", fillOpacity: 0.9,
            fillColor: COLORS[f.properties.warn_level] || COLORS.none });
        },
        onEachFeature: function (f, l) {
          var p = f.properties;
          l.bindPopup("<a href='/gov/cases/" + encodeURIComponent(p.number) + "'>" + esc(p.number) + "</a><br>" +
            esc(p.title) + "<br><span class='muted'>" + esc(p.category) + " · " + esc(p.status_label) + "</span>");
        }
      }).addTo(map);
      if (layer.getLayers().length) { map.fitBounds(layer.getBounds().pad(0.2)); }
      el.dataset.ready = String(layer.getLayers().length);
    }).catch(function (e) { el.insertAdjacentHTML("beforeend", "<p class='map-msg'>地图数据加载失败：" + esc(e.message) + "</p>"); });
  }

  // A case's location, read-only.
  function pinMap(el) {
    var at = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
    var map = baseMap(el);
    map.setView(at, 16);
    L.marker(at).addTo(map);
    gridLayer(map, el, false);
  }

  // A pin picker inside a form: click sets the point, typed coordinates move the pin, GPS fills both.
  function picker(el) {
    var form = el.closest("form");
    var lon = form.querySelector("[data-lon]");
    var lat = form.querySelector("[data-lat]");
    var map = baseMap(el);
    var marker = null;

    function place(y, x, pan) {
      if (isNaN(y) || isNaN(x)) { return; }
      if (marker) { marker.setLatLng([y, x]); } else { marker = L.marker([y, x], { draggable: true }).addTo(map); marker.on("dragend", dragged); }
      if (pan) { map.setView([y, x], Math.max(map.getZoom() || 0, 15)); }
    }
    function set(y, x) {
      lon.value = x.toFixed(6);
      lat.value = y.toFixed(6);
      place(y, x, false);
      lon.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function dragged(ev) { var p = ev.target.getLatLng(); set(p.lat, p.lng); }
    function typed() { place(parseFloat(lat.value), parseFloat(lon.value), true); }

    var hasPoint = lon.value && lat.value && !isNaN(parseFloat(lon.value));
    if (hasPoint) { map.setView([parseFloat(lat.value), parseFloat(lon.value)], 15); typed(); } else { map.fitBounds(FALLBACK); }
    gridLayer(map, el, !hasPoint);
    map.on("click", function (ev) { set(ev.latlng.lat, ev.latlng.lng); });
    lon.addEventListener("input", typed);
    lat.addEventListener("input", typed);

    var gps = form.querySelector("[data-gps]");
    var status = form.querySelector("[data-gps-status]");
    if (gps) {
      gps.addEventListener("click", function () {
        if (!navigator.geolocation) { status.textContent = "此设备不支持定位，请在地图上点选"; return; }
        status.textContent = "定位中…";
        navigator.geolocation.getCurrentPosition(function (pos) {
          set(pos.coords.latitude, pos.coords.longitude);
          map.setView([pos.coords.latitude, pos.coords.longitude], 17);
          status.textContent = "已定位（精度约 " + Math.round(pos.coords.accuracy) + " 米），可拖动图钉修正";
        }, function (err) {
          status.textContent = "定位失败（" + esc(err.message) + "），请在地图上点选";
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
      });
    }
  }

  // The intake form: show and pre-select the department the responsibility list suggests, when the routing API
  // is available; the server falls back to the same suggestion when the select is left on "按权责清单建议".
  function suggestions(form) {
    var cat = form.querySelector("[data-category]");
    var dept = form.querySelector("[data-department]");
    var note = form.querySelector("[data-suggestion]");
    var lon = form.querySelector("[data-lon]");
    var lat = form.querySelector("[data-lat]");
    if (!cat || !dept || !note) { return; }
    var touched = false;
    dept.addEventListener("change", function () { touched = true; });
    function refresh() {
      if (!cat.value || !lon.value || !lat.value) { return; }
      getJson("/api/org/lookup?lon=" + encodeURIComponent(lon.value) + "&lat=" + encodeURIComponent(lat.value))
        .then(function (loc) {
          note.textContent = "位置：" + (loc.street ? loc.street.name + " " : "") + loc.community.name + " " + loc.grid.name;
          return getJson("/api/taxonomy/route?category=" + encodeURIComponent(cat.value) + "&area=" + encodeURIComponent(loc.community.code));
        })
        .then(function (r) {
          if (r.found && r.department_code) {
            note.textContent = "建议主办：" + (r.department_name || "") + "。" + (r.explanation || "");
            if (!touched) { dept.value = r.department_code; }
          } else if (r.explanation) {
            note.textContent = r.explanation;
          }
        })
        .catch(function () { /* outside the district or no routing API: the server decides */ });
    }
    cat.addEventListener("change", refresh);
    lon.addEventListener("change", refresh);
    lat.addEventListener("change", refresh);
    refresh();
  }

  function modes(form) {
    var fields = form.querySelector("[data-dispatch-fields]");
    if (!fields) { return; }
    function sync() {
      var m = form.querySelector("input[name=mode]:checked");
      fields.hidden = !(m && m.value === "dispatch");
    }
    form.querySelectorAll("input[name=mode]").forEach(function (r) { r.addEventListener("change", sync); });
    sync();
  }

  function selfHandle(form) {
    var box = form.querySelector("[data-self-handle]");
    var note = form.querySelector("[data-self-note]");
    if (!box || !note) { return; }
    function sync() { note.hidden = !box.checked; }
    box.addEventListener("change", sync);
    sync();
  }

  // Reveal a caller's name and phone (pii.reveal): asks for the reason, which goes to the audit log.
  function reveal(btn) {
    btn.addEventListener("click", function () {
      var reason = window.prompt("请填写查看原因（记入审计）");
      if (!reason) { return; }
      var token = document.querySelector("meta[name=csrf-token]").content;
      fetch("/api/cases/" + encodeURIComponent(btn.dataset.reveal) + "/reveal", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
        body: JSON.stringify({ reason: reason })
      }).then(function (r) { return r.json().then(function (b) { return [r.ok, b]; }); })
        .then(function (res) {
          if (!res[0]) { window.alert(res[1].message || "查看失败"); return; }
          document.querySelector("[data-caller]").textContent = (res[1].caller_name || "") + " " + (res[1].caller_phone || "");
          btn.hidden = true;
        });
    });
  }

  if (typeof L !== "undefined") {
    document.querySelectorAll("#cases-map").forEach(casesMap);
    document.querySelectorAll("#case-map").forEach(pinMap);
    document.querySelectorAll("[data-pick]").forEach(picker);
  }
  document.querySelectorAll("form[data-intake]").forEach(function (f) { suggestions(f); modes(f); });
  document.querySelectorAll("form").forEach(selfHandle);
  document.querySelectorAll("[data-reveal]").forEach(reveal);
}());
