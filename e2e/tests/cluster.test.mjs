// Many nodes (issue 7): two `frontdesk serve` processes on one database file and Redis. A
// visitor in Chromium on node A (the demo page and chat served by A), the agent console on
// node B; they chat both ways. Needs Redis (FRONTDESK_REDIS_URL, from scripts/services.sh):
// skipped with a reason without it, failed when FRONTDESK_REQUIRE_SERVICES=1.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDb, setupSite, Server, launchBrowser, HostPage, openConsole } from '../lib.mjs';

const REDIS = process.env.FRONTDESK_REDIS_URL || '';
if (!REDIS && process.env.FRONTDESK_REQUIRE_SERVICES === '1') {
  throw new Error('cluster e2e: FRONTDESK_REDIS_URL is unset but FRONTDESK_REQUIRE_SERVICES=1');
}
const skip = REDIS ? false : 'FRONTDESK_REDIS_URL is unset (bash scripts/services.sh start)';

let db, nodeA, nodeB, browser, site;
before(async () => {
  if (skip) return;
  db = tempDb();
  ({ site } = setupSite(db));
  nodeA = await Server.start(db, 0, ['--redis-url', REDIS]);
  nodeB = await Server.start(db, 0, ['--redis-url', REDIS]);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await nodeA?.kill('SIGTERM');
  await nodeB?.kill('SIGTERM');
});

test('cluster: a visitor on node A and an agent console on node B chat both ways', { skip }, async () => {
  assert.notEqual(nodeA.port, nodeB.port);
  const agent = await openConsole(browser, nodeB, 'kf1@e2e');

  const vctx = await browser.newContext();
  const vpage = await vctx.newPage();
  await vpage.goto(`http://localhost:${nodeA.port}/demo/?sysnum=${site.sysnum}`);
  const host = new HostPage(vpage);
  await host.open();
  await host.chat.send('Hello from node A');

  // The console on B hears of the visitor (32399 over the bus) and opens the chat.
  const item = agent.c.guest('mine', 'Hello from node A');
  await item.waitFor();
  await item.getByRole('button').click();
  await agent.c.message('Hello from node A', 'visitor').waitFor();

  await agent.c.send('Hi, this is node B');
  await host.chat.message('Hi, this is node B', 'agent').waitFor();

  await host.chat.send('Second question');
  await agent.c.message('Second question', 'visitor').waitFor();
  await agent.c.send('Second answer');
  await host.chat.message('Second answer', 'agent').waitFor();

  // Nothing doubled on either side.
  assert.equal(await host.chat.message('Hi, this is node B', 'agent').count(), 1);
  assert.equal(await agent.c.message('Second question', 'visitor').count(), 1);
  assert.deepEqual(agent.log.errors ?? [], []);
  await vctx.close();
  await agent.context.close();
});
