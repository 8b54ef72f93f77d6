// The core visitor flows, written once against the engine interface (driver.mjs) and run in
// Firefox and WebKit by run.test.mjs (Chromium runs the fuller versions in e2e/tests/):
//   a. the seed 003 snippet on a customer page of another origin: chat both ways, a reload,
//      the history still there, one more message both ways (demo/host tests);
//   b. the H5 link opened directly: send and receive (h5 test);
//   c. receive_message while collapsed: the callback fires with the agent's message and the
//      launcher shows the unread count (host/unread tests).
// Each flow gets its own world from lib.mjs: a fresh SQLite database with the E2E site and
// agent kf1@e2e, the real server on 127.0.0.1, the customer site on http://localhost:PORT and
// a seed 001 agent over the agent WebSocket; the host pages are the seed's examples verbatim.

import assert from 'node:assert/strict';
import { Agent, Server, seedSnippet, setupSite, startHostSite, tempDb } from '../lib.mjs';
import { tid } from './driver.mjs';

const FRAME = tid('fd-frame');

/**
 * Runs `flow(world, step)` in a fresh world and a fresh page of `engine`, ending all of it
 * afterwards whatever happened. `step(what, fn)` names the step in a failure's message.
 */
export async function inWorld(engine, flow) {
  const world = {};
  let current = 'starting the server';
  const step = async (what, fn) => {
    current = what;
    return fn();
  };
  try {
    world.db = tempDb();
    ({ site: world.site } = setupSite(world.db));
    world.server = await Server.start(world.db);
    world.shop = await startHostSite();
    world.agent = await Agent.login(world.server);
    current = `opening a page in ${engine.name}`;
    world.page = await engine.page();
    await flow(world, step);
  } catch (e) {
    e.message = `${engine.name}: ${current}: ${e.message.replace(new RegExp(`^${engine.name}: `), '')}`;
    throw e;
  } finally {
    await world.page?.close().catch(() => {});
    world.agent?.close();
    await world.shop?.close();
    await world.server?.kill('SIGTERM');
  }
}

// Before the snippet: records the host page's uncaught errors (the loader and launcher run
// there), as the Chromium tests' watchConsole does.
const ERRORS = `<script>window.__errors = [];
addEventListener('error', function (e) { __errors.push(String(e.message)); });
addEventListener('unhandledrejection', function (e) { __errors.push(String(e.reason)); });</script>`;

/** Publishes a customer page with the seed snippet (and `extra` after it) and opens it. */
async function openShop({ page, shop, server, site }, extra = '') {
  const html = `<!DOCTYPE html><html><head><title>Shop</title>${ERRORS}</head><body><h1>Shop</h1>${seedSnippet(server.url, site.sysnum, { extra })}</body></html>`;
  // startHostSite's open() takes a Playwright page; any object with goto() does.
  await shop.open(page, html);
}

/** Clicks the launcher and waits for the chat frame and its input. */
async function expand(page) {
  await page.click(null, tid('fd-launcher'));
  await page.waitFor(FRAME);
  await page.waitFor(tid('fd-input'), { frame: FRAME });
}

/** Types `text` into the chat (in `frame`, or the page itself) and sends it. */
async function send(page, text, frame = null) {
  await page.type(frame, tid('fd-input'), text);
  await page.click(frame, tid('fd-send'));
}

/** The agent's history of the conversation `gid`, oldest first: `["v:text", "a:text", …]`. */
async function history(agent, gid) {
  const h = await agent.request({ api_key: 32100, gid, group_id: 0, page_index: 1, page_size: 50 });
  assert.equal(h.code, 200, JSON.stringify(h));
  return h.data.list.map((m) => m.msg);
}

export async function snippetChatWithReload(world, step) {
  const { page, agent } = world;
  await step('the customer page shows the launcher', async () => {
    await openShop(world);
    await page.waitFor(tid('fd-launcher'));
    assert.equal(await page.count(FRAME), 0, 'the chat frame loads on the first click');
  });
  await step('the launcher opens the chat', () => expand(page));
  let gid;
  await step('the visitor sends; the agent receives it', async () => {
    await send(page, 'Hello, is my order shipped?', FRAME);
    await page.waitFor(tid('fd-msg', 'visitor'), { frame: FRAME, text: 'Hello, is my order shipped?' });
    const push = await agent.visitorMessage('Hello, is my order shipped?');
    gid = push.data.gid;
  });
  await step('the agent answers; the visitor sees it', async () => {
    const r = await agent.request({ api_key: 32300, gid, msg: 'Yes, it left today.', file_type: 0 });
    assert.equal(r.code, 200);
    await page.waitFor(tid('fd-msg', 'agent'), { frame: FRAME, text: 'Yes, it left today.' });
  });
  await step('the page reloads: the history is there, each message once', async () => {
    await page.reload();
    await page.waitFor(tid('fd-launcher'));
    await expand(page);
    await page.waitFor(tid('fd-msg', 'agent'), { frame: FRAME, text: 'Yes, it left today.' });
    assert.equal(await page.count(tid('fd-msg', 'visitor'), { frame: FRAME, text: 'Hello, is my order shipped?' }), 1);
    assert.equal(await page.count(tid('fd-msg', 'agent'), { frame: FRAME, text: 'Yes, it left today.' }), 1);
    assert.equal(await page.count(tid('fd-msg-pending'), { frame: FRAME }), 0);
  });
  await step('after the reload a message goes both ways in the same conversation', async () => {
    await send(page, 'Thanks! When will it arrive?', FRAME);
    const push = await agent.visitorMessage('Thanks! When will it arrive?');
    assert.equal(push.data.gid, gid, 'the same visitor and conversation after the reload');
    await agent.request({ api_key: 32300, gid, msg: 'On Thursday.', file_type: 0 });
    await page.waitFor(tid('fd-msg', 'agent'), { frame: FRAME, text: 'On Thursday.' });
  });
  await step('each message reached the agent exactly once', async () => {
    assert.deepEqual(await history(agent, gid),
      ['Hello, is my order shipped?', 'Yes, it left today.', 'Thanks! When will it arrive?', 'On Thursday.']);
    const again = agent.frames.filter((f) => f.api_key === 32399);
    assert.deepEqual(again, [], 'no visitor message pushed to the agent twice');
    assert.equal(await page.count(tid('fd-msg'), { frame: FRAME }), 4);
    assert.deepEqual(await page.evaluate(() => window.__errors), [], 'no uncaught errors on the host page');
  });
}

export async function h5Link(world, step) {
  const { page, agent, server, site } = world;
  await step('the H5 link opens the chat', async () => {
    await page.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&uname=Phone%20User&source=4&locale=en`);
    await page.waitFor(tid('fd-input'));
    assert.equal(await page.count(tid('fd-collapse')), 0, 'no collapse button outside a frame');
  });
  let gid;
  await step('the visitor sends; the agent receives it with the link\'s name', async () => {
    await send(page, 'Sent from my phone');
    await page.waitFor(tid('fd-msg', 'visitor'), { text: 'Sent from my phone' });
    const push = await agent.visitorMessage('Sent from my phone');
    gid = push.data.gid;
    const list = await agent.request({ api_key: 32000 });
    assert.equal(list.data.guest_list[gid].uname, 'Phone User');
  });
  await step('the agent answers; the visitor sees it', async () => {
    await agent.request({ api_key: 32300, gid, msg: 'Got it!', file_type: 0 });
    await page.waitFor(tid('fd-msg', 'agent'), { text: 'Got it!' });
    assert.deepEqual(await history(agent, gid), ['Sent from my phone', 'Got it!']);
  });
}

// host.test.mjs's host page: the seed's examples, verbatim (callbacks record into window.__got).
const CALLBACKS = `window.__got = { rcv: [], evt: [], count: [], ready: 0 };
zc('receive_message',function(res){
//返回格式:{ img:"客服头像", name:"客服名称", msg:"客服发送的内容",t:"发送消息时间"}
window.__got.rcv.push(res);
})
window.addEventListener('zhichiReceive', function (e) { window.__got.evt.push(e.detail); });
zc("offline_message_count",function(res){
console.log(res)
window.__got.count.push(res);
})
//获取iframe加载完成的回调函数
zc("frame_ready", function() {
console.log('iframe加载完成')
window.__got.ready++;
})`;

export async function receiveMessageCollapsed(world, step) {
  const { page, agent } = world;
  // Through JSON: WebDriver BiDi sends an object met twice (e.detail is the very object
  // receive_message got) the second time as a bare reference, which puppeteer reads as
  // undefined.
  const got = async () => JSON.parse(await page.evaluate(() => JSON.stringify(window.__got)));
  await step('the page registers the callbacks; offline_message_count and frame_ready on entry', async () => {
    await openShop(world, CALLBACKS);
    await page.waitFor(tid('fd-launcher'));
    await page.waitForFunction(() => window.__got.count.length === 1 && window.__got.ready === 1, [],
      { what: 'offline_message_count and frame_ready called on page entry' });
    assert.deepEqual((await got()).count, [0]);
  });
  let gid;
  await step('expanded: the visitor writes, the agent\'s answer shows in the chat only', async () => {
    await expand(page);
    await send(page, 'Where is my parcel?', FRAME);
    gid = (await agent.visitorMessage('Where is my parcel?')).data.gid;
    await agent.request({ api_key: 32300, gid, msg: 'Checking now', file_type: 0 });
    await page.waitFor(tid('fd-msg', 'agent'), { frame: FRAME, text: 'Checking now' });
  });
  await step('the launcher collapses the window', async () => {
    await page.click(null, tid('fd-launcher'));
    await page.waitFor(FRAME, { state: 'hidden' });
    await new Promise((r) => setTimeout(r, 300));
  });
  await step('collapsed: the agent\'s message reaches receive_message and zhichiReceive, and the badge counts it', async () => {
    await agent.request({ api_key: 32300, gid, msg: 'It left today', file_type: 0 });
    await page.waitForFunction(() => window.__got.rcv.length === 1 && window.__got.evt.length === 1, [],
      { what: 'receive_message and zhichiReceive called once' });
    const g = await got();
    assert.equal(g.rcv[0].msg, 'It left today');
    assert.equal(g.rcv[0].name, 'Kim');
    assert.equal(typeof g.rcv[0].img, 'string');
    assert.ok(g.rcv[0].t > 0, `t: ${g.rcv[0].t}`);
    assert.deepEqual(g.evt[0], g.rcv[0]);
    await page.waitFor(tid('fd-badge'), { text: '1' });
    await page.waitFor(tid('fd-preview'), { text: 'It left today' });
  });
  await step('opening the chat shows the message and clears the badge', async () => {
    await expand(page);
    await page.waitFor(tid('fd-msg', 'agent'), { frame: FRAME, text: 'It left today' });
    await page.waitFor(tid('fd-badge'), { state: 'detached' });
    assert.equal((await got()).rcv.length, 1, 'nothing more handed over');
    assert.deepEqual(await page.evaluate(() => window.__errors), [], 'no uncaught errors on the host page');
  });
}

export const FLOWS = [
  ['snippet chat both ways with a reload', snippetChatWithReload],
  ['the H5 link: send and receive', h5Link],
  ['receive_message while collapsed, with the unread count', receiveMessageCollapsed],
];
