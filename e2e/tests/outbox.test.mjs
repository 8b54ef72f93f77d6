// Nothing typed is lost on reload where the browser denies the chat frame its own storage
// (issue 10 item 9): the host page is on another site (this Chromium then blocks the chat
// frame's localStorage, the chat page's fallback mode), messages are sent while the socket is
// held (sends dropped; or stored but the answers dropped), the page is reloaded, and every
// message reaches the agent exactly once. The host page keeps them only sealed: no script of
// the host page reads the text, nor can it get the key. And (item 6) CRM/routing values
// given only in a chat link reach the agent (32800), and a later report replaces them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, watchConsole, HostPage, seedSnippet, withWorld } from '../lib.mjs';

let server, browser, site, shop;
withWorld({ shop: true, ready: (w) => ({ server, browser, site, shop } = w) });

async function until(fn, what, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('unsent messages survive a reload in the fallback mode, sealed in the host page, and arrive exactly once', async () => {
  const agent = await Agent.login(server);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // The visitor socket passes through here: `dropUp` drops the page's `send` frames (the
  // server never gets them), `dropDown` drops everything the server sends (it stores the
  // message, but neither its ack nor its echo reaches the page).
  let dropUp = false;
  let dropDown = false;
  await context.routeWebSocket(/\/ws\/visitor/, (ws) => {
    const up = ws.connectToServer();
    ws.onMessage((m) => {
      if (dropUp && String(m).includes('"type":"send"')) return;
      up.send(m);
    });
    up.onMessage((m) => {
      if (!dropDown) ws.send(m);
    });
  });
  const page = await context.newPage();
  const log = watchConsole(page);
  const html = `<!DOCTYPE html><html><head><title>Shop</title></head><body>${seedSnippet(server.url, site.sysnum)}</body></html>`;
  await shop.open(page, html);
  const host = new HostPage(page);
  await host.launcher.waitFor();
  await host.open();
  const { chat } = host;
  await chat.root.getByTestId('fd-status').filter({ hasText: '已连接' }).waitFor();
  const storageBlocked = await page.frames().find((f) => f.url().includes('/chat/h5/v2/'))
    .evaluate(() => { try { localStorage.setItem('x', '1'); return false; } catch { return true; } });
  assert.ok(storageBlocked, 'the chat frame runs without storage of its own (the fallback mode)');

  await chat.send('warm up');
  const gid = (await agent.visitorMessage('warm up')).data.gid;
  await chat.message('warm up', 'visitor').waitFor();

  const boxKey = `frontdesk:box:${site.sysnum}`;
  const box = () => page.evaluate((k) => localStorage.getItem(k), boxKey);
  const lost = 'never reached the server 秘密 <b>x</b>';
  const unacked = 'stored but never acknowledged';

  dropUp = true;
  await chat.send(lost);
  await chat.pending().filter({ hasText: lost }).waitFor();
  const first = await until(box, 'the sealed box in the host page');
  dropUp = false;
  dropDown = true;
  await chat.send(unacked);
  await agent.visitorMessage(unacked);
  await chat.pending().filter({ hasText: unacked }).waitFor();
  await until(async () => { const b = await box(); return b && b !== first; }, 'the box with both messages');

  // What any script of the host page can see: no text, and no way to the key.
  const seen = await page.evaluate(async ({ serverUrl, sysnum }) => {
    const all = JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie;
    const decoded = Object.values({ ...localStorage }).map((v) => { try { return atob(v); } catch { return ''; } }).join('');
    const token = localStorage.getItem(`frontdesk:${sysnum}`);
    let key = 'refused';
    try {
      const r = await fetch(`${serverUrl}/api/visitor/box-key`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sysnum, token }) });
      key = r.ok ? await r.text() : `HTTP ${r.status}`;
    } catch { /* refused by CORS: the answer is unreadable */ }
    return { all, decoded, token, key };
  }, { serverUrl: server.url, sysnum: site.sysnum });
  for (const text of [lost, unacked, '秘密', 'never reached', 'acknowledged']) {
    assert.ok(!seen.all.includes(text) && !seen.decoded.includes(text), `host page storage does not reveal "${text}"`);
  }
  assert.match(seen.token ?? '', /^[0-9a-f]{64}$/, 'the launcher keeps the token');
  assert.ok(!/[0-9a-f]{64}/.test(seen.key) || seen.key === 'refused', `the host page gets no key: ${seen.key}`);
  // The server gives the key only to our own origin.
  const ask = (origin) => fetch(`${server.url}/api/visitor/box-key`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ sysnum: site.sysnum, token: seen.token }),
  });
  assert.equal((await ask(shop.origin)).status, 403);
  assert.match((await (await ask(server.url)).json()).key, /^[0-9a-f]{64}$/);
  assert.equal((await fetch(`${server.url}/api/visitor/box-key`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: server.url }, body: JSON.stringify({ sysnum: site.sysnum, token: 'b'.repeat(64) }),
  })).status, 401);

  // Reload with the socket released: the page sends both again with their ids.
  dropDown = false;
  await page.reload();
  await host.launcher.waitFor();
  await agent.visitorMessage(lost);
  await host.open();
  await chat.message(lost, 'visitor').waitFor();
  await chat.message(unacked, 'visitor').waitFor();
  await until(async () => (await box()) === null, 'the box removed once everything is acknowledged');

  const h = await agent.request({ api_key: 32100, gid, group_id: 0, page_index: 1, page_size: 50 });
  const texts = h.data.list.map((m) => m.msg);
  for (const text of ['warm up', lost, unacked]) {
    assert.equal(texts.filter((t) => t === text).length, 1, `"${text}" stored exactly once: ${JSON.stringify(texts)}`);
  }
  const shown = await chat.messages('visitor').allInnerTexts();
  for (const text of [lost, unacked]) assert.equal(shown.filter((t) => t.includes(text)).length, 1, `"${text}" shown once`);
  assert.equal(await chat.pending().count(), 0);
  // No second 32399 for the message the server already had.
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(!agent.frames.some((f) => f.api_key === 32399 && f.data?.message_info?.msg === unacked), 'no duplicate push');
  assert.deepEqual(log.errors, []);
  agent.close();
  await context.close();
});

test('CRM and routing values given only in the chat link reach the agent (32800); a later report replaces them', async () => {
  const agent = await Agent.login(server);
  const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
  const page = await context.newPage();
  const log = watchConsole(page);
  const link = `${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&uname=${encodeURIComponent('链接客户')}`
    + `&tel=13900000000&email=${encodeURIComponent('link@example.com')}&groupid=&is_vip=1`
    + `&params=${encodeURIComponent(JSON.stringify({ 来源: '短信' }))}&color=ff0000`;
  await page.goto(link);
  const input = page.getByTestId('fd-input');
  await input.fill('from the link');
  await page.getByTestId('fd-send').click();
  const gid = (await agent.visitorMessage('from the link')).data.gid;
  const visit = async () => (await agent.request({ api_key: 32800, gid })).data;
  const v = await until(async () => { const d = await visit(); return d.params?.tel && d; }, 'the link values');
  assert.equal(v.params.tel, '13900000000');
  assert.equal(v.params.uname, '链接客户');
  assert.equal(v.params.email, 'link@example.com');
  assert.equal(v.params.is_vip, '1');
  assert.deepEqual(JSON.parse(v.params.params), { 来源: '短信' });
  assert.equal(v.params.color, undefined, 'presentation options are not stored');
  assert.equal(v.params.groupid, undefined, 'empty values are not stored');

  // A later zc("config") report for this visitor (what the notifier posts) replaces them.
  const token = await page.evaluate((s) => localStorage.getItem(`frontdesk.token.${s}`), site.sysnum);
  assert.match(token ?? '', /^[0-9a-f]{64}$/);
  const r = await fetch(`${server.url}/api/visitor/visit`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ sysnum: site.sysnum, token, params: { tel: '13911111111', uname: '链接客户' } }),
  });
  assert.equal(r.status, 204);
  const v2 = await until(async () => { const d = await visit(); return d.params.tel === '13911111111' && d; }, 'the update');
  assert.equal(v2.params.email, undefined, 'the report is the values now in force');

  assert.deepEqual(log.errors, []);
  agent.close();
  await context.close();
});
