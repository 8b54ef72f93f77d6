// The console as an installable app with web push (issue 27 item 6). Chromium accepts the
// console's manifest (no errors; the only installability objection is the test's incognito
// context) and fetches its icons; the service worker is ready with a scope covering
// /console/ and shows pushes as one notification per chat. The "Notifications on this device" switch asks for permission, reads the
// server's VAPID key, subscribes and posts the subscription; then, with no console open, a
// visitor starts a chat and a push endpoint on 127.0.0.1 run by this file receives the
// push, verifies the VAPID JWT (ES256, with node's crypto and the server's published key)
// and decrypts the aes128gcm body (ECDH + HKDF per RFC 8291) with the keys it generated.
// The notification's tap opens that chat in the console. Turning the switch off deletes the
// subscription: the next chat pushes nothing.
//
// Headless Chromium here has no push service (a test context is incognito, where Chromium
// refuses the Push API, and the machine is offline), so `PushManager.prototype.subscribe`
// is replaced in the page by one that returns a subscription to this file's endpoint with
// keys node generated. Everything else is the console's own code: permission, the key, the
// POST and DELETE through the same API.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { admin, Agent, ConsolePage, PASSWORD, watchConsole, withWorld } from '../lib.mjs';

let server, browser, site, watcher;
withWorld({
  serveFlags: ['--webpush-allow-private', '--client-new-visitor-burst', '1000'],
  // A second agent, suspended (routing gives it no chats), sees when Kim's console is gone.
  prepare: (w) => admin(w.db, 'agent', 'create', '--site', w.site.sysnum, '--account', 'kf2@e2e',
    '--nick', 'Lee', '--password', PASSWORD),
  ready: async (w) => {
    ({ server, browser, site } = w);
    watcher = await Agent.login(server, 'kf2@e2e');
    const r = await watcher.request({ api_key: 32500, status: 1 });
    assert.equal(r.code, 200, JSON.stringify(r));
  },
});

after(() => watcher?.close());

/** Whether the server counts a console connection of `account` (the `33000` list). */
async function online(account) {
  const r = await watcher.request({ api_key: 33000 });
  return Object.values(r.data ?? {}).some((a) => a.kf_account === account);
}

/** Waits until the server no longer counts a connection of `account` (its console closed). */
async function consoleGone(account) {
  const deadline = Date.now() + 15000;
  while (await online(account)) {
    if (Date.now() > deadline) throw new Error(`${account} is still online`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** A push endpoint on 127.0.0.1: records every request, answers 201. */
async function pushEndpoint() {
  const got = [];
  const waiters = [];
  const srv = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      got.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      waiters.splice(0).forEach((w) => w());
      res.writeHead(201).end();
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${srv.address().port}`;
  return {
    base, got, close: () => srv.close(),
    async next(n, timeout = 15000) {
      const deadline = Date.now() + timeout;
      while (got.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`the push endpoint got ${got.length} of ${n} requests`);
        await new Promise((r) => { waiters.push(r); setTimeout(r, left); });
      }
      return got[n - 1];
    },
  };
}

/** A visitor without a browser: hello and one message, acked. */
async function visitorSays(sysnum, body) {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws/visitor`);
  const frames = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d))));
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  ws.send(JSON.stringify({ type: 'hello', sysnum, last_seq: 0 }));
  ws.send(JSON.stringify({ type: 'send', cmid: `wp-${Date.now()}`, kind: 0, body }));
  const deadline = Date.now() + 10000;
  while (!frames.some((f) => f.type === 'ack')) {
    if (Date.now() > deadline) throw new Error(`no ack: ${JSON.stringify(frames)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { ws };
}

const b64u = (b) => Buffer.from(b).toString('base64url');
const hmac = (key, ...parts) => {
  const h = crypto.createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
};

/** Checks the VAPID header with the server's key; returns the JWT's claims. */
function verifyVapid(authorization, serverKey) {
  const m = /^vapid t=([^,]+), k=(\S+)$/.exec(authorization);
  assert.ok(m, `VAPID authorization: ${authorization}`);
  const [, jwt, k] = m;
  assert.equal(k, serverKey, 'k is the key the server published');
  const [h, c, sig] = jwt.split('.');
  assert.equal(JSON.parse(Buffer.from(h, 'base64url')).alg, 'ES256');
  const raw = Buffer.from(serverKey, 'base64url');
  const key = crypto.createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64u(raw.subarray(1, 33)), y: b64u(raw.subarray(33, 65)) },
    format: 'jwk',
  });
  const ok = crypto.verify('sha256', Buffer.from(`${h}.${c}`), { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(sig, 'base64url'));
  assert.ok(ok, 'the ES256 signature verifies with the server key');
  return JSON.parse(Buffer.from(c, 'base64url'));
}

/** Decrypts an aes128gcm push body (RFC 8291 §3, RFC 8188 §2) with the browser's keys. */
function decrypt(body, ecdh, auth) {
  const salt = body.subarray(0, 16);
  const idlen = body[20];
  assert.equal(idlen, 65, 'the key id is the sender key');
  const asPublic = body.subarray(21, 21 + idlen);
  const record = body.subarray(21 + idlen);
  const uaPublic = ecdh.getPublicKey();
  const secret = ecdh.computeSecret(asPublic);
  const prkKey = hmac(auth, secret);
  const ikm = hmac(prkKey, Buffer.from('WebPush: info\0'), uaPublic, asPublic, Buffer.from([1]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0'), Buffer.from([1])).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0'), Buffer.from([1])).subarray(0, 12);
  const d = crypto.createDecipheriv('aes-128-gcm', cek, nonce);
  d.setAuthTag(record.subarray(record.length - 16));
  const plain = Buffer.concat([d.update(record.subarray(0, record.length - 16)), d.final()]);
  let end = plain.length - 1;
  while (end >= 0 && plain[end] === 0) end -= 1;
  assert.equal(plain[end], 2, 'last-record delimiter');
  return JSON.parse(plain.subarray(0, end).toString('utf8'));
}

/** A console context whose PushManager hands out the subscription `endpoint`/`keys`. */
async function consoleWithPush(endpoint, keys) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['notifications'], { origin: server.url });
  await context.addInitScript(({ endpoint, keys }) => {
    if (!self.PushManager) return;
    let current = null;
    self.__applicationServerKey = null;
    PushManager.prototype.subscribe = async function (opts) {
      self.__applicationServerKey = Array.from(new Uint8Array(opts.applicationServerKey));
      current = {
        endpoint,
        toJSON: () => ({ endpoint, expirationTime: null, keys }),
        unsubscribe: async () => { current = null; return true; },
      };
      return current;
    };
    PushManager.prototype.getSubscription = async function () { return current; };
  }, { endpoint, keys });
  const page = await context.newPage();
  const log = watchConsole(page);
  const c = new ConsolePage(page);
  await c.login(server);
  return { context, page, log, c };
}

test('the console is an installable app: manifest, icons, service worker', async () => {
  const context = await browser.newContext();
  await context.grantPermissions(['notifications'], { origin: server.url });
  const page = await context.newPage();
  const log = watchConsole(page);
  await page.goto(`${server.url}/console/`);
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  assert.equal(scope, `${server.url}/console/`);

  const cdp = await context.newCDPSession(page);
  const manifest = await cdp.send('Page.getAppManifest');
  assert.equal(manifest.url, `${server.url}/console/manifest.webmanifest`);
  assert.deepEqual(manifest.errors, [], 'Chromium parses the manifest without errors');
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors.map((e) => e.errorId).filter((e) => e !== 'in-incognito'), [],
    'nothing but the test context keeps it from being installed');

  const r = await fetch(`${server.url}/console/manifest.webmanifest`);
  assert.equal(r.headers.get('content-type'), 'application/manifest+json');
  const m = await r.json();
  assert.equal(m.start_url, '/console/');
  assert.equal(m.scope, '/console/');
  assert.equal(m.display, 'standalone');
  assert.ok(m.name && m.short_name && m.theme_color && m.background_color);
  const sizes = new Set();
  for (const icon of m.icons) {
    const res = await fetch(new URL(icon.src, server.url));
    assert.equal(res.status, 200, icon.src);
    assert.equal(res.headers.get('content-type'), 'image/png');
    const png = Buffer.from(await res.arrayBuffer());
    const [w, h] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    assert.equal(`${w}x${h}`, icon.sizes, `${icon.src} is as large as it says`);
    sizes.add(`${icon.sizes} ${icon.purpose}`);
  }
  assert.ok(sizes.has('192x192 any') && sizes.has('512x512 any') && sizes.has('512x512 maskable'), [...sizes].join());

  const sw = await fetch(`${server.url}/console/sw.js`);
  assert.equal(sw.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(sw.headers.get('cache-control'), 'no-cache');
  // The worker shows a push as a notification, one per chat: a second push for the same
  // chat replaces the first (pushes delivered to it through the DevTools protocol).
  const regs = new Promise((resolve) => cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
    const r = e.registrations.find((x) => x.scopeURL === `${server.url}/console/` && !x.isDeleted);
    if (r) resolve(r.registrationId);
  }));
  await cdp.send('ServiceWorker.enable');
  const registrationId = await regs;
  for (const body of ['Is this in stock?', 'Hello?']) {
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: server.url, registrationId, data: JSON.stringify({ title: 'Ann', body, gid: '42' }),
    });
  }
  await cdp.send('ServiceWorker.deliverPushMessage', {
    origin: server.url, registrationId, data: JSON.stringify({ title: 'Bo', body: 'Hi', gid: '43' }),
  });
  const shown = async () => page.evaluate(async () => {
    const r = await navigator.serviceWorker.ready;
    return (await r.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag }));
  });
  let notes = await shown();
  for (const until = Date.now() + 10000; Date.now() < until; notes = await shown()) {
    if (notes.some((n) => n.body === 'Hello?') && notes.some((n) => n.tag === 'chat-43')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  notes.sort((a, b) => a.tag.localeCompare(b.tag));
  assert.deepEqual(notes, [
    { title: 'Ann', body: 'Hello?', tag: 'chat-42' },
    { title: 'Bo', body: 'Hi', tag: 'chat-43' },
  ]);

  const csp = (await fetch(`${server.url}/console/`)).headers.get('content-security-policy');
  assert.match(csp, /worker-src 'self'/);
  assert.match(csp, /manifest-src 'self'/);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('the switch subscribes; a new chat reaches the phone signed and encrypted; off deletes it', async () => {
  const endpoint = await pushEndpoint();
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = crypto.randomBytes(16);
  const keys = { p256dh: b64u(ecdh.getPublicKey()), auth: b64u(auth) };
  const url = `${endpoint.base}/push/kim-phone`;

  const { context, page, c } = await consoleWithPush(url, keys);
  const posted = page.waitForResponse((r) => r.url().endsWith('/api/agent/push/subscription')
    && r.request().method() === 'POST');
  await page.getByTestId('fd-c-prefs-toggle').click();
  const sw = page.getByTestId('fd-c-push');
  assert.equal(await sw.isChecked(), false);
  await sw.click();
  const resp = await posted;
  assert.equal(resp.status(), 200);
  assert.deepEqual(JSON.parse(resp.request().postData()), { endpoint: url, keys });
  await page.locator('[data-testid="fd-c-push"]:checked').waitFor();
  assert.equal(await page.getByTestId('fd-c-push-error').textContent(), '');
  // The key the console subscribed with is the one the server publishes.
  const login = await fetch(`${server.url}/api/agent/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ account: 'kf1@e2e', password: PASSWORD }),
  });
  const { token } = await login.json();
  const keyResp = await fetch(`${server.url}/api/agent/push/key`, { headers: { authorization: `Bearer ${token}` } });
  const serverKey = (await keyResp.json()).key;
  const used = await page.evaluate(() => self.__applicationServerKey);
  assert.equal(b64u(Buffer.from(used)), serverKey);
  // The phone goes into a pocket: no console of Kim's is connected.
  assert.ok(await online('kf1@e2e'));
  await context.close();
  await consoleGone('kf1@e2e');

  const { ws } = await visitorSays(site.sysnum, 'Do you ship to Norway?');
  const push = await endpoint.next(1);
  ws.close();
  assert.equal(push.path, '/push/kim-phone');
  assert.equal(push.headers['content-encoding'], 'aes128gcm');
  assert.equal(push.headers.urgency, 'high');
  assert.ok(Number(push.headers.ttl) > 0);
  const claims = verifyVapid(push.headers.authorization, serverKey);
  assert.equal(claims.aud, endpoint.base);
  const now = Math.floor(Date.now() / 1000);
  assert.ok(claims.exp > now && claims.exp <= now + 24 * 3600, `exp ${claims.exp}`);
  assert.match(claims.sub, /^(mailto:|https:)/);
  const notice = decrypt(push.body, ecdh, auth);
  assert.equal(notice.body, 'Do you ship to Norway?');
  assert.match(notice.gid, /^\d+$/, 'the chat a tap opens');
  assert.ok(notice.title);

  // A tap on the notification opens /console/#chat=<gid> (sw.js): that chat opens once the
  // agent is logged in.
  const tap = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const tp = await tap.newPage();
  const tapLog = watchConsole(tp);
  await tp.goto(`${server.url}/console/#chat=${notice.gid}`);
  await tp.getByTestId('fd-c-account').fill('kf1@e2e');
  await tp.getByTestId('fd-c-password').fill(PASSWORD);
  await tp.getByTestId('fd-c-login').click();
  await new ConsolePage(tp).message('Do you ship to Norway?', 'visitor').waitFor();
  assert.deepEqual(tapLog.errors, []);
  await tap.close();

  // Off: the console deletes the subscription; the next chat buzzes nothing.
  const again = await consoleWithPush(url, keys);
  await again.page.getByTestId('fd-c-prefs-toggle').click();
  const on = again.page.waitForResponse((r) => r.url().endsWith('/api/agent/push/subscription')
    && r.request().method() === 'POST');
  await again.page.getByTestId('fd-c-push').click();
  assert.equal((await on).status(), 200);
  await again.page.locator('[data-testid="fd-c-push"]:checked:enabled').waitFor();
  const deleted = again.page.waitForResponse((r) => r.url().endsWith('/api/agent/push/subscription')
    && r.request().method() === 'DELETE');
  await again.page.getByTestId('fd-c-push').click();
  assert.equal((await deleted).status(), 204);
  await again.page.locator('[data-testid="fd-c-push"]:not(:checked):enabled').waitFor();
  await again.context.close();
  await consoleGone('kf1@e2e');
  const second = await visitorSays(site.sysnum, 'Hello again');
  await new Promise((r) => setTimeout(r, 1500));
  second.ws.close();
  assert.equal(endpoint.got.length, 1, 'no push after the switch went off');
  endpoint.close();
});
