// Issue 8 in a real browser. (1) A site that set embedding origins cannot be framed on a
// foreign origin by repeating or padding `sysnum` in the chat page's URL (the page and the
// server now read it with one parser). (2) The console fetches nothing from a host a visitor
// named in a message until the agent asks for it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import WebSocket from 'ws';
import {
  admin, watchConsole, openConsole, withWorld,
} from '../lib.mjs';

let server, browser, site, open, db, host;
withWorld({
  shop: true,
  prepare: (w) => {
    open = admin(w.db, 'site', 'create', '--name', 'Open shop');
    // Restricted to an origin that is not the host page's.
    execFileSync(process.env.FRONTDESK_BIN, ['admin', '--database-url', w.db, 'site', 'set', '--site', w.site.sysnum,
      '--origins', 'https://allowed.example']);
  },
  ready: (w) => ({ server, browser, site, db, shop: host } = w),
});

test('a restricted site\'s chat page does not load in a foreign frame, however sysnum is written', async () => {
  const s = site.sysnum;
  const chat = `${server.url}/chat/h5/v2/index.html`;
  const frames = {
    control: `${chat}?sysnum=${open.sysnum}`,
    plain: `${chat}?sysnum=${s}`,
    dup_first: `${chat}?sysnum=${s}&sysnum=x`,
    dup_last: `${chat}?sysnum=x&sysnum=${s}`,
    padded: `${chat}?sysnum=%20${s}`,
    plus: `${chat}?sysnum=+${s}`,
  };
  const html = Object.entries(frames)
    .map(([name, src]) => `<iframe name="${name}" src="${src}" width="360" height="300"></iframe>`)
    .join('\n');
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = watchConsole(page);
  await host.open(page, `<!doctype html><title>foreign</title>${html}`);

  // The open site's page loads (the test can tell a loaded frame from a blocked one)…
  await page.frameLocator('iframe[name="control"]').getByTestId('fd-input').waitFor({ state: 'visible' });
  // …give the others as long again, then none of them may have loaded.
  await page.waitForTimeout(1500);
  for (const name of Object.keys(frames).filter((n) => n !== 'control')) {
    const frame = page.frame({ name });
    const inputs = frame ? await frame.locator('[data-testid="fd-input"]').count().catch(() => 0) : 0;
    assert.equal(inputs, 0, `${name} loaded in a foreign frame (${frame?.url()})`);
  }
  assert.deepEqual(log.errors, []);
  await context.close();
});

/** A visitor over the raw visitor protocol. */
async function rawVisitor(uname) {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws/visitor`, { headers: { origin: server.url } });
  const frames = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d))));
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  ws.send(JSON.stringify({ type: 'hello', sysnum: open.sysnum, uname, last_seq: 0 }));
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

/** The visitor's server: logs every request, answers a 1×1 GIF. */
async function visitorHost() {
  const requests = [];
  const gif = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
  const srv = createServer((req, res) => {
    requests.push(req.url);
    res.writeHead(200, { 'content-type': 'image/gif' });
    res.end(gif);
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { base: `http://localhost:${srv.address().port}`, requests, close: () => new Promise((r) => srv.close(r)) };
}

test('console: visitor media from another host is click-to-load; nothing is fetched before the click', async () => {
  admin(db, 'agent', 'create', '--site', open.sysnum, '--account', 'kf2@e2e', '--nick', 'Oli',
    '--password', 'e2e password 1');
  const vh = await visitorHost();
  const agent = await openConsole(browser, server, 'kf2@e2e');
  const v = await rawVisitor('Mallory');
  assert.equal((await v.send('m-img', 1, `${vh.base}/img.gif`)).type, 'ack');
  assert.equal((await v.send('m-voice', 2, `${vh.base}/voice.mp3`)).type, 'ack');
  assert.equal((await v.send('m-video', 5, `${vh.base}/video.mp4`)).type, 'ack');
  const product = { card_title: 'Lamp', card_picture: `${vh.base}/lamp.gif`, card_url: `${vh.base}/lamp` };
  assert.equal((await v.send('m-card', 3, JSON.stringify(product))).type, 'ack');

  const item = agent.c.guest('mine', 'Mallory');
  await item.waitFor();
  await item.getByRole('button').click();
  const load = agent.page.getByTestId('fd-c-load');
  await agent.page.locator('[data-testid="fd-c-card"][data-card="product"]').waitFor();
  assert.equal(await load.count(), 4, 'image, voice, video and card picture wait for a click');
  assert.match(await load.first().innerText(), /Load image from localhost:\d+/);
  assert.equal(await agent.page.getByTestId('fd-c-img').count(), 0);
  await agent.page.waitForTimeout(1000);
  assert.deepEqual(vh.requests, [], 'the visitor\'s host was not contacted');

  // The agent asks for the image: now, and only now, it loads.
  await load.first().click();
  await agent.page.waitForFunction(() => document.querySelector('[data-testid="fd-c-img"]')?.naturalWidth === 1);
  assert.deepEqual(vh.requests, ['/img.gif']);
  assert.equal(await load.count(), 3);
  assert.deepEqual(agent.log.errors, []);
  v.close();
  await agent.context.close();
  await vh.close();
});
