// Smart intake on the case forms: while the operator types, suggest the category (the deployment's own model),
// resolve the typed address to a point (standard addresses and area names), and list likely duplicates among open
// and recently closed cases. Every call is advisory: the operator decides, and the form works without them.
(function () {
  "use strict";

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function csrf() {
    var m = document.querySelector("meta[name=csrf-token]");
    return m ? m.content : "";
  }

  // Only the answer to the latest request is shown: a slow older answer never overwrites a newer one.
  function latest(fn) {
    var seq = 0;
    return function () {
      var mine = ++seq;
      return fn.apply(null, arguments).then(function (v) {
        if (mine !== seq) { throw new Error("stale"); }
        return v;
      });
    };
  }

  function call(method, url, body) {
    var opts = { method: method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRF-Token"] = csrf();
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) {
        if (!r.ok) { var e = new Error(b.message || String(r.status)); e.status = r.status; throw e; }
        return b;
      });
    });
  }

  function debounce(fn, ms) {
    var t = null;
    return function () { clearTimeout(t); t = setTimeout(fn, ms); };
  }

  function pct(x) { return Math.round((x || 0) * 100) + "%"; }

  function assist(form) {
    var title = form.querySelector("[name=title]");
    var desc = form.querySelector("[name=description]");
    var cat = form.querySelector("[data-category]");
    var address = form.querySelector("[name=address]");
    var lon = form.querySelector("[data-lon]");
    var lat = form.querySelector("[data-lat]");
    var catBox = form.querySelector("[data-cat-suggest]");
    var addrBox = form.querySelector("[data-address-result]");
    var dupBox = form.querySelector("[data-duplicates]");
    var radius = form.querySelector("[data-dup-radius]");
    if (!title || !cat) { return; }
    var catTouched = !!cat.value;
    cat.addEventListener("change", function (ev) { if (ev.isTrusted) { catTouched = true; } });

    function text() { return (title.value || "").trim() + " " + (desc ? (desc.value || "").trim() : ""); }

    // ---- category suggestion ----------------------------------------------------------------------------
    var suggest = latest(function (t, d) {
      return call("POST", "/api/brain/suggest-category", { title: t, description: d });
    });
    function showSuggestions(res) {
      var items = (res.suggestions || []).filter(function (s) {
        return cat.querySelector("option[value='" + s.category.replace(/'/g, "") + "']");
      });
      if (!items.length) { catBox.innerHTML = ""; return; }
      var how = res.method === "keywords" ? "按分类名称和关键词" : "按本地历史案件训练的模型 " + esc(res.model_version || "");
      catBox.innerHTML = "<span class='muted small'>建议分类（" + how + "）：</span>" + items.map(function (s) {
        return "<button type='button' class='chip' data-pick-cat='" + esc(s.category) + "'>" + esc(s.name) +
          " <span class='muted'>" + pct(s.confidence) + "</span></button>";
      }).join(" ");
      catBox.querySelectorAll("[data-pick-cat]").forEach(function (b) {
        b.addEventListener("click", function () {
          cat.value = b.dataset.pickCat;
          catTouched = true;
          cat.dispatchEvent(new Event("change", { bubbles: true }));
          findDuplicates();
        });
      });
      if (!catTouched && res.method !== "keywords" && items[0].confidence >= 0.5) {
        cat.value = items[0].category;
        cat.dispatchEvent(new Event("change", { bubbles: true }));
      }
      catBox.dataset.ready = String(items.length);
    }
    var refreshCategory = debounce(function () {
      var t = (title.value || "").trim();
      if (t.length < 2 || !catBox) { return; }
      suggest(t, desc ? desc.value : "").then(showSuggestions).catch(function (e) {
        if (e.message !== "stale") { catBox.innerHTML = ""; }
      });
    }, 250);

    // ---- address resolution -----------------------------------------------------------------------------
    var resolve = latest(function (q) {
      return call("GET", "/api/addresses/resolve?q=" + encodeURIComponent(q));
    });
    function setPoint(x, y) {
      lon.value = Number(x).toFixed(6);
      lat.value = Number(y).toFixed(6);
      lon.dispatchEvent(new Event("input", { bubbles: true }));
      lon.dispatchEvent(new Event("change", { bubbles: true }));
    }
    var refreshAddress = debounce(function () {
      var q = (address.value || "").trim();
      if (!addrBox) { return; }
      if (q.length < 4) { addrBox.innerHTML = ""; return; }
      resolve(q).then(function (m) {
        var where = [m.street_name, m.community_name, m.grid_name].filter(Boolean).join(" ");
        if (m.matched && m.lon != null && m.lat != null) {
          addrBox.className = "assist ok";
          addrBox.innerHTML = "已匹配标准地址：<b>" + esc(m.normalized || q) + "</b> " + esc(where) +
            " <span class='muted'>（可信度 " + pct(m.confidence) + "）</span>";
          setPoint(m.lon, m.lat);
          findDuplicates();
        } else {
          addrBox.className = "assist warn";
          addrBox.innerHTML = esc(m.message || "未能匹配到标准地址，请在地图上标点") + (where ? "（" + esc(where) + "）" : "");
        }
        addrBox.dataset.matched = m.matched ? "1" : "0";
      }).catch(function (e) {
        if (e.message === "stale") { return; }
        addrBox.className = "assist warn";
        addrBox.textContent = e.status === 403 ? "" : "地址解析失败：" + e.message + "，请在地图上标点";
      });
    }, 400);

    // ---- duplicates -------------------------------------------------------------------------------------
    var dups = latest(function (body) { return call("POST", "/api/cases/duplicates", body); });
    var findDuplicates = debounce(function () {
      if (!dupBox) { return; }
      var x = parseFloat(lon.value), y = parseFloat(lat.value);
      if (!cat.value || isNaN(x) || isNaN(y) || (title.value || "").trim().length < 2) { return; }
      dups({ title: title.value.trim(), description: desc ? desc.value : "", category: cat.value, lon: x, lat: y,
             radius_m: radius ? parseInt(radius.value, 10) : 250 }).then(function (res) {
        var list = res.candidates || [];
        dupBox.dataset.ready = String(list.length);
        if (!list.length) { dupBox.innerHTML = "<p class='muted small'>附近没有疑似重复的案件。</p>"; return; }
        dupBox.innerHTML = "<p class='small'>发现 " + list.length + " 件疑似重复：可先受理，再在案件页并案。</p><ol class='dups'>" +
          list.map(function (c) {
            return "<li><a href='/gov/cases/" + encodeURIComponent(c.number) + "' target='_blank'>" + esc(c.number) +
              "</a> " + esc(c.title) + " <span class='muted small'>" + esc(c.status_label || c.status) + " · " +
              esc(c.why) + "</span></li>";
          }).join("") + "</ol>";
      }).catch(function (e) {
        if (e.message !== "stale") { dupBox.innerHTML = "<p class='muted small'>查重暂不可用：" + esc(e.message) + "</p>"; }
      });
    }, 400);

    title.addEventListener("input", function () { refreshCategory(); findDuplicates(); });
    if (desc) { desc.addEventListener("input", function () { refreshCategory(); findDuplicates(); }); }
    cat.addEventListener("change", findDuplicates);
    lon.addEventListener("change", findDuplicates);
    lat.addEventListener("change", findDuplicates);
    if (radius) { radius.addEventListener("change", findDuplicates); }
    if (address) { address.addEventListener("input", refreshAddress); }
    if ((title.value || "").trim()) { refreshCategory(); findDuplicates(); }
  }

  document.querySelectorAll("form[data-assist]").forEach(assist);
}());
