// The emoji picker of seed 003 (`emoji_state`), the first feature of the chat page's lazy
// tier: its module and data are requested only when the picker is first opened; it inserts
// at the caret, works from the keyboard, speaks cn/en/tw, and `emoji_state: "hide"` hides it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, watchConsole, Chat, HostPage, seedSnippet, withWorld } from '../lib.mjs';

let server, browser, site, shop;
withWorld({ shop: true, ready: (w) => ({ server, browser, site, shop } = w) });

/** The chat page opened directly with `query`; records the lazy tier's requests. */
async function chatPage(query) {
  const context = await browser.newContext({ viewport: { width: 480, height: 700 } });
  const page = await context.newPage();
  const log = watchConsole(page);
  const extras = [];
  page.on('request', (r) => { if (r.url().includes('/chat/h5/v2/extras/')) extras.push(new URL(r.url()).pathname); });
  await page.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&${query}`);
  const chat = new Chat(page);
  await chat.input.waitFor({ state: 'visible' });
  return { context, page, log, extras, chat };
}

test('the picker loads its module on first open only and inserts at the caret; the message arrives', async () => {
  const agent = await Agent.login(server);
  const { context, page, log, extras, chat } = await chatPage('locale=en');
  await page.getByTestId('fd-status').filter({ hasText: 'Connected' }).waitFor();
  await page.waitForTimeout(300);
  assert.deepEqual(extras, [], 'nothing of the lazy tier before the picker is opened');
  const button = page.getByTestId('fd-emoji');
  assert.equal(await button.getAttribute('aria-label'), 'Emoji');
  assert.equal(await button.getAttribute('aria-expanded'), 'false');

  await chat.input.fill('ab');
  await chat.input.press('ArrowLeft'); // caret between a and b
  await button.click();
  const panel = page.getByTestId('fd-emoji-panel');
  await panel.waitFor();
  assert.equal(await panel.getAttribute('aria-label'), 'Choose an emoji');
  assert.equal(await button.getAttribute('aria-expanded'), 'true');
  await page.getByTestId('fd-emoji-item').first().waitFor();
  assert.deepEqual([...extras].sort(), ['/chat/h5/v2/extras/emoji.json', '/chat/h5/v2/extras/extras.js',
    '/chat/h5/v2/extras/extras_bg.wasm']);
  await page.getByTestId('fd-emoji-item').filter({ hasText: '😀' }).click();
  await panel.waitFor({ state: 'detached' });
  assert.equal(await chat.input.inputValue(), 'a😀b');
  assert.equal(await chat.input.evaluate((el) => document.activeElement === el && el.selectionStart), 3,
    'focus back in the input, caret after the emoji');

  // Opening again fetches nothing new.
  await button.click();
  await page.getByTestId('fd-emoji-item').first().waitFor();
  assert.equal(extras.length, 3);
  await button.click();
  await panel.waitFor({ state: 'detached' });

  await page.getByTestId('fd-send').click();
  await agent.visitorMessage('a😀b');
  await chat.message('a😀b', 'visitor').waitFor();
  assert.deepEqual(log.errors, []);
  agent.close();
  await context.close();
});

test('keyboard: Enter opens, arrows move, Enter picks, Escape closes back to the button', async () => {
  const { context, page, chat } = await chatPage('locale=tw');
  const button = page.getByTestId('fd-emoji');
  assert.equal(await button.getAttribute('aria-label'), '表情符號');
  await chat.input.fill('x');
  await button.focus();
  await page.keyboard.press('Enter');
  const panel = page.getByTestId('fd-emoji-panel');
  await panel.waitFor();
  assert.equal(await panel.getAttribute('aria-label'), '選擇表情');
  const items = page.getByTestId('fd-emoji-item');
  await items.first().waitFor();
  // The first emoji has the focus; → moves to the second, ↓ a row further, ↑ back.
  assert.equal(await items.nth(0).evaluate((el) => document.activeElement === el), true);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  const second = await items.nth(1).innerText();
  assert.equal(await items.nth(1).evaluate((el) => document.activeElement === el), true);
  await page.keyboard.press('Enter');
  await panel.waitFor({ state: 'detached' });
  assert.equal(await chat.input.inputValue(), `x${second}`);
  // Escape closes the picker (only the picker) and returns to the button.
  await button.focus();
  await page.keyboard.press('Space');
  await items.first().waitFor();
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });
  assert.equal(await button.evaluate((el) => document.activeElement === el), true);
  assert.equal(await chat.input.inputValue(), `x${second}`);
  await context.close();
});

test('cn labels; emoji_state "hide" hides the button, in the link and through zc("config")', async () => {
  let { context, page } = await chatPage('');
  assert.equal(await page.getByTestId('fd-emoji').getAttribute('aria-label'), '表情');
  await page.getByTestId('fd-emoji').click();
  assert.equal(await page.getByTestId('fd-emoji-panel').getAttribute('aria-label'), '选择表情');
  await context.close();

  ({ context, page } = await chatPage('emoji_state=hide'));
  await page.getByTestId('fd-send').waitFor();
  assert.equal(await page.getByTestId('fd-emoji').count(), 0);
  await context.close();

  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  await shop.open(page, `<!DOCTYPE html><html><body>${seedSnippet(server.url, site.sysnum, { extra: 'zc("config", {emoji_state: "hide"});' })}</body></html>`);
  const host = new HostPage(page);
  await host.open();
  await host.chat.root.getByTestId('fd-send').waitFor();
  assert.equal(await host.chat.root.getByTestId('fd-emoji').count(), 0);
  await context.close();
});
