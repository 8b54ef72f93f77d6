// The agent console on a phone (375 × 667, touch): log in, see the lists full width, open a
// chat (the lists give way to the conversation), reply, and go back to the lists. Nothing is
// wider than the screen, and the composer stays on screen, also when the visible height
// shrinks as it does under an on-screen keyboard.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Chat, ConsolePage, watchConsole, withWorld } from '../lib.mjs';

let server, browser, site;
withWorld({ ready: (w) => ({ server, browser, site } = w) });

const PHONE = { viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** Whether `locator` lies entirely inside the page's viewport. */
async function onScreen(page, locator) {
  const box = await locator.boundingBox();
  const { width, height } = page.viewportSize();
  return box !== null && box.x >= 0 && box.y >= 0 && box.x + box.width <= width + 0.5 && box.y + box.height <= height + 0.5;
}

/** The page scrolls sideways (something is wider than the screen). */
const overflows = (page) => page.evaluate(() => document.scrollingElement.scrollWidth > window.innerWidth);

test('console at 375 px: login, open a chat, reply, back to the list', async () => {
  const ctx = await browser.newContext(PHONE);
  const page = await ctx.newPage();
  const log = watchConsole(page);
  const c = new ConsolePage(page);
  await c.login(server);
  assert.ok(await onScreen(page, c.list('mine')), 'the lists fill the screen');
  assert.equal(await overflows(page), false, 'no sideways scrolling on the lists');

  const vctx = await browser.newContext(PHONE);
  const vpage = await vctx.newPage();
  await vpage.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&locale=en`);
  const chat = new Chat(vpage);
  await chat.send('Can I change my delivery address?');

  const item = c.guest('mine', 'Can I change my delivery address?');
  await item.waitFor();
  await item.getByRole('button').tap();
  await c.message('Can I change my delivery address?', 'visitor').waitFor();
  // The conversation replaces the lists.
  assert.equal(await c.list('mine').isVisible(), false, 'the lists give way to the chat');
  assert.ok(await onScreen(page, c.input), 'the composer is on screen');
  assert.ok(await onScreen(page, page.getByTestId('fd-c-back')), 'a way back to the lists');
  assert.equal(await overflows(page), false, 'no sideways scrolling in the chat');

  // An on-screen keyboard takes the lower part of the screen: the composer moves up with it.
  await c.input.tap();
  await page.setViewportSize({ width: 375, height: 360 });
  assert.ok(await onScreen(page, c.input), 'the composer stays above the keyboard');
  await c.send('Yes: send it in this chat.');
  await c.message('Yes: send it in this chat.', 'agent').waitFor();
  await chat.message('Yes: send it in this chat.', 'agent').waitFor();
  await page.setViewportSize({ width: 375, height: 667 });

  await page.getByTestId('fd-c-back').tap();
  await c.list('mine').waitFor({ state: 'visible' });
  // The list item now shows the last message: the reply.
  assert.ok(await onScreen(page, c.guest('mine', 'Yes: send it in this chat.')), 'back on the list, the chat is there');
  assert.deepEqual(log.errors, []);
  await vctx.close();
  await ctx.close();
});

test('console at 1280 px keeps lists and chat side by side, with no back button', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const c = new ConsolePage(page);
  await c.login(server);
  const item = c.guest('mine', 'Yes: send it in this chat.');
  await item.waitFor();
  await item.getByRole('button').click();
  await c.input.waitFor();
  assert.ok(await c.list('mine').isVisible(), 'the lists stay beside the chat');
  assert.equal(await page.getByTestId('fd-c-back').isVisible(), false);
  await ctx.close();
});
