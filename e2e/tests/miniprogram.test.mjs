// The chat in a WeChat mini-program web-view (issue 24, item 8; seed 003 "小程序内嵌入H5打开附件"):
// the link with source=10 may load the WeChat JS SDK (its CSP says so, no other page's does);
// tapping a file an agent sent calls wx.miniProgram.postMessage({data: [url]}) and then
// wx.miniProgram.navigateBack(), as the seed's mini-program code expects. The SDK is a stub
// served in place of res.wx.qq.com (the test machine reaches no outside host).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, Chat, watchConsole, withWorld } from '../lib.mjs';

let server, browser, site;
withWorld({ ready: (w) => ({ server, browser, site } = w) });

const STUB = `window.wx = { miniProgram: {
  postMessage: function (o) { (window.__wx = window.__wx || []).push(['postMessage', o]); },
  navigateBack: function () { (window.__wx = window.__wx || []).push(['navigateBack']); } } };`;

test('source=10: tapping a file the agent sent hands it to the mini-program and goes back', async () => {
  const agent = await Agent.login(server);
  const ctx = await browser.newContext({ viewport: { width: 375, height: 700 }, isMobile: true });
  await ctx.route('https://res.wx.qq.com/**', (r) => r.fulfill({ contentType: 'text/javascript', body: STUB }));
  const page = await ctx.newPage();
  const log = watchConsole(page);
  const r = await page.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&source=10&locale=en`);
  assert.match(r.headers()['content-security-policy'], /script-src 'self'[^;]* https:\/\/res\.wx\.qq\.com/);
  const chat = new Chat(page);
  await chat.input.waitFor();
  await chat.send('Please send me the invoice');
  const push = await agent.visitorMessage('Please send me the invoice');
  const pdf = `${server.url}/files/0123456789abcdef0123456789abcdef/invoice.pdf`;
  await agent.request({ api_key: 32300, gid: push.data.gid, msg: pdf, file_type: 6 });
  await agent.request({ api_key: 32300, gid: push.data.gid, msg: `Also see ${server.url}/help`, file_type: 0 });
  const file = page.locator('[data-testid="fd-msg"][data-from="agent"][data-kind="6"] a');
  await file.waitFor();
  await page.waitForFunction(() => window.wx && window.wx.miniProgram);
  await file.click();
  assert.deepEqual(await page.evaluate(() => window.__wx), [['postMessage', { data: [pdf] }], ['navigateBack']]);
  assert.equal(page.url().includes('/chat/h5/v2/index.html'), true, 'the web-view stayed on the chat');
  // A link in a text message is not a file: it opens as links do, the mini-program hears nothing.
  const popup = ctx.waitForEvent('page');
  await page.locator('[data-testid="fd-msg"][data-from="agent"][data-kind="0"] a').click();
  await (await popup).close();
  assert.equal((await page.evaluate(() => window.__wx)).length, 2);
  assert.deepEqual(log.errors, []);
  await ctx.close();
  agent.close();
});

test('without source=10 the chat page may not load the WeChat SDK', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const r = await page.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&source=4`);
  assert.doesNotMatch(r.headers()['content-security-policy'], /res\.wx\.qq\.com/);
  const leave = await page.goto(`${server.url}/chat/h5/v2/leavemessage.html?sysnum=${site.sysnum}&source=10`);
  assert.doesNotMatch(leave.headers()['content-security-policy'], /res\.wx\.qq\.com/);
  await ctx.close();
});
