// Pictures and files from the visitor (issue 24, item 5) against the real binary, from a shop
// page of another origin with seed 003's photo_flag: no control before an agent answers; then a
// picture is uploaded with a preview and a progress bar and reaches the agent as file_type 1,
// its URL serving the same bytes; an SVG and an oversized file are refused with a reason the
// visitor can read, and nothing is sent.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, HostPage, seedSnippet, watchConsole, withWorld } from '../lib.mjs';

let server, browser, site, shop;
withWorld({ shop: true, ready: (w) => ({ server, browser, site, shop } = w) });

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

test('photo_flag: a visitor sends a picture once served; an SVG and a huge file are refused', async () => {
  const agent = await Agent.login(server);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const log = watchConsole(page);
  await shop.open(page, `<!doctype html><meta charset="utf-8"><title>Shop</title><body><h1>Shop</h1>
${seedSnippet(server.url, site.sysnum, { extra: 'zc("config", {photo_flag: 1, locale: "en"});' })}</body>`);
  const host = new HostPage(page);
  await host.open();
  const frame = page.frameLocator('[data-testid="fd-frame"]');
  await host.chat.send('The parcel arrived broken');
  const push = await agent.visitorMessage('The parcel arrived broken');
  assert.equal(await frame.getByTestId('fd-up-open').count(), 0, 'no control before a person answers');
  await agent.request({ api_key: 32300, gid: push.data.gid, msg: 'Sorry! Can you send a photo?', file_type: 0 });
  await frame.getByTestId('fd-up-open').filter({ hasText: 'Send a picture or file' }).waitFor();

  // An SVG: refused, nothing sent.
  await frame.getByTestId('fd-up-file').setInputFiles({ name: 'x.svg', mimeType: 'image/svg+xml',
    buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') });
  await frame.getByTestId('fd-up-error').filter({ hasText: 'This kind of file cannot be sent' }).waitFor();
  // Over 10 MB: refused before it is sent.
  await frame.getByTestId('fd-up-file').setInputFiles({ name: 'big.png', mimeType: 'image/png',
    buffer: Buffer.concat([PNG, Buffer.alloc(10 * 1024 * 1024)]) });
  await frame.getByTestId('fd-up-error').filter({ hasText: 'larger than 10 MB' }).waitFor();

  // A picture: preview, progress, sent as kind 1; the URL serves the same bytes.
  await frame.getByTestId('fd-up-file').setInputFiles({ name: 'damage.png', mimeType: 'image/png', buffer: PNG });
  const up = frame.getByTestId('fd-up');
  await up.locator('img[alt="damage.png"]').waitFor();
  assert.equal(await up.getByTestId('fd-up-progress').count(), 1);
  await up.getByTestId('fd-up-done').filter({ hasText: 'Sent' }).waitFor();
  const pic = await agent.next((f) => f.api_key === 32399 && f.data?.message_info?.file_type === 1, 'the picture');
  const url = pic.data.message_info.msg;
  assert.match(url, /\/files\/[0-9a-f]{32}\/damage\.png$/);
  const got = Buffer.from(await (await fetch(url)).arrayBuffer());
  assert.ok(got.equals(PNG), 'the same bytes');
  // The visitor's own chat shows it as a picture.
  await frame.locator(`[data-testid="fd-msg"][data-from="visitor"] img[src="${url}"]`).waitFor();
  assert.deepEqual(log.errors, []);
  agent.close();
  await ctx.close();
});
