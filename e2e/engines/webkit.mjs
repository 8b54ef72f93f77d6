// WebKit (Safari's engine): WebKitGTK's MiniBrowser driven by Debian's WebKitWebDriver
// (package webkit2gtk-driver) over W3C WebDriver classic, with a small client over fetch.
// MiniBrowser needs an X display: a private Xvfb (package xvfb) that picks its own free
// display number (-displayfd), so runs side by side never share one. One Xvfb and one
// WebKitWebDriver per run; each page is a WebDriver session of its own (a fresh MiniBrowser,
// whose automation session keeps its storage in memory).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { Page, within } from './driver.mjs';

export const name = 'webkit';
const DRIVER = process.env.FRONTDESK_WEBKIT_DRIVER ?? '/usr/bin/WebKitWebDriver';
const MINIBROWSER = process.env.FRONTDESK_MINIBROWSER ??
  ['x86_64-linux-gnu', 'aarch64-linux-gnu'].map((a) => `/usr/lib/${a}/webkit2gtk-4.1/MiniBrowser`).find(existsSync);
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
// One WebDriver command: bounded, so a hung browser fails the step instead of the run.
const COMMAND_TIMEOUT = 20000;

// The process groups started here (Xvfb; WebKitWebDriver with its MiniBrowsers). They are
// not in the terminal's process group, so a Ctrl-C would not reach them: they end with this
// process however it ends.
const GROUPS = new Set();
const killAll = () => { for (const pid of GROUPS) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } } };
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => { killAll(); process.kill(process.pid, sig); });
}

function track(child) {
  GROUPS.add(child.pid);
  child.once('exit', () => GROUPS.delete(child.pid));
  return child;
}

/** A child process in a process group of its own, so ending it ends what it started too. */
function spawnGroup(cmd, args, env) {
  const child = track(spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }));
  child.output = '';
  const keep = (d) => { child.output = (child.output + d).slice(-4000); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return child;
}

async function endGroup(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  try { process.kill(-child.pid, 'SIGTERM'); } catch { return; }
  const t = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 3000);
  await done;
  clearTimeout(t);
}

/** Xvfb on the first free display: `{ child, display }`. */
async function startXvfb() {
  const child = track(spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] }));
  let err = '';
  child.stderr.on('data', (d) => { err = (err + d).slice(-2000); });
  const display = await within(15000, `${name}: starting Xvfb`, () => new Promise((resolve, reject) => {
    let out = '';
    child.stdio[3].on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(`:${out.trim()}`);
    });
    child.once('error', reject);
    child.once('exit', (c) => reject(new Error(`Xvfb exited with ${c}: ${err}`)));
  })).catch(async (e) => { await endGroup(child); throw e; });
  return { child, display };
}

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

class WebDriver {
  constructor(base) { this.base = base; }

  async call(method, path, body) {
    let r;
    try {
      r = await fetch(this.base + path, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(COMMAND_TIMEOUT),
      });
    } catch (e) {
      throw new Error(`${name}: WebDriver ${method} ${path}: ${e.message}`);
    }
    const json = await r.json().catch(() => ({}));
    if (!r.ok) {
      const v = json.value ?? {};
      throw new Error(`${name}: WebDriver ${method} ${path}: ${v.error ?? r.status}: ${v.message ?? ''}`);
    }
    return json.value;
  }
}

class WebKitPage extends Page {
  constructor(wd, session) {
    super(name);
    this.wd = wd;
    this.s = `/session/${session}`;
  }

  cmd(method, path, body) { return this.wd.call(method, this.s + path, body); }

  /** Switches to the top document, then into `frame` when given. */
  async enter(frame) {
    await this.cmd('POST', '/frame', { id: null });
    if (frame) await this.cmd('POST', '/frame', { id: await this.find(frame) });
  }

  find(selector) { return this.cmd('POST', '/element', { using: 'css selector', value: selector }); }

  async goto(url) { await this.cmd('POST', '/url', { url }); }
  async reload() { await this.cmd('POST', '/refresh', {}); }

  async evalIn(frame, fn, args) {
    await this.enter(frame);
    return this.cmd('POST', '/execute/sync', { script: `return (${fn}).apply(null, arguments);`, args });
  }

  async click(frame, selector) {
    await this.enter(frame);
    const el = await this.find(selector);
    await this.cmd('POST', `/element/${el[ELEMENT]}/click`, {});
  }

  // Clicks the field first, as a person does: WebDriver's "element send keys" focuses it
  // with focus(), which WebKit refuses in a cross-origin frame that has not been interacted
  // with (no focus stealing by embedded frames): "Element is not focusable".
  async type(frame, selector, text) {
    await this.enter(frame);
    const el = await this.find(selector);
    await this.cmd('POST', `/element/${el[ELEMENT]}/click`, {});
    await this.cmd('POST', `/element/${el[ELEMENT]}/value`, { text });
  }

  async close() { await this.cmd('DELETE', ''); }
}

export async function start() {
  if (!MINIBROWSER) throw new Error(`${name}: no MiniBrowser (Debian: libwebkit2gtk-4.1-0); set FRONTDESK_MINIBROWSER`);
  const xvfb = await startXvfb();
  let driver;
  try {
    const port = await freePort();
    driver = spawnGroup(DRIVER, [`--port=${port}`, '--host=127.0.0.1'], {
      DISPLAY: xvfb.display,
      // No accessibility bus in a headless run (its absence only costs a timeout per start).
      NO_AT_BRIDGE: '1',
    });
    const wd = new WebDriver(`http://127.0.0.1:${port}`);
    await within(15000, `${name}: starting ${DRIVER}`, async () => {
      for (;;) {
        if (driver.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${driver.exitCode}: ${driver.output}`);
        try {
          if ((await wd.call('GET', '/status'))?.ready) return;
        } catch { /* not listening yet */ }
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    return {
      name,
      async page() {
        const { sessionId } = await within(30000, `${name}: a new session (MiniBrowser)`, () => wd.call('POST', '/session', {
          capabilities: {
            alwaysMatch: {
              'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
              timeouts: { script: 15000, pageLoad: 20000, implicit: 0 },
            },
          },
        }));
        const page = new WebKitPage(wd, sessionId);
        await page.cmd('POST', '/window/rect', { width: 1280, height: 800 }).catch(() => {});
        return page;
      },
      async close() {
        await endGroup(driver);
        await endGroup(xvfb.child);
      },
    };
  } catch (e) {
    await endGroup(driver);
    await endGroup(xvfb.child);
    throw e;
  }
}
