// Registry pages: revealing a masked field (pii.reveal, with a reason that goes to the audit log) and the data
// quality trend (ECharts, vendored: no CDN on an offline intranet).
(function () {
  "use strict";

  function reveal(btn) {
    btn.addEventListener("click", function () {
      var reason = window.prompt("请填写查看原因（至少 4 个字，记入审计）");
      if (!reason) { return; }
      var token = document.querySelector("meta[name=csrf-token]").content;
      fetch(btn.dataset.revealUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
        body: JSON.stringify({ field: btn.dataset.revealField, reason: reason })
      }).then(function (r) { return r.json().then(function (b) { return [r.ok, b]; }); })
        .then(function (res) {
          if (!res[0]) { window.alert(res[1].message || "查看失败"); return; }
          var el = document.querySelector("[data-value='" + btn.dataset.revealField + "']");
          if (el) { el.textContent = res[1].value || ""; }
          btn.hidden = true;
        });
    });
  }

  function trend(el) {
    if (typeof echarts === "undefined") { return; }
    var data = JSON.parse(el.dataset.chart);
    var chart = echarts.init(el);
    var series = data.series.map(function (s) {
      return { name: s.name, type: "line", smooth: true, showSymbol: false,
               data: s.data.map(function (v) { return v === null ? null : Math.round(v * 1000) / 10; }) };
    });
    series.push({ name: "冲突数", type: "bar", yAxisIndex: 1, data: data.conflicts, itemStyle: { opacity: 0.4 } });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 48, top: 36, bottom: 28 },
      xAxis: { type: "category", data: data.days },
      yAxis: [{ type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
              { type: "value", name: "冲突", minInterval: 1 }],
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.querySelectorAll("[data-reveal-field]").forEach(reveal);
  document.querySelectorAll("#quality-trend").forEach(trend);
}());
