// `./x bench`: Frontdesk beside a minimal Socket.IO 4.8 relay (relay.mjs, no persistence), in
// the same run, on loopback. For each server it measures, with plain `ws` clients:
//   1. RSS per idle visitor connection: BENCH_IDLE visitors that completed hello/welcome
//      (server RSS after minus before, divided by the count), and the RSS after all but
//      BENCH_BG of them disconnected and as many new ones connected (it should not grow);
//   2. with BENCH_BG of them still connected, BENCH_PAIRS visitor<->agent ping-pong pairs for
//      BENCH_SECONDS: delivered messages/s, one-way latency p50/p99 per direction (the
//      sender's send time to the receiver's receive time, one clock), and server CPU-seconds
//      (utime+stime from /proc) per 1000 delivered messages. This is a closed loop (one
//      message in flight per pair), so it measures latency at saturation: throughput times
//      mean latency is the number of pairs;
//   3. the same pairs at a steady BENCH_STEADY_RATE messages/s in all (default 5000, half
//      each way) for BENCH_STEADY_SECONDS, sent on a clock whether or not anything arrived
//      (open loop): one-way latency p50/p99 per direction below saturation.
// Frontdesk acks and delivers a message only after its durable commit (WAL, synchronous=FULL);
// every message counted for it is persisted. The relay persists nothing.
//
// Clients spread over 127.0.0.2-127.0.0.254 as source addresses so per-IP connection limits
// (which exist to stop one abuser) do not throttle the run. Bounded: BENCH_TIMEOUT seconds in
// all (default 280), after which everything is killed. Scale down with the BENCH_* variables;
// BENCH_ONLY=frontdesk|frontdesk-pg|frontdesk-pg-2|frontdesk-2|socket.io runs one side. With
// BENCH_DATABASE_URL=postgres://USER@HOST:PORT/DB Frontdesk also runs on PostgreSQL in the same
// run ("frontdesk-pg", a fresh database created with psql and dropped after; the PostgreSQL
// server's own CPU and memory are not in its numbers — they are the server process's only).
// With FRONTDESK_REDIS_URL set (see scripts/services.sh) the same run also measures Frontdesk
// on two nodes: two `frontdesk serve` processes on one database and that Redis, visitors on
// node A, agents on node B, RSS and CPU summed over both ("frontdesk-pg-2" on PostgreSQL when
// BENCH_DATABASE_URL is set, else "frontdesk-2" on one SQLite file).
// This is a benchmark, never a test: it prints numbers and asserts nothing about them.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";

const HERE = dirname(fileURLToPath(import.meta.url));
const env = (k, d) => (process.env[k] !== undefined && process.env[k] !== "" ? Number(process.env[k]) : d);
const IDLE = env("BENCH_IDLE", 10000);
const BG = Math.min(env("BENCH_BG", 5000), IDLE);
const PAIRS = env("BENCH_PAIRS", 50);
const SECONDS = env("BENCH_SECONDS", 10);
const STEADY_RATE = env("BENCH_STEADY_RATE", 5000);
const STEADY_SECONDS = env("BENCH_STEADY_SECONDS", 10);
const ONLY = process.env.BENCH_ONLY || "";
const PG_URL = process.env.BENCH_DATABASE_URL || "";
const REDIS = process.env.FRONTDESK_REDIS_URL || "";
// 160 s per server measured.
const TIMEOUT = env("BENCH_TIMEOUT", 160 + (PG_URL ? 160 : 0) + (REDIS ? 160 : 0) + 160);
const FD_BIN = process.env.FRONTDESK_BIN || join(HERE, "..", "target", "release", "frontdesk");
const CONNECT_PARALLEL = 200;
const PASSWORD = "bench-password-1";
const TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

const children = [];
const killAll = () => {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch {}
  }
};
setTimeout(() => {
  console.error(`bench: over BENCH_TIMEOUT=${TIMEOUT}s, stopping`);
  killAll();
  process.exit(3);
}, TIMEOUT * 1000).unref();
process.on("exit", killAll);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const srcAddr = (i) => `127.0.0.${2 + (i % 253)}`;

function rssKb(pid) {
  if (Array.isArray(pid)) return pid.reduce((a, p) => a + rssKb(p), 0);
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/);
  return m ? Number(m[1]) : NaN;
}
function cpuSeconds(pid) {
  if (Array.isArray(pid)) return pid.reduce((a, p) => a + cpuSeconds(p), 0);
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / TICKS; // utime, stime
}
/** [p50, p99] of the samples `xs` (sorts them). */
function p50p99(xs) {
  xs.sort((a, b) => a - b);
  return [percentile(xs, 50), percentile(xs, 99)];
}
function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Waits for a line matching `re` on a child's stdout. */
function waitLine(child, re, what) {
  return new Promise((resolve, reject) => {
    let buf = "";
    const t = setTimeout(() => reject(new Error(`${what}: no start line`)), 20000);
    child.stdout.on("data", (d) => {
      buf += d;
      const m = buf.match(re);
      if (m) {
        clearTimeout(t);
        resolve(m);
      }
    });
    child.on("exit", (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

/** Runs `fn(i)` for i in 0..n with at most `par` in flight. */
async function pool(n, par, fn) {
  let next = 0;
  const out = new Array(n);
  const worker = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(par, n) }, worker));
  return out;
}

/** Opens a WebSocket from source address `i`; `onMessage` is attached before any frame can arrive. */
function openWs(url, i, onMessage) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress: srcAddr(i), perMessageDeflate: false });
    ws.on("message", (d) => onMessage(ws, d));
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

// ----- Frontdesk ------------------------------------------------------------------------

// `url` with its database (path) replaced by `name`.
function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

class Frontdesk {
  /** pgUrl: run on a fresh database on this PostgreSQL server instead of a SQLite file.
   * `nodes` > 1: that many processes on one database and Redis; visitors use the first,
   * agents the last. */
  constructor({ pgUrl = "", nodes = 1 } = {}) {
    this.pgUrl = pgUrl;
    this.nodes = nodes;
    this.name = (pgUrl ? "frontdesk-pg" : "frontdesk") + (nodes === 1 ? "" : `-${nodes}`);
  }
  async start() {
    this.dir = mkdtempSync(join(tmpdir(), "fd-bench-"));
    if (this.pgUrl) {
      this.pgDb = `fdbench_${process.pid}_${Date.now()}`;
      execFileSync("psql", [this.pgUrl, "-qAtc", `CREATE DATABASE ${this.pgDb}`]);
      this.dbUrl = withDatabase(this.pgUrl, this.pgDb);
    } else {
      this.dbUrl = `sqlite://${join(this.dir, "fd.db")}`;
    }
    const admin = (args) =>
      JSON.parse(execFileSync(FD_BIN, ["admin", ...args, "--database-url", this.dbUrl, "--json"]).toString());
    this.sysnum = admin(["site", "create", "--name", "bench"]).sysnum;
    for (let i = 0; i < PAIRS; i++) {
      admin(["agent", "create", "--site", this.sysnum, "--account", `a${i}@bench`, "--nick", `a${i}`,
        "--password", PASSWORD, "--max-chats", "1"]);
    }
    // Rate limits are not what is measured: raise every `--*-burst`/`--*-rate` (and the
    // per-client connection cap) this build has — older builds have fewer of them. A pair
    // sends hundreds of messages a second, and all clients share 253 source addresses.
    const help = execFileSync(FD_BIN, ["serve", "--help"]).toString();
    const flags = [];
    for (const [, flag] of help.matchAll(/(--[a-z0-9-]+-(?:burst|rate))\b/g)) {
      if (!flags.includes(flag)) flags.push(flag, "1000000");
    }
    if (help.includes("--max-conns-per-client")) flags.push("--max-conns-per-client", "100000");
    if (help.includes("--max-sockets-per-client")) flags.push("--max-sockets-per-client", "1000000");
    if (this.nodes > 1) flags.push("--redis-url", REDIS);
    this.procs = [];
    this.addrs = [];
    for (let n = 0; n < this.nodes; n++) {
      const proc = spawn(FD_BIN, ["serve", "--addr", "127.0.0.1:0", "--no-demo", "--database-url", this.dbUrl,
        "--upload-dir", join(this.dir, "uploads"), ...flags], {
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...process.env, FRONTDESK_REDIS_URL: "", FRONTDESK_LOG: process.env.FRONTDESK_LOG || "warn" },
      });
      children.push(proc);
      const m = await waitLine(proc, /listening on http:\/\/([\d.:]+)/, "frontdesk");
      this.procs.push(proc);
      this.addrs.push(m[1]);
    }
    this.proc = this.procs[0];
    this.addr = this.addrs[0];
    this.agentAddr = this.addrs[this.nodes - 1];
    this.pid = this.nodes === 1 ? this.proc.pid : this.procs.map((p) => p.pid);
  }
  async stop() {
    for (const p of this.procs) p.kill("SIGKILL");
    await sleep(200);
    rmSync(this.dir, { recursive: true, force: true });
    if (this.pgDb) {
      try {
        execFileSync("psql", [this.pgUrl, "-qAtc", `DROP DATABASE IF EXISTS ${this.pgDb} WITH (FORCE)`]);
      } catch (e) {
        console.error(`bench: dropping ${this.pgDb}: ${e}`);
      }
    }
  }
  async visitor(i, onMsg) {
    let resolve, reject;
    const welcomed = new Promise((a, b) => ((resolve = a), (reject = b)));
    const ws = await openWs(`ws://${this.addr}/ws/visitor`, i, (ws, d) => {
      const f = JSON.parse(d);
      if (f.type === "welcome") resolve();
      else if (f.type === "error") reject(new Error(`visitor: ${d}`));
      else if (f.type === "msg" && f.from === "agent" && onMsg) onMsg(f.body);
    });
    ws.once("close", (code) => reject(new Error(`visitor socket closed (${code})`)));
    ws.send(JSON.stringify({ type: "hello", sysnum: this.sysnum }));
    await welcomed;
    let n = 0;
    return {
      ws,
      send: (body) => ws.send(JSON.stringify({ type: "send", cmid: `c${i}-${n++}`, kind: 0, body })),
    };
  }
  async agent(i, onMsg) {
    const token = await new Promise((resolve, reject) => {
      const body = JSON.stringify({ account: `a${i}@bench`, password: PASSWORD });
      const [host, port] = this.agentAddr.split(":");
      const req = request({ host, port, path: "/api/agent/login", method: "POST", localAddress: srcAddr(i),
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
        let s = "";
        res.on("data", (d) => (s += d));
        res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(s).token) : reject(new Error(`login ${res.statusCode} ${s}`))));
      });
      req.on("error", reject);
      req.end(body);
    });
    let resolve, reject;
    const loggedIn = new Promise((a, b) => ((resolve = a), (reject = b)));
    const ws = await openWs(`ws://${this.agentAddr}/ws/agent`, i, (ws, d) => {
      const f = JSON.parse(d);
      if (f.api_key === 31000) (f.code === 200 ? resolve() : reject(new Error(`agent login: ${d}`)));
      else if (f.api_key === 32399 && onMsg) onMsg(f.data.message_info.msg, f.data.gid);
    });
    ws.send(JSON.stringify({ api_key: 31000, call_type: 3, token }));
    await loggedIn;
    return { ws, send: (body, gid) => ws.send(JSON.stringify({ api_key: 32300, gid, msg: body })) };
  }
}

// ----- Socket.IO relay (Engine.IO v4 over a plain WebSocket) -----------------------------

class SocketIo {
  name = "socket.io";
  async start() {
    this.proc = spawn(process.execPath, [join(HERE, "relay.mjs")], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(this.proc);
    const m = await waitLine(this.proc, /listening (\d+)/, "relay");
    this.addr = `127.0.0.1:${m[1]}`;
    this.pid = this.proc.pid;
  }
  async stop() {
    this.proc.kill("SIGKILL");
    await sleep(200);
  }
  async conn(i, hello, onMsg) {
    let resolve, reject;
    const welcomed = new Promise((a, b) => ((resolve = a), (reject = b)));
    const ws = await openWs(`ws://${this.addr}/socket.io/?EIO=4&transport=websocket`, i, (ws, d) => {
        const s = d.toString();
        if (s === "2") ws.send("3");
        else if (s.startsWith("0")) ws.send("40");
        else if (s.startsWith("40")) ws.send(`42${JSON.stringify(["hello", hello])}`);
        else if (s.startsWith("42")) {
          const [ev, arg] = JSON.parse(s.slice(2));
          if (ev === "welcome") resolve();
          else if (ev === "msg" && onMsg) onMsg(arg);
        }
    });
    ws.once("close", (code, why) => reject(new Error(`socket.io socket ${i} closed (${code} ${why})`)));
    await welcomed;
    return ws;
  }
  async visitor(i, onMsg, pair) {
    const ws = await this.conn(i, pair === undefined ? {} : { pair, role: "v" }, onMsg);
    return { ws, send: (body) => ws.send(`42${JSON.stringify(["msg", body])}`) };
  }
  async agent(i, onMsg) {
    const ws = await this.conn(i, { pair: i, role: "a" }, (body) => onMsg(body, null));
    return { ws, send: (body) => ws.send(`42${JSON.stringify(["msg", body])}`) };
  }
}

// ----- one target -----------------------------------------------------------------------

async function measure(target) {
  const t0 = performance.now();
  await target.start();
  await sleep(500);
  const rss0 = rssKb(target.pid);
  const idle = await pool(IDLE, CONNECT_PARALLEL, (i) => target.visitor(1000 + i));
  const connectSecs = (performance.now() - t0) / 1000;
  await sleep(1500);
  const rss1 = rssKb(target.pid);
  // A disconnect/reconnect cycle of the visitors beyond BG: the RSS must not grow.
  const cycled = IDLE - BG;
  for (const v of idle.slice(BG)) v.ws.terminate();
  await sleep(1000);
  const again = await pool(cycled, CONNECT_PARALLEL, (i) => target.visitor(1000 + IDLE + i));
  await sleep(1500);
  const rss2 = rssKb(target.pid);
  for (const v of again) v.ws.terminate();
  await sleep(1000);

  // What the pairs received in the current phase (the callbacks record into it).
  const phase = () => ({ v2a: [], a2v: [], delivered: 0 });
  let got = phase();
  let measuring = false;
  let stopping = false;
  // The steady phase: latencies recorded, nothing answered.
  let steady = false;
  const agents = [];
  const visitors = [];
  const gids = [];
  for (let i = 0; i < PAIRS; i++) {
    agents[i] = await target.agent(i, (body, gid) => {
      const now = performance.now();
      if (measuring) {
        got.v2a.push(now - Number(body));
        got.delivered++;
      }
      gids[i] = gid ?? gids[i];
      if (!steady) agents[i].send(String(performance.now()), gids[i]);
    });
  }
  for (let i = 0; i < PAIRS; i++) {
    visitors[i] = await target.visitor(i, (body) => {
      const now = performance.now();
      if (measuring) {
        got.a2v.push(now - Number(body));
        got.delivered++;
      }
      if (!stopping && !steady) visitors[i].send(String(performance.now()));
    }, i);
    // Warm-up: the first message of a Frontdesk visitor assigns it to the one free agent,
    // which then serves it alone; wait for the round trip before the next pair starts.
    await new Promise((resolve) => {
      const prev = visitors[i];
      const check = setInterval(() => {
        if (gids.filter(Boolean).length > i || target.name === "socket.io") {
          clearInterval(check);
          resolve();
        }
      }, 2);
      prev.send(String(performance.now()));
    });
  }
  await sleep(500);
  const cpu0 = cpuSeconds(target.pid);
  const w0 = performance.now();
  measuring = true;
  await sleep(SECONDS * 1000);
  measuring = false;
  const secs = (performance.now() - w0) / 1000;
  const cpu1 = cpuSeconds(target.pid);
  stopping = true;
  await sleep(300);
  const { delivered } = got;
  const v2a = p50p99(got.v2a);
  const a2v = p50p99(got.a2v);

  // Steady phase: the same pairs send at a fixed total rate, open loop (on a clock, not in
  // answer to each other): one-way latency at a load below saturation. Each ~1 ms tick
  // sends what the clock is behind by, round robin over the 2 * PAIRS senders.
  steady = true;
  got = phase();
  measuring = true;
  let sent = 0;
  const s0 = performance.now();
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      if (now - s0 >= STEADY_SECONDS * 1000) {
        clearInterval(tick);
        resolve();
        return;
      }
      const due = Math.floor(((now - s0) / 1000) * STEADY_RATE);
      for (; sent < due; sent++) {
        const i = (sent >> 1) % PAIRS;
        if (sent % 2 === 0) visitors[i].send(String(performance.now()));
        else agents[i].send(String(performance.now()), gids[i]);
      }
    }, 1);
  });
  await sleep(1000);
  measuring = false;
  const steadyRun = { v2a: p50p99(got.v2a), a2v: p50p99(got.a2v), sent, delivered: got.delivered };

  for (const c of [...agents, ...visitors, ...idle.slice(0, BG)]) c.ws.terminate();
  await target.stop();
  return {
    name: target.name,
    rssPerConn: ((rss1 - rss0) * 1024) / IDLE,
    rss0,
    rss1,
    rss2,
    cycled,
    connectSecs,
    msgsPerSec: delivered / secs,
    delivered,
    v2a,
    a2v,
    cpuPer1000: ((cpu1 - cpu0) / delivered) * 1000,
    cpu: cpu1 - cpu0,
    steady: steadyRun,
  };
}

// ----- report ---------------------------------------------------------------------------

const results = [];
const targets = [new SocketIo(), new Frontdesk()];
if (PG_URL) targets.push(new Frontdesk({ pgUrl: PG_URL }));
if (REDIS) targets.push(new Frontdesk({ pgUrl: PG_URL, nodes: 2 }));
else if (!ONLY || ONLY.endsWith("-2")) console.error("bench: FRONTDESK_REDIS_URL is unset: no two-node run");
for (const t of targets) {
  if (ONLY && ONLY !== t.name) continue;
  console.error(`bench: ${t.name}: ${IDLE} idle visitors, then ${PAIRS} pairs over ${BG} idle for ${SECONDS} s`);
  try {
    results.push(await measure(t));
  } catch (e) {
    console.error(`bench: ${t.name} failed: ${e.stack || e}`);
    killAll();
    process.exit(1);
  }
}

const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
const ms = (x) => `${x.toFixed(2)}`;
const lat = ([p50, p99]) => `${ms(p50)} / ${ms(p99)}`;
const rows = [
  ["RSS per idle visitor connection", (r) => kb(r.rssPerConn), (b, r) => r.rssPerConn / b.rssPerConn],
  ["delivered messages/s", (r) => r.msgsPerSec.toFixed(0), (b, r) => r.msgsPerSec / b.msgsPerSec],
  ["visitor->agent p50 / p99 ms", (r) => lat(r.v2a), (b, r) => r.v2a[1] / b.v2a[1]],
  ["agent->visitor p50 / p99 ms", (r) => lat(r.a2v), (b, r) => r.a2v[1] / b.a2v[1]],
  ["server CPU-s per 1000 messages", (r) => r.cpuPer1000.toFixed(4), (b, r) => r.cpuPer1000 / b.cpuPer1000],
  [`steady ${STEADY_RATE}/s: v->a p50/p99`, (r) => lat(r.steady.v2a), (b, r) => r.steady.v2a[1] / b.steady.v2a[1]],
  [`steady ${STEADY_RATE}/s: a->v p50/p99`, (r) => lat(r.steady.a2v), (b, r) => r.steady.a2v[1] / b.steady.a2v[1]],
];
const base = results.find((r) => r.name === "socket.io");
const fds = results.filter((r) => r.name.startsWith("frontdesk"));
const fd = fds[0];
const one = results.find((r) => r.name === (PG_URL ? "frontdesk-pg" : "frontdesk"));
const two = results.find((r) => r.name.endsWith("-2"));
const pad = (s, n) => String(s).padEnd(n);
console.log(`\n${IDLE} idle visitors; ${PAIRS} ping-pong pairs over ${BG} idle, ${SECONDS} s; loopback, ${
  readFileSync("/proc/cpuinfo", "utf8").match(/^processor/gm).length} cores`);
const ratios = base ? fds : [];
console.log(`${pad("", 32)}${results.map((r) => pad(r.name, 20)).join("")}${
  ratios.map((r) => pad(`${r.name} / socket.io`, 28)).join("")}${one && two ? `${two.name} / ${one.name}` : ""}`);
for (const [label, show, ratio] of rows) {
  const cells = results.map((r) => pad(show(r), 20)).join("");
  console.log(`${pad(label, 32)}${cells}${ratios.map((r) => pad(`${ratio(base, r).toFixed(2)}x`, 28)).join("")}${
    one && two ? `${ratio(one, two).toFixed(2)}x` : ""}`);
}
for (const r of results) {
  console.log(`  ${r.name}: RSS ${r.rss0} -> ${r.rss1} kB with ${IDLE} idle (connected in ${r.connectSecs.toFixed(1)} s), ` +
    `${r.rss2} kB after ${r.cycled} of them disconnected and ${r.cycled} others connected; ` +
    `${r.delivered} messages delivered, ${r.cpu.toFixed(2)} CPU-s; steady: ${r.steady.delivered} of ${r.steady.sent} sent delivered`);
}
if (two) console.log(`  (${two.name}: two processes on one ${PG_URL ? "PostgreSQL database" : "SQLite file"} and Redis; visitors on one, agents on the other)`);
if (fd) console.log("  (frontdesk: every delivered message was committed with synchronous=FULL before delivery" +
  (fds.some((r) => r.name.startsWith("frontdesk-pg")) ? "; frontdesk-pg: with synchronous_commit=on)" : ")"));
process.exit(0);
