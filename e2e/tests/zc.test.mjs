// The zc(...) API as seed 003 documents it, on a customer page of another origin
// (a plain HTTP server addressed as http://localhost:PORT): config, custom buttons,
// manual init, frame_ready / frame_status, the collapse postMessage, and bad input that must
// only warn.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchConsole, HostPage, seedSnippet, withWorld } from '../lib.mjs';

let server, browser, site, shop;
withWorld({ shop: true, ready: (w) => ({ server, browser, site, shop } = w) });

async function hostPage(body, opts) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const log = watchConsole(page);
  await shop.open(page, `<!DOCTYPE html><html><head><title>Shop</title></head><body>${body}${seedSnippet(server.url, site.sysnum, opts)}</body></html>`);
  return { context, page, log, host: new HostPage(page) };
}

test('config: color, location 2, locale en; later calls override earlier ones', async () => {
  const { context, host, log } = await hostPage('', {
    extra: `zc("config", {color: "ff0000", location: "1", locale: "cn"});
zc("config", {color: "00ff00", location: 2, locale: "en", uname: "Ann"});`,
  });
  await host.launcher.waitFor();
  assert.equal(await host.launcher.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(0, 255, 0)');
  const box = await host.launcher.boundingBox();
  assert.ok(box.x < 200, `location 2 is bottom-left, got x=${box.x}`);
  assert.equal(await host.launcher.getAttribute('aria-label'), 'Customer service');
  await host.open();
  const src = new URL(await host.frameElement.getAttribute('src'));
  assert.equal(src.searchParams.get('locale'), 'en');
  assert.equal(src.searchParams.get('uname'), 'Ann');
  assert.equal(src.searchParams.get('host'), shop.origin);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('bad values and unknown commands warn once and never throw into the host page', async () => {
  const { context, page, host, log } = await hostPage('', {
    extra: `zc("config", {color: "red", location: 7});
zc("frame_close"); zc("frame_close"); zc("no_such_thing", 1);
zc("config", "not an object");
window.__after = true;`,
  });
  await host.launcher.waitFor();
  assert.equal(await page.evaluate(() => window.__after), true, 'the host script kept running');
  // The default colour and position stay.
  const box = await host.launcher.boundingBox();
  assert.ok(box.x > 640, 'still bottom-right');
  assert.equal(log.warnings.filter((w) => w.includes('frame_close')).length, 1, `one warning per unknown name: ${log.warnings}`);
  assert.ok(log.warnings.some((w) => w.includes('no_such_thing')));
  assert.ok(log.warnings.some((w) => w.includes('red')), `bad color warned: ${log.warnings}`);
  // Calls after load go through the real zc and behave the same.
  await page.evaluate(() => zc('frame_close'));
  assert.equal(log.warnings.filter((w) => w.includes('frame_close')).length, 1);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('custom: true binds the className buttons, and dynamic_ready binds new ones', async () => {
  const { context, page, host, log } = await hostPage(
    '<button class="zhiCustomBtn" id="b1">欢迎咨询</button><div id="root"></div>',
    { className: 'zhiCustomBtn', extra: 'zc("config",{\ncustom:true, //设置自定义生效 第二步\n})' },
  );
  await page.waitForFunction(() => typeof window.zc === 'function' && !window.cbk?.length);
  await page.waitForTimeout(300);
  assert.equal(await host.launcher.count(), 0, 'no default launcher');
  await page.click('#b1');
  await host.frameElement.waitFor({ state: 'visible' });
  // Collapse from the chat, then open again through a button added later.
  await host.chat.root.getByTestId('fd-collapse').click();
  await host.frameElement.waitFor({ state: 'hidden' });
  await page.evaluate(() => {
    document.getElementById('root').innerHTML = '<button class="zhiCustomBtn" id="b2">咨询</button>';
    zc('dynamic_ready');
    zc('dynamic_ready'); // binding twice must not toggle twice
  });
  await page.click('#b2');
  await host.frameElement.waitFor({ state: 'visible' });
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('manual: nothing until frame_manual, whose callback runs', async () => {
  const { context, page, host } = await hostPage('<button id="customBtn">init</button>', {
    extra: `zc("config", {"manual": true});
document.getElementById("customBtn").addEventListener("click", function () {
  zc("frame_manual", function (res) { window.__manual = "初始化成功"; });
});`,
  });
  await page.waitForFunction(() => typeof window.zc === 'function' && !window.cbk?.length);
  await page.waitForTimeout(500);
  assert.equal(await host.launcher.count(), 0, 'nothing shown before frame_manual');
  await page.click('#customBtn');
  await host.launcher.waitFor({ state: 'visible' });
  await page.waitForFunction(() => window.__manual === '初始化成功');
  await context.close();
});

test('frame_ready, frame_status toggling, and the exact collapse postMessage', async () => {
  const { context, page, host } = await hostPage('<button id="btn">toggle</button>', {
    extra: `window.__events = [];
zc("frame_ready", function () { window.__events.push("ready"); });
document.getElementById("btn").addEventListener("click", function () {
  zc('frame_status', function (data) { window.__events.push(data); });
});
window.onmessage = function (e) {
  if (e && e.data) {
    window.__events.push(e.data);
    const {name, data} = JSON.parse(e.data);
  }
};`,
  });
  await host.launcher.waitFor();
  await page.click('#btn');
  await host.frameElement.waitFor({ state: 'visible' });
  await page.waitForFunction(() => window.__events.includes('ready'));
  await page.click('#btn');
  await host.frameElement.waitFor({ state: 'hidden' });
  const events = await page.evaluate(() => window.__events);
  assert.deepEqual(events.filter((e) => e === 'expand' || e === 'collapse'), ['expand', 'collapse']);
  // Collapse from inside the chat: the host gets exactly the seed's string.
  await page.click('#btn');
  await host.frameElement.waitFor({ state: 'visible' });
  await host.chat.root.getByTestId('fd-collapse').click();
  await host.frameElement.waitFor({ state: 'hidden' });
  await page.waitForFunction(() => window.__events.some((e) => typeof e === 'string' && e.includes('zc_post_message')));
  const posted = (await page.evaluate(() => window.__events)).filter((e) => e.includes?.('zc_post_message'));
  assert.deepEqual(posted, ['{"name":"zc_post_message","data":{"action":"chat_collapse_window"}}']);
  await context.close();
});

test('a foreign frame cannot drive the launcher with forged messages', async () => {
  const { context, page, host } = await hostPage('<iframe id="evil" srcdoc="<p>x</p>"></iframe>');
  await host.open();
  // A message with the right text but from the wrong window/origin is ignored.
  await page.evaluate(() => {
    const s = JSON.stringify({ name: 'zc_post_message', data: { action: 'chat_collapse_window' } });
    document.getElementById('evil').contentWindow.parent.postMessage(s, '*');
    window.postMessage(s, '*');
  });
  await page.waitForTimeout(400);
  assert.ok(await host.frameElement.isVisible(), 'still expanded');
  await context.close();
});
