// The admin view's leave-message forms and site canned replies (issue 25, item 9), in
// Chromium: a form made in the browser is what the stand-alone leavemessage.html shows for its
// templateid; a reply made there is offered to an agent's `/shortcut`; bad input gets the CLI's
// words and changes nothing; both land in the audit log.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admin, Agent, openConsole, watchConsole, withWorld } from '../lib.mjs';

let db, server, browser, site;
withWorld({ ready: (w) => ({ db, server, browser, site } = w) });

async function adminPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
  const page = await context.newPage();
  const log = watchConsole(page);
  await page.goto(`${server.url}/console/?admin`);
  await page.getByTestId('fd-a-appid').fill(site.appid);
  await page.getByTestId('fd-a-secret').fill(site.secret);
  await page.getByTestId('fd-a-signin').click();
  await page.getByTestId('fd-a-templates').waitFor({ state: 'attached' });
  return { context, page, log };
}

test('a leave-message form made in the browser is the one its templateid shows', async () => {
  const { context, page, log } = await adminPage();
  const notice = page.getByTestId('fd-a-notice');
  // No name: refused with the CLI's words, nothing stored.
  await page.getByTestId('fd-a-template-save').click();
  await notice.filter({ hasText: 'name' }).waitFor();
  assert.equal(await page.getByTestId('fd-a-template').count(), 0);
  await page.getByTestId('fd-a-template-name').fill('Returns');
  const fields = page.getByTestId('fd-a-template-field');
  await fields.nth(0).getByTestId('fd-a-template-label').fill('Order number');
  await fields.nth(0).getByTestId('fd-a-template-required').check();
  await fields.nth(1).getByTestId('fd-a-template-label').fill('Email');
  await fields.nth(1).getByTestId('fd-a-template-kind').selectOption('email');
  await page.getByTestId('fd-a-template-save').click();
  const row = page.getByTestId('fd-a-template').filter({ hasText: 'Returns' });
  await row.waitFor();
  const templateid = await row.getByTestId('fd-a-template-id').innerText();
  assert.match(await row.getByTestId('fd-a-template-fields').innerText(), /Order number \(text, required\); Email \(email\)/);
  assert.deepEqual(admin(db, 'leave', 'template', 'list', '--site', site.sysnum).map((t) => t.name), ['Returns']);

  const visitor = await browser.newContext({ viewport: { width: 320, height: 640 }, isMobile: true });
  const leave = await visitor.newPage();
  await leave.goto(`${server.url}/chat/h5/v2/leavemessage.html?sysnum=${site.sysnum}&uid=u1&source=9&uname=Ann&templateid=${templateid}&groupid=&locale=en&t=${Date.now()}`);
  await leave.getByTestId('fd-leave-send').waitFor();
  assert.ok(await leave.getByLabel('Order number').isVisible());
  await visitor.close();
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('a site canned reply made in the browser is offered to agents; a bad one is refused', async () => {
  const { context, page, log } = await adminPage();
  const notice = page.getByTestId('fd-a-notice');
  await page.getByTestId('fd-a-canned-shortcut-input').fill('bad key');
  await page.getByTestId('fd-a-canned-text').fill('x');
  await page.getByTestId('fd-a-canned-save').click();
  await notice.filter({ hasText: 'invalid parameter' }).waitFor();
  assert.equal(await page.getByTestId('fd-a-canned').count(), 0);
  await page.getByTestId('fd-a-canned-shortcut-input').fill('ship');
  await page.getByTestId('fd-a-canned-text').fill('Hi {name}, it ships within 24 hours.');
  await page.getByTestId('fd-a-canned-save').click();
  await page.getByTestId('fd-a-canned').filter({ hasText: '/ship' }).waitFor();
  // The audit log has both changes.
  await page.getByTestId('fd-a-audit-reload').click();
  await page.getByTestId('fd-a-audit-action').filter({ hasText: 'canned/add' }).waitFor();
  await page.getByTestId('fd-a-audit-action').filter({ hasText: 'leave/template/add' }).waitFor();
  // An agent's console offers it.
  const con = await openConsole(browser, server);
  await con.page.locator('[data-testid="fd-c-canned-item"][data-shortcut="ship"]').waitFor({ state: 'attached' });
  await con.context.close();
  // Deleted: gone.
  await page.getByTestId('fd-a-canned').filter({ hasText: '/ship' }).getByTestId('fd-a-canned-delete').click();
  await page.getByTestId('fd-a-canned').filter({ hasText: '/ship' }).waitFor({ state: 'detached' });
  assert.deepEqual(log.errors, []);
  await context.close();
});

test('the site form keeps messages N days and asks for a summary; a bad number gets the CLI\'s words', async () => {
  const { context, page, log } = await adminPage();
  const f = (n) => page.getByTestId(`fd-a-site-${n}`);
  const notice = page.getByTestId('fd-a-notice');
  await page.getByTestId('fd-a-site').filter({ hasText: site.sysnum }).waitFor();
  await f('retain-days').fill('-3');
  await f('save').click();
  await notice.filter({ hasText: 'retain days must be 0 (keep for ever) to 36500' }).waitFor();
  await f('retain-days').fill('30');
  await f('summary-required').check();
  await f('summary-categories').fill('Returns, Questions');
  await f('save').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="fd-a-site-summary-categories"]')?.value === 'Returns,Questions');
  assert.equal(await f('retain-days').inputValue(), '30');
  assert.equal(await f('summary-required').isChecked(), true);
  // Agents are asked for it when they end a chat (32610).
  const agent = await Agent.login(server);
  const rules = await agent.request({ api_key: 32610 });
  assert.deepEqual([rules.data.required, rules.data.categories], [true, ['Returns', 'Questions']], JSON.stringify(rules));
  agent.close();
  assert.deepEqual(log.errors, []);
  await context.close();
});
