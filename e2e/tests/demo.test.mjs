// The demo host page (seed 003 snippet, verbatim) → launcher → chat → a seed 001 agent
// answers → reload → history intact, each message once. Host and chat are different origins
// (localhost vs 127.0.0.1), as on a customer's site.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, watchConsole, HostPage, withWorld } from '../lib.mjs';

let server, browser, site;
withWorld({ ready: (w) => ({ server, browser, site } = w) });

test('demo page: launcher → send → agent 32399 → agent 32300 → visitor sees it → reload keeps history', async () => {
  const agent = await Agent.login(server);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const log = watchConsole(page);
  await page.goto(`http://localhost:${server.port}/demo/?sysnum=${site.sysnum}`);
  const host = new HostPage(page);

  // The launcher appears bottom-right in the configured colour (demo: color 04babc).
  await host.launcher.waitFor({ state: 'visible' });
  const box = await host.launcher.boundingBox();
  assert.ok(box.x > 640 && box.y > 400, `launcher bottom-right, got ${JSON.stringify(box)}`);
  const bg = await host.launcher.evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(bg, 'rgb(4, 186, 188)');
  assert.equal(await host.frameElement.count(), 0, 'the chat iframe loads lazily, on click');

  await host.open();
  const frameSrc = await host.frameElement.getAttribute('src');
  assert.ok(frameSrc.startsWith(`${server.url}/chat/h5/v2/index.html?`), frameSrc);
  const chat = host.chat;
  await chat.send('Hello, is my order shipped?');
  await chat.message('Hello, is my order shipped?', 'visitor').waitFor();

  const push = await agent.visitorMessage('Hello, is my order shipped?');
  assert.equal(push.code, 200);
  assert.equal(push.data.message_info.file_type, 0);
  const gid = push.data.gid;
  const reply = await agent.request({ api_key: 32300, gid, msg: 'Yes, it left today.', file_type: 0 });
  assert.equal(reply.code, 200);
  await chat.message('Yes, it left today.', 'agent').waitFor();

  // Reload: the launcher comes back, and the conversation with it, each message once.
  await page.reload();
  await host.open();
  await chat.message('Yes, it left today.', 'agent').waitFor();
  assert.equal(await chat.message('Hello, is my order shipped?', 'visitor').count(), 1);
  assert.equal(await chat.message('Yes, it left today.', 'agent').count(), 1);
  assert.equal(await chat.pending().count(), 0);

  // A script on the host page cannot use the visitor's session, even with the token (kept
  // in the host's storage when the browser blocks third-party storage in the iframe).
  const stolen = await page.evaluate(async ({ ws, sysnum }) => {
    let token = null;
    try { token = localStorage.getItem(`frontdesk:${sysnum}`); } catch (_) { /* blocked */ }
    return new Promise((resolve) => {
      const sock = new WebSocket(`${ws}/ws/visitor`);
      sock.onopen = () => sock.send(JSON.stringify({ type: 'hello', sysnum, token }));
      sock.onmessage = (e) => resolve(`answered: ${String(e.data).slice(0, 60)}`);
      sock.onerror = () => resolve('refused');
      setTimeout(() => resolve('timeout'), 5000);
    });
  }, { ws: server.url.replace('http', 'ws'), sysnum: site.sysnum });
  assert.equal(stolen, 'refused');

  // Close the tab and come back in a new one (same browser profile): still there.
  await page.close();
  const again = new HostPage(await context.newPage());
  await again.page.goto(`http://localhost:${server.port}/demo/?sysnum=${site.sysnum}`);
  await again.open();
  await again.chat.message('Yes, it left today.', 'agent').waitFor();
  assert.equal(await again.chat.messages().count(), 2);

  assert.deepEqual(log.errors, [], 'no uncaught errors on the host page');
  agent.close();
  await context.close();
});

test('agent text is shown as text: HTML and javascript: links execute nothing', async () => {
  const agent = await Agent.login(server);
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = watchConsole(page);
  await page.goto(`http://localhost:${server.port}/demo/?sysnum=${site.sysnum}`);
  const host = new HostPage(page);
  await host.open();
  const payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
  await host.chat.send(payload);
  const push = await agent.visitorMessage(payload);
  const evil = '<img src=x onerror=alert(3)> javascript:alert(4)';
  await agent.request({ api_key: 32300, gid: push.data.gid, msg: evil, file_type: 0 });
  await agent.request({ api_key: 32300, gid: push.data.gid, msg: 'javascript:alert(5)', file_type: 6 });
  const bubble = host.chat.message('onerror=alert(3)', 'agent');
  await bubble.waitFor();
  assert.equal(await bubble.innerText(), evil);
  const frame = page.frameLocator('[data-testid="fd-frame"]');
  assert.equal(await frame.locator('[data-testid="fd-msg"] img').count(), 0, 'no element was created from text');
  assert.equal(await frame.locator('a[href^="javascript:"]').count(), 0, 'javascript: never becomes a link');
  await page.waitForTimeout(300);
  assert.deepEqual(log.dialogs, [], 'nothing executed');
  agent.close();
  await context.close();
});

test('demo page shows the snippet it uses and links the console', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`http://localhost:${server.port}/demo/?sysnum=${site.sysnum}`);
  const shown = await page.locator('#snippet').innerText();
  assert.ok(shown.includes(`x.src = "${server.url}/chat/frame/v2/entrance.js?sysnum=${site.sysnum}";`), shown);
  // The page runs exactly the snippet it shows.
  const inline = await page.evaluate(() => [...document.querySelectorAll('script')]
    .map((s) => s.outerHTML).find((h) => h.includes('zhichiScript')));
  assert.equal(inline.trim(), shown.trim());
  assert.equal(await page.locator('#console-link').getAttribute('href'), `${server.url}/console/`);
  await new HostPage(page).launcher.waitFor({ state: 'visible' });
  await page.locator('#console-link').click();
  await page.getByTestId('fd-c-account').waitFor();
  await context.close();
});
