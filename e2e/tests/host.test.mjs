// Seed 003's host-page side beyond config: callbacks fed from page load (receive_message,
// zhichiReceive, offline_message_count, frame_ready), the window options, locale and
// single-page apps, and a hostile frame that cannot drive or read the widget. Every host page
// is the seed's own example code, on another origin, with only the host changed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, watchConsole, HostPage, seedSnippet, withWorld } from '../lib.mjs';

let server, browser, site, shop;
withWorld({ shop: true, ready: (w) => ({ server, browser, site, shop } = w) });

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
  // frame_ready: the widget is ready on page load, without opening the chat.
  assert.equal((await got(page)).ready, 1);

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

const panelBox = (page) => page.locator('.fd-panel').boundingBox();

test('window options: width/height/container_style, gif, bad values warn once and keep the defaults', async () => {
  const { context, page, log, host } = await newPage();
  await shop.open(page, html('', `zc("config", {width: "500", height: 620, container_style: "border:2px solid rgb(255, 0, 0);width:10px", gif: 1});
zc("config", {expand_size: "third", auto_expand: "maybe"});`));
  await host.launcher.waitFor();
  await page.waitForFunction(() => document.getElementById('fd-host-style'));
  assert.match(await host.launcher.evaluate((el) => getComputedStyle(el).animationName), /fd-gif/);
  assert.equal(await host.frameElement.count(), 0, 'auto_expand "maybe" keeps the default (closed)');
  await host.launcher.click({ force: true }); // it pulses (gif), so it is never "stable"
  await host.chat.input.waitFor({ state: 'visible' });
  const box = await panelBox(page);
  assert.equal(Math.round(box.width), 500);
  assert.equal(Math.round(box.height), 620);
  assert.equal(await page.locator('.fd-panel').evaluate((el) => getComputedStyle(el).borderTopColor), 'rgb(255, 0, 0)');
  for (const k of ['expand_size', 'auto_expand']) {
    assert.equal(log.warnings.filter((w) => w.includes(k)).length, 1, `one warning for ${k}: ${log.warnings}`);
  }
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('window options: H5 expand_size half; anchor opens a new window; auto_expand; async; reload', async () => {
  // H5: half height at the bottom.
  let { context, page, host } = await newPage({ width: 390, height: 800 });
  await shop.open(page, html('', 'zc("config", {expand_size: "half"})'));
  await host.open();
  const box = await panelBox(page);
  assert.equal(Math.round(box.height), 400);
  assert.equal(Math.round(box.y), 400);
  await context.close();

  // anchor: the chat opens in a window of its own, with the page's config; no iframe.
  ({ context, page, host } = await newPage());
  await shop.open(page, html('', '// true 新窗口打开咨询页 false 打开悬浮窗咨询页(默认值)\nzc("config",{\nanchor:true,\nuname:"Ann"\n})'));
  await host.launcher.waitFor();
  await page.waitForFunction(() => document.getElementById('fd-host-style'));
  const [popup] = await Promise.all([context.waitForEvent('page'), host.launcher.click()]);
  await popup.waitForLoadState();
  const u = new URL(popup.url());
  assert.equal(u.origin + u.pathname, `${server.url}/chat/h5/v2/index.html`);
  assert.equal(u.searchParams.get('sysnum'), site.sysnum);
  assert.equal(u.searchParams.get('uname'), 'Ann');
  assert.equal(u.searchParams.get('embed'), null);
  await popup.getByTestId('fd-input').waitFor();
  assert.equal(await host.frameElement.count(), 0);
  await context.close();

  // auto_expand: open at page entry, as the seed writes it.
  ({ context, page, host } = await newPage());
  await shop.open(page, html('', 'zc("config",{\nauto_expand:true, //true 自动打开,默认不开启\n})'));
  await host.frameElement.waitFor({ state: 'visible' });
  await host.chat.input.waitFor();
  await context.close();

  // async: the chat frame loads at page entry, collapsed.
  ({ context, page, host } = await newPage());
  await shop.open(page, html('', 'zc("config", {async: "1"})'));
  await host.frameElement.waitFor({ state: 'attached' });
  await host.chat.input.waitFor({ state: 'attached' });
  assert.equal(await host.frameElement.isVisible(), false);
  await context.close();

  // reload: every expand loads the chat page again.
  ({ context, page, host } = await newPage());
  let loads = 0;
  page.on('request', (r) => { if (r.url().includes('/chat/h5/v2/index.html')) loads++; });
  await shop.open(page, html('', "zc('config', {\n'reload': true //默认false不设置 建议不开启该功能\n})"));
  await page.waitForFunction(() => document.getElementById('fd-host-style'));
  await host.open();
  await host.launcher.click();
  await host.frameElement.waitFor({ state: 'hidden' });
  await host.open();
  await page.waitForTimeout(300);
  assert.equal(loads, 2);
  await context.close();
});

test('locale for the launcher; single-page apps: pushState and replaced body children keep the widget', async () => {
  const { context, page, log, host } = await newPage();
  await shop.open(page, html('<div id="app"><p>home</p></div>', '//en-英文, cn-简体中文,tw-繁体中文(默认简体中文) 后续会支持更多语种\nzc("config",{\nlocale:"en",\n})'));
  await host.launcher.waitFor();
  assert.equal(await host.launcher.getAttribute('aria-label'), 'Customer service');
  await host.open();
  await host.chat.send('before navigation');
  await host.chat.message('before navigation', 'visitor').waitFor();
  // A router: pushState and a new body content; then a framework replacing <body> itself.
  await page.evaluate(() => {
    history.pushState({}, '', '/products/1');
    document.body.innerHTML = '<div id="app"><p>product 1</p></div>';
  });
  await host.launcher.waitFor();
  await host.frameElement.waitFor({ state: 'visible' });
  await page.evaluate(() => {
    const b = document.createElement('body');
    b.innerHTML = '<div id="app"><p>product 2</p></div>';
    document.documentElement.replaceChild(b, document.body);
  });
  await host.launcher.waitFor();
  assert.equal(await host.launcher.getAttribute('aria-label'), 'Customer service');
  await host.chat.message('before navigation', 'visitor').waitFor();
  await host.chat.send('after navigation');
  await host.chat.message('after navigation', 'visitor').waitFor();
  // Still one launcher, and it still toggles the window.
  assert.equal(await host.launcher.count(), 1);
  await host.launcher.click();
  await host.frameElement.waitFor({ state: 'hidden' });
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a hostile frame cannot open, close, feed or read the widget (origin and source checked)', async () => {
  const agent = await Agent.login(server);
  const { context, page, log, host } = await newPage();
  // A frame of another origin (opaque, data:) and one of our own origin that is not ours to
  // trust (the bare chat page), both posting what our frames post.
  const hostile = `<iframe id="evil" src="data:text/html,<script>window.onmessage=function(e){parent.postMessage(JSON.stringify({name:'leak',data:String(e.data)}),'*')}</script>"></iframe>
<iframe id="ours" src="${server.url}/healthz"></iframe>`;
  await shop.open(page, html(hostile, CALLBACKS));
  await host.launcher.waitFor();
  await page.waitForFunction(() => window.__got.count.length === 1);
  const forged = [
    JSON.stringify({ name: 'fd_notify', data: { msg: { img: '', name: 'Mallory', msg: 'forged', t: 1 } } }),
    JSON.stringify({ name: 'fd_notify', data: { count: 99 } }),
    JSON.stringify({ name: 'fd_store', data: { op: 'set', token: 'f'.repeat(64) } }),
    JSON.stringify({ name: 'zc_post_message', data: { action: 'chat_collapse_window' } }),
    JSON.stringify({ name: 'fd_notify', data: { invite: 'Click here to win' } }),
    JSON.stringify({ name: 'fd_notify', data: { keep: 'e'.repeat(64), seen: 7 } }),
  ];
  await host.open();
  for (const f of page.frames().filter((f) => f.url().startsWith('data:') || f.url().endsWith('/healthz'))) {
    await f.evaluate((msgs) => msgs.forEach((m) => parent.postMessage(m, '*')), forged);
  }
  await page.waitForTimeout(500);
  const g = await got(page);
  assert.equal(g.rcv.length, 0, 'no forged receive_message');
  assert.deepEqual(g.count, [0], 'no forged count');
  assert.equal(await host.frameElement.isVisible(), true, 'a forged collapse is ignored');
  const kept = await page.evaluate((s) => localStorage.getItem(`frontdesk:${s}`), site.sysnum);
  assert.ok(kept !== 'f'.repeat(64) && kept !== 'e'.repeat(64), 'no forged token kept');
  assert.equal(await page.getByTestId('fd-invite').count(), 0, 'no forged invitation');
  // A real agent message while collapsed reaches only the callbacks: our frames post to the
  // host page's origin only, so the hostile frame hears nothing of the conversation.
  await host.chat.send('secret order 42');
  const push = await agent.visitorMessage('secret order 42');
  await host.launcher.click();
  await host.frameElement.waitFor({ state: 'hidden' });
  await page.waitForTimeout(300);
  const leaks = [];
  await page.exposeFunction('__leak', (d) => leaks.push(d));
  await page.evaluate(() => window.addEventListener('message', (e) => { try { if (JSON.parse(e.data).name === 'leak') window.__leak(e.data); } catch (x) { /* not JSON */ } }));
  await agent.request({ api_key: 32300, gid: push.data.gid, msg: 'reply for you', file_type: 0 });
  await page.waitForFunction(() => window.__got.rcv.length === 1);
  await page.waitForTimeout(300);
  assert.deepEqual(leaks, []);
  assert.ok(!JSON.stringify(await got(page)).includes('secret order 42'), 'the visitor\'s own text never reaches the host page');
  assert.deepEqual(log.errors, []);
  agent.close();
  await context.close();
});

// A benchmark, not a check of timings: long tasks (> 50 ms) on the host page's main thread
// while the widget loads, and the bytes a page view with receive_message costs on the wire.
test('benchmark: long tasks during load, and the wire cost of a receive_message page view (printed)', async () => {
  for (const [label, extra] of [['plain snippet', ''], ['receive_message registered', CALLBACKS]]) {
    const { context, page, host } = await newPage();
    await page.addInitScript(() => {
      window.__lt = [];
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) window.__lt.push({ start: Math.round(e.startTime), ms: Math.round(e.duration), by: e.attribution?.[0]?.containerSrc || e.attribution?.[0]?.name || '' });
      }).observe({ type: 'longtask', buffered: true });
    });
    let bytes = 0;
    const pending = [];
    page.on('requestfinished', (r) => {
      if (r.url().startsWith(server.url)) pending.push(r.sizes().then((s) => { bytes += s.responseHeadersSize + s.responseBodySize; }));
    });
    await shop.open(page, html('<p>shop</p>', extra));
    await host.launcher.waitFor();
    if (extra) await page.waitForFunction(() => window.__got.count.length === 1);
    await page.waitForTimeout(1000);
    await Promise.all(pending);
    const lt = await page.evaluate(() => window.__lt);
    console.log(`# ${label}: ${bytes} bytes from our server on the wire (headers included; WebSocket frames not counted)`);
    console.log(`# ${label}: ${lt.length} long task(s) > 50 ms during load${lt.length ? ': ' + JSON.stringify(lt) : ''}`);
    await context.close();
  }
});
