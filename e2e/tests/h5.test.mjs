// The chat as a plain link on a phone (375×667), and delivery of messages typed while the
// server is down: each arrives exactly once after it is back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admin, PASSWORD, Server, Agent, Chat, withWorld } from '../lib.mjs';

let db, server, browser, site;
// `world.server` is replaced when a test restarts the server, so `after` stops the new one.
const world = withWorld({ ready: (w) => ({ db, server, browser, site } = w) });

async function phone() {
  const context = await browser.newContext({
    viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
  });
  const page = await context.newPage();
  return { context, page };
}

test('H5 link at 375×667: full-page chat, input visible, messages reach the agent', async () => {
  const agent = await Agent.login(server);
  const { context, page } = await phone();
  await page.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&uname=Phone%20User&source=4&locale=en`);
  const chat = new Chat(page);
  await chat.input.waitFor({ state: 'visible' });
  const box = await chat.input.boundingBox();
  assert.ok(box.y + box.height <= 667 && box.x >= 0 && box.x + box.width <= 375,
    `input fits the phone screen: ${JSON.stringify(box)}`);
  const send = await page.getByTestId('fd-send').boundingBox();
  assert.ok(send.x + send.width <= 375, 'send button on screen');
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= 375, `no horizontal scrolling (scrollWidth ${scrollWidth})`);
  assert.equal(await page.getByTestId('fd-collapse').count(), 0, 'no collapse button outside a frame');
  await chat.send('Sent from my phone');
  const push = await agent.visitorMessage('Sent from my phone');
  const list = await agent.request({ api_key: 32000 });
  assert.equal(list.data.guest_list[push.data.gid].uname, 'Phone User');
  // Typing indicators both ways.
  await chat.input.pressSequentially('one more thi');
  const typing = await agent.next((f) => f.api_key === 32799 && f.data.status === 1, 'visitor typing (32799)');
  assert.deepEqual(typing.data, { gid: push.data.gid, status: 1 });
  assert.equal((await agent.request({ api_key: 32700, gid: push.data.gid, status: 1 })).code, 200);
  await page.getByTestId('fd-typing').waitFor();
  assert.equal(await page.getByTestId('fd-typing').innerText(), 'The agent is typing…');
  await agent.request({ api_key: 32300, gid: push.data.gid, msg: 'Got it!', file_type: 0 });
  await chat.message('Got it!', 'agent').waitFor();
  await page.getByTestId('fd-typing').waitFor({ state: 'detached' });
  agent.close();
  await context.close();
});

test('messages typed while the server is down are delivered once after it is back', async () => {
  const { context, page } = await phone();
  await page.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}`);
  const chat = new Chat(page);
  await chat.send('before the outage');
  await chat.message('before the outage', 'visitor').waitFor();

  const port = server.port;
  await server.kill('SIGKILL');
  const offline = ['typed while down 1', 'typed while down 2', 'typed while down 3'];
  for (const text of offline) await chat.send(text);
  await page.waitForTimeout(500);
  assert.equal(await chat.pending().count(), 3, 'unsent messages wait in the outbox, visibly');

  server = world.server = await Server.start(db, port);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="fd-msg-pending"]').length === 0,
    null, { timeout: 30000 });
  for (const text of offline) await chat.message(text, 'visitor').waitFor();

  // Exactly once on the server (agent history) and on screen, in the order typed.
  const agent = await Agent.login(server);
  const gid = Object.values(agent.loginResponse.data.guest_list)
    .find((g) => g.last_msg?.msg === offline[2])?.gid;
  assert.ok(gid, 'the visitor is in the guest list with the last offline message');
  const h = await agent.request({ api_key: 32100, gid, group_id: 0, page_index: 1, page_size: 50 });
  assert.deepEqual(h.data.list.map((m) => m.msg), ['before the outage', ...offline]);
  const shown = await chat.messages('visitor').allInnerTexts();
  for (const text of ['before the outage', ...offline]) {
    assert.equal(shown.filter((t) => t.includes(text)).length, 1, `"${text}" shown once`);
  }
  agent.close();
  await context.close();
});

test('when every agent is busy the visitor sees their place in the queue, then is served', async () => {
  const site2 = admin(db, 'site', 'create', '--name', 'Busy shop');
  admin(db, 'agent', 'create', '--site', site2.sysnum, '--account', 'solo@busy', '--nick', 'Solo',
    '--password', PASSWORD, '--max-chats', '1');
  const agent = await Agent.login(server, 'solo@busy');
  const first = await phone();
  await first.page.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site2.sysnum}&locale=en`);
  await new Chat(first.page).send('first in line');
  const push = await agent.visitorMessage('first in line');

  const second = await phone();
  await second.page.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site2.sysnum}&locale=en`);
  await new Chat(second.page).send('second in line');
  const queue = second.page.getByTestId('fd-queue');
  await queue.waitFor();
  assert.equal(await queue.innerText(), 'All agents are busy. You are number 1 in the queue');
  assert.equal(await first.page.getByTestId('fd-queue').count(), 0, 'the served visitor sees no queue');

  // The agent ends the first chat (32600): the waiting visitor is served and the line goes.
  const end = await agent.request({ api_key: 32600, gid: push.data.gid });
  assert.equal(end.code, 200);
  const handed = await agent.next((f) => f.api_key === 32401, '32401 for the waiting visitor');
  assert.equal(handed.data.recs.at(-1).msg, 'second in line');
  await queue.waitFor({ state: 'detached' });
  agent.close();
  await first.context.close();
  await second.context.close();
});
