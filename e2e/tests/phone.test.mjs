// Phones (issue 24 item 9): at 320×568 the chat (in the launcher's window and as the H5
// link) has no horizontal scrolling, its header, composer, buttons and forms fit, and every
// text field is at least 16 px (iOS zooms into smaller ones); when the visual viewport shrinks
// (the on-screen keyboard; emulated here by a page scale, which shrinks only the visual
// viewport, as the keyboard does) the composer stays inside it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, Chat, watchConsole, HostPage, seedSnippet, withWorld } from '../lib.mjs';

let server, browser, site, shop;
withWorld({ shop: true, ready: (w) => ({ server, browser, site, shop } = w) });

const W = 320;
const H = 568;

async function phone() {
  const context = await browser.newContext({
    viewport: { width: W, height: H }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
  });
  const page = await context.newPage();
  return { context, page, log: watchConsole(page) };
}

/** In `frame` (a Playwright Frame): the horizontal overflow, the text fields' font sizes
 * below 16 px, and the visible elements that stick out of the 320 px width. */
function layout(frame) {
  return frame.evaluate((w) => {
    const d = document.documentElement;
    const small = [...document.querySelectorAll('input,textarea,select')]
      .filter((e) => !/^(hidden|radio|checkbox|file|button|submit|range|color)$/.test(e.type))
      .filter((e) => parseFloat(getComputedStyle(e).fontSize) < 16)
      .map((e) => `${e.tagName} ${e.dataset.testid ?? e.name ?? ''} ${getComputedStyle(e).fontSize}`);
    const fields = document.querySelectorAll('input,textarea,select').length;
    const out = [...document.querySelectorAll('body *')]
      .filter((e) => e.getClientRects().length && !e.closest('.fd-sr'))
      .filter((e) => { const r = e.getBoundingClientRect(); return r.width && (r.left < -0.5 || r.right > w + 0.5); })
      .map((e) => `${e.tagName}.${e.className} ${e.dataset.testid ?? ''}`);
    return { overflow: d.scrollWidth - d.clientWidth, small, out, fields };
  }, W);
}

function chatFrame(page) {
  return page.frames().find((f) => f.url().includes('/chat/h5/v2/index.html'));
}

async function fits(frame, what) {
  const l = await layout(frame);
  assert.ok(l.overflow <= 0, `${what}: no horizontal scrolling (${l.overflow} px too wide)`);
  assert.deepEqual(l.out, [], `${what}: everything within ${W} px`);
  assert.deepEqual(l.small, [], `${what}: text fields ≥ 16 px`);
  return l;
}

/** The composer's input lies inside the visual viewport: on the H5 page itself, or (`frame`)
 * inside the launcher's window, which lies inside the host page's visual viewport. */
async function inputInView(page, frame, what) {
  const input = () => {
    const r = document.querySelector('[data-testid="fd-input"]').getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, width: r.width, vt: visualViewport.offsetTop, vh: visualViewport.height, h: innerHeight };
  };
  const i = await (frame ?? page).evaluate(input);
  const inside = (top, bottom, vt, vh) => top >= vt - 1 && bottom <= vt + vh + 1;
  if (frame) {
    const p = await page.evaluate(() => {
      const r = document.querySelector('.fd-panel').getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, vt: visualViewport.offsetTop, vh: visualViewport.height };
    });
    assert.ok(inside(p.top, p.bottom, p.vt, p.vh), `${what}: the window ${JSON.stringify(p)} is inside the visual viewport`);
    assert.ok(inside(i.top, i.bottom, 0, i.h), `${what}: the input ${JSON.stringify(i)} is inside the window`);
  } else {
    assert.ok(inside(i.top, i.bottom, i.vt, i.vh), `${what}: the input ${JSON.stringify(i)} is inside the visual viewport`);
  }
  assert.ok(i.width >= 120, `${what}: the input is wide enough to type in (${i.width} px)`);
}

test('the launcher window at 320×568: fits, fields ≥ 16 px (chat, leave-message form, rating); stays above a shrunken visual viewport', async () => {
  const agent = await Agent.login(server);
  const { context, page, log } = await phone();
  const urls = [];
  page.on('request', (r) => urls.push(new URL(r.url()).pathname));
  await shop.open(page, `<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width,initial-scale=1"><title>Shop</title></head><body><h1>Shop</h1>${seedSnippet(server.url, site.sysnum, { extra: 'zc("config", {feedback_flag: 1, leave_msg_flag: 1, locale: "en"});' })}</body></html>`);
  const host = new HostPage(page);
  await host.open();
  const frame = chatFrame(page);
  await host.chat.root.getByTestId('fd-status').waitFor();
  assert.ok(!urls.some((u) => u.endsWith('/host.js')), 'opening the chat on a phone loads no more than on a desktop');
  const panel = await host.frameElement.boundingBox();
  assert.ok(panel.x >= 0 && panel.x + panel.width <= W, `the window fits the screen: ${JSON.stringify(panel)}`);
  const l = await fits(frame, 'chat');
  assert.ok(l.fields >= 1);
  for (const id of ['fd-input', 'fd-send', 'fd-collapse']) {
    const b = await host.chat.root.getByTestId(id).boundingBox();
    assert.ok(b.x >= 0 && b.x + b.width <= W && b.y + b.height <= H, `${id} on screen: ${JSON.stringify(b)}`);
  }
  // An answer (long words and a link) and the rating form.
  await host.chat.send('Hi from a small phone');
  const gid = (await agent.visitorMessage('Hi from a small phone')).data.gid;
  await agent.request({ api_key: 32300, gid, msg: `Sure: https://example.com/${'a'.repeat(80)} ${'W'.repeat(60)}`, file_type: 0 });
  await host.chat.message('Sure:', 'agent').waitFor();
  await host.chat.root.getByTestId('fd-rate-open').click();
  await host.chat.root.getByTestId('fd-rate-comment').waitFor();
  await fits(frame, 'chat with the rating form');

  // The on-screen keyboard shrinks the visual viewport, not the layout viewport: the window
  // follows the visual viewport, so the composer stays in view.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setPageScaleFactor', { pageScaleFactor: 2 });
  await page.waitForFunction(() => visualViewport.height < innerHeight - 1);
  await page.waitForFunction(() => document.querySelector('.fd-panel').style.height !== '');
  await inputInView(page, frame, 'launcher window, visual viewport halved');
  await cdp.send('Emulation.setPageScaleFactor', { pageScaleFactor: 1 });
  await page.waitForFunction(() => document.querySelector('.fd-panel').style.height === '');
  // And a shorter screen: the composer is still on it.
  await page.setViewportSize({ width: W, height: 300 });
  await inputInView(page, frame, 'launcher window, 320×300');
  assert.deepEqual(log.errors, []);
  agent.close();
  await context.close();
});

test('nobody online at 320×568: the leave-message form fits, its fields ≥ 16 px', async () => {
  const { context, page, log } = await phone();
  await shop.open(page, `<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width,initial-scale=1"><title>Shop</title></head><body>${seedSnippet(server.url, site.sysnum)}</body></html>`);
  const host = new HostPage(page);
  await host.open();
  await host.chat.send('Anyone there?');
  await host.chat.root.getByTestId('fd-offline').waitFor();
  await host.chat.root.getByTestId('fd-leave-open').click();
  // The form's fields come with its template (fetched after the section shows).
  await host.chat.root.getByTestId('fd-leave').getByTestId('fd-leave-send').waitFor();
  const l = await fits(chatFrame(page), 'leave-message form');
  assert.ok(l.fields >= 2);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('the H5 link and the stand-alone leave page at 320×568: fit, fields ≥ 16 px, input above a shrunken visual viewport', async () => {
  const { context, page, log } = await phone();
  await page.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&source=4&locale=en&emoji_state=1`);
  const chat = new Chat(page);
  await chat.input.waitFor({ state: 'visible' });
  await fits(page.mainFrame(), 'H5 chat');
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setPageScaleFactor', { pageScaleFactor: 2 });
  await page.waitForFunction(() => visualViewport.height < innerHeight - 1);
  await page.waitForFunction(() => document.body.style.height !== '');
  await inputInView(page, null, 'H5, visual viewport halved');
  await cdp.send('Emulation.setPageScaleFactor', { pageScaleFactor: 1 });
  await page.setViewportSize({ width: W, height: 300 });
  await inputInView(page, null, 'H5, 320×300');

  // The seed's order-card link: the card and, once sent, the card message fit.
  await page.setViewportSize({ width: W, height: H });
  await page.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&order_status=1&create_time=1586414406391&order_code=121212121212121212&order_url=http://www.sobot.com&goods_count=2&total_fee=1000&goods=[{"name":"${'A long product name '.repeat(4)}","pictureUrl":"https://img.sobot.com/console/common/face/admin.png"}]`);
  await page.getByTestId('fd-page-card-send').waitFor();
  await fits(page.mainFrame(), 'H5 order card');
  await page.getByTestId('fd-page-card-send').click();
  await chat.message('121212121212121212', 'visitor').waitFor();
  await fits(page.mainFrame(), 'H5 order card message');

  await page.goto(`${server.url}/chat/h5/v2/leavemessage.html?sysnum=${site.sysnum}&uid=u-320&source=9&uname=Ann&locale=en&t=${Date.now()}`);
  await page.getByTestId('fd-leave-send').waitFor();
  const l = await fits(page.mainFrame(), 'leavemessage.html');
  assert.ok(l.fields >= 2);
  assert.deepEqual(log.errors, []);
  await context.close();
});
