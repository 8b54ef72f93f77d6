// Routing and priority set by a host page's `zc("config")` (issue 21): the page is the seed's
// snippet on another origin, with CRM values beside the routing keys, so the host-page
// module and its notifier frame load too and say their own hello (which carries no routing
// keys and used to clear what the chat frame's hello stored). Agents are seed 001 clients.
// E2E_ROUTING_REPEAT=N runs the groupid case N times (default 1).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { admin, Agent, HostPage, seedSnippet, withWorld, watchConsole } from '../lib.mjs';

const REPEAT = Number(process.env.E2E_ROUTING_REPEAT || 1);

// Every visitor of this file comes from 127.0.0.1: the per-address budget of new visitors
// (20, then one per 6 s) would refuse the repeated runs.
const fixture = withWorld({ shop: true, serveFlags: ['--client-new-visitor-burst', '1000'] });

/** A visitor without a browser (no Origin): hello, one message, acked. Stays connected. */
async function rawVisitor(server, sysnum, extra = {}) {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws/visitor`);
  const frames = [];
  const waiters = [];
  ws.on('message', (d) => { frames.push(JSON.parse(String(d))); waiters.splice(0).forEach((w) => w()); });
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  ws.send(JSON.stringify({ type: 'hello', sysnum, last_seq: 0, ...extra }));
  ws.send(JSON.stringify({ type: 'send', cmid: `raw-${Date.now()}-${Math.floor(Math.random() * 1e9)}`, kind: 0, body: 'occupying' }));
  const deadline = Date.now() + 10000;
  while (!frames.some((f) => f.type === 'ack')) {
    if (Date.now() > deadline) throw new Error(`no ack: ${JSON.stringify(frames)}`);
    await new Promise((r) => { waiters.push(r); setTimeout(r, 200); });
  }
  return ws;
}

/** The CRM values of seed 003's example: they load the host-page module (the notifier). */
const CRM = `realname:"丁丁猫", tel:"18888888888", email:"dingmao@163.com",
params:JSON.stringify({等级:"Boss", 来自:"北京"})`;

/** A host page of the shop with the snippet and `config` (JS object text). */
function shopPage(sysnum, config, title = 'Shop') {
  const { server } = fixture;
  return `<!DOCTYPE html><html><head><title>${title}</title></head><body><h1>${title}</h1>${
    seedSnippet(server.url, sysnum, { extra: `zc("config",{${config}})` })}</body></html>`;
}

async function newVisitor(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const log = watchConsole(page);
  return { context, page, log, host: new HostPage(page) };
}

/** The notifier frame of the host-page module is there (its hello is the one that raced). */
async function notifierLoaded(page) {
  await page.waitForFunction(() => [...document.querySelectorAll('iframe')].some((f) => f.src.includes('/notify.html')));
}

/** A site with groups 售前 (Alice) and 售后 (Bob, external id `4r3e2w1q`). */
function twoGroups(db, name) {
  const site = admin(db, 'site', 'create', '--name', name);
  const pre = admin(db, 'group', 'create', '--site', site.sysnum, '--name', '售前');
  const after = admin(db, 'group', 'create', '--site', site.sysnum, '--name', '售后', '--external-id', '4r3e2w1q');
  const suffix = name.toLowerCase().replace(/[^a-z]/g, '');
  const alice = admin(db, 'agent', 'create', '--site', site.sysnum, '--account', `alice@${suffix}`,
    '--nick', 'Alice', '--password', 'e2e password 1', '--group', String(pre.id), '--max-chats', '100');
  const bob = admin(db, 'agent', 'create', '--site', site.sysnum, '--account', `bob@${suffix}`,
    '--nick', 'Bob', '--password', 'e2e password 1', '--group', String(after.id), '--max-chats', '100');
  return { site, pre, after, alice, bob, suffix };
}

test(`groupid from zc("config") routes the first message to the group's agent (${REPEAT}×), and a returning visitor stays with the group`, async () => {
  const { db, server, browser, shop } = fixture;
  const { site, after, suffix } = twoGroups(db, 'Groups shop');
  const alice = await Agent.login(server, `alice@${suffix}`);
  const bob = await Agent.login(server, `bob@${suffix}`);
  // Bob already serves one chat: Alice is the less loaded agent of the site.
  const occupant = await rawVisitor(server, site.sysnum, { groupid: String(after.id) });
  await bob.visitorMessage('occupying');
  const config = `groupid:'4r3e2w1q', ${CRM}`;
  for (let i = 0; i < REPEAT; i++) {
    const v = await newVisitor(browser);
    await shop.open(v.page, shopPage(site.sysnum, config));
    await notifierLoaded(v.page);
    await v.host.open();
    const text = `售后 please ${i}`;
    await v.host.chat.send(text);
    await v.host.chat.message(text, 'visitor').waitFor();
    const push = await bob.visitorMessage(text);
    assert.ok(!alice.frames.some((f) => f.data?.message_info?.msg === text), `run ${i}: Alice got it`);

    if (i === REPEAT - 1) {
      // Bob ends the chat; the visitor comes back (a reload, then another page of the shop
      // with the same config) and writes again: 售后 again.
      assert.equal((await bob.request({ api_key: 32600, gid: push.data.gid })).code, 200);
      await v.page.reload();
      await notifierLoaded(v.page);
      await shop.open(v.page, shopPage(site.sysnum, config, 'Another page'));
      await notifierLoaded(v.page);
      await v.host.open();
      await v.host.chat.message(text, 'visitor').waitFor();
      await v.host.chat.send('back again');
      const again = await bob.visitorMessage('back again');
      assert.equal(again.data.gid, push.data.gid, 'the same visitor');
      assert.ok(!alice.frames.some((f) => f.data?.message_info?.msg === 'back again'), 'Alice got the returning visitor');
    }
    assert.deepEqual(v.log.errors, []);
    await v.context.close();
  }
  occupant.close();
  alice.close();
  bob.close();
});

test('is_vip:1 from zc("config") overtakes an earlier normal visitor, also after the VIP opens a second page while waiting', async () => {
  const { db, server, browser, shop } = fixture;
  const site = admin(db, 'site', 'create', '--name', 'VIP shop');
  admin(db, 'agent', 'create', '--site', site.sysnum, '--account', 'solo@vipshop', '--nick', 'Solo',
    '--password', 'e2e password 1', '--max-chats', '1');
  const solo = await Agent.login(server, 'solo@vipshop');
  const occupant = await rawVisitor(server, site.sysnum);
  const first = await solo.visitorMessage('occupying');

  // A normal visitor waits, then a VIP; both pages carry CRM values (the notifier loads).
  const normal = await newVisitor(browser);
  await shop.open(normal.page, shopPage(site.sysnum, CRM));
  await notifierLoaded(normal.page);
  await normal.host.open();
  await normal.host.chat.send('normal waits');
  await normal.host.chat.message('normal waits', 'visitor').waitFor();
  await normal.host.chat.root.getByTestId('fd-queue').filter({ hasText: '1' }).waitFor();

  const vip = await newVisitor(browser);
  await shop.open(vip.page, shopPage(site.sysnum, `is_vip:1, ${CRM}`));
  await notifierLoaded(vip.page);
  await vip.host.open();
  await vip.host.chat.send('vip waits');
  await vip.host.chat.message('vip waits', 'visitor').waitFor();
  await vip.host.chat.root.getByTestId('fd-queue').filter({ hasText: '1' }).waitFor();

  // While waiting, the VIP opens a second page of the shop (same config) in another tab.
  const second = await vip.context.newPage();
  await shop.open(second, shopPage(site.sysnum, `is_vip:1, ${CRM}`, 'Second page'));
  await notifierLoaded(second);
  const secondHost = new HostPage(second);
  await secondHost.open();
  await secondHost.chat.message('vip waits', 'visitor').waitFor();
  await secondHost.chat.root.getByTestId('fd-queue').filter({ hasText: '1' }).waitFor();

  // The first chat ends: the agent is handed the VIP, not the normal visitor who came first.
  assert.equal((await solo.request({ api_key: 32600, gid: first.data.gid })).code, 200);
  const handed = await solo.next((f) => f.api_key === 32401, '32401 for a waiting visitor');
  assert.ok(handed.data.recs.some((r) => r.msg === 'vip waits'), `handed ${JSON.stringify(handed.data.recs)}`);
  assert.deepEqual([...normal.log.errors, ...vip.log.errors], []);
  await normal.context.close();
  await vip.context.close();
  occupant.close();
  solo.close();
});

test('agentid with agent_mode_flag:1 from zc("config") holds across a reload', async () => {
  const { db, server, browser, shop } = fixture;
  const { site, suffix, bob: bobRow } = twoGroups(db, 'Agent shop');
  const alice = await Agent.login(server, `alice@${suffix}`);
  const bob = await Agent.login(server, `bob@${suffix}`);
  const occupant = await rawVisitor(server, site.sysnum, { groupid: '4r3e2w1q' });
  await bob.visitorMessage('occupying');
  const config = `agentid:'${bobRow.kf_id}', agent_mode_flag:1, ${CRM}`;
  const v = await newVisitor(browser);
  await shop.open(v.page, shopPage(site.sysnum, config));
  await notifierLoaded(v.page);
  await v.host.open();
  await v.host.chat.send('for Bob only');
  const push = await bob.visitorMessage('for Bob only');
  assert.equal((await bob.request({ api_key: 32600, gid: push.data.gid })).code, 200);
  await v.page.reload();
  await notifierLoaded(v.page);
  await v.host.open();
  await v.host.chat.send('Bob again');
  await bob.visitorMessage('Bob again');
  assert.ok(!alice.frames.some((f) => f.data?.message_info?.msg?.startsWith('Bob') || f.data?.message_info?.msg === 'for Bob only'));
  assert.deepEqual(v.log.errors, []);
  await v.context.close();
  occupant.close();
  alice.close();
  bob.close();
});
