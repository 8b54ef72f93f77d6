// Replies are never missed (issue 24 item 10), from a shop page of another origin: while the
// chat window is collapsed an agent's answer shows on the launcher as an unread count and a
// preview (agent name and text, as text), fires a page's `zhichiReceive` listener (even with
// no receive_message registered) and receive_message, each once; a reload of the host page
// keeps the badge and preview (the notifier counts from the sequence the chat page showed);
// opening the chat clears them. frame_ready fires on page load, without opening anything.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { Agent, watchConsole, HostPage, seedSnippet, withWorld } from '../lib.mjs';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Serious or critical axe-core WCAG 2.1 A/AA violations in the badge and preview. */
async function axeViolations(page) {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(['[data-testid="fd-launcher"]', '[data-testid="fd-preview"]'], {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

let server, browser, site, shop;
withWorld({ shop: true, ready: (w) => ({ server, browser, site, shop } = w) });

const EVENTS = `window.__evt = [];
window.addEventListener('zhichiReceive', function (e) { window.__evt.push(e.detail); });`;
const BOTH = `${EVENTS}
window.__rcv = []; window.__count = [];
zc('receive_message', function (res) { window.__rcv.push(res); });
zc('offline_message_count', function (n) { window.__count.push(n); });`;

function html(extra) {
  return `<!DOCTYPE html><html><head><title>Shop</title></head><body><h1>Shop</h1>${seedSnippet(server.url, site.sysnum, { extra })}</body></html>`;
}

test('collapsed: unread badge and preview (as text), zhichiReceive and receive_message once each; kept across a reload; cleared on open', async () => {
  const agent = await Agent.login(server);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const log = watchConsole(page);
  const host = new HostPage(page);
  const badge = page.getByTestId('fd-badge');
  const preview = page.getByTestId('fd-preview');

  // A page that only listens for zhichiReceive (seed 003: "也可监听zhichiReceive").
  await shop.open(page, html(EVENTS));
  await host.open();
  await host.chat.send('Do you ship to Oslo?');
  const gid = (await agent.visitorMessage('Do you ship to Oslo?')).data.gid;
  await agent.request({ api_key: 32300, gid, msg: 'Let me check', file_type: 0 });
  await host.chat.message('Let me check', 'agent').waitFor();
  await host.launcher.click();
  await host.frameElement.waitFor({ state: 'hidden' });
  assert.equal(await badge.count(), 0, 'no badge for what the visitor saw');

  await agent.request({ api_key: 32300, gid, msg: '<b>x</b> Yes, we do ship to Oslo', file_type: 0 });
  await badge.waitFor();
  assert.equal(await badge.innerText(), '1');
  await preview.waitFor();
  const text = await preview.getByTestId('fd-preview-open').innerText();
  assert.match(text, /Kim/);
  assert.match(text, /<b>x<\/b> Yes, we do ship to Oslo/, 'the agent text shown as text');
  assert.equal(await preview.locator('b').count(), 0, 'no element made from the text');
  assert.deepEqual(await axeViolations(page), [], 'badge and preview: no serious axe violations');
  await page.waitForFunction(() => window.__evt.length === 1);
  let evt = await page.evaluate(() => window.__evt);
  assert.equal(evt[0].msg, '<b>x</b> Yes, we do ship to Oslo');
  assert.equal(evt[0].name, 'Kim');

  // The host page reloads (with receive_message registered now): badge and preview stay.
  await shop.open(page, html(BOTH));
  await badge.waitFor();
  assert.equal(await badge.innerText(), '1');
  assert.match(await preview.innerText(), /<b>x<\/b> Yes, we do ship to Oslo/);
  assert.equal(await host.frameElement.count(), 0, 'the chat page is not loaded for the badge');
  assert.deepEqual(await page.evaluate(() => window.__count), [1]);
  // The next answer: both listeners once, the count goes up, the preview follows.
  await agent.request({ api_key: 32300, gid, msg: 'Delivery takes 3 days', file_type: 0 });
  await page.waitForFunction(() => window.__rcv.length === 1 && window.__evt.length === 1);
  await page.waitForFunction(() => document.querySelector('[data-testid="fd-badge"]')?.textContent === '2');
  assert.match(await preview.innerText(), /Delivery takes 3 days/);
  const rcv = await page.evaluate(() => window.__rcv);
  evt = await page.evaluate(() => window.__evt);
  assert.equal(rcv[0].msg, 'Delivery takes 3 days');
  assert.deepEqual(evt[0], rcv[0]);

  // The preview's close control hides it; the badge stays until the chat opens.
  await preview.getByTestId('fd-preview-close').click();
  assert.equal(await preview.count(), 0);
  assert.equal(await badge.innerText(), '2');
  // Opening the chat (the launcher) clears the badge; both messages are in the chat.
  await host.open();
  await host.chat.message('Delivery takes 3 days', 'agent').waitFor();
  assert.equal(await badge.count(), 0);
  await host.launcher.click();
  await host.frameElement.waitFor({ state: 'hidden' });
  // Seen: the next page view shows no badge, and one more answer counts 1 again, its
  // preview opens the chat.
  await shop.open(page, html(BOTH));
  await host.launcher.waitFor();
  await page.waitForFunction(() => window.__count.length === 1);
  assert.deepEqual(await page.evaluate(() => window.__count), [0]);
  assert.equal(await badge.count(), 0);
  await agent.request({ api_key: 32300, gid, msg: 'Anything else?', file_type: 0 });
  await page.waitForFunction(() => window.__rcv.length === 1);
  assert.equal(await badge.innerText(), '1');
  assert.equal((await page.evaluate(() => window.__evt)).length, 1, 'zhichiReceive once per message');
  await preview.getByTestId('fd-preview-open').click();
  await host.frameElement.waitFor({ state: 'visible' });
  await host.chat.message('Anything else?', 'agent').waitFor();
  assert.equal(await badge.count(), 0);
  assert.equal(await preview.count(), 0);
  assert.deepEqual(log.errors, []);
  await agent.request({ api_key: 32600, gid }); // ends the chat (the agent's chat limit)
  agent.close();
  await context.close();
});

test('a message that arrives while the window is collapsed in the same page view is unread; one seen before the collapse is not', async () => {
  const agent = await Agent.login(server, 'kf1@e2e');
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const log = watchConsole(page);
  const host = new HostPage(page);
  await shop.open(page, html(''));
  await host.open();
  await host.chat.send('Is the blue one in stock?');
  const gid = (await agent.visitorMessage('Is the blue one in stock?')).data.gid;
  await agent.request({ api_key: 32300, gid, msg: 'Checking stock', file_type: 0 });
  await host.chat.message('Checking stock', 'agent').waitFor();
  // Collapse and answer at once: the notifier starts after the collapse, and must still
  // count this answer (the chat page showed only up to "Checking stock").
  await host.launcher.click();
  await agent.request({ api_key: 32300, gid, msg: 'Two left', file_type: 0 });
  const badge = page.getByTestId('fd-badge');
  await badge.waitFor();
  assert.equal(await badge.innerText(), '1');
  assert.match(await page.getByTestId('fd-preview').innerText(), /Two left/);
  // A single-page app replaces body's children: the badge and preview come back with the
  // launcher.
  await page.evaluate(() => document.body.replaceChildren(Object.assign(document.createElement('h1'), { textContent: 'Next view' })));
  await page.getByText('Next view').waitFor();
  await host.launcher.waitFor();
  await badge.waitFor();
  assert.equal(await badge.innerText(), '1');
  await page.getByTestId('fd-preview').filter({ hasText: 'Two left' }).waitFor();
  assert.equal(await badge.count(), 1);
  assert.deepEqual(log.errors, []);
  await agent.request({ api_key: 32600, gid }); // ends the chat (the agent's chat limit)
  agent.close();
  await context.close();
});

test('sound: off by default, a tone per agent message with zc("config", {sound: true})', async () => {
  const agent = await Agent.login(server);
  for (const sound of [false, true]) {
    const context = await browser.newContext();
    // Counts the oscillators started on the host page (the real Web Audio API underneath).
    await context.addInitScript(() => {
      window.__tones = 0;
      const start = OscillatorNode.prototype.start;
      OscillatorNode.prototype.start = function (...a) { window.__tones++; return start.apply(this, a); };
    });
    const page = await context.newPage();
    const host = new HostPage(page);
    await shop.open(page, html(sound ? 'zc("config", {sound: true});' : ''));
    await host.open();
    await host.chat.send(`sound ${sound}`);
    const gid = (await agent.visitorMessage(`sound ${sound}`)).data.gid;
    await agent.request({ api_key: 32300, gid, msg: 'Seen in the chat', file_type: 0 });
    await host.chat.message('Seen in the chat', 'agent').waitFor();
    await host.launcher.click();
    await host.frameElement.waitFor({ state: 'hidden' });
    await agent.request({ api_key: 32300, gid, msg: `Ring ${sound}`, file_type: 0 });
    await page.getByTestId('fd-preview').filter({ hasText: `Ring ${sound}` }).waitFor();
    assert.equal(await page.evaluate(() => window.__tones), sound ? 1 : 0);
    await agent.request({ api_key: 32600, gid });
    await context.close();
  }
  agent.close();
});

test('frame_ready fires on page load without opening the chat; one registered later fires at once', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = watchConsole(page);
  const host = new HostPage(page);
  await shop.open(page, html(`window.__ready = 0;
//获取iframe加载完成的回调函数
zc("frame_ready", function() {
console.log('iframe加载完成')
window.__ready++;
})`));
  await host.launcher.waitFor();
  await page.waitForFunction(() => window.__ready === 1);
  assert.equal(await host.frameElement.count(), 0, 'the chat page is not loaded for it');
  await page.evaluate(() => zc('frame_ready', () => { window.__late = true; }));
  assert.equal(await page.evaluate(() => window.__late), true, 'called at once');
  await host.open();
  await host.launcher.click();
  await host.open();
  assert.equal(await page.evaluate(() => window.__ready), 1, 'once');
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a notifier started on page entry for the visit (CRM values) also feeds the badge', async () => {
  const agent = await Agent.login(server);
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = watchConsole(page);
  const host = new HostPage(page);
  await shop.open(page, html(`${EVENTS}
zc("config", {tel: "13800000000", realname: "Li Lei"});`));
  await page.getByTestId('fd-notify').waitFor({ state: 'attached' });
  await host.open();
  await host.chat.send('Notifier first');
  const gid = (await agent.visitorMessage('Notifier first')).data.gid;
  await agent.request({ api_key: 32300, gid, msg: 'Answer one', file_type: 0 });
  await host.chat.message('Answer one', 'agent').waitFor();
  await host.launcher.click();
  await host.frameElement.waitFor({ state: 'hidden' });
  await agent.request({ api_key: 32300, gid, msg: 'Answer two', file_type: 0 });
  await page.getByTestId('fd-preview').filter({ hasText: 'Answer two' }).waitFor();
  assert.equal(await page.getByTestId('fd-badge').innerText(), '1');
  await page.waitForFunction(() => window.__evt.length === 1);
  assert.deepEqual(log.errors, []);
  await agent.request({ api_key: 32600, gid });
  agent.close();
  await context.close();
});
