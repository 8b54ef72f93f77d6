/*! Frontdesk loader (seed 003), documented in ARCHITECTURE.md. Never throws into the page. */
(function (w, d) {
  "use strict";
  if (w.__frontdesk) return; // snippet pasted twice
  w.__frontdesk = 1;
  var warn = function (what, e) {
    try { console.warn("frontdesk: " + what, e); } catch (_) { /* no console */ }
  };
  try {
    var s = d.currentScript || d.getElementById("zhichiScript");
    var src = new URL(s.src, location.href);
    var base = src.origin;
    var sysnum = src.searchParams.get("sysnum") || "";
    var cls = (s.getAttribute("class") || "").trim();
    var dir = base + "/chat/frame/v2/launcher/";
    var v = "?v=__FD_VERSION__";
    import(dir + "launcher.js" + v)
      .then(function (m) {
        return m.default({ module_or_path: dir + "launcher_bg.wasm" + v }).then(function () {
          var cfgs = [], host, b, o, load = function () {
            return (host = host || import(dir + "host.js" + v).then(function (h) {
              h.init(m, base, sysnum, cfgs, cls);
              return h;
            }));
          }, badge = function (f) {
            // The unread badge and preview (host.js badge()): on page entry when the visitor
            // chatted here before, else once the chat window collapses (or, below, its
            // visual viewport shrinks).
            b = 1;
            load().then(function (h) { h.badge(f); }, warn);
          };
          var call = function (args) {
            var n = args[0], a = args[1];
            try {
              if (/^(receive_message|zhichiReceive|offline_message_count|trace)$/.test(n)) {
                return load().then(function (h) { h.zc(n, a); }, warn);
              }
              m.zc(n, a);
              if (n == "config" && a && typeof a == "object" && cfgs.push(a) && (host || /"(anchor|width|height|container_style|expand_size|gif|reload|refresh|async|auto_expand|invite|invite_flag|man_trace|realname|tel|email|qq|face|remark|params|customer_fields|is_vip|vip_level|user_label|type|robotid|agentid|groupid|transfer_action|queueFirst|summaryparams)"/.test(JSON.stringify(Object.keys(a))))) {
                load().then(function (h) { h.apply(); }, warn);
              }
            } catch (e) { warn("zc failed", e); }
          };
          m.boot(base, sysnum, cls);
          try { if (localStorage.getItem("frontdesk:chat:" + sysnum)) badge(); } catch (e) { /* blocked */ }
          // Calls made during the replay (from a callback) are appended and replayed too.
          var q = w.cbk || [];
          for (var i = 0; i < q.length; i++) call(q[i]);
          q.length = 0;
          // Unsent messages kept sealed from an earlier page (ARCHITECTURE, "Unsent messages
          // when the chat frame has no storage"): the chat frame loads now, collapsed, and
          // sends them, not only when the visitor next opens it. After the launcher started.
          var pre = function () {
            try { if (localStorage.getItem("frontdesk:box:" + sysnum)) m.preload(); } catch (e) { /* no storage */ }
          };
          if (d.readyState == "loading") d.addEventListener("DOMContentLoaded", pre); else setTimeout(pre);
          w.zc = function () { call(arguments); };
          // A single-page app replacing body or its children: ours go back into body.
          var k = ".fd-launcher,.fd-panel,[data-testid=fd-notify]";
          // The badge once the window of this page view collapses; and host.js's fit() once the
          // visual viewport of the open window shrinks (a phone's keyboard).
          var V = w.visualViewport, chk = function () {
            var p = !b && d.querySelector(".fd-panel");
            if (p && !p.hidden) o = 1;
            if (p && o && (p.hidden || V && V.height < innerHeight - 1)) badge(1);
          };
          if (V) V.addEventListener("resize", chk);
          new MutationObserver(function (rs) {
            chk();
            rs.forEach(function (r) {
              r.removedNodes.forEach(function (n) {
                if (n.querySelectorAll) [n].concat([].slice.call(n.querySelectorAll(k))).forEach(function (e) {
                  if (e.matches(k) && !e.isConnected && d.body) d.body.appendChild(e);
                });
              });
            });
          }).observe(d.documentElement, { attributes: true, attributeFilter: ["hidden"], childList: true, subtree: true });
        });
      })
      .catch(function (e) { warn("could not load the chat widget", e); });
  } catch (e) {
    warn("could not load the chat widget", e);
  }
})(window, document);
