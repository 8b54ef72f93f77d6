// The console's site admin view (/console/?admin) against the real binary: an operator signs
// in with the site's appid + secret (a wrong secret is refused with the server's errmsg),
// sees the site's robots and FAQ entries (stored HTML stays text), adds an entry, imports a
// CSV file read in the browser and sees the per-row report, deletes an entry.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  admin, watchConsole, withWorld,
} from '../lib.mjs';

let db, server, browser, site;
withWorld({
  prepare: (w) => {
    admin(w.db, 'robot', 'create', '--site', w.site.sysnum, '--name', '小智');
    admin(w.db, 'faq', 'add', '--site', w.site.sysnum, '--question', '<img src=x onerror="window.pwned=1">退货?',
      '--answer', '<b>在订单页申请</b>', '--similar', '怎么退货');
  },
  ready: (w) => ({ db, server, browser, site } = w),
});

test('robot admin: sign in, list, add, import with a per-row report, delete', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const log = watchConsole(page);
  await page.goto(`${server.url}/console/`);
  await page.getByTestId('fd-c-admin-link').click();
  await page.getByTestId('fd-a-appid').waitFor();

  // A wrong secret: the server's error, no token.
  await page.getByTestId('fd-a-appid').fill(site.appid);
  await page.getByTestId('fd-a-secret').fill('wrong');
  await page.getByTestId('fd-a-signin').click();
  await page.getByTestId('fd-a-notice').filter({ hasText: '40001' }).waitFor();

  await page.getByTestId('fd-a-secret').fill(site.secret);
  await page.getByTestId('fd-a-signin').click();
  await page.getByTestId('fd-a-robot').filter({ hasText: '小智' }).waitFor();
  const rows = page.getByTestId('fd-a-faq');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 1);
  // Stored markup is shown as text, never parsed.
  assert.equal(await page.getByTestId('fd-a-q').first().innerText(), '<img src=x onerror="window.pwned=1">退货?');
  assert.equal(await page.getByTestId('fd-a-ans').first().innerText(), '<b>在订单页申请</b>');
  assert.equal(await page.locator('[data-testid="fd-a-faqs"] img, [data-testid="fd-a-faqs"] b').count(), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);

  // Add.
  await page.getByTestId('fd-a-add-q').fill('发票怎么开');
  await page.getByTestId('fd-a-add-a').fill('在订单详情页申请电子发票。');
  await page.getByTestId('fd-a-add-s').fill('能开发票吗\n要发票');
  await page.getByTestId('fd-a-add-g').fill('2');
  await page.getByTestId('fd-a-add').click();
  await page.getByTestId('fd-a-q').filter({ hasText: '发票怎么开' }).waitFor();
  const added = rows.filter({ hasText: '发票怎么开' });
  assert.match(await added.innerText(), /能开发票吗 \| 要发票/);

  // An invalid entry: the server's reason is shown.
  await page.getByTestId('fd-a-add-q').fill('');
  await page.getByTestId('fd-a-add-a').fill('no question');
  await page.getByTestId('fd-a-add').click();
  await page.getByTestId('fd-a-notice').filter({ hasText: 'question must be' }).waitFor();

  // Import a CSV file: good rows kept, the bad one reported by line.
  const csv = 'question,answer,similar,faq_group\n'
    + '退款多久到账,"1-3 个工作日, 原路退回",钱什么时候退|退款到账,1\n'
    + '没有答案的问题,,,\n'
    + 'Opening hours?,9:00-18:00,When are you open,\n';
  await page.getByTestId('fd-a-file').setInputFiles({ name: 'faq.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByTestId('fd-a-import').click();
  await page.getByTestId('fd-a-report-summary').filter({ hasText: '2 added, 1 refused' }).waitFor();
  const err = page.getByTestId('fd-a-row-error');
  assert.equal(await err.count(), 1);
  assert.match(await err.innerText(), /^line 3: answer must be/);
  await page.getByTestId('fd-a-q').filter({ hasText: 'Opening hours?' }).waitFor();
  assert.equal(await rows.count(), 4);
  assert.match(await page.getByTestId('fd-a-summary').innerText(), /of 4/);

  // Delete.
  await added.getByTestId('fd-a-delete').click();
  await page.getByTestId('fd-a-q').filter({ hasText: '发票怎么开' }).waitFor({ state: 'detached' });
  assert.equal(await rows.count(), 3);
  assert.deepEqual(log.errors, []);
  await context.close();
});
