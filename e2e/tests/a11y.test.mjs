// Accessibility (WCAG 2.1 A/AA rules of axe-core, npm): no serious or critical violation on
// the launcher, the chat window (framed, with messages both ways), the H5 link, the agent
// console (login, a chat open), the site admin view (sign-in, signed in) and the stand-alone
// leave-message page. Each page is checked twice: with the default theme colour and with a
// pale one (yellow) that white text would fail on, so text on the brand colour must pick
// black or white for itself.
// Keyboard: the launcher is reached with Tab and shows a focus ring, and opening the window
// moves focus into it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { Chat, HostPage, ConsolePage, admin, seedSnippet, withWorld } from '../lib.mjs';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let db, server, browser, site, shop;
withWorld({
  shop: true,
  ready: (w) => ({ db, server, browser, site, shop } = w),
});

/**
 * axe-core's WCAG 2.1 A/AA rules in `frame` (a Page or a Frame) → the serious and critical
 * violations, as readable lines. axe is evaluated over the DevTools protocol, which the
 * pages' CSP does not govern (their script-src allows no injected script).
 */
async function violations(frame, what) {
  await frame.evaluate(AXE);
  const found = await frame.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`),
    }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${what}: ${v.id} (${v.impact}) ${v.help}\n    ${v.nodes.join('\n    ')}`);
}

const COLORS = [undefined, 'ffeb3b'];
const colorConfig = (color) => (color ? `zc("config", {color: "${color}"});` : '');

test('launcher and chat window: no serious or critical axe violations; keyboard reaches and opens it', async () => {
  const found = [];
  for (const color of COLORS) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await shop.open(page, `<!doctype html><html lang="en"><head><title>Shop</title></head><body><main><h1>Shop</h1>
      <p>Our products.</p></main>${seedSnippet(server.url, site.sysnum, { extra: `zc("config", {locale: "en"}); ${colorConfig(color)}` })}</body></html>`);
    const host = new HostPage(page);
    await host.launcher.waitFor();
    found.push(...await violations(page, `launcher (color ${color ?? 'default'})`));
    // Its icon (no text for axe to check) is white with a dark outline (a drop shadow), so it
    // stands out on a pale brand colour as on a dark one.
    assert.match(await host.launcher.evaluate((el) => getComputedStyle(el.querySelector('svg')).filter),
      /drop-shadow/);

    // Tab reaches the launcher and shows a focus ring; Enter opens the window, focus inside.
    for (let i = 0; i < 5 && !(await host.launcher.evaluate((el) => el === document.activeElement)); i++) {
      await page.keyboard.press('Tab');
    }
    assert.ok(await host.launcher.evaluate((el) => el === document.activeElement), 'Tab reaches the launcher');
    const ring = await host.launcher.evaluate((el) => getComputedStyle(el).outlineStyle);
    assert.notEqual(ring, 'none', 'the focused launcher shows an outline');
    await page.keyboard.press('Enter');
    await host.chat.input.waitFor({ state: 'visible' });
    const frame = page.frames().find((f) => f.url().includes('/chat/h5/v2/'));
    await frame.waitForFunction(() => document.activeElement?.dataset?.testid === 'fd-input');

    // Messages both ways, so bubbles on the brand colour are checked too.
    await host.chat.send('Do you ship abroad?');
    await host.chat.message('Do you ship abroad?', 'visitor').waitFor();
    found.push(...await violations(frame, `chat window (color ${color ?? 'default'})`));
    await ctx.close();
  }
  assert.deepEqual(found, [], found.join('\n'));
});

test('H5 chat link: no serious or critical axe violations, either theme colour', async () => {
  const found = [];
  for (const color of COLORS) {
    const ctx = await browser.newContext({ viewport: { width: 375, height: 700 } });
    const page = await ctx.newPage();
    await page.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&locale=en${color ? `&color=${color}` : ''}`);
    const chat = new Chat(page);
    await chat.send('Hello from a phone');
    await chat.message('Hello from a phone', 'visitor').waitFor();
    found.push(...await violations(page, `H5 link (color ${color ?? 'default'})`));
    await ctx.close();
  }
  assert.deepEqual(found, [], found.join('\n'));
});

test('leave-message page (seed 003 link), in both theme colours, and after a refused send: no serious or critical axe violations', async () => {
  const found = [];
  for (const color of COLORS) {
    const ctx = await browser.newContext({ viewport: { width: 375, height: 700 } });
    const page = await ctx.newPage();
    await page.goto(`${server.url}/chat/h5/v2/leavemessage.html?sysnum=${site.sysnum}&source=9&locale=en${color ? `&color=${color}` : ''}`);
    const form = page.getByTestId('fd-leave');
    await form.getByTestId('fd-leave-send').waitFor();
    found.push(...await violations(page, `leave page (color ${color ?? 'default'})`));
    // The form's own error state (an empty message, refused before sending).
    await form.getByTestId('fd-leave-send').click();
    await form.getByTestId('fd-leave-error').first().waitFor();
    found.push(...await violations(page, `leave page with an error (color ${color ?? 'default'})`));
    await ctx.close();
  }
  assert.deepEqual(found, [], found.join('\n'));
});

test('agent console and site admin: no serious or critical axe violations', async () => {
  const found = [];
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(`${server.url}/console/`);
  await page.getByTestId('fd-c-account').waitFor();
  found.push(...await violations(page, 'console login'));

  // The agent logs in; a visitor writes; the agent opens the chat and answers.
  const c = new ConsolePage(page);
  await c.login(server);
  const vctx = await browser.newContext();
  const vpage = await vctx.newPage();
  await vpage.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&locale=en`);
  const chat = new Chat(vpage);
  await chat.send('Where is my order?');
  await chat.message('Where is my order?', 'visitor').waitFor();
  const item = c.guest('mine', 'Where is my order?');
  await item.waitFor();
  await item.getByRole('button').click();
  await c.send('It left this morning.');
  await c.message('It left this morning.', 'agent').waitFor();
  found.push(...await violations(page, 'console with a chat open'));
  await vctx.close();

  // The site admin view: sign-in, then a robot's FAQ.
  admin(db, 'robot', 'create', '--site', site.sysnum, '--name', 'Bot');
  admin(db, 'faq', 'add', '--site', site.sysnum, '--question', 'Returns?', '--answer', 'Within 30 days.');
  const actx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const apage = await actx.newPage();
  await apage.goto(`${server.url}/console/?admin`);
  await apage.getByTestId('fd-a-appid').waitFor();
  found.push(...await violations(apage, 'admin sign-in'));
  await apage.getByTestId('fd-a-appid').fill(site.appid);
  await apage.getByTestId('fd-a-secret').fill(site.secret);
  await apage.getByTestId('fd-a-signin').click();
  await apage.getByTestId('fd-a-robot').first().waitFor();
  found.push(...await violations(apage, 'admin signed in'));
  await ctx.close();
  await actx.close();
  assert.deepEqual(found, [], found.join('\n'));
});

// The checker itself: a page with a known serious violation is reported (so a broken
// injection cannot pass everything).
test('the axe check reports a known violation', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.setContent('<!doctype html><html lang="en"><title>x</title><main><button></button></main></html>');
  const found = await violations(page, 'fixture');
  assert.equal(found.length, 1, found.join('\n'));
  assert.match(found[0], /button-name/);
  await ctx.close();
});
