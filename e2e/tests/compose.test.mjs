// The agent console's richer side: typing indicators both ways; images, files and
// product/order cards sent from the console and seen live by the visitor; card fields with
// XSS payloads from a visitor execute nothing in the console; a new message raises a desktop
// notification and a beep.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { watchConsole, Chat, openConsole, withWorld } from '../lib.mjs';

// A real 2×2 PNG (red pixels), made with Python's zlib and struct.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==',
  'base64');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

let db, server, browser, site;
withWorld({ ready: (w) => ({ db, server, browser, site } = w) });

/** A visitor on the H5 chat page who has said `first`; the agent's console has the chat open. */
async function visitorChat(agent, uname, first) {
  const vctx = await browser.newContext();
  const vpage = await vctx.newPage();
  const vlog = watchConsole(vpage);
  await vpage.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&uname=${encodeURIComponent(uname)}&locale=en`);
  const chat = new Chat(vpage);
  await chat.input.waitFor();
  await chat.send(first);
  const item = agent.c.guest('mine', uname);
  await item.waitFor();
  await item.getByRole('button').click();
  await agent.c.message(first, 'visitor').waitFor();
  return { vctx, vpage, vlog, chat };
}

test('console: typing indicators both ways', async () => {
  const agent = await openConsole(browser, server);
  const v = await visitorChat(agent, 'Typing Tess', 'hello');

  await v.chat.input.pressSequentially('I am writ', { delay: 20 });
  await agent.page.getByTestId('fd-c-typing').waitFor();
  await v.chat.input.press('Enter');
  await agent.c.message('I am writ', 'visitor').waitFor();
  await agent.page.getByTestId('fd-c-typing').waitFor({ state: 'detached' });

  await agent.c.input.pressSequentially('One mom', { delay: 20 });
  await v.vpage.getByTestId('fd-typing').waitFor();
  // Clearing the reply says "stopped".
  await agent.c.input.fill('');
  await v.vpage.getByTestId('fd-typing').waitFor({ state: 'detached' });
  await agent.c.input.pressSequentially('Done', { delay: 20 });
  await v.vpage.getByTestId('fd-typing').waitFor();
  await agent.c.input.press('Enter');
  await v.chat.message('Done', 'agent').waitFor();
  await v.vpage.getByTestId('fd-typing').waitFor({ state: 'detached' });

  assert.deepEqual(agent.log.errors, []);
  assert.deepEqual(v.vlog.errors, []);
  await v.vctx.close();
  await agent.context.close();
});

test('console: the agent sends an image, a file and cards; the visitor sees each live', async () => {
  const agent = await openConsole(browser, server);
  const v = await visitorChat(agent, 'Media Max', 'can you show me?');
  const fileInput = agent.page.getByTestId('fd-c-file-input');

  // An image: uploaded, sent as file_type 1, shown inline on both sides.
  await fileInput.setInputFiles({ name: 'red dot.png', mimeType: 'image/png', buffer: PNG });
  const img = agent.page.getByTestId('fd-c-img');
  await img.waitFor();
  await agent.page.waitForFunction(() => document.querySelector('[data-testid="fd-c-img"]')?.naturalWidth === 2);
  const src = await img.getAttribute('src');
  assert.match(src, new RegExp(`^${server.url}/files/[0-9a-f]{32}/red%20dot\\.png$`));
  const vimg = v.vpage.getByTestId('fd-img');
  await vimg.waitFor();
  await v.vpage.waitForFunction(() => document.querySelector('[data-testid="fd-img"]')?.naturalWidth === 2);

  // A PDF: a download link with its name.
  await fileInput.setInputFiles({ name: 'Invoice 7.pdf', mimeType: 'application/pdf', buffer: PDF });
  const file = agent.page.getByTestId('fd-c-file');
  await file.waitFor();
  assert.equal(await file.innerText(), 'Invoice 7.pdf');
  await v.vpage.getByTestId('fd-file').filter({ hasText: 'Invoice 7.pdf' }).waitFor();

  // A type the server refuses (HTML): a clear message, nothing sent.
  await fileInput.setInputFiles({ name: 'page.html', mimeType: 'text/html', buffer: Buffer.from('<!doctype html><script>1</script>') });
  await agent.page.getByTestId('fd-c-status').filter({ hasText: 'not accepted' }).waitFor();

  // A product card: a bad link is refused by the form; a good one is sent.
  await agent.page.getByTestId('fd-c-card-toggle').click();
  await agent.page.getByTestId('fd-c-card-title-in').fill('Trail shoe 42');
  await agent.page.getByTestId('fd-c-card-url').fill('javascript:alert(1)');
  await agent.page.getByTestId('fd-c-card-send').click();
  await agent.page.getByTestId('fd-c-card-error').filter({ hasText: 'http://' }).waitFor();
  await agent.page.getByTestId('fd-c-card-url').fill('https://shop.example/p/42');
  await agent.page.getByTestId('fd-c-card-note').fill('¥499.00');
  await agent.page.getByTestId('fd-c-card-desc').fill('Waterproof, size 42');
  await agent.page.getByTestId('fd-c-card-send').click();
  const card = agent.page.locator('[data-testid="fd-c-card"][data-card="product"]');
  await card.waitFor();
  assert.equal(await card.getAttribute('href'), 'https://shop.example/p/42');
  assert.match(await card.innerText(), /Trail shoe 42[\s\S]*Waterproof, size 42[\s\S]*¥499\.00/);
  const vcard = v.vpage.locator('[data-testid="fd-card"][data-card="product"]');
  await vcard.waitFor();
  assert.equal(await vcard.getByTestId('fd-card-title').innerText(), 'Trail shoe 42');
  assert.equal(await v.vpage.getByTestId('fd-card-link').first().getAttribute('href'), 'https://shop.example/p/42');

  // An order card.
  await agent.page.getByTestId('fd-c-card-toggle').click();
  await agent.page.getByTestId('fd-c-kind-order').check();
  await agent.page.getByTestId('fd-c-order-code').fill('SO-1001');
  await agent.page.getByTestId('fd-c-order-status').selectOption('3');
  await agent.page.getByTestId('fd-c-order-total').fill('12.5');
  await agent.page.getByTestId('fd-c-order-count').fill('2');
  await agent.page.getByTestId('fd-c-card-send').click();
  const order = agent.page.locator('[data-testid="fd-c-card"][data-card="order"]');
  await order.waitFor();
  assert.match(await order.innerText(), /SO-1001[\s\S]*In transit[\s\S]*2 items[\s\S]*12\.50/);
  const vorder = v.vpage.locator('[data-testid="fd-card"][data-card="order"]');
  await vorder.waitFor();
  assert.match(await vorder.innerText(), /SO-1001/);
  assert.match(await vorder.innerText(), /In transit/);
  assert.match(await vorder.innerText(), /12\.50/);

  // The chat list previews the last one by kind.
  await agent.c.guest('mine', '[Order] SO-1001').waitFor();
  assert.deepEqual(agent.log.errors, []);
  assert.deepEqual(v.vlog.errors, []);
  await v.vctx.close();
  await agent.context.close();
});

/** A visitor over the raw visitor protocol (as the chat page's origin), for bodies the page never sends. */
async function rawVisitor(uname) {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws/visitor`, { headers: { origin: server.url } });
  const frames = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d))));
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  ws.send(JSON.stringify({ type: 'hello', sysnum: site.sysnum, uname, last_seq: 0 }));
  const until = async (pred) => {
    for (let i = 0; i < 150; i++) {
      const f = frames.find(pred);
      if (f) return f;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`visitor: nothing matched; got ${JSON.stringify(frames)}`);
  };
  await until((f) => f.type === 'synced');
  return {
    async send(cmid, kind, body) {
      ws.send(JSON.stringify({ type: 'send', cmid, kind, body }));
      return until((f) => (f.type === 'ack' || f.type === 'error') && f.cmid === cmid);
    },
    close: () => ws.close(),
  };
}

test('console: XSS payloads in visitor name and card fields execute nothing', async () => {
  const agent = await openConsole(browser, server);
  await agent.page.evaluate(() => { window.__xss = 0; });
  const uname = '<img src=x onerror=window.__xss=1>';
  const v = await rawVisitor(uname);
  const product = {
    card_title: '<img src=x onerror=window.__xss=2>',
    card_desc: '<script>window.__xss=3</script>',
    card_note: '"><svg onload=window.__xss=4>',
    card_url: 'javascript:window.__xss=5',
    card_picture: 'javascript:window.__xss=6',
  };
  const order = {
    order_status: 0,
    status_custom: '<b onmouseover=window.__xss=7>status</b>',
    order_code: '<img src=x onerror=window.__xss=8>',
    order_url: 'JaVaScRiPt:window.__xss=9',
    goods: JSON.stringify([{ name: '<iframe src=javascript:window.__xss=10>', pictureUrl: 'javascript:window.__xss=11' }]),
  };
  assert.equal((await v.send('xss-p', 3, JSON.stringify(product))).type, 'ack');
  assert.equal((await v.send('xss-o', 4, JSON.stringify(order))).type, 'ack');

  const item = agent.c.guest('mine', uname);
  await item.waitFor();
  await item.getByRole('button').click();
  const card = agent.page.locator('[data-testid="fd-c-card"][data-card="product"]');
  await card.waitFor();
  assert.equal(await card.getByTestId('fd-c-card-title').innerText(), product.card_title);
  assert.match(await card.innerText(), /<script>window.__xss=3<\/script>/);
  assert.match(await card.innerText(), /"><svg onload=window.__xss=4>/);
  assert.equal(await card.evaluate((el) => el.tagName), 'DIV', 'no link from a javascript: card_url');
  const ocard = agent.page.locator('[data-testid="fd-c-card"][data-card="order"]');
  await ocard.waitFor();
  assert.match(await ocard.innerText(), /<b onmouseover=window.__xss=7>status<\/b>/);
  assert.match(await ocard.innerText(), /<iframe src=javascript:window.__xss=10>/);
  await ocard.hover();

  const messages = agent.c.messageList;
  assert.equal(await messages.locator('img, script, svg, iframe, b').count(), 0, 'no element from card text');
  assert.equal(await agent.page.locator('[href^="javascript:" i], [src^="javascript:" i]').count(), 0);
  assert.ok((await agent.page.getByTestId('fd-c-title').innerText()).includes(uname));
  await agent.page.waitForTimeout(300);
  assert.equal(await agent.page.evaluate(() => window.__xss), 0, 'nothing executed');
  assert.deepEqual(agent.log.dialogs, []);
  assert.deepEqual(agent.log.errors, []);
  v.close();
  await agent.context.close();
});

test('console: a new visitor message raises a desktop notification and a beep', async () => {
  const agent = await openConsole(browser, server, 'kf1@e2e', { login: false });
  await agent.context.grantPermissions(['notifications'], { origin: server.url });
  // Observe the browser APIs the console calls (each still does its real work).
  await agent.context.addInitScript(() => {
    window.__notes = [];
    window.__beeps = 0;
    const RealNotification = window.Notification;
    window.Notification = class extends RealNotification {
      constructor(title, options) {
        super(title, options);
        window.__notes.push({ title, body: options?.body });
      }
    };
    const createOscillator = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function (...args) {
      window.__beeps += 1;
      return createOscillator.apply(this, args);
    };
  });
  await agent.c.login(server);
  assert.equal(await agent.page.evaluate(() => Notification.permission), 'granted');

  const vctx = await browser.newContext();
  const vpage = await vctx.newPage();
  await vpage.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&uname=Ringing%20Rita&locale=en`);
  const chat = new Chat(vpage);
  await chat.input.waitFor();
  await chat.send('is anyone there?');
  await agent.c.guest('mine', 'Ringing Rita').waitFor();
  await agent.page.waitForFunction(() => window.__notes.length > 0);
  // The first message comes before the visitor is in the console's list.
  assert.deepEqual(await agent.page.evaluate(() => window.__notes),
    [{ title: 'New message', body: 'is anyone there?' }]);
  assert.ok(await agent.page.evaluate(() => window.__beeps) >= 1, 'a beep played');
  await chat.send('hello??');
  await agent.page.waitForFunction(() => window.__notes.length > 1);
  assert.deepEqual(await agent.page.evaluate(() => window.__notes[1]),
    { title: 'New message from Ringing Rita', body: 'hello??' });
  assert.ok(await agent.page.evaluate(() => window.__beeps) >= 2);
  await agent.page.waitForFunction(() => document.title === '(2) Frontdesk');
  assert.deepEqual(agent.log.errors, []);
  await vctx.close();
  await agent.context.close();
});
