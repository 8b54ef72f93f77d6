// Roles and the invitation to rate (issue 25, items 6, 9 and 10) against the real binary, in
// Chromium: a supervisor's console lists every chat of the site, opens a colleague's, writes in
// it (the visitor and the colleague see it) and takes it; an agent asks the visitor to rate and
// the visitor's chat opens its rating panel (no feedback_flag on the page); an admin agent
// reaches the admin view with its own login and gives another agent a role there.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  admin, Agent, PASSWORD, openConsole, openShopChat, withWorld,
} from '../lib.mjs';

let db, server, browser, site, shop;
withWorld({
  shop: true,
  prepare: (w) => {
    for (const [account, nick, role] of [['sup@e2e', 'Sue', 'supervisor'], ['boss@e2e', 'Bo', 'admin']]) {
      admin(w.db, 'agent', 'create', '--site', w.site.sysnum, '--account', account, '--nick', nick,
        '--password', PASSWORD, '--role', role);
    }
  },
  ready: (w) => ({ db, server, browser, site, shop } = w),
});

const visitor = (extra = '') => openShopChat(browser, shop, server, site, extra);

test('a supervisor sees every chat, writes in a colleague\'s and takes it', async () => {
  const kim = await Agent.login(server);
  const v = await visitor('zc("config", {locale: "en"});');
  await v.host.chat.send('Where is my parcel?');
  const push = await kim.visitorMessage('Where is my parcel?');
  const gid = push.data.gid;
  await kim.request({ api_key: 32300, gid, msg: 'Let me check.', file_type: 0 });

  const sup = await openConsole(browser, server, 'sup@e2e');
  const item = sup.page.getByTestId('fd-c-all').locator(`[data-gid="${gid}"]`);
  await item.getByTestId('fd-c-all-who').filter({ hasText: 'served by Kim' }).waitFor();
  assert.equal(await sup.c.guest('mine', 'parcel').count(), 0, 'not in her own chats');
  await item.getByRole('button').click();
  await sup.c.message('Where is my parcel?', 'visitor').waitFor();
  await sup.c.message('Let me check.', 'agent').waitFor();
  // Live: the visitor's next message appears in the supervisor's open chat.
  await v.host.chat.send('Any news?');
  await sup.c.message('Any news?', 'visitor').waitFor();
  // She writes in it: the visitor sees it, Kim (who keeps the chat) too.
  await sup.c.send('I am the supervisor, I will help.');
  await v.host.chat.message('I am the supervisor, I will help.', 'agent').waitFor();
  const joined = await kim.next((f) => f.api_key === 32399 && f.data?.message_info?.msg === 'I am the supervisor, I will help.', 'the join');
  assert.equal(joined.data.message_info.kf_nick, 'Sue');
  // She takes it: Kim is told, the chat is hers.
  await sup.page.getByTestId('fd-c-take').click();
  // The visitor (locale en) reads the transfer line in English.
  await v.host.chat.message('You are now served by Sue', 'system').waitFor();
  await kim.next((f) => f.api_key === 32402 && f.data?.gid === gid, '32402');
  await sup.c.list('mine').locator(`[data-gid="${gid}"]`).waitFor();
  await sup.page.getByTestId('fd-c-take').waitFor({ state: 'detached' });
  await v.host.chat.send('Thanks!');
  await sup.c.message('Thanks!', 'visitor').waitFor();
  assert.deepEqual(sup.log.errors, []);
  // An agent's console has no "All chats".
  const agentConsole = await openConsole(browser, server);
  assert.equal(await agentConsole.page.getByTestId('fd-c-all').count(), 0);
  assert.equal(await agentConsole.page.getByTestId('fd-c-site-admin').count(), 0);
  await agentConsole.context.close();
  await sup.context.close();
  kim.close();
  await v.ctx.close();
});

test('an agent asks for a rating and the visitor\'s chat opens its rating panel', async () => {
  const v = await visitor('zc("config", {locale: "en"});');
  await v.host.chat.send('Hello, a question about sizes');
  const con = await openConsole(browser, server);
  // Waiting, or already handed to this agent when its console logged in.
  await con.page.getByTestId('fd-c-guest').filter({ hasText: 'sizes' }).getByRole('button').click();
  await con.c.send('Size M fits 38-40.');
  await v.host.chat.message('Size M fits 38-40.', 'agent').waitFor();
  assert.equal(await v.frame.getByTestId('fd-rate').count(), 0, 'no rating panel before the invitation');
  await con.page.getByTestId('fd-c-ask-rating').click();
  await con.c.message('客服邀请您对本次服务进行评价', 'system').waitFor();
  // The system line in the visitor's language (the console shows it as stored).
  await v.host.chat.message('The agent asks you to rate this chat', 'system').waitFor();
  const panel = v.frame.getByTestId('fd-rate');
  await panel.waitFor();
  await panel.getByLabel('5 stars: very satisfied').check({ force: true });
  await panel.getByTestId('fd-rate-send').click();
  await panel.getByTestId('fd-rate-done').waitFor();
  const list = admin(db, 'ratings', '--site', site.sysnum);
  assert.ok(list.some((r) => r.score === 5 && r.agent === 'kf1@e2e'), JSON.stringify(list));
  assert.deepEqual(v.log.errors, []);
  await con.context.close();
  await v.ctx.close();
});

test('an admin agent opens the admin view with its own login and sets a role there', async () => {
  const boss = await openConsole(browser, server, 'boss@e2e');
  await boss.page.getByTestId('fd-c-site-admin').click();
  await boss.page.getByTestId('fd-a-agents').waitFor();
  assert.equal(await boss.page.getByTestId('fd-a-signin').count(), 0, 'no appid/secret asked');
  const row = boss.page.getByTestId('fd-a-agent').filter({ hasText: 'kf1@e2e' });
  await row.getByTestId('fd-a-agent-edit').click();
  await boss.page.getByTestId('fd-a-agent-e-role').selectOption('supervisor');
  await boss.page.getByTestId('fd-a-agent-save').click();
  await row.getByTestId('fd-a-agent-role').filter({ hasText: 'supervisor' }).waitFor();
  await boss.page.getByTestId('fd-a-audit-reload').click();
  await boss.page.getByTestId('fd-a-audit-row').filter({ hasText: 'agent boss@e2e (admin)' }).first().waitFor();
  assert.deepEqual(boss.log.errors, []);
  await boss.context.close();
  // Back to an agent for the other tests; an agent is refused in the admin view.
  execFileSync(process.env.FRONTDESK_BIN, ['admin', '--database-url', db, 'agent', 'set',
    '--account', 'kf1@e2e', '--role', 'agent']);
  const kim = await openConsole(browser, server);
  await kim.page.goto(`${server.url}/console/?admin`);
  await kim.page.getByTestId('fd-a-notice').filter({ hasText: 'not an admin' }).waitFor();
  await kim.page.getByTestId('fd-a-signin').waitFor();
  await kim.context.close();
});
