// Seed 003's host-page side beyond config: callbacks fed from page load (receive_message,
// zhichiReceive, offline_message_count, frame_ready), the window options, locale and
// single-page apps, and a hostile frame that cannot drive or read the widget. Every host page
// is the seed's own example code, on another origin, with only the host changed.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, watchConsole, HostPage, seedSnippet, startHostPageFixture } from '../lib.mjs';

let server, browser, site, shop, fixture;
before(async () => {
  fixture = await startHostPageFixture();
  ({ server, browser, site, shop } = fixture);
});
after(() => fixture?.close());

function html(body, extra, opts = {}) {
  return `<!DOCTYPE html><html><head><title>Shop</title></head><body>${body}${seedSnippet(server.url, site.sysnum, { ...opts, extra })}</body></html>`;
}

async function newPage(viewport = { width: 1280, height: 800 }, context) {
  context = context ?? await browser.newContext({ viewport });
  const page = await context.newPage();
  const log = watchConsole(page);
  return { context, page, log, host: new HostPage(page) };
}

// The seed's examples, verbatim (callbacks record into window.__got for the test to read).
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

const got = (page) => page.evaluate(() => window.__got);

test('receive_message / zhichiReceive only while collapsed; offline_message_count on page entry; frame_ready', async () => {
  const agent = await Agent.login(server);
  const { context, page, log, host } = await newPage();
  await shop.open(page, html('', CALLBACKS));
  await host.launcher.waitFor();
  // No conversation yet: the count is 0, reported on page entry without opening anything.
  await page.waitForFunction(() => window.__got.count.length === 1);
  assert.deepEqual((await got(page)).count, [0]);
  assert.equal(await host.frameElement.count(), 0, 'the chat page is not loaded for the callbacks');
  assert.equal((await got(page)).ready, 0);

  await host.open();
  await page.waitForFunction(() => window.__got.ready === 1);
  await host.chat.send('Where is my parcel?');
  const push = await agent.visitorMessage('Where is my parcel?');
  const gid = push.data.gid;

  // Expanded: the agent's answer shows in the chat and is not handed to the host page.
  await agent.request({ api_key: 32300, gid, msg: 'Checking now', file_type: 0 });
  await host.chat.message('Checking now', 'agent').waitFor();
  // Collapsed (the launcher button): the next answer reaches both callback and event.
  await host.launcher.click();
  await host.frameElement.waitFor({ state: 'hidden' });
  await page.waitForTimeout(300);
  await agent.request({ api_key: 32300, gid, msg: 'It left today', file_type: 0 });
  await page.waitForFunction(() => window.__got.rcv.length === 1 && window.__got.evt.length === 1);
  let g = await got(page);
  assert.equal(g.rcv[0].msg, 'It left today');
  assert.equal(g.rcv[0].name, 'Kim');
  assert.equal(typeof g.rcv[0].img, 'string');
  assert.ok(g.rcv[0].t > 0);
  assert.deepEqual(g.evt[0], g.rcv[0]);
  assert.ok(!g.rcv.some((r) => r.msg === 'Checking now'), 'nothing that arrived while expanded');

  // Open again: the message is in the chat; a message while expanded is not handed over.
  await host.launcher.click();
  await host.chat.message('It left today', 'agent').waitFor();
  await page.waitForTimeout(300);
  await agent.request({ api_key: 32300, gid, msg: 'Anything else?', file_type: 0 });
  await host.chat.message('Anything else?', 'agent').waitFor();
  await page.waitForTimeout(500);
  g = await got(page);
  assert.equal(g.rcv.length, 1, `only the collapsed-time message: ${JSON.stringify(g.rcv)}`);

  // The visitor leaves; the agent writes twice; on the next page the count is 2.
  await page.goto('about:blank');
  await agent.request({ api_key: 32300, gid, msg: 'Offline one', file_type: 0 });
  await agent.request({ api_key: 32300, gid, msg: 'Offline two', file_type: 0 });
  await shop.open(page, html('', CALLBACKS));
  await page.waitForFunction(() => window.__got.count.length === 1);
  assert.deepEqual((await got(page)).count, [2]);
  assert.equal((await got(page)).rcv.length, 0, 'old messages are counted, not replayed as new');
  // Having seen them (window opened), the next page counts 0.
  await host.open();
  await host.chat.message('Offline two', 'agent').waitFor();
  await page.waitForTimeout(300);
  await shop.open(page, html('', CALLBACKS));
  await page.waitForFunction(() => window.__got.count.length === 1);
  assert.deepEqual((await got(page)).count, [0]);
  assert.deepEqual(log.errors, []);
  agent.close();
  await context.close();
});

test('a page view with receive_message registered loads host.js and the notifier, not the chat page', async () => {
  const { context, page, host } = await newPage();
  const urls = [];
  page.on('request', (r) => urls.push(new URL(r.url()).pathname));
  await shop.open(page, html('', CALLBACKS));
  await host.launcher.waitFor();
  await page.waitForFunction(() => window.__got.count.length === 1);
  assert.ok(urls.includes('/chat/frame/v2/launcher/host.js'), urls.join(' '));
  assert.ok(urls.includes('/chat/frame/v2/notify.html'), urls.join(' '));
  assert.ok(!urls.some((u) => u.startsWith('/chat/h5/v2/')), `no chat page: ${urls.join(' ')}`);
  // And a page without those callbacks loads neither.
  urls.length = 0;
  await shop.open(page, html('', ''));
  await host.launcher.waitFor();
  await page.waitForTimeout(500);
  assert.ok(!urls.some((u) => u.includes('host.js') || u.includes('notify.html')), urls.join(' '));
  await context.close();
});
