// What a visitor's browser transfers from our origin, measured on the wire by Chromium
// (response headers + encoded bodies of every request to the Frontdesk server) on a host page
// of another origin: until the launcher shows (≤ 20 000 bytes) and until the chat is
// interactive (≤ 120 000 bytes: input shown, session online). And how the server sends built files: the
// precompressed `.br`/`.gz` written at build time, with `Content-Encoding`,
// `Vary: Accept-Encoding` and immutable caching for hashed or versioned URLs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { watchConsole, HostPage, seedSnippet, withWorld } from '../lib.mjs';

const KB = 1024;
const ROOT = process.env.FRONTDESK_ROOT;
let server, browser, site, shop;
withWorld({ shop: true, ready: (w) => ({ server, browser, site, shop } = w) });

/** Records every finished request of `page` (and its frames) to our server. */
function wire(page) {
  const seen = [];
  const pending = new Set();
  page.on('request', (r) => { if (r.url().startsWith(server.url)) pending.add(r); });
  const done = async (r) => {
    if (!r.url().startsWith(server.url)) return;
    const s = await r.sizes();
    const res = await r.response();
    seen.push({
      url: r.url().slice(server.url.length), status: res?.status(),
      encoding: (await res?.headerValue('content-encoding')) ?? '',
      headers: s.responseHeadersSize, body: s.responseBodySize,
    });
    pending.delete(r);
  };
  page.on('requestfinished', done);
  page.on('requestfailed', (r) => pending.delete(r));
  return {
    seen,
    /** Waits until no request to us is in flight, then totals what arrived. */
    async total() {
      for (let i = 0; i < 100 && pending.size; i++) await new Promise((r) => setTimeout(r, 50));
      return seen.reduce((t, x) => t + x.headers + x.body, 0);
    },
  };
}

function report(name, w, total) {
  console.log(`# ${name}: ${total} bytes (${(total / KB).toFixed(1)} KB) on the wire`);
  for (const x of w.seen) console.log(`#   ${String(x.headers + x.body).padStart(7)}  ${x.status} ${x.encoding.padEnd(4)} ${x.url}`);
}

test('on the wire: launcher visible ≤ 20 KB, chat interactive ≤ 120 KB, no lazy tier before use', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const log = watchConsole(page);
  const w = wire(page);
  await shop.open(page, `<!DOCTYPE html><html><head><title>Shop</title></head><body>${seedSnippet(server.url, site.sysnum)}</body></html>`);
  const host = new HostPage(page);
  await host.launcher.waitFor({ state: 'visible' });
  const launcher = await w.total();
  report('launcher visible', w, launcher);
  await host.open();
  await host.chat.root.getByTestId('fd-status').filter({ hasText: '已连接' }).waitFor();
  const chat = await w.total();
  report('chat interactive', w, chat);
  assert.ok(w.seen.every((x) => x.status === 200 || x.status === 101), JSON.stringify(w.seen));
  assert.ok(!w.seen.some((x) => x.url.includes('/extras/')), 'the lazy tier is not loaded before use');
  assert.ok(launcher <= 20_000, `launcher visible after ${launcher} bytes (budget 20 000)`);
  assert.ok(chat <= 120_000, `chat interactive after ${chat} bytes (budget 120 000)`);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('built files are sent precompressed (br, gzip) with Vary and immutable caching', async () => {
  const chatDir = join(ROOT, 'dist', 'chat');
  const wasm = readdirSync(chatDir).find((f) => /^chat-[0-9a-f]+_bg\.wasm$/.test(f));
  const js = readdirSync(chatDir).find((f) => /^chat-[0-9a-f]+\.js$/.test(f));
  const cases = [
    [`/chat/h5/v2/${wasm}`, join(chatDir, wasm), 'public, max-age=31536000, immutable'],
    [`/chat/h5/v2/${js}`, join(chatDir, js), 'public, max-age=31536000, immutable'],
    ['/chat/frame/v2/launcher/launcher_bg.wasm?v=1', join(ROOT, 'dist/launcher/launcher_bg.wasm'), 'public, max-age=31536000, immutable'],
    ['/chat/frame/v2/launcher/launcher.js?v=1', join(ROOT, 'dist/launcher/launcher.js'), 'public, max-age=31536000, immutable'],
    ['/chat/h5/v2/extras/extras_bg.wasm?v=1', join(ROOT, 'dist/extras/extras_bg.wasm'), 'public, max-age=31536000, immutable'],
    ['/chat/h5/v2/extras/emoji.json?v=1', join(ROOT, 'dist/extras/emoji.json'), 'public, max-age=31536000, immutable'],
    ['/chat/h5/v2/extras/extras.js', join(ROOT, 'dist/extras/extras.js'), 'no-cache'],
  ];
  for (const [path, file, cache] of cases) {
    for (const [accept, enc, ext] of [['gzip, deflate, br', 'br', '.br'], ['gzip, deflate', 'gzip', '.gz'], ['identity', null, '']]) {
      const { headers, body } = await rawGet(path, accept);
      assert.equal(headers['content-encoding'], enc ?? undefined, `${path} (${accept})`);
      assert.equal(headers.vary?.toLowerCase(), 'accept-encoding', `${path} Vary`);
      assert.equal(headers['cache-control'], cache, `${path} Cache-Control`);
      assert.deepEqual(body, readFileSync(file + ext), `${path} (${accept}) is the ${ext || 'raw'} file`);
    }
  }
  // A repeated request with the ETag is answered 304 without a body.
  const first = await rawGet(`/chat/h5/v2/${wasm}`, 'br');
  const again = await rawGet(`/chat/h5/v2/${wasm}`, 'br', { 'if-none-match': first.headers.etag });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
});

/** A GET that returns the body exactly as sent (no decoding). */
async function rawGet(path, acceptEncoding, extra = {}) {
  return new Promise((resolve, reject) => {
    const req = request(server.url + path, { headers: { 'accept-encoding': acceptEncoding, ...extra } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}
