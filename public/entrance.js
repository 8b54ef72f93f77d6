/*! Frontdesk loader (seed 003 compatible). Loaded by the pasted snippet as
 * <script id="zhichiScript" src="https://HOST/chat/frame/v2/entrance.js?sysnum=…">.
 * It imports the launcher (WebAssembly), boots it, replays every queued zc(...) call in
 * order and then replaces the snippet's stub with the real zc. It never throws into the
 * host page: any failure is one console.warn. __FD_VERSION__ is filled in by the server. */
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
          var call = function (args) {
            try { m.zc(args[0], args[1]); } catch (e) { warn("zc failed", e); }
          };
          m.boot(base, sysnum, cls);
          // Replay the stub's queue; the stub stays in place until the end, so calls made
          // during the replay (e.g. from a callback) are appended and replayed too.
          var q = w.cbk || [];
          for (var i = 0; i < q.length; i++) call(q[i]);
          q.length = 0;
          w.zc = function () { call(arguments); };
        });
      })
      .catch(function (e) { warn("could not load the chat widget", e); });
  } catch (e) {
    warn("could not load the chat widget", e);
  }
})(window, document);
