/*! Frontdesk host-page module (ES module, served at /chat/frame/v2/launcher/host.js). Imported
 * by entrance.js only when a page uses what needs it, so a plain page view never loads it:
 * - callbacks that hear from the server while the chat window is closed: zc("receive_message")
 *   (also dispatched as the `zhichiReceive` window event; zc("zhichiReceive", cb) works too)
 *   and zc("offline_message_count"). One hidden notifier frame (notify.html, our origin) does
 *   the listening; what it posts is accepted with origin and source checked and handed on:
 *   agent messages only, and only while the window is collapsed (its panel is `hidden`).
 * - seed 003's window options: anchor, width, height, container_style, expand_size, gif,
 *   reload/refresh, async, auto_expand (CSS rules, a click interceptor, launcher exports).
 * - the visit: CRM/routing values of zc("config") (again on every change), and with
 *   man_trace the browse trace (landing or viewed page, the page a chat starts from;
 *   pre_visit_args/cur_visit_args override what is collected), zc("trace", {...}) on demand.
 *   The notifier frame sends them to the server with the visitor's token.
 * - invitations: invite, tip_title, submit_title, first_timeout, over_timeout, invite_count
 *   (per day, counted in this browser), invite_imgsrc; accepting opens the chat, refusing
 *   waits over_timeout. Texts follow `locale`; nothing is inserted as HTML. With invite_flag
 *   the notifier lists the visitor for agents, whose invitation shows the same way.
 * Values come as the seed shows them (strings, numbers, booleans); a bad one warns once and
 * keeps the default. Never throws into the page. */
var L, base, sysnum, cls, cfgs, frame, open = false, count = null, was = false;
// The launcher's unread badge and preview (badge()): on, the notifier's "seen" hint, unread.
// `handed`: the highest sequence a notifier handed over as a message: a notifier started
// again (the page replaced its body) replays what came after its "seen", and those are not
// counted twice.
var badged = false, saw = false, hint = 0, asking = false, unread = 0, handed = 0, ac, kept = [];
var rcv = [], off = [], warned = {}, opt = {}, started = false;
// Posts wait for the notifier's document (a post to its initial about:blank would be lost).
var ready = false, queue = [], sentParams = null, traced = false, chatTraced = false, listed = false;
// The seed's CRM and routing values, reported with the visit (shared::visit::PARAM_KEYS).
var PARAMS = /^(uname|realname|tel|email|qq|face|remark|params|customer_fields|is_vip|vip_level|user_label|type|robotid|agentid|groupid|transfer_action|queueFirst|summaryparams|partnerid|platformUnionCode|flowType|flowCompanyId|flowGroupId|faqid|source|locale)$/;

var warn = function (what, v) {
  try { console.warn("frontdesk: " + what, v); } catch (e) { /* no console */ }
};

function fire(cbs, arg) {
  cbs.forEach(function (cb) {
    try { cb(arg); } catch (e) { try { console.error("frontdesk: zc callback threw", e); } catch (x) { /* */ } }
  });
}

/** Called once by entrance.js: the launcher module, the server origin, the sysnum, the loader
 * script's className and the page's zc("config") objects (the same array, kept up to date by
 * entrance.js; `apply()` after each). */
export function init(launcher, b, s, c, k) {
  L = launcher;
  base = b;
  sysnum = s;
  cfgs = c;
  cls = k;
  // The window's state is the launcher's panel's `hidden` attribute.
  var state = function () {
    var p = document.querySelector(".fd-panel"), o = !!p && !p.hidden;
    // A single-page app replacing body's children: the badge and preview go back (as
    // entrance.js puts back the launcher).
    kept.forEach(function (e) { if (!e.isConnected && document.body) document.body.appendChild(e); });
    if (o === open) return;
    open = o;
    post({ open: open });
    // Opened: the visitor sees every message (the badge and preview go); collapsed with the
    // badge on: the notifier listens from now (badge()).
    if (open) clear();
    else if (badged) listenNow();
    if (open && !chatTraced && val(merged(), "man_trace", flag, false)) {
      chatTraced = true;
      report({ page: page("chat", merged()) });
    }
    // reload/refresh: a fresh chat page on every expand after the first.
    var f = p && p.querySelector("iframe");
    if (open && was && opt.reload && f) f.src = f.src;
    if (open) was = true;
  };
  addEventListener("message", onMessage);
  state();
  new MutationObserver(state).observe(document.documentElement, { attributes: true, attributeFilter: ["hidden"], childList: true, subtree: true });
  addEventListener("click", onClick, true);
}

/** Called by entrance.js on page entry when the visitor chatted on this site before
 * (`fresh` false), or when the chat window of this page view first collapses or, open, first
 * has its visual viewport shrunk (a phone's keyboard) (`fresh` true): the launcher shows an unread badge and a preview of the last
 * agent message while the window is collapsed (and after a reload: the notifier counts what
 * arrived after the sequence the visitor saw), `receive_message`/`zhichiReceive` fire for
 * pages that only listen, and on a phone the open window stays above the on-screen keyboard.
 * The notifier starts while the window is collapsed only. */
export function badge(fresh) {
  if (badged) return;
  badged = true;
  saw = !!fresh;
  // Remembered for the next pages (entrance.js): this visitor chatted on this site.
  try { localStorage.setItem("frontdesk:chat:" + sysnum, "1"); } catch (e) { /* blocked */ }
  var V = window.visualViewport;
  if (V) {
    V.addEventListener("resize", fit);
    V.addEventListener("scroll", fit);
    fit();
  }
  // A notifier started earlier (for a report or an invitation) hands messages over from now.
  if (frame) post({ listen: true });
  else if (!open) listenNow();
}

/** Starts the notifier for the badge. When the visitor had the chat open in this page view,
 * the chat page says first which sequence it showed (fd_seen), so that what arrived since is
 * unread and what it showed is not; without an answer in 3 s the notifier starts anyway. */
function listenNow() {
  var f = document.querySelector('[data-testid="fd-frame"]');
  if (frame || asking) return;
  if (!saw || !f || !f.contentWindow) return notifier();
  asking = true;
  f.contentWindow.postMessage('{"name":"fd_seen"}', base);
  setTimeout(notifier, 3000);
}

/** Phones (the window fills the screen): the window is the visual viewport, so the on-screen
 * keyboard, which shrinks only that, never covers the chat's input. */
function fit() {
  var p = document.querySelector(".fd-panel"), V = window.visualViewport;
  var k = !!V && innerWidth < 501 && V.height < innerHeight - 1;
  if (!p) return;
  p.style.top = k ? V.offsetTop + "px" : "";
  p.style.height = k ? V.height + "px" : "";
}

function merged() {
  var p = {};
  cfgs.forEach(function (c) { for (var k in c) p[k] = c[k]; });
  return p;
}

/** A seed value checked by `ok` (returns the value to keep, or undefined): bad → one warning. */
function val(p, k, ok, dflt) {
  if (!(k in p) || p[k] == null) return dflt;
  var v = ok(String(p[k]).trim());
  if (v === undefined) {
    if (!warned[k]) warn("ignoring invalid zc config value " + k, p[k]);
    warned[k] = 1;
    return dflt;
  }
  return v;
}
var flag = function (s) { return /^(1|true)$/.test(s) ? true : /^(0|false|)$/.test(s) ? false : undefined; };
var secs = function (s) { return /^\d{1,5}(\.\d+)?$/.test(s) ? +s : undefined; };
var px = function (s) {
  var m = /^(\d+)\s*(px)?$/.exec(s);
  return m && +m[1] >= 200 && +m[1] <= 2000 ? m[1] + "px" : undefined;
};

/** Applies the window options of every zc("config") so far (later calls override). */
export function apply() {
  var p = merged();
  opt = {
    anchor: val(p, "anchor", flag, false),
    reload: val(p, "reload", flag, false) || val(p, "refresh", flag, false),
  };
  var w = val(p, "width", px), h = val(p, "height", px);
  var half = val(p, "expand_size", function (s) { return s === "half" ? true : s === "full" ? false : undefined; }, false);
  // The site's own style for the window; its size only through width/height (seed).
  var cs = typeof p.container_style === "string"
    ? p.container_style.replace(/(^|;)\s*(width|height)\s*:[^;]*/gi, "$1") : "";
  var css = ".fd-panel.fd-panel{box-sizing:border-box;" + cs + "}@media (min-width:501px){.fd-panel.fd-panel{"
    + (w ? "width:" + w + ";" : "") + (h ? "height:" + h + ";" : "") + "}}";
  if (half) css += "@media (max-width:500px){.fd-panel.fd-panel{top:50%;height:50%}}";
  if (val(p, "gif", flag, false)) {
    css += "@media (prefers-reduced-motion:no-preference){.fd-launcher{animation:fd-gif 1.6s ease-in-out infinite}}@keyframes fd-gif{50%{transform:scale(1.12)}}";
  }
  var st = document.getElementById("fd-host-style");
  if (!st) {
    st = document.createElement("style");
    st.id = "fd-host-style";
    (document.head || document.body).appendChild(st);
  }
  st.textContent = css;
  // The visit: CRM/routing values whenever they change, the page once (man_trace).
  var ps = {}, any = false;
  for (var k in p) {
    var x = p[k];
    if (PARAMS.test(k) && x != null && typeof x !== "function") {
      ps[k] = typeof x === "object" ? JSON.stringify(x) : String(x);
      any = true;
    }
  }
  var js = JSON.stringify(ps);
  if (any && js !== sentParams) { sentParams = js; report({ params: ps }); }
  if (!listed && val(p, "invite_flag", flag, false)) {
    // Agents may see this page and invite the visitor (seed: invite_flag).
    listed = true;
    notifier();
    post({ here: { url: location.href.slice(0, 2000), title: document.title.slice(0, 500) } });
  }
  if (!traced && val(p, "man_trace", flag, false)) {
    traced = true;
    report({ page: page(landing() ? "land" : "view", p) });
  }
  if (started) return;
  started = true;
  if (val(p, "invite", flag, false)) later(val(p, "first_timeout", secs, 5));
  var go = function () {
    // After the launcher's own start (it waits for the parsed document, then a microtask).
    setTimeout(function () {
      if (val(p, "auto_expand", flag, false)) { if (!open) L.zc("frame_status"); }
      else if (val(p, "async", flag, false) && !opt.anchor) L.preload();
    });
  };
  if (document.readyState === "loading") addEventListener("DOMContentLoaded", go);
  else go();
}

/** The chat page's address for `anchor` (a window of its own, no embedding). */
function chatUrl() {
  var u = new URL(base + "/chat/h5/v2/index.html");
  u.searchParams.set("sysnum", sysnum);
  var p = merged();
  for (var k in p) {
    var v = p[k];
    if (!/^(sysnum|embed|host)$/.test(k) && /^(string|number|boolean)$/.test(typeof v)) u.searchParams.set(k, String(v));
  }
  return u.href;
}

/** anchor: a click on the launcher (or a custom button) opens the chat in a new window. */
function onClick(e) {
  var t = e.target;
  if (!opt.anchor || !t || !t.closest) return;
  var hit = t.closest('[data-testid="fd-launcher"]');
  try { hit = hit || (cls && t.closest("." + cls.split(/\s+/)[0] + ":not(script)")); } catch (x) { /* odd class */ }
  if (hit) {
    e.preventDefault();
    e.stopImmediatePropagation();
    window.open(chatUrl(), "_blank", "noopener");
  }
}

export function zc(name, cb) {
  if (name === "trace") {
    if (cb && typeof cb === "object") report({ page: page("manual", cb) });
    else warn("zc(\"trace\") needs an object", cb);
    return;
  }
  if (typeof cb !== "function") {
    warn("zc(\"" + name + "\") needs a function", cb);
    return;
  }
  if (name === "offline_message_count") {
    off.push(cb);
    if (count !== null) fire([cb], count);
  } else {
    rcv.push(cb);
  }
  notifier();
  if (rcv.length) post({ listen: true });
}

function post(d) {
  var w = frame && frame.contentWindow;
  if (!ready) queue.push(d);
  else if (w) w.postMessage(JSON.stringify({ name: "fd_notify", data: d }), base);
}

function report(r) {
  notifier();
  post({ report: r });
}

/** Strings of a visit-args object (or its JSON), each at most 2000 characters. */
function strings(o) {
  var r = {};
  if (typeof o === "string") { try { o = JSON.parse(o); } catch (e) { o = null; } }
  if (o && typeof o === "object") {
    for (var k in o) if (o[k] != null && typeof o[k] !== "object") r[k] = String(o[k]).slice(0, 2000);
  }
  return r;
}

/** URLs arrive plain or encodeURIComponent-ed (the seed suggests it). */
function dec(s) {
  try { return s && /%[0-9a-f]{2}/i.test(s) ? decodeURIComponent(s) : s || ""; } catch (e) { return s; }
}

/** The first page of this visit (per browser tab session)? */
function landing() {
  try {
    var k = "frontdesk:visit:" + sysnum;
    if (sessionStorage.getItem(k)) return false;
    sessionStorage.setItem(k, "1");
  } catch (e) { /* no storage: every page is a landing */ }
  return true;
}

/** A page of the trace: what the browser says, overridden by the seed's visit args. */
function page(kind, a) {
  var pre = strings(a.pre_visit_args), cur = strings(a.cur_visit_args);
  return {
    kind: kind,
    url: (dec(cur.cur_visit_url) || location.href).slice(0, 2000),
    title: (cur.cur_visit_title || document.title).slice(0, 500),
    referrer: (dec(pre.pre_visit_url) || document.referrer).slice(0, 2000),
    pre: pre,
    cur: cur
  };
}

function notifier() {
  if (frame) return;
  var p = merged();
  var u = new URL(base + "/chat/frame/v2/notify.html");
  u.searchParams.set("sysnum", sysnum);
  u.searchParams.set("host", location.origin);
  if (hint > 0) u.searchParams.set("seen", String(hint));
  ["partnerid", "sign", "uname"].forEach(function (k) {
    var v = p[k];
    if (typeof v === "string" || typeof v === "number") u.searchParams.set(k, String(v));
  });
  frame = document.createElement("iframe");
  frame.setAttribute("aria-hidden", "true");
  frame.setAttribute("data-testid", "fd-notify");
  frame.tabIndex = -1;
  frame.title = "";
  frame.style.cssText = "position:fixed;left:-10px;top:-10px;width:1px;height:1px;border:0;opacity:0;pointer-events:none";
  frame.addEventListener("load", function () {
    ready = true;
    post({ open: open });
    if (rcv.length || badged) post({ listen: true });
    queue.splice(0).forEach(post);
  });
  frame.src = u.href;
  // entrance.js puts it back if a single-page app replaces body (it reloads; the server
  // replays what it missed).
  document.body.appendChild(frame);
}

var TOK = /^[0-9a-f]{64}$/;

/** The notifier's "seen" sequence, when it has no storage of its own (see notify.html). */
function seen() {
  try { return +localStorage.getItem("frontdesk:seen:" + sysnum) || 0; } catch (x) { return 0; }
}

function onMessage(e) {
  if (e.origin !== base || typeof e.data !== "string") return;
  var chat = document.querySelector('[data-testid="fd-frame"]');
  var m;
  try { m = JSON.parse(e.data); } catch (x) { return; }
  var fromChat = chat && e.source === chat.contentWindow && m && m.data;
  if (fromChat && m.name === "fd_seen" && asking && !frame) {
    // The chat page's answer to listenNow(): the highest sequence it showed.
    hint = Math.max(0, +m.data.seq || 0);
    notifier();
    return;
  }
  if (!frame) return;
  if (fromChat && m.name === "fd_store" && TOK.test(m.data.token || "")) {
    // The chat page's storage is blocked and it just handed the launcher the visitor's token
    // (kept in this page's storage): the notifier, blocked alike, follows that visitor too.
    post({ token: m.data.token, seen: seen() });
    return;
  }
  if (e.source !== frame.contentWindow) return;
  var d = m && m.name === "fd_notify" && m.data;
  if (!d || typeof d !== "object") return;
  if (d.want) {
    var t = null;
    try { t = localStorage.getItem("frontdesk:" + sysnum); } catch (x) { /* blocked here too */ }
    post({ token: TOK.test(t || "") ? t : null, seen: seen() });
  }
  if (TOK.test(d.keep || "")) {
    // Storage blocked: the notifier started the visitor; keep its token where the launcher
    // keeps the chat page's (unless the chat page has one already).
    try { if (!localStorage.getItem("frontdesk:" + sysnum)) localStorage.setItem("frontdesk:" + sysnum, d.keep); } catch (x) { /* blocked */ }
  }
  if (typeof d.seen === "number") {
    try { localStorage.setItem("frontdesk:seen:" + sysnum, String(d.seen)); } catch (x) { /* blocked */ }
  }
  if (typeof d.count === "number" && count === null) {
    count = d.count;
    fire(off, count);
    if (count > 0 && !open) { unread += count; show(d.last); }
  }
  if (typeof d.invite === "string") invite(d.invite); // an agent's invitation
  var g = d.msg;
  if (g && typeof g === "object" && !open && !(+g.seq <= handed)) {
    handed = Math.max(handed, +g.seq || 0);
    var r = { img: String(g.img || ""), name: String(g.name || ""), msg: String(g.msg || ""), t: g.t };
    fire(rcv, r);
    try { dispatchEvent(new CustomEvent("zhichiReceive", { detail: r })); } catch (x) { warn("zhichiReceive failed", x); }
    unread++;
    show(r);
    ding();
  }
}

/** The unread count on the launcher and a preview of agent message `g` (`{name,msg}`) beside
 * it: text nodes only; a click opens the chat, × closes the preview. Only with badge(). */
function show(g) {
  var b = document.querySelector('[data-testid="fd-launcher"]'), T = TEXTS[loc()], n = mine("fd-badge");
  if (!badged) return;
  style();
  if (b) {
    if (!n) {
      n = el("span", "fd-badge");
      n.id = "fd-badge";
      n.setAttribute("data-testid", "fd-badge");
      // Beside the button, not in it (its name stays its label); the count is read out with
      // the preview (role=status).
      n.setAttribute("aria-hidden", "true");
      document.body.appendChild(n);
      kept.push(n);
    }
    n.className = "fd-badge" + (/\bfd-left\b/.test(b.className) ? " fd-badge-l" : "");
    n.textContent = unread > 99 ? "99+" : String(unread);
  }
  if (!g || typeof g !== "object") return;
  var box = mine("fd-preview");
  if (box) drop(box);
  box = el("div", "fd-pv" + (String(merged().location) === "2" ? " fd-invite-l" : ""));
  box.id = "fd-preview";
  box.setAttribute("role", "status");
  box.setAttribute("data-testid", "fd-preview");
  var o = el("button", "fd-pv-o"), x = el("button", "fd-invite-x", "×");
  o.type = x.type = "button";
  o.setAttribute("data-testid", "fd-preview-open");
  // The agent's name and the first 80 characters of the text, as text.
  var t = Array.from(String(g.msg || "").replace(/\s+/g, " ").trim());
  o.appendChild(el("strong", "", String(g.name || "") || T[3]));
  o.appendChild(el("span", "", t.slice(0, 80).join("") + (t.length > 80 ? "…" : "")));
  x.setAttribute("aria-label", T[2]);
  x.setAttribute("data-testid", "fd-preview-close");
  o.addEventListener("click", function () { if (!open) L.zc("frame_status"); });
  x.addEventListener("click", function () { drop(box); });
  box.appendChild(o);
  box.appendChild(x);
  document.body.appendChild(box);
  kept.push(box);
}

function clear() {
  unread = 0;
  kept.splice(0).forEach(function (e) { e.remove(); });
}

/** The badge or preview shown (by id), even while a single-page app has it out of body. */
function mine(id) {
  return kept.filter(function (e) { return e.id === id; })[0];
}

function drop(e) {
  e.remove();
  kept = kept.filter(function (k) { return k !== e; });
}

/** zc("config", {sound: true}): a short tone with each agent message while collapsed (off
 * by default; browsers play it only once the visitor has interacted with the page). */
function ding() {
  if (!val(merged(), "sound", flag, false)) return;
  try {
    ac = ac || new (window.AudioContext || window.webkitAudioContext)();
    var o = ac.createOscillator(), v = ac.createGain(), t = ac.currentTime;
    o.frequency.value = 880;
    v.gain.setValueAtTime(0.2, t);
    v.gain.exponentialRampToValueAtTime(0.001, t + 0.35);
    o.connect(v);
    v.connect(ac.destination);
    o.start(t);
    o.stop(t + 0.35);
    if (ac.state === "suspended") ac.resume().catch(function () { /* no gesture yet */ });
  } catch (e) { /* no audio */ }
}

// Default invitation texts and the close button's label, by locale.
var TEXTS = {
  cn: ["您好,有什么可以帮您?", "开始聊天吧", "关闭", "客服"],
  en: ["Hello! Can we help you?", "Start chatting", "Close", "Agent"],
  tw: ["您好,有什麼可以幫您?", "開始聊天吧", "關閉", "客服"]
};

function loc() {
  var l = String(merged().locale).trim();
  return /^(en|tw)$/.test(l) ? l : "cn";
}

function el(tag, cls, txt) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (txt) e.textContent = txt;
  return e;
}

function later(s) {
  setTimeout(function () { invite(); }, s * 1000);
}

/** One more invitation today? Counted per day in this browser (invite_count, default 3). */
function take(max) {
  var k = "frontdesk:invites:" + sysnum, day = new Date().toDateString(), c = { d: day, n: 0 };
  try { var o = JSON.parse(localStorage.getItem(k)); if (o && o.d === day) c = o; } catch (e) { /* none */ }
  if (c.n >= max) return false;
  c.n++;
  try { localStorage.setItem(k, JSON.stringify(c)); } catch (e) { /* blocked: not counted */ }
  return true;
}

/** Shows an invitation (`text` from an agent, or the configured one), unless the window is
 * open or one is showing. `auto` invitations count against invite_count and come back
 * over_timeout seconds after a refusal. */
function invite(text) {
  var p = merged(), auto = text === undefined;
  if (open || document.getElementById("fd-invite")) return;
  if (auto && !take(val(p, "invite_count", secs, 3))) return;
  var T = TEXTS[loc()];
  var tip = text || (p.tip_title != null && String(p.tip_title)) || T[0];
  var color = /^#?[0-9a-f]{6}$/i.test(String(p.color || "")) ? "#" + String(p.color).replace("#", "") : "#1e6fd9";
  var box = el("div", "fd-invite" + (String(p.location) === "2" ? " fd-invite-l" : ""));
  box.id = "fd-invite";
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-label", tip);
  box.setAttribute("data-testid", "fd-invite");
  var img = dec(p.invite_imgsrc != null ? String(p.invite_imgsrc) : "");
  if (/^https?:\/\/\S+$/i.test(img)) {
    var im = el("img");
    im.src = img;
    im.alt = "";
    im.setAttribute("data-testid", "fd-invite-img");
    box.appendChild(im);
  }
  var msg = el("p", "", tip);
  msg.setAttribute("data-testid", "fd-invite-text");
  box.appendChild(msg);
  var ok = el("button", "fd-invite-ok", (p.submit_title != null && String(p.submit_title)) || T[1]);
  ok.type = "button";
  ok.style.background = color;
  ok.setAttribute("data-testid", "fd-invite-accept");
  var no = el("button", "fd-invite-x", "×");
  no.type = "button";
  no.setAttribute("aria-label", T[2]);
  no.setAttribute("data-testid", "fd-invite-close");
  box.appendChild(ok);
  box.appendChild(no);
  ok.addEventListener("click", function () {
    box.remove();
    if (opt.anchor) window.open(chatUrl(), "_blank", "noopener");
    else if (!open) L.zc("frame_status");
  });
  no.addEventListener("click", function () {
    box.remove();
    if (auto) later(val(merged(), "over_timeout", secs, 60));
  });
  style();
  document.body.appendChild(box);
  ok.focus();
}

function style() {
  if (document.getElementById("fd-invite-style")) return;
  var st = document.createElement("style");
  st.id = "fd-invite-style";
  st.textContent = ".fd-invite{position:fixed;right:24px;bottom:92px;z-index:2147483001;max-width:300px;box-sizing:border-box;padding:16px 36px 16px 16px;border-radius:12px;background:#fff;color:#222;font:14px/1.5 system-ui,sans-serif;box-shadow:0 8px 32px rgba(0,0,0,.28)}"
    + ".fd-invite-l{right:auto;left:24px}.fd-invite img{display:block;max-width:100%;max-height:80px;margin-bottom:8px}.fd-invite p{margin:0 0 12px}"
    + ".fd-invite-ok{border:0;border-radius:6px;padding:8px 14px;color:#fff;font:inherit;cursor:pointer}"
    + ".fd-invite-x{position:absolute;top:6px;right:6px;width:28px;height:28px;border:0;background:none;font-size:20px;line-height:1;cursor:pointer;color:#555}"
    + ".fd-invite button:focus-visible,.fd-pv button:focus-visible{outline:3px solid #111;outline-offset:2px}"
    + ".fd-badge{position:fixed;bottom:64px;right:20px;z-index:2147483001;pointer-events:none;min-width:20px;height:20px;box-sizing:border-box;padding:0 6px;border-radius:10px;background:#d92d20;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center}.fd-badge-l{right:auto;left:64px}"
    + ".fd-pv{position:fixed;right:24px;bottom:92px;z-index:2147483001;width:300px;max-width:calc(100vw - 48px);box-sizing:border-box;border-radius:12px;background:#fff;color:#222;font:14px/1.4 system-ui,sans-serif;box-shadow:0 8px 32px rgba(0,0,0,.28)}"
    + ".fd-pv-o{display:block;width:100%;box-sizing:border-box;padding:12px 36px 12px 14px;border:0;border-radius:12px;background:none;color:inherit;font:inherit;text-align:left;cursor:pointer;overflow-wrap:anywhere}"
    + ".fd-pv-o strong{display:block;margin-bottom:2px}";
  (document.head || document.body).appendChild(st);
}
