// The screenshot tool (issue 24 item 6, seed 003 cut_flag) against the real binary: where a
// visitor may send pictures (photo_flag, an agent serving) on a desktop, "Screenshot" beside
// "Send a picture or file" captures with getDisplayMedia from inside the loader's iframe on a
// shop page of another origin, previews the picture and sends it as a PNG through the upload
// path, reaching the agent as file_type 1; a refused capture gets a reason; cut_flag=hide
// (zc("config") or the chat link) and a phone-sized page have no such control.
//
// Headless Chromium has no display to capture, and with no picker to show getDisplayMedia
// would wait for ever (also with --auto-select-desktop-capture-source,
// --auto-select-tab-capture-source-by-title or --auto-accept-this-tab-capture: tried on
// Chromium 156). --use-fake-ui-for-media-stream answers the picker as a visitor would
// (`=deny`: refusing) and --use-fake-device-for-media-stream captures Chromium's moving test
// pattern in place of a screen, so the page runs exactly the code a real capture
// does. Without the iframe's allow="display-capture" the capture is refused (NotAllowedError).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { Agent, Chat, HostPage, seedSnippet, watchConsole, withWorld } from '../lib.mjs';

let server, site, shop;
withWorld({ shop: true, ready: (w) => ({ server, site, shop } = w) });

const browsers = {};
/** A Chromium whose display capture is granted (`allow`) or refused (`deny`). */
async function capturing(answer) {
  browsers[answer] ??= await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
      answer === 'deny' ? '--use-fake-ui-for-media-stream=deny' : '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream'],
  });
  return browsers[answer];
}
after(async () => {
  for (const b of Object.values(browsers)) await b.close();
});

/**
 * A shop page with the snippet and `config`, a visitor who said `said` and an agent who
 * answered: `{ ctx, page, frame, agent, push, log }`.
 */
async function served(browser, config, said, device = { viewport: { width: 1280, height: 800 } }) {
  const agent = await Agent.login(server);
  const ctx = await browser.newContext(device);
  const page = await ctx.newPage();
  const log = watchConsole(page);
  await shop.open(page, `<!doctype html><meta charset="utf-8"><title>Shop</title><body><h1>Shop</h1>
${seedSnippet(server.url, site.sysnum, { extra: `zc("config", ${JSON.stringify(config)});` })}</body>`);
  const host = new HostPage(page);
  await host.open();
  await host.chat.send(said);
  const push = await agent.visitorMessage(said);
  await agent.request({ api_key: 32300, gid: push.data.gid, msg: 'Can you show me?', file_type: 0 });
  const frame = page.frameLocator('[data-testid="fd-frame"]');
  await frame.getByTestId('fd-up-open').waitFor();
  return { ctx, page, frame, agent, push, log };
}

async function done({ ctx, agent, push }) {
  await agent.request({ api_key: 32600, gid: push.data.gid });
  agent.close();
  await ctx.close();
}

test('photo_flag on a desktop: Screenshot, preview, Send; the agent gets a PNG as file_type 1', async () => {
  const browser = await capturing('allow');
  const s = await served(browser, { photo_flag: 1, locale: 'en' }, 'The checkout page shows an error');
  const { frame, agent, log } = s;
  assert.equal(await s.page.getByTestId('fd-frame').getAttribute('allow'), 'clipboard-write; display-capture');
  await frame.getByTestId('fd-shot-open').filter({ hasText: 'Screenshot' }).click();
  const shot = frame.getByTestId('fd-shot');
  const img = shot.locator('img');
  await img.waitFor();
  // The preview is the captured frame, drawn at its size (under the 1920 px cap).
  await img.evaluate((i) => i.decode());
  const size = await img.evaluate((i) => [i.naturalWidth, i.naturalHeight]);
  assert.ok(size[0] > 100 && size[1] > 100, `a picture, ${size}`);
  assert.equal(await frame.getByTestId('fd-shot-error').count(), 0);
  await shot.getByTestId('fd-shot-send').click();
  await frame.getByTestId('fd-up-done').filter({ hasText: 'Sent' }).waitFor();
  assert.equal(await frame.getByTestId('fd-shot').count(), 0, 'the preview closes once sent');
  // The upload's own preview shows it too (a data: URL: the chat page's CSP has no blob:).
  const upImg = frame.getByTestId('fd-up').locator('img[alt="screenshot.png"]');
  await upImg.evaluate((i) => i.decode());
  assert.deepEqual(await upImg.evaluate((i) => [i.naturalWidth, i.naturalHeight]), size);
  // Both controls styled as the chat's buttons, side by side.
  const [up, sh] = [await frame.getByTestId('fd-up-open').boundingBox(), await frame.getByTestId('fd-shot-open').boundingBox()];
  assert.ok(Math.abs(up.y - sh.y) < 2 && sh.x > up.x + up.width, `one row: ${JSON.stringify([up, sh])}`);
  assert.equal(await frame.getByTestId('fd-shot-open').evaluate((b) => getComputedStyle(b).borderRadius), '16px');
  const pic = await agent.next((f) => f.api_key === 32399 && f.data?.message_info?.file_type === 1, 'the screenshot');
  const url = pic.data.message_info.msg;
  assert.match(url, /\/files\/[0-9a-f]{32}\/screenshot\.png$/);
  const res = await fetch(url);
  assert.equal(res.headers.get('content-type'), 'image/png');
  const png = Buffer.from(await res.arrayBuffer());
  assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'a PNG');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], size, 'the picture previewed');
  await frame.locator(`[data-testid="fd-msg"][data-from="visitor"] img[src="${url}"]`).waitFor();

  // Taken again and cancelled: nothing is sent, focus goes back to the control.
  await frame.getByTestId('fd-shot-open').click();
  await frame.getByTestId('fd-shot').locator('img').waitFor();
  await frame.getByTestId('fd-shot-cancel').click();
  assert.equal(await frame.getByTestId('fd-shot').count(), 0);
  assert.equal(await frame.locator(':focus').getAttribute('data-testid'), 'fd-shot-open');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(agent.frames.filter((f) => f.api_key === 32399 && f.data?.message_info?.file_type === 1).length, 0,
    'a cancelled screenshot is not sent');
  assert.deepEqual(log.errors, []);
  await done(s);
});

test('a refused capture (picker cancelled or permission denied) says so, nothing thrown', async () => {
  const browser = await capturing('deny');
  const s = await served(browser, { photo_flag: 1, locale: 'en' }, 'I cannot log in');
  await s.frame.getByTestId('fd-shot-open').click();
  await s.frame.getByTestId('fd-shot-error').filter({ hasText: 'Screenshot cancelled' }).waitFor();
  assert.equal(await s.frame.getByTestId('fd-shot').count(), 0);
  assert.deepEqual(s.log.errors, []);
  await done(s);
});

test('cut_flag=hide (zc config and the chat link) and a phone-sized page: no Screenshot control', async () => {
  const browser = await capturing('allow');
  const hidden = await served(browser, { photo_flag: 1, cut_flag: 'hide' }, '页面打不开');
  assert.equal(await hidden.frame.getByTestId('fd-shot-open').count(), 0, 'cut_flag: "hide"');
  await done(hidden);

  // A phone as Chromium emulates one (its browser, touch, a 375 px screen).
  const phone = await served(browser, { photo_flag: 1, locale: 'en' }, 'Order 77 is late', {
    viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  });
  assert.equal(await phone.frame.getByTestId('fd-shot-open').count(), 0, 'a 375 px page');
  await done(phone);

  // The chat link (the H5 page, top level): on by default, off with &cut_flag=hide.
  for (const [query, shown] of [['', 1], ['&cut_flag=hide', 0]]) {
    const agent = await Agent.login(server);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    await page.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&photo_flag=1&locale=en${query}`);
    const chat = new Chat(page);
    const said = `Link visitor${query}`;
    await chat.send(said);
    const push = await agent.visitorMessage(said);
    await agent.request({ api_key: 32300, gid: push.data.gid, msg: 'Hello link', file_type: 0 });
    await page.getByTestId('fd-up-open').waitFor();
    assert.equal(await page.getByTestId('fd-shot-open').count(), shown, `the link with "${query}"`);
    await done({ ctx, agent, push });
  }
});
