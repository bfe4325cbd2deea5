/* The bell: unread count in the header, updated live from /api/notifications/stream (server-sent events),
   with a small toast per new notification. No libraries. */
(function () {
  "use strict";
  var bell = document.getElementById("notify-bell");
  if (!bell) return;
  var badge = bell.querySelector(".count");
  var caseLink = bell.getAttribute("data-case-link") || "";
  var unread = 0;
  var toasts = null;

  function show(n) {
    unread = Math.max(0, n);
    badge.textContent = unread > 99 ? "99+" : String(unread);
    badge.hidden = unread === 0;
    bell.setAttribute("aria-label", unread ? "通知（" + unread + " 条未读）" : "通知");
  }

  function toast(n) {
    if (!toasts) {
      toasts = document.createElement("div");
      toasts.className = "toasts";
      toasts.setAttribute("role", "status");
      toasts.setAttribute("aria-live", "polite");
      document.body.appendChild(toasts);
    }
    var box = document.createElement("a");
    box.className = "toast";
    box.href = n.case_number && caseLink ? caseLink + encodeURIComponent(n.case_number) : "/notifications";
    var title = document.createElement("strong");
    title.textContent = n.title;
    box.appendChild(title);
    if (n.body) {
      var body = document.createElement("span");
      body.textContent = n.body.length > 80 ? n.body.slice(0, 79) + "…" : n.body;
      box.appendChild(body);
    }
    toasts.appendChild(box);
    while (toasts.children.length > 4) toasts.removeChild(toasts.firstChild);
    setTimeout(function () { if (box.parentNode) box.parentNode.removeChild(box); }, 8000);
  }

  function listen(after) {
    if (!window.EventSource) return;
    var source = new EventSource("/api/notifications/stream?after=" + after);
    source.addEventListener("notification", function (e) {
      var n;
      try { n = JSON.parse(e.data); } catch (err) { return; }
      if (!n.read_at) show(unread + 1);
      toast(n);
    });
    source.onerror = function () {
      // The server ends each stream after a while and the browser reconnects by itself (Last-Event-ID);
      // a refused reconnect (logged out: 401) leaves the source CLOSED and we stop.
      if (source.readyState === EventSource.CLOSED) source.close();
    };
  }

  fetch("/api/notifications/unread-count", { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (d) { if (d) { show(d.count); listen(d.latest_id); } })
    .catch(function () {});

  var tester = document.getElementById("notify-test");
  if (tester) {
    tester.addEventListener("click", function () {
      var meta = document.querySelector('meta[name="csrf-token"]');
      tester.disabled = true;
      fetch("/api/notifications/test", {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRF-Token": meta ? meta.content : "", Accept: "application/json" }
      }).then(function (r) {
        if (!r.ok) toast({ title: "测试通知发送失败", body: "请刷新页面后重试" });
      }).catch(function () {
        toast({ title: "测试通知发送失败", body: "网络连接异常" });
      }).then(function () { setTimeout(function () { tester.disabled = false; }, 3000); });
    });
  }
})();
