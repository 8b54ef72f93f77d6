// Settings in the browser (issue 25, item 9): the site admin view (/console/?admin) shows the
// site's reception defaults, push URL, sign check and embedding origins, refuses a bad value
// with the text `frontdesk admin site set` prints for it (and keeps what was stored), and
// saves good ones — read back after a reload, and in force (the chat page's frame-ancestors).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { watchConsole, withWorld } from '../lib.mjs';

let db, server, browser, site;
withWorld({ ready: (w) => ({ db, server, browser, site } = w) });

/** What `frontdesk admin site set … ARGS` prints on stderr (it must refuse them). */
function cliError(...args) {
  const r = spawnSync(process.env.FRONTDESK_BIN, ['admin', '--database-url', db, 'site', 'set', '--site', site.sysnum, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  return r.stderr.trim().replace(/^error: /, '');
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
  await page.waitForFunction(() => document.querySelector('[data-testid="fd-a-site-manual-after"]').value === '3');
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
