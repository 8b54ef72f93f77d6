// Seed 003's display parameters on the chat link (issue 24, item 6): custom_title names the
// page (and, with top_bar_flag=1 and title_flag=2, the header); title_flag=3 puts the serving
// agent's name in the header; top_bar_flag=0 hides the header of the link; time=N shows only
// the last N minutes of history when the chat opens.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, Chat, watchConsole, withWorld } from '../lib.mjs';

let server, browser, site;
withWorld({ ready: (w) => ({ server, browser, site } = w) });

const link = (q) => `${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&source=4&${q}`;

async function open(q, ctx) {
  const page = await ctx.newPage();
  const log = watchConsole(page);
  await page.goto(link(q));
  const chat = new Chat(page);
  await chat.input.waitFor();
  return { page, chat, log };
}

test('custom_title, title_flag and top_bar_flag', async () => {
  const ctx = await browser.newContext({ viewport: { width: 375, height: 667 }, isMobile: true });
  let { page, log } = await open(`custom_title=${encodeURIComponent('小智的店')}&top_bar_flag=1&title_flag=2`, ctx);
  assert.equal(await page.title(), '小智的店');
  assert.equal(await page.getByTestId('fd-title').innerText(), '小智的店');
  assert.deepEqual(log.errors, []);
  // Without top_bar_flag=1 the custom title names only the page.
  ({ page } = await open(`custom_title=Shop&locale=en`, ctx));
  assert.equal(await page.title(), 'Shop');
  assert.notEqual(await page.getByTestId('fd-title').innerText(), 'Shop');
  // top_bar_flag=0: no header on the link.
  ({ page } = await open('top_bar_flag=0', ctx));
  assert.equal(await page.locator('header.fd-h').isVisible(), false);
  // title_flag=3: the agent serving the chat.
  const agent = await Agent.login(server);
  const o = await open('top_bar_flag=1&title_flag=3&locale=en', ctx);
  await o.chat.send('Who is there?');
  const push = await agent.visitorMessage('Who is there?');
  await agent.request({ api_key: 32300, gid: push.data.gid, msg: 'Kim here', file_type: 0 });
  await o.page.getByTestId('fd-title').filter({ hasText: 'Kim' }).waitFor();
  agent.close();
  await ctx.close();
});

test('time=10 shows only the last 10 minutes of history', async () => {
  const ctx = await browser.newContext();
  const { page, chat } = await open('locale=en', ctx);
  await chat.send('An old question');
  await chat.message('An old question', 'visitor').waitFor();
  // The same browser 20 minutes later: with time=10 the old message is not shown, without it is.
  await page.clock.setFixedTime(Date.now() + 20 * 60_000);
  await page.goto(link('locale=en&time=10'));
  await new Chat(page).input.waitFor();
  await page.getByTestId('fd-status').filter({ hasText: 'Connected' }).waitFor();
  assert.equal(await new Chat(page).message('An old question').count(), 0);
  await page.goto(link('locale=en'));
  await new Chat(page).message('An old question', 'visitor').waitFor();
  await ctx.close();
});
