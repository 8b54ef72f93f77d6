// HTTPS two ways. Behind Debian's nginx with the recipe of packaging/nginx/frontdesk.conf
// (only its ports, upstream and a self-signed certificate filled in): an https shop page
// loads the widget over https, visitor and agent console chat over WebSockets through the
// proxy, and `--trusted-proxies` makes the server take the client from X-Forwarded-For
// (login attempts are counted per client address: 127.0.0.2 and 127.0.0.3 through the
// same proxy get separate budgets). Then `--tls-cert/--tls-key` directly, no proxy.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  ConsolePage, HostPage, Chat, seedSnippet, tempDb, setupSite, withWorld, watchConsole,
} from '../lib.mjs';

const BIN = process.env.FRONTDESK_BIN;
const ROOT = process.env.FRONTDESK_ROOT;

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// A self-signed certificate for localhost and 127.0.0.1.
const dir = mkdtempSync(join(tmpdir(), 'fd-tls-'));
chmodSync(dir, 0o755);
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
  '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
  '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
chmodSync(key, 0o644);

const proxyPort = await freePort();
const proxyUrl = `https://127.0.0.1:${proxyPort}`;
const procs = [];
// SIGTERM, not SIGKILL: nginx's master then stops its worker, which would otherwise live on
// holding this file's stdout (and the test runner would wait for it for ever).
after(async () => {
  await Promise.all(procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? null
    : new Promise((r) => { p.once('exit', r); p.kill('SIGTERM'); }))));
});

/** nginx with the recipe, its ports and paths replaced, in the foreground. */
async function startNginx(backendPort) {
  const recipe = readFileSync(join(ROOT, 'packaging/nginx/frontdesk.conf'), 'utf8')
    .replace(/^\s*listen \[::\].*\n/gm, '')
    .replace('listen 443 ssl;', `listen 127.0.0.1:${proxyPort} ssl;`)
    .replace('listen 80;', `listen 127.0.0.1:${await freePort()};`)
    .replace(/ssl_certificate .*;/, `ssl_certificate ${cert};`)
    .replace(/ssl_certificate_key .*;/, `ssl_certificate_key ${key};`)
    .replace('proxy_pass http://127.0.0.1:8080;', `proxy_pass http://127.0.0.1:${backendPort};`);
  assert.ok(recipe.includes(`proxy_pass http://127.0.0.1:${backendPort};`), 'the recipe has the upstream line');
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    mkdirSync(join(dir, d));
    chmodSync(join(dir, d), 0o777);
  }
  writeFileSync(join(dir, 'frontdesk.conf'), recipe);
  writeFileSync(join(dir, 'nginx.conf'), `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/frontdesk.conf;
}
`);
  const nginx = spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  procs.push(nginx);
  // Up when it answers.
  for (let i = 0; ; i++) {
    try {
      const r = await request(`${proxyUrl}/healthz`);
      if (r.status === 200) break;
    } catch (e) {
      if (i > 100) throw new Error(`nginx did not start: ${e}\n${readFileSync(join(dir, 'error.log'), 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An https request trusting the self-signed certificate, from `localAddress`. */
function request(url, { method = 'GET', body, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method, ca: readFileSync(cert), localAddress, headers: body ? { 'content-type': 'application/json' } : {},
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let server, browser, site;
withWorld({
  serveFlags: ['--public-url', proxyUrl, '--trusted-proxies', '127.0.0.1',
    '--login-burst', '1', '--login-rate', '0'],
  ready: async (w) => {
    ({ server, browser, site } = w);
    await startNginx(server.port);
  },
});

test('behind nginx: https shop page, widget and console over https, WebSockets through the proxy', async () => {
  // The customer's page, itself on https (another origin: localhost).
  const shop = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><title>Shop</title><body><h1>Shop</h1>${seedSnippet(proxyUrl, site.sysnum)}</body></html>`);
  });
  await new Promise((r) => shop.listen(0, '127.0.0.1', r));
  const shopUrl = `https://localhost:${shop.address().port}/`;
  try {
    const vctx = await browser.newContext({ ignoreHTTPSErrors: true });
    const vpage = await vctx.newPage();
    const vlog = watchConsole(vpage);
    await vpage.goto(shopUrl);
    const host = new HostPage(vpage);
    await host.open();
    assert.ok((await host.frameElement.getAttribute('src')).startsWith(`${proxyUrl}/chat/h5/v2/`));
    await host.chat.send('Hello over TLS');
    await host.chat.message('Hello over TLS', 'visitor').waitFor();

    const actx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
    const c = new ConsolePage(await actx.newPage());
    await c.login({ url: proxyUrl });
    const item = c.guest('mine', 'Hello over TLS');
    await item.waitFor();
    await item.getByRole('button').click();
    await c.send('Hello back, securely');
    await host.chat.message('Hello back, securely', 'agent').waitFor();
    assert.deepEqual(vlog.errors, []);
    await vctx.close();
    await actx.close();
  } finally {
    await new Promise((r) => shop.close(r));
  }
});

test('behind nginx: --trusted-proxies takes the client from X-Forwarded-For', async () => {
  const login = (from) => request(`${proxyUrl}/api/agent/login`, {
    method: 'POST', localAddress: from, body: JSON.stringify({ account: 'nobody@e2e', password: 'wrong password' }),
  });
  // One login attempt per client address (--login-burst 1 --login-rate 0).
  assert.equal((await login('127.0.0.2')).status, 401);
  assert.equal((await login('127.0.0.2')).status, 429, 'the second attempt from one address is refused');
  assert.equal((await login('127.0.0.3')).status, 401, 'another address behind the same proxy has its own budget');
});

test('--tls-cert/--tls-key: HTTPS and WSS served directly', async () => {
  const db = tempDb();
  const { site: direct } = setupSite(db, 'Direct TLS shop');
  const child = spawn(BIN, ['serve', '--addr', '127.0.0.1:0', '--database-url', db, '--no-demo',
    '--web-dir', join(ROOT, 'dist'), '--public-dir', join(ROOT, 'public'),
    '--tls-cert', cert, '--tls-key', key], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FRONTDESK_LOG: 'warn' } });
  procs.push(child);
  const addr = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('server did not start')), 15000);
    createInterface({ input: child.stdout }).on('line', (l) => {
      const m = /^frontdesk listening on https:\/\/(\S+)/.exec(l);
      if (m) { clearTimeout(t); resolve(m[1]); }
    });
  });
  const url = `https://${addr}`;
  assert.equal((await request(`${url}/healthz`)).status, 200);
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await ctx.newPage();
  await page.goto(`${url}/chat/h5/v2/index.html?sysnum=${direct.sysnum}`);
  const chat = new Chat(page);
  await chat.send('Straight to the server over TLS');
  await chat.message('Straight to the server over TLS', 'visitor').waitFor();
  assert.equal(await chat.pending().count(), 0, 'acked over wss');
  await ctx.close();
  child.kill('SIGTERM');
});
