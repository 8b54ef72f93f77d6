// Seed 003's invitations (item 4 of issue 10): the automatic invitation with its texts,
// timing and daily count, accepting and refusing; locale for its default texts; and with
// invite_flag, an agent inviting a visitor who is on the site now (console and socket).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, openConsole, watchConsole, HostPage, seedSnippet, withWorld } from '../lib.mjs';

let server, browser, site, shop;
withWorld({ shop: true, ready: (w) => ({ server, browser, site, shop } = w) });

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

test('invite_flag: an agent sees who is on the site now and invites them; the invitation appears on their page', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const p = await context.newPage();
  const log = watchConsole(p);
  await shop.open(p, `<!DOCTYPE html><html><head><title>Running shoes</title></head><body>${seedSnippet(server.url, site.sysnum, {
    extra: 'zc("config",{\ninvite_flag:true, //true关闭,默认开启\ntip_title:"需要帮忙挑选尺码吗?"\n})',
  })}</body></html>`);
  const host = new HostPage(p);
  await host.launcher.waitFor();

  // Over the agent socket (extension 32810): the visitor's page and title.
  const agent = await Agent.login(server);
  let entry;
  for (let i = 0; i < 50 && !entry; i++) {
    const r = await agent.request({ api_key: 32810 });
    assert.equal(r.code, 200);
    entry = r.data.find((v) => v.title === 'Running shoes');
    if (!entry) await new Promise((res) => setTimeout(res, 200));
  }
  assert.ok(entry, 'the visitor is listed');
  assert.ok(entry.url.startsWith(shop.origin), entry.url);
  assert.equal((await agent.request({ api_key: 32811, gid: 'nobody' })).code, -32811);
  agent.close();

  // In the console: refresh the list, invite; the visitor's page shows the invitation.
  const con = await openConsole(browser, server);
  await con.page.getByTestId('fd-c-onsite-refresh').click();
  const row = con.page.getByTestId('fd-c-visitor-on-site').filter({ hasText: 'Running shoes' });
  await row.waitFor();
  await row.getByTestId('fd-c-invite').click();
  await p.getByTestId('fd-invite').waitFor({ timeout: 10000 });
  assert.equal(await p.getByTestId('fd-invite-text').textContent(), '需要帮忙挑选尺码吗?');
  await p.getByTestId('fd-invite-accept').click();
  await host.frameElement.waitFor({ state: 'visible' });
  await host.chat.input.waitFor();
  assert.deepEqual(log.errors, []);
  assert.deepEqual(con.log.errors, []);
  await con.context.close();
  await context.close();
});
