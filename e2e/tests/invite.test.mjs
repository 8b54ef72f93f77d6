// Seed 003's invitations (item 4 of issue 10): the automatic invitation with its texts,
// timing and daily count, accepting and refusing; locale for its default texts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { watchConsole, HostPage, seedSnippet, startHostPageFixture } from '../lib.mjs';

let server, browser, site, shop, fixture;
before(async () => {
  fixture = await startHostPageFixture();
  ({ server, browser, site, shop } = fixture);
});
after(() => fixture?.close());

// The seed's example; only the timings are shorter (and given as strings, as the table types them).
const INVITE = `zc("config",{
invite:1, //是否开启自动邀请 1开启 0关闭 默认不开启
tip_title:'欢迎咨询', //主动邀请文案
submit_title:'开始聊天吧', //接受邀请按钮
first_timeout:'1', //第一次加载延迟邀请时间 时间:s
over_timeout:'1', //拒绝后再次邀请时间 时间:s
invite_count:2, //一天之内共邀请多少次
invite_imgsrc: encodeURIComponent('${'SERVER'}/healthz?logo.png')
})`;

const page = async (context, extra) => {
  const p = await context.newPage();
  const log = watchConsole(p);
  await shop.open(p, `<!DOCTYPE html><html><body>${seedSnippet(server.url, site.sysnum, { extra })}</body></html>`);
  return { page: p, log, host: new HostPage(p) };
};

test('automatic invitation: shown after first_timeout, back over_timeout after a refusal, invite_count a day', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const { page: p, log, host } = await page(context, INVITE.replace('SERVER', server.url));
  const inv = p.getByTestId('fd-invite');
  await inv.waitFor({ timeout: 5000 });
  assert.equal(await p.getByTestId('fd-invite-text').textContent(), '欢迎咨询');
  assert.equal(await p.getByTestId('fd-invite-accept').textContent(), '开始聊天吧');
  assert.equal(await p.getByTestId('fd-invite-img').getAttribute('src'), `${server.url}/healthz?logo.png`);
  assert.equal(await host.frameElement.count(), 0, 'an invitation loads no chat');
  // Refused: it comes back after over_timeout; the second refusal is the last today (count 2).
  await p.getByTestId('fd-invite-close').click();
  assert.equal(await inv.count(), 0);
  await inv.waitFor({ timeout: 5000 });
  await p.getByTestId('fd-invite-close').click();
  await p.waitForTimeout(2500);
  assert.equal(await inv.count(), 0, 'invite_count reached');
  // Another page the same day: no more.
  const next = await page(context, INVITE.replace('SERVER', server.url));
  await next.page.waitForTimeout(2500);
  assert.equal(await next.page.getByTestId('fd-invite').count(), 0);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('accepting an invitation opens the chat; default texts follow locale; bad values warn', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const { page: p, log, host } = await page(context, `zc("config", {invite: "true", first_timeout: 1, locale: "en", invite_imgsrc: "javascript:alert(1)", invite_count: "lots"})`);
  await p.getByTestId('fd-invite').waitFor({ timeout: 5000 });
  assert.equal(await p.getByTestId('fd-invite-text').textContent(), 'Hello! Can we help you?');
  assert.equal(await p.getByTestId('fd-invite-accept').textContent(), 'Start chatting');
  assert.equal(await p.getByTestId('fd-invite-close').getAttribute('aria-label'), 'Close');
  assert.equal(await p.getByTestId('fd-invite-img').count(), 0, 'only http(s) images');
  assert.ok(log.warnings.some((w) => w.includes('invite_count')), log.warnings.join('\n'));
  await p.getByTestId('fd-invite-accept').click();
  await host.frameElement.waitFor({ state: 'visible' });
  await host.chat.input.waitFor();
  assert.equal(await p.getByTestId('fd-invite').count(), 0);
  assert.deepEqual(log.errors, []);
  await context.close();
});
