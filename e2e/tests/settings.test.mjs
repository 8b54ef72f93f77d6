// Settings in the browser (issue 25, item 9): the site admin view (/console/?admin) shows the
// site's reception defaults, push URL, sign check and embedding origins, refuses a bad value
// with the text `frontdesk admin site set` prints for it (and keeps what was stored), and
// saves good ones — read back after signing in again, and in force (the chat page's
// frame-ancestors). Groups with working hours in a picked zone, agents (create, groups, max
// chats, a new password, disabled) and VIP levels the same way, each refusing bad input with
// the CLI's words; the audit log lists every change that was saved, without passwords.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { watchConsole, withWorld } from '../lib.mjs';

let db, server, browser, site;
withWorld({ ready: (w) => ({ db, server, browser, site } = w) });

/** What `frontdesk admin ARGS` prints on stderr (it must refuse them). */
function cliRefusal(...args) {
  const r = spawnSync(process.env.FRONTDESK_BIN, ['admin', '--database-url', db, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  return r.stderr.trim().replace(/^error: /, '');
}

/** What `frontdesk admin site set … ARGS` prints on stderr (it must refuse them). */
const cliError = (...args) => cliRefusal('site', 'set', '--site', site.sysnum, ...args);

/** The admin view, signed in with the site's appid and secret. */
async function adminPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
  const page = await context.newPage();
  const log = watchConsole(page);
  await page.goto(`${server.url}/console/?admin`);
  await page.getByTestId('fd-a-appid').fill(site.appid);
  await page.getByTestId('fd-a-secret').fill(site.secret);
  await page.getByTestId('fd-a-signin').click();
  return { context, page, log };
}

test('settings: the site admin changes reception, push URL, sign check and origins; bad values get the CLI\'s words', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
  const page = await context.newPage();
  const log = watchConsole(page);
  const signIn = async () => {
    await page.goto(`${server.url}/console/?admin`);
    await page.getByTestId('fd-a-appid').fill(site.appid);
    await page.getByTestId('fd-a-secret').fill(site.secret);
    await page.getByTestId('fd-a-signin').click();
  };
  await signIn();
  const f = (name) => page.getByTestId(`fd-a-site-${name}`);
  const notice = page.getByTestId('fd-a-notice');
  // The values now (the defaults), once read.
  await page.getByTestId('fd-a-site').filter({ hasText: site.sysnum }).waitFor();
  assert.equal(await f('reception').inputValue(), '2');
  assert.equal(await f('manual-after').inputValue(), '1');
  assert.equal(await f('sign-check').inputValue(), 'off');
  assert.equal(await f('push-url').inputValue(), '');

  // Bad values, one at a time: the CLI's text; what was typed stays to be corrected.
  const bad = [
    ['push-url', 'ftp://hooks.example/x', ['--push-url', 'ftp://hooks.example/x']],
    ['manual-after', '101', ['--manual-after', '101']],
    ['origins', 'https://shop.example, javascript:alert(1)', ['--origins', 'https://shop.example, javascript:alert(1)']],
  ];
  for (const [field, value, args] of bad) {
    const words = cliError(...args);
    assert.ok(words.length > 10, words);
    await f(field).fill(value);
    await f('save').click();
    await notice.filter({ hasText: words }).waitFor();
    assert.equal(await f(field).inputValue(), value);
    await signIn();
    await page.getByTestId('fd-a-site').filter({ hasText: site.sysnum }).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="fd-a-site-manual-after"]').value !== '');
    assert.equal(await f(field).inputValue(), field === 'manual-after' ? '1' : '', `${field} not stored`);
  }

  // Good values: saved, shown again after a reload, in force.
  await f('reception').selectOption('4');
  await f('manual-after').fill('3');
  await f('offline-title').fill('We are away; leave a message');
  await f('push-url').fill('https://hooks.example/fd');
  await f('sign-check').selectOption('hmac');
  await f('origins').fill('https://shop.example/, https://m.shop.example');
  await f('save').click();
  await notice.filter({ hasText: 'Settings saved.' }).waitFor();
  await signIn();
  await page.waitForFunction(() => document.querySelector('[data-testid="fd-a-site-manual-after"]')?.value === '3');
  assert.equal(await f('reception').inputValue(), '4');
  assert.equal(await f('offline-title').inputValue(), 'We are away; leave a message');
  assert.equal(await f('push-url').inputValue(), 'https://hooks.example/fd');
  assert.equal(await f('sign-check').inputValue(), 'hmac');
  assert.equal(await f('origins').inputValue(), 'https://shop.example,https://m.shop.example');
  const chat = await fetch(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}`);
  assert.match(chat.headers.get('content-security-policy'), /frame-ancestors 'self' https:\/\/shop\.example https:\/\/m\.shop\.example$/);

  assert.deepEqual(log.errors, []);
  await context.close();
});

test('settings: groups with working hours in a zone, and agents (create, groups, max chats, password, disable); bad values get the CLI\'s words', async () => {
  const { context, page, log } = await adminPage();
  const t = (id) => page.getByTestId(id);
  const notice = t('fd-a-notice');
  await t('fd-a-group-tz').locator('option[value="Asia/Shanghai"]').waitFor({ state: 'attached' });

  // A group: bad hours refused with the CLI's text, then saved with hours in Shanghai time.
  const words = cliRefusal('group', 'create', '--site', site.sysnum, '--name', 'Sales', '--hours', 'Mon-Fri 25:00-18:00');
  await t('fd-a-group-name-input').fill('Sales');
  await t('fd-a-group-hours-input').fill('Mon-Fri 25:00-18:00');
  await t('fd-a-group-save').click();
  await notice.filter({ hasText: words }).waitFor();
  assert.equal(await t('fd-a-group').filter({ hasText: 'Sales' }).count(), 0);
  await t('fd-a-group-hours-input').fill('Mon-Fri 09:00-18:00');
  await t('fd-a-group-tz').selectOption('Asia/Shanghai');
  await t('fd-a-group-save').click();
  await notice.filter({ hasText: /Group \d+ saved/ }).waitFor();
  const sales = t('fd-a-group').filter({ hasText: 'Sales' });
  await sales.getByTestId('fd-a-group-hours').filter({ hasText: 'Mon-Fri 09:00-18:00 (Asia/Shanghai)' }).waitFor();
  const salesId = (await sales.locator('td').first().innerText()).trim();

  // An agent: a short password refused with the CLI's text; then created in the group.
  const pwWords = cliRefusal('agent', 'create', '--site', site.sysnum, '--account', 'ann@e2e', '--nick', 'Ann', '--password', 'short');
  await t('fd-a-agent-account-input').fill('ann@e2e');
  await t('fd-a-agent-nick-input').fill('Ann');
  await t('fd-a-agent-password-input').fill('short');
  await t('fd-a-agent-groups-input').fill(salesId);
  await t('fd-a-agent-max-input').fill('3');
  await t('fd-a-agent-create').click();
  await notice.filter({ hasText: pwWords }).waitFor();
  await t('fd-a-agent-password-input').fill('ann password 1');
  await t('fd-a-agent-create').click();
  await notice.filter({ hasText: 'Agent ann@e2e' }).waitFor();
  const ann = t('fd-a-agent').filter({ hasText: 'ann@e2e' });
  await ann.getByTestId('fd-a-agent-groups').filter({ hasText: `Sales (${salesId})` }).waitFor();
  assert.equal(await ann.getByTestId('fd-a-agent-max').innerText(), '3');

  // Changed: most chats refused out of range (the CLI's text), then 7 and a new password.
  const maxWords = cliRefusal('agent', 'set', '--account', 'ann@e2e', '--max-chats', '0');
  await ann.getByTestId('fd-a-agent-edit').click();
  assert.equal(await t('fd-a-agent-e-max').inputValue(), '3');
  await t('fd-a-agent-e-max').fill('0');
  await t('fd-a-agent-save').click();
  await notice.filter({ hasText: maxWords }).waitFor();
  await t('fd-a-agent-e-max').fill('7');
  await t('fd-a-agent-e-password').fill('ann new password');
  await t('fd-a-agent-save').click();
  await notice.filter({ hasText: 'Agent ann@e2e saved.' }).waitFor();
  await ann.getByTestId('fd-a-agent-max').filter({ hasText: '7' }).waitFor();

  // The new password logs in at the console; the old one does not.
  const cctx = await browser.newContext();
  const cpage = await cctx.newPage();
  await cpage.goto(`${server.url}/console/`);
  await cpage.getByTestId('fd-c-account').fill('ann@e2e');
  await cpage.getByTestId('fd-c-password').fill('ann password 1');
  await cpage.getByTestId('fd-c-login').click();
  await cpage.getByTestId('fd-c-error').filter({ hasText: 'Wrong account or password.' }).waitFor();
  await cpage.getByTestId('fd-c-password').fill('ann new password');
  await cpage.getByTestId('fd-c-login').click();
  await cpage.getByTestId('fd-c-mine').waitFor({ state: 'attached' });
  await cctx.close();

  // Disabled: the list says so and the login is refused.
  await ann.getByTestId('fd-a-agent-edit').click();
  await t('fd-a-agent-e-disabled').check();
  await t('fd-a-agent-save').click();
  await ann.getByTestId('fd-a-agent-state').filter({ hasText: 'disabled' }).waitFor();
  const r = await fetch(`${server.url}/api/agent/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ account: 'ann@e2e', password: 'ann new password' }) });
  assert.equal(r.status, 403);

  // The group disabled from its row.
  await sales.getByTestId('fd-a-group-edit').click();
  await t('fd-a-group-title').filter({ hasText: `Change group ${salesId}` }).waitFor();
  await t('fd-a-group-disabled').check();
  await t('fd-a-group-save').click();
  await sales.getByTestId('fd-a-group-state').filter({ hasText: 'disabled' }).waitFor();
  assert.equal(await sales.getByTestId('fd-a-group-hours').innerText(), 'Mon-Fri 09:00-18:00 (Asia/Shanghai)');

  assert.deepEqual(log.errors, []);
  await context.close();
});

test('settings: VIP levels are saved (bad ones refused with the CLI\'s words), and the audit log shows who changed what', async () => {
  const { context, page, log } = await adminPage();
  const t = (id) => page.getByTestId(id);
  const notice = t('fd-a-notice');
  await t('fd-a-vips').waitFor({ state: 'attached' });

  const words = cliRefusal('vip', 'add', '--site', site.sysnum, '--id', 'gold', '--name', 'Gold', '--rank', '1000001');
  await t('fd-a-vip-id').fill('gold');
  await t('fd-a-vip-name').fill('Gold');
  await t('fd-a-vip-rank-input').fill('1000001');
  await t('fd-a-vip-save').click();
  await notice.filter({ hasText: words }).waitFor();
  assert.equal(await t('fd-a-vip').count(), 0);
  await t('fd-a-vip-rank-input').fill('50');
  await t('fd-a-vip-save').click();
  await notice.filter({ hasText: 'VIP level gold saved.' }).waitFor();
  await t('fd-a-vip').filter({ hasText: 'Gold' }).getByTestId('fd-a-vip-rank').filter({ hasText: '50' }).waitFor();

  // The log: this change and the earlier tests' (settings, groups, agents), newest first;
  // the agent's passwords nowhere.
  await t('fd-a-audit-reload').click();
  const actions = t('fd-a-audit-action');
  await actions.first().filter({ hasText: 'vip/put' }).waitFor();
  const all = await actions.allInnerTexts();
  for (const a of ['site/set', 'group/save', 'agent/create', 'agent/set']) assert.ok(all.includes(a), `${a} in ${all}`);
  // Refused changes are not logged: one settings save, two group saves, two agent changes.
  const count = (a) => all.filter((x) => x === a).length;
  assert.deepEqual([count('site/set'), count('group/save'), count('agent/create'), count('agent/set'), count('vip/put')], [1, 2, 1, 2, 1]);
  const rows = await t('fd-a-audit').innerText();
  assert.ok(rows.includes(`site admin (appid ${site.appid})`), rows);
  assert.ok(rows.includes('"rank":50'), rows);
  assert.ok(!rows.includes('ann password 1') && !rows.includes('ann new password'), rows);

  assert.deepEqual(log.errors, []);
  await context.close();
});
