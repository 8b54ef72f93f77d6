// Browser-test harness: the real `frontdesk` binary on 127.0.0.1 (its own SQLite file),
// the admin CLI for setup, a seed 001 agent over a real WebSocket, and Debian's Chromium
// driven by playwright-core. Page objects wrap the widget's data-testid hooks.

import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';

const BIN = process.env.FRONTDESK_BIN;
const ROOT = process.env.FRONTDESK_ROOT;
if (!BIN || !ROOT) throw new Error('run through ./x e2e (FRONTDESK_BIN and FRONTDESK_ROOT unset)');

export const PASSWORD = 'e2e password 1';
const WAIT = 15000;

/** A fresh SQLite database URL in a temp folder. */
export function tempDb() {
  return `sqlite://${join(mkdtempSync(join(tmpdir(), 'fd-e2e-')), 'fd.db')}`;
}

/** `frontdesk admin … --json` → the printed object. */
export function admin(db, ...args) {
  const out = execFileSync(BIN, ['admin', '--database-url', db, ...args, '--json'], { encoding: 'utf8' });
  return JSON.parse(out);
}

/** A site with one agent (`kf1@e2e`). */
export function setupSite(db, name = 'E2E shop') {
  const site = admin(db, 'site', 'create', '--name', name);
  const agent = admin(db, 'agent', 'create', '--site', site.sysnum, '--account', 'kf1@e2e',
    '--nick', 'Kim', '--password', PASSWORD);
  return { site, agent };
}

/** `frontdesk serve` as a child process. */
export class Server {
  /** `extra`: more `serve` flags (e.g. `--redis-url` for a node of a cluster). */
  static async start(db, port = 0, extra = []) {
    // Uploads go beside the database file, in its temp folder.
    const uploads = join(dirname(db.replace(/^sqlite:\/\//, '')), 'uploads');
    const child = spawn(BIN, ['serve', '--addr', `127.0.0.1:${port}`, '--database-url', db, '--no-demo',
      '--web-dir', join(ROOT, 'dist'), '--public-dir', join(ROOT, 'public'), '--upload-dir', uploads, ...extra],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FRONTDESK_LOG: 'warn' } });
    const lines = createInterface({ input: child.stdout });
    const addr = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('server did not start')), WAIT);
      lines.on('line', (l) => {
        const m = /^frontdesk listening on http:\/\/(\S+)/.exec(l);
        if (m) { clearTimeout(t); resolve(m[1]); }
      });
      child.on('exit', (c) => reject(new Error(`server exited with ${c}`)));
    });
    const s = new Server();
    s.child = child;
    s.url = `http://${addr}`;
    s.port = Number(addr.split(':')[1]);
    return s;
  }

  /** Ends the process (SIGKILL by default: no graceful shutdown) and waits for it. */
  async kill(signal = 'SIGKILL') {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const done = new Promise((r) => this.child.once('exit', r));
    this.child.kill(signal);
    await done;
  }
}

/** A seed 001 agent client: login over REST, then `31000` on /ws/agent. */
export class Agent {
  static async login(server, account = 'kf1@e2e') {
    const r = await fetch(`${server.url}/api/agent/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ account, password: PASSWORD }),
    });
    const { token } = await r.json();
    if (!token) throw new Error(`login failed: ${r.status}`);
    const a = new Agent();
    a.frames = [];
    a.waiters = [];
    a.ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws/agent`);
    a.ws.on('message', (data) => {
      a.frames.push(JSON.parse(String(data)));
      a.waiters.splice(0).forEach((w) => w());
    });
    await new Promise((res, rej) => { a.ws.once('open', res); a.ws.once('error', rej); });
    a.loginResponse = await a.request({ api_key: 31000, call_type: 3, token });
    if (a.loginResponse.code !== 200) throw new Error(`31000 failed: ${JSON.stringify(a.loginResponse)}`);
    return a;
  }

  /** The first frame (received or to come) matching `pred`; removes it. */
  async next(pred, what = 'frame', timeout = WAIT) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`agent: no ${what} within ${timeout} ms; got ${JSON.stringify(this.frames)}`);
      // The timer is cleared when a frame wakes the wait first: a pending one would keep
      // node (and so the test file) alive until it fires.
      let timer;
      await new Promise((r) => { this.waiters.push(r); timer = setTimeout(r, left); });
      clearTimeout(timer);
    }
  }

  async request(req) {
    this.ws.send(JSON.stringify(req));
    return this.next((f) => f.api_key === req.api_key, `response to ${req.api_key}`);
  }

  /** The next `32399` whose message text is `msg`. */
  visitorMessage(msg) {
    return this.next((f) => f.api_key === 32399 && f.data?.message_info?.msg === msg, `32399 "${msg}"`);
  }

  close() { this.ws.close(); }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Records console warnings and uncaught errors of a page. */
export function watchConsole(page) {
  const log = { warnings: [], errors: [], dialogs: [] };
  page.on('console', (m) => { if (m.type() === 'warning') log.warnings.push(m.text()); });
  page.on('pageerror', (e) => log.errors.push(String(e)));
  page.on('dialog', (d) => { log.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  return log;
}

/** The chat UI, inside the launcher's iframe or as the full H5 page. */
export class Chat {
  constructor(root) { this.root = root; }
  get input() { return this.root.getByTestId('fd-input'); }
  async send(text) {
    await this.input.fill(text);
    await this.root.getByTestId('fd-send').click();
  }
  /** Delivered (acked or received) bubbles, optionally only of one author. */
  messages(from) {
    const sel = from ? `[data-testid="fd-msg"][data-from="${from}"]` : '[data-testid="fd-msg"]';
    return this.root.locator(sel);
  }
  message(text, from) { return this.messages(from).filter({ hasText: text }); }
  pending() { return this.root.getByTestId('fd-msg-pending'); }
}

/** A customer page with the launcher. */
export class HostPage {
  constructor(page) { this.page = page; }
  get launcher() { return this.page.getByTestId('fd-launcher'); }
  get frameElement() { return this.page.getByTestId('fd-frame'); }
  get chat() { return new Chat(this.page.frameLocator('[data-testid="fd-frame"]')); }
  async open() {
    await this.launcher.click();
    await this.frameElement.waitFor({ state: 'visible' });
    await this.chat.input.waitFor({ state: 'visible' });
  }
}

/**
 * The seed 003 snippet exactly as customers paste it, with only the host changed, plus
 * `extra` script after it. `className` adds the seed's custom-button line.
 */
export function seedSnippet(serverUrl, sysnum, { className, extra = '' } = {}) {
  return `<script>
(function (w, d, e, x) {
w[e] = function () {
w.cbk = w.cbk || []
w.cbk.push(arguments);
}
x = d.createElement("script");
x.async = true;
x.id = "zhichiScript";
${className ? `x.className="${className}"; //该class绑定到自定义按钮上 第一步\n` : ''}// ***为您的自定义域名
x.src = "${serverUrl}/chat/frame/v2/entrance.js?sysnum=${sysnum}";
d.body.appendChild(x);
})(window, document, "zc");
${extra}
</script>`;
}

/**
 * A page of `shop` (the customer website) with the seed snippet for `site` and `extra` script
 * after it, its chat window open → `{ ctx, page, log, host, frame }` (close `ctx` after).
 */
export async function openShopChat(browser, shop, server, site, extra) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const log = watchConsole(page);
  await shop.open(page, `<!doctype html><meta charset="utf-8"><title>Shop</title><body><h1>Shop</h1>
${seedSnippet(server.url, site.sysnum, { extra })}</body>`);
  const host = new HostPage(page);
  await host.open();
  return { ctx, page, log, host, frame: page.frameLocator('[data-testid="fd-frame"]') };
}

/**
 * A customer website on another origin: a plain HTTP server on 127.0.0.1, addressed as
 * `http://localhost:PORT` (the Frontdesk server is addressed as 127.0.0.1, so host page and
 * chat are different origins and different sites, as on a real customer site).
 */
export async function startHostSite() {
  const pages = new Map();
  const server = createServer((req, res) => {
    const body = pages.get(new URL(req.url, 'http://h').pathname);
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(body ?? 'not found');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://localhost:${server.address().port}`;
  let n = 0;
  return {
    origin,
    /** Publishes `html` at a fresh path and opens it in `page`. */
    async open(page, html) {
      const path = `/page${++n}.html`;
      pages.set(path, html);
      await page.goto(origin + path);
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

/**
 * The world a test file runs in, made before its tests and ended after them: a fresh
 * database with the E2E site and agent `kf1@e2e` (`prepare(world)` adds to it before the
 * server starts), the real server on it (with `serveFlags`), a browser and, with `shop`, a
 * customer website on another origin. `ready(world)` runs once all of it is up (to copy it
 * into the file's variables, or log an agent in). Returns the object the hooks fill in.
 */
export function withWorld({ shop = false, serveFlags = [], prepare, ready } = {}) {
  const world = {};
  before(async () => {
    world.db = tempDb();
    ({ site: world.site } = setupSite(world.db));
    await prepare?.(world);
    world.server = await Server.start(world.db, 0, serveFlags);
    world.browser = await launchBrowser();
    if (shop) world.shop = await startHostSite();
    await ready?.(world);
  });
  after(async () => {
    await world.browser?.close();
    await world.server?.kill('SIGTERM');
    await world.shop?.close();
  });
  return world;
}

/** The agent console at `/console/` (same origin as the server, as its Origin check wants). */
export class ConsolePage {
  constructor(page) { this.page = page; }
  async login(server, account = 'kf1@e2e', password = PASSWORD) {
    await this.page.goto(`${server.url}/console/`);
    await this.page.getByTestId('fd-c-account').fill(account);
    await this.page.getByTestId('fd-c-password').fill(password);
    await this.page.getByTestId('fd-c-login').click();
    await this.page.getByTestId('fd-c-mine').waitFor({ state: 'attached' });
    // The socket session (31000) is live once the console enables its controls.
    await this.page.locator('[data-testid="fd-c-suspend"]:enabled').waitFor();
  }
  /** `waiting`, `mine` or `agents`. */
  list(name) { return this.page.getByTestId(`fd-c-${name}`); }
  /** The list item (in `list`) whose text (name, last message) contains `text`. */
  guest(list, text) { return this.list(list).getByTestId('fd-c-guest').filter({ hasText: text }); }
  get input() { return this.page.getByTestId('fd-c-input'); }
  get messageList() { return this.page.getByTestId('fd-c-messages'); }
  messages(from) {
    const sel = from ? `[data-testid="fd-c-msg"][data-from="${from}"]` : '[data-testid="fd-c-msg"]';
    return this.page.locator(sel);
  }
  message(text, from) { return this.messages(from).filter({ hasText: text }); }
  async send(text) {
    await this.input.fill(text);
    await this.input.press('Enter');
  }
}

/**
 * A console in a fresh 1280×800 browser context → `{ context, page, log, c }`, logged in as
 * `account` unless `login` is false (to prepare the context first, then `c.login(server)`).
 */
export async function openConsole(browser, server, account = 'kf1@e2e', { login = true } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const log = watchConsole(page);
  const c = new ConsolePage(page);
  if (login) await c.login(server, account);
  return { context, page, log, c };
}
