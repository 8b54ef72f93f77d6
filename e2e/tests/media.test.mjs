// Media and cards on the visitor's chat page (H5 link on a 375 px phone): an agent uploads
// real files (POST /api/files) and sends them with 32300; the visitor sees an image that
// loaded, players, a file link with the file's name, product and order cards in the seeds'
// shapes — and nothing agent-supplied ever runs or becomes a javascript:/data: link.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, crc32 } from 'node:zlib';
import {
  PASSWORD, Agent, watchConsole, Chat, withWorld,
} from '../lib.mjs';

let server, browser, site, agent, token;
withWorld({
  ready: async (w) => {
    ({ server, browser, site } = w);
    agent = await Agent.login(server);
    token = await agentToken();
  },
});
after(() => agent?.close());

/** A bearer token for the REST API (the harness's Agent keeps its own to itself). */
async function agentToken(account = 'kf1@e2e') {
  const r = await fetch(`${server.url}/api/agent/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ account, password: PASSWORD }),
  });
  const { token: t } = await r.json();
  assert.ok(t, `login: HTTP ${r.status}`);
  return t;
}

/** `POST /api/files?name=…` → `{url, name, mime, size, file_type}`. */
async function upload(name, bytes) {
  const r = await fetch(`${server.url}/api/files?name=${encodeURIComponent(name)}`, {
    method: 'POST', headers: { authorization: `Bearer ${token}` }, body: bytes,
  });
  assert.equal(r.status, 200, `upload ${name}: HTTP ${r.status} ${await r.clone().text()}`);
  return r.json();
}

/** A real RGB PNG of `w`×`h` pixels (a diagonal gradient). */
function png(w, h) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bit, truecolour, deflate, no filter, no interlace
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = (x * 255 / w) | 0;
      raw[o + 1] = (y * 255 / h) | 0;
      raw[o + 2] = 160;
    }
  }
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** A short PCM WAV (8 kHz, mono, 8 bit, 0.25 s of a tone). */
function wav() {
  const n = 2000;
  const b = Buffer.alloc(44 + n);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(36 + n, 4);
  b.write('WAVEfmt ', 8, 'latin1');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(8000, 28);
  b.writeUInt16LE(1, 32);
  b.writeUInt16LE(8, 34);
  b.write('data', 36, 'latin1');
  b.writeUInt32LE(n, 40);
  for (let i = 0; i < n; i++) b[44 + i] = 128 + Math.round(60 * Math.sin(i / 4));
  return b;
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n'
  + '2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n', 'latin1');

/**
 * A visitor on the H5 link at 375×667 (English, Shanghai time), served by our agent:
 * `{context, page, chat, log, gid}`.
 */
async function servedVisitor(hello, query = '') {
  const context = await browser.newContext({
    viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
    timezoneId: 'Asia/Shanghai',
  });
  const page = await context.newPage();
  const log = watchConsole(page);
  await page.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&locale=en${query}`);
  const chat = new Chat(page);
  await chat.send(hello);
  const push = await agent.visitorMessage(hello);
  return { context, page, chat, log, gid: push.data.gid };
}

/** The agent sends `msg` as `file_type`; returns the response frame. */
function send(gid, msg, fileType) {
  return agent.request({ api_key: 32300, gid, msg, file_type: fileType });
}

/** The `i`-th delivered agent bubble of `kind`, once it is on screen. */
async function bubble(page, kind, i = 0) {
  const b = page.locator(`[data-testid="fd-msg"][data-from="agent"][data-kind="${kind}"]`).nth(i);
  await b.waitFor();
  return b;
}

/** Resolves when the `<img>` behind `locator` has loaded; returns its natural size. */
async function loaded(page, locator) {
  const el = await locator.elementHandle();
  await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, el, { timeout: 15000 });
  return el.evaluate((img) => ({ w: img.naturalWidth, h: img.naturalHeight }));
}

/** Nothing on the page is wider than the phone, and `inner` stays inside `outer`. */
async function fits(page, inner, outer) {
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= 375, `no horizontal scrolling (scrollWidth ${scrollWidth})`);
  const a = await inner.boundingBox();
  const b = await outer.boundingBox();
  assert.ok(a.x >= b.x - 0.5 && a.x + a.width <= b.x + b.width + 0.5 && b.x + b.width <= 375,
    `${JSON.stringify(a)} inside ${JSON.stringify(b)} inside 375 px`);
}

async function end(v) {
  assert.deepEqual(v.log.errors, [], 'no uncaught errors');
  await agent.request({ api_key: 32600, gid: v.gid });
  await v.context.close();
}

test('an uploaded image shows inline, loaded, fitted to the bubble, linking to itself', async () => {
  const v = await servedVisitor('can you show me?');
  // Enough lines first that the list scrolls: the image arrives at the bottom.
  for (let i = 1; i <= 12; i++) assert.equal((await send(v.gid, `line ${i}`, 0)).code, 200);
  await v.chat.message('line 12', 'agent').waitFor();
  const up = await upload('wide photo.png', png(1200, 600));
  assert.deepEqual([up.file_type, up.mime, up.name], [1, 'image/png', 'wide photo.png']);
  assert.equal((await send(v.gid, up.url, up.file_type)).code, 200);

  const b = await bubble(v.page, 1);
  const img = b.getByTestId('fd-img');
  assert.deepEqual(await loaded(v.page, img), { w: 1200, h: 600 });
  assert.equal(await img.getAttribute('src'), up.url);
  assert.equal(await img.getAttribute('alt'), 'Image');
  assert.equal(await img.getAttribute('loading'), 'lazy');
  const link = b.locator('a');
  assert.equal(await link.count(), 1);
  assert.equal(await link.getAttribute('href'), up.url);
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  await fits(v.page, img, b);
  assert.ok((await img.boundingBox()).width < 375, 'the 1200 px image is scaled down');
  // The newest message (this image) is wholly in view once it has loaded.
  await v.page.waitForTimeout(300);
  const list = await v.page.locator('.fd-l').boundingBox();
  const box = await img.boundingBox();
  assert.ok(box.y >= list.y && box.y + box.height <= list.y + list.height + 1,
    `the image ${JSON.stringify(box)} is scrolled into view in ${JSON.stringify(list)}`);
  await end(v);
});

test('voice and video messages get players that load from another http origin (media-src)', async () => {
  const v = await servedVisitor('please send the recording');
  const up = await upload('beep.wav', wav());
  assert.equal(up.file_type, 2);
  // The same file through the server's other name: a different origin than the chat page,
  // so only the CSP's `media-src … http:` lets it play.
  const foreign = up.url.replace('://127.0.0.1:', '://localhost:');
  assert.notEqual(foreign, up.url);
  assert.equal((await send(v.gid, foreign, 2)).code, 200);
  assert.equal((await send(v.gid, foreign, 5)).code, 200);

  const voice = (await bubble(v.page, 2)).locator('audio');
  assert.equal(await voice.getAttribute('src'), foreign);
  assert.equal(await voice.getAttribute('preload'), 'none');
  assert.notEqual(await voice.getAttribute('controls'), null);
  assert.equal(await (await bubble(v.page, 2)).locator('a').getAttribute('href'), foreign);

  const vb = await bubble(v.page, 5);
  const video = vb.locator('video');
  assert.equal(await video.getAttribute('src'), foreign);
  assert.equal(await video.getAttribute('preload'), 'metadata');
  assert.notEqual(await video.getAttribute('controls'), null);
  // preload=metadata: the browser fetches the header by itself.
  const el = await video.elementHandle();
  await v.page.waitForFunction((m) => m.readyState >= 1 || m.error, el, { timeout: 15000 });
  assert.equal(await el.evaluate((m) => m.error?.code ?? 0), 0, 'the media loaded');
  assert.ok(await el.evaluate((m) => m.duration > 0.2 && m.duration < 0.3));
  await fits(v.page, video, vb);
  await end(v);
});

test('a PDF is a download link showing the decoded file name', async () => {
  const v = await servedVisitor('where is the quote?');
  const up = await upload('报价单 Q3 2026.pdf', PDF);
  assert.deepEqual([up.file_type, up.mime], [6, 'application/pdf']);
  assert.ok(up.url.endsWith('/%E6%8A%A5%E4%BB%B7%E5%8D%95%20Q3%202026.pdf'), up.url);
  assert.equal((await send(v.gid, up.url, 6)).code, 200);

  const b = await bubble(v.page, 6);
  const file = b.getByTestId('fd-file');
  assert.equal(await file.getAttribute('href'), up.url);
  assert.equal(await file.getAttribute('rel'), 'noopener noreferrer');
  assert.notEqual(await file.getAttribute('download'), null);
  assert.deepEqual((await file.innerText()).split('\n'), ['报价单 Q3 2026.pdf', 'Download']);
  await fits(v.page, file, b);
  await end(v);
});

test('seed product and order cards (encoded URLs, goods as a JSON string) render as cards', async () => {
  const v = await servedVisitor('about my order');
  const pic = (await upload('shoe.png', png(120, 90))).url;
  const product = {
    card_title: 'Trail runner GTX',
    card_url: encodeURIComponent('http://shop.example/p/42?ref=chat&x=1'),
    card_desc: 'Waterproof trail shoe',
    card_note: '¥399.00',
    card_picture: encodeURIComponent(pic),
  };
  assert.equal((await send(v.gid, JSON.stringify(product), 3)).code, 200);
  const p = (await bubble(v.page, 3)).getByTestId('fd-card');
  assert.equal(await p.getAttribute('data-card'), 'product');
  assert.equal(await p.getByTestId('fd-card-title').innerText(), 'Trail runner GTX');
  const text = await p.innerText();
  assert.ok(text.includes('Waterproof trail shoe') && text.includes('¥399.00'), text);
  assert.equal(await p.getByTestId('fd-card-link').getAttribute('href'), 'http://shop.example/p/42?ref=chat&x=1');
  assert.equal(await p.getByTestId('fd-card-link').getAttribute('target'), '_blank');
  const pimg = p.locator('img');
  assert.equal(await pimg.getAttribute('src'), pic);
  await loaded(v.page, pimg);
  await fits(v.page, p, await bubble(v.page, 3));

  // Seed 000's product shape.
  const seed000 = { pid: 1, title: 'Apple MacBook Air', img: pic, info: '13.3-inch', price: '¥7588.00',
    url: 'http://www.wolive.cc/demo/index/product1' };
  assert.equal((await send(v.gid, JSON.stringify(seed000), 3)).code, 200);
  const p0 = (await bubble(v.page, 3, 1)).getByTestId('fd-card');
  assert.equal(await p0.getByTestId('fd-card-title').innerText(), 'Apple MacBook Air');
  assert.equal(await p0.getByTestId('fd-card-link').getAttribute('href'), seed000.url);
  assert.ok((await p0.innerText()).includes('¥7588.00'));

  const order = {
    order_status: 3,
    status_custom: '',
    create_time: '1586414406391', // 2020-04-09 06:40:06 UTC = 14:40 in Shanghai
    order_code: 'A20260042',
    order_url: encodeURIComponent('https://shop.example/orders/A20260042'),
    goods_count: '2',
    total_fee: 1000,
    goods: JSON.stringify([{ name: 'Trail runner GTX', pictureUrl: encodeURIComponent(pic) },
      { name: 'Wool socks', pictureUrl: '' }]),
  };
  assert.equal((await send(v.gid, JSON.stringify(order), 4)).code, 200);
  const ob = await bubble(v.page, 4);
  const o = ob.getByTestId('fd-card');
  assert.equal(await o.getAttribute('data-card'), 'order');
  assert.equal(await o.getByTestId('fd-card-title').innerText(), 'Order');
  const lines = (await o.innerText()).split('\n').map((l) => l.trim()).filter(Boolean);
  for (const want of ['In transit', 'Order no. A20260042', '2020-04-09 14:40', 'Trail runner GTX', 'Wool socks',
    '2 items · Total: ¥10.00']) {
    assert.ok(lines.includes(want), `"${want}" in ${JSON.stringify(lines)}`);
  }
  assert.equal(await o.getByTestId('fd-card-link').getAttribute('href'), 'https://shop.example/orders/A20260042');
  assert.equal(await o.locator('img').count(), 1, 'one good has a picture');
  await loaded(v.page, o.locator('img'));
  await fits(v.page, o, ob);

  // A card that is not a card (no title) is shown as its raw text.
  const notCard = JSON.stringify({ card_url: 'http://shop.example/' });
  assert.equal((await send(v.gid, notCard, 3)).code, 200);
  const raw = await bubble(v.page, 3, 2);
  assert.equal(await raw.innerText(), notCard);
  assert.equal(await raw.getByTestId('fd-card').count(), 0);
  await end(v);
});

test('XSS: card fields stay text, javascript:/data: URLs never become links or sources', async () => {
  const v = await servedVisitor('xss check');
  const evil = {
    card_title: '<img src=x onerror=window.__xss=1>',
    card_desc: '<script>window.__xss=4</script>',
    card_url: 'javascript:window.__xss=2',
    card_picture: 'javascript:window.__xss=2',
  };
  assert.equal((await send(v.gid, JSON.stringify(evil), 3)).code, 200);
  const encoded = {
    card_title: 'Encoded',
    card_url: encodeURIComponent('javascript:window.__xss=7'),
    card_picture: 'data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg" onload="window.__xss=8"/>',
  };
  assert.equal((await send(v.gid, JSON.stringify(encoded), 3)).code, 200);
  const order = {
    order_status: 0,
    status_custom: '<b onmouseover=window.__xss=9>Packed</b>',
    order_code: '<i>X</i>',
    order_url: 'JavaScript:window.__xss=3',
    goods: JSON.stringify([{ name: '<img src=x onerror=window.__xss=5>', pictureUrl: 'javascript:window.__xss=6' }]),
  };
  assert.equal((await send(v.gid, JSON.stringify(order), 4)).code, 200);

  const p = (await bubble(v.page, 3)).getByTestId('fd-card');
  assert.equal(await p.getByTestId('fd-card-title').innerText(), evil.card_title);
  assert.ok((await p.innerText()).includes(evil.card_desc));
  assert.equal(await p.getByTestId('fd-card-link').count(), 0, 'no link from a javascript: URL');
  assert.equal(await p.locator('img, script, a').count(), 0, 'the title is text, not elements');
  const p2 = (await bubble(v.page, 3, 1)).getByTestId('fd-card');
  assert.equal(await p2.getByTestId('fd-card-title').innerText(), 'Encoded');
  assert.equal(await p2.locator('a, img').count(), 0, 'no link from an encoded javascript:, no data: image');
  const o = (await bubble(v.page, 4)).getByTestId('fd-card');
  const otext = await o.innerText();
  for (const s of [order.status_custom, 'Order no. <i>X</i>', '<img src=x onerror=window.__xss=5>']) {
    assert.ok(otext.includes(s), `"${s}" shown as text in ${JSON.stringify(otext)}`);
  }
  assert.equal(await o.locator('a, img, b, i').count(), 0);

  // Media messages must be http(s) URLs: the server refuses the rest (-32305).
  for (const [msg, type] of [['javascript:window.__xss=10', 1], ['data:image/png;base64,iVBORw0KGgo=', 1],
    [' javascript:window.__xss=11', 6], ['JAVASCRIPT:window.__xss=12', 5]]) {
    const r = await send(v.gid, msg, type);
    assert.equal(r.code, -32305, `${msg} as file_type ${type}: ${JSON.stringify(r)}`);
  }

  // Whatever is on the page: every link and source is http(s), and nothing ran.
  await v.page.waitForTimeout(500);
  const urls = await v.page.evaluate(() => [...document.querySelectorAll('.fd-l [href], .fd-l [src]')]
    .map((e) => e.getAttribute('href') ?? e.getAttribute('src')));
  for (const u of urls) assert.match(u, /^https?:\/\//i, `only http(s) links and sources: ${u}`);
  assert.equal(await v.page.evaluate(() => window.__xss), undefined);
  assert.deepEqual(v.log.dialogs, []);
  await end(v);
});

test('is_link: http(s) URLs in a text message become links to a new tab, nothing else does; is_link=0 keeps text', async () => {
  const msg = 'Here: https://shop.example/p?id=1, or javascript:window.__xss=20 and HTTP://a.example/x。谢谢';
  const v = await servedVisitor('where can I buy it?');
  assert.equal((await send(v.gid, msg, 0)).code, 200);
  const b = await bubble(v.page, 0);
  const links = b.locator('a');
  assert.equal(await links.count(), 2);
  assert.equal(await links.nth(0).getAttribute('href'), 'https://shop.example/p?id=1');
  assert.equal(await links.nth(0).innerText(), 'https://shop.example/p?id=1');
  assert.equal(await links.nth(0).getAttribute('target'), '_blank');
  assert.match(await links.nth(0).getAttribute('rel'), /noopener/);
  assert.equal(await links.nth(1).getAttribute('href'), 'http://a.example/x');
  assert.equal(await b.innerText(), msg, 'every character kept, in order');
  assert.equal(await v.page.evaluate(() => window.__xss), undefined);
  await end(v);

  const plain = await servedVisitor('and without links?', '&is_link=0');
  assert.equal((await send(plain.gid, msg, 0)).code, 200);
  const p = await bubble(plain.page, 0);
  assert.equal(await p.locator('a').count(), 0);
  assert.equal(await p.innerText(), msg);
  await end(plain);
});
