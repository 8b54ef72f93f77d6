// The console speaks the agent's language (issue 25 item 8): cn/en/tw from the locale files
// the widget uses, chosen per agent and stored on the server (32950), so a reload or another
// browser keeps it; times in the agent's zone, shown beside every message; a zone the server
// refuses shows its reason.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  admin, Chat, ConsolePage, openConsole, PASSWORD, withWorld,
} from '../lib.mjs';

let server, browser, site;
withWorld({
  prepare: (w) => admin(w.db, 'agent', 'create', '--site', w.site.sysnum, '--account', 'kf2@e2e',
    '--nick', 'Lee', '--password', PASSWORD),
  ready: (w) => ({ server, browser, site } = w),
});

const CJK = /[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]/;

/** The console's own text: everything but what visitors wrote (their messages, names). */
const chrome = (page) => page.evaluate(() => {
  const root = document.body.cloneNode(true);
  root.querySelectorAll('[data-testid="fd-c-msg"], [data-testid="fd-c-guest"], [data-testid="fd-c-title"], [data-testid="fd-c-visit"]')
    .forEach((e) => e.remove());
  const attrs = [...root.querySelectorAll('[placeholder], [aria-label], [title], [alt]')]
    .flatMap((e) => ['placeholder', 'aria-label', 'title', 'alt'].map((a) => e.getAttribute(a) || ''));
  return `${root.innerText}\n${attrs.join('\n')}`;
});

/** Opens the settings, picks `locale` and types `tz`, saves. */
async function setPrefs(page, { locale, tz }) {
  const toggle = page.getByTestId('fd-c-prefs-toggle');
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  if (locale !== undefined) await page.getByTestId('fd-c-pref-lang').selectOption(locale);
  if (tz !== undefined) await page.getByTestId('fd-c-pref-tz').fill(tz);
  await page.getByTestId('fd-c-pref-save').click();
}

/** Waits until `locator`'s text shows hour `hour`; returns the text. */
async function waitHour(locator, hour, what) {
  const deadline = Date.now() + 10_000;
  let text = '';
  while (Date.now() < deadline) {
    text = await locator.innerText().catch(() => '');
    if (/\d:\d\d/.test(text) && hourOf(text) === hour) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what}: expected hour ${hour}, shown ${JSON.stringify(text)}`);
}

/** The hour (0-23) a shown time starts with ("09:41" or "2026/12/06 09:41"). */
function hourOf(text) {
  const m = text.match(/(\d{1,2}):(\d{2})(?!.*\d{1,2}:\d{2})/);
  assert.ok(m, `a time in ${JSON.stringify(text)}`);
  return Number(m[1]);
}

test('console language and time zone: per agent, stored on the server, applied at once', async () => {
  const agent = await openConsole(browser, server, 'kf1@e2e');
  const { page } = agent;

  // A visitor message with a known moment.
  const vctx = await browser.newContext();
  const vpage = await vctx.newPage();
  await vpage.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&uname=Ann&locale=en`);
  const chat = new Chat(vpage);
  await chat.input.waitFor();
  await chat.send('What time is it there?');
  const item = agent.c.guest('mine', 'What time is it there?');
  await item.waitFor();
  await item.getByRole('button').click();
  const msg = agent.c.message('What time is it there?', 'visitor');
  await msg.waitFor();

  // English, chosen explicitly: known elements in English, no CJK in the console's chrome.
  await setPrefs(page, { locale: 'en', tz: 'UTC' });
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  assert.equal(await page.getByTestId('fd-c-logout').innerText(), 'Log out');
  assert.equal(await page.getByTestId('fd-c-send').innerText(), 'Send');
  assert.equal(await page.locator('#c-h-mine').textContent(), 'My chats');
  assert.equal(await page.getByTestId('fd-c-input').getAttribute('placeholder'), 'Type a reply, Enter sends');
  const en = await chrome(page);
  assert.ok(!CJK.test(en), `no Chinese in the English console: ${en.match(new RegExp(`.{0,20}${CJK.source}.{0,20}`))}`);

  // Times in the agent's zone: the same message an hour apart by the zones' offsets.
  const time = page.locator('[data-testid="fd-c-msg"][data-from="visitor"] + [data-testid="fd-c-time"]').first();
  const iso = await time.getAttribute('datetime');
  const at = new Date(iso);
  assert.ok(Math.abs(Date.now() - at.getTime()) < 120_000, `the message's moment ${iso} is now`);
  await waitHour(time, at.getUTCHours(), 'UTC');
  await setPrefs(page, { tz: 'Asia/Tokyo' });
  const tokyo = (at.getUTCHours() + 9) % 24;
  const tokyoText = await waitHour(time, tokyo, `Tokyo is UTC+9 (${iso})`);
  await setPrefs(page, { tz: 'America/New_York' });
  const ny = Number(new Intl.DateTimeFormat('en', { timeZone: 'America/New_York', hour: 'numeric', hourCycle: 'h23' })
    .format(at));
  const nyText = await waitHour(time, ny, `New York (${iso})`);
  assert.equal((tokyo - ny + 24) % 24, 14, `in December Tokyo is 14 hours ahead of New York: ${tokyoText} vs ${nyText}`);

  // A zone the server does not know: refused, with its reason, and nothing changes.
  await setPrefs(page, { tz: 'Mars/Olympus' });
  const err = page.getByTestId('fd-c-pref-error');
  await err.filter({ hasText: 'Mars/Olympus' }).waitFor();
  assert.ok(await err.isVisible());
  assert.equal(hourOf(await time.innerText()), ny, 'still New York');

  // Traditional Chinese, at once, without a reload.
  await setPrefs(page, { locale: 'tw', tz: 'America/New_York' });
  await page.waitForFunction(() => document.documentElement.lang === 'zh-TW');
  assert.equal(await page.getByTestId('fd-c-logout').innerText(), '登出');
  assert.equal(await page.locator('#c-h-mine').textContent(), '我的會話');
  assert.equal(await page.getByTestId('fd-c-send').innerText(), '送出');

  // Stored on the server: a reload, and another browser, come back in tw and New York time.
  await page.reload();
  await page.locator('#c-h-mine', { hasText: '我的會話' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-TW');
  const other = await openConsole(browser, server, 'kf1@e2e');
  await other.page.locator('#c-h-mine', { hasText: '我的會話' }).waitFor();
  await other.c.guest('mine', 'What time is it there?').getByRole('button').click();
  const otherTime = other.page.locator('[data-testid="fd-c-msg"][data-from="visitor"] + [data-testid="fd-c-time"]').first();
  await otherTime.waitFor();
  await waitHour(otherTime, ny, 'the zone follows the agent');

  // Another agent keeps the browser's language (English here).
  const second = await openConsole(browser, server, 'kf2@e2e');
  assert.equal(await second.page.getByTestId('fd-c-logout').innerText(), 'Log out');

  // Simplified Chinese; back to the browser's with "".
  await setPrefs(other.page, { locale: 'cn' });
  await other.page.locator('#c-h-mine', { hasText: '我的会话' }).waitFor();
  assert.equal(await other.page.evaluate(() => document.documentElement.lang), 'zh-CN');
  await setPrefs(other.page, { locale: '', tz: '' });
  await other.page.locator('#c-h-mine', { hasText: 'My chats' }).waitFor();

  for (const a of [agent, other, second]) assert.deepEqual(a.log.errors, []);
  for (const a of [agent, other, second]) await a.context.close();
  await vctx.close();
});

test("without a choice of their own, the console takes the browser's language", async () => {
  for (const [locale, account, lang] of [
    ['zh-TW', '帳號', 'zh-TW'], ['zh-HK', '帳號', 'zh-TW'], ['zh-CN', '账号', 'zh-CN'],
    ['zh', '账号', 'zh-CN'], ['en-US', 'Account', 'en'], ['fr-FR', 'Account', 'en'],
  ]) {
    const context = await browser.newContext({ locale });
    const page = await context.newPage();
    await page.goto(`${server.url}/console/`);
    await page.locator('label[for="c-account"]', { hasText: account }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), lang, locale);
    await context.close();
  }
  // kf2 chose nothing (the first test leaves it so): a zh-TW browser shows traditional text.
  const context = await browser.newContext({ locale: 'zh-TW', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const c = new ConsolePage(page);
  await c.login(server, 'kf2@e2e');
  assert.equal(await page.getByTestId('fd-c-logout').innerText(), '登出');
  await context.close();
});
