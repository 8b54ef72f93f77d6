// The agent's workbench in the console (issue 25): search finds a Chinese word inside a
// message and a partnerid, a hit opens its conversation read-only, a private note reaches
// neither the visitor's chat page nor the site's push URL, and a chat ends with its
// summary and labels (found by search afterwards); a canned reply typed as /shortcut is sent
// with its {name} filled.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { admin, Chat, openConsole, watchConsole, withWorld } from '../lib.mjs';

// The site's push URL: a receiver on 127.0.0.1 that keeps every body it is sent.
const pushes = [];
const hook = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => { pushes.push(body); res.end('ok'); });
});
after(() => new Promise((r) => hook.close(r)));

let server, browser, site;
withWorld({
  prepare: async (w) => {
    await new Promise((r) => hook.listen(0, '127.0.0.1', r));
    execFileSync(process.env.FRONTDESK_BIN, ['admin', '--database-url', w.db, 'site', 'set', '--site', w.site.sysnum,
      '--push-url', `http://127.0.0.1:${hook.address().port}/hook`, '--push-allow-private']);
    // A canned reply of the site, with variables.
    admin(w.db, 'canned', 'add', '--site', w.site.sysnum, '--shortcut', 'hi', '--text', '{name}您好，我是{agent}，请问有什么可以帮您？');
  },
  ready: (w) => ({ server, browser, site } = w),
});

async function until(fn, what, timeout = 15000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Searches `q` in the console until a hit matching `selector` is listed (indexing runs in the background). */
async function search(page, q, selector = '[data-testid="fd-c-hit"]') {
  await page.getByTestId('fd-c-search').fill(q);
  await until(async () => {
    await page.getByTestId('fd-c-search-go').click();
    await page.getByTestId('fd-c-search-summary').filter({ hasText: /result/ }).waitFor();
    return (await page.locator(selector).count()) > 0;
  }, `a hit for ${q}`);
  return page.locator(selector);
}

test('workbench: search, a read-only conversation, a note nobody outside sees, a summary on ending', async () => {
  const c = await openConsole(browser, server);
  const vctx = await browser.newContext();
  const vpage = await vctx.newPage();
  await vpage.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&uname=${encodeURIComponent('王小明')}&partnerid=vip-42&locale=en`);
  const chat = new Chat(vpage);
  await chat.input.waitFor();
  await chat.send('我想退货，运费怎么算？');

  const guest = c.c.guest('mine', '王小明');
  await guest.waitFor();
  await guest.getByRole('button').click();
  await c.c.message('我想退货', 'visitor').waitFor();
  await c.c.send('好的，退货运费我们承担。');
  await chat.message('退货运费我们承担', 'agent').waitFor();

  // A private note: listed for agents; never on the chat page, never pushed.
  await c.page.getByTestId('fd-c-note-input').fill('NOTE-秘密 客户很着急');
  await c.page.getByTestId('fd-c-note-add').click();
  await c.page.getByTestId('fd-c-note').filter({ hasText: 'NOTE-秘密' }).waitFor();
  await c.c.send('请稍等');
  await chat.message('请稍等', 'agent').waitFor();
  assert.equal(await chat.messages().filter({ hasText: 'NOTE-秘密' }).count(), 0);
  await until(() => pushes.some((p) => p.includes('请稍等')), 'the reply pushed');
  assert.ok(pushes.length >= 3, `pushes: ${pushes.length}`);
  assert.ok(pushes.every((p) => !p.includes('NOTE')), 'no push carries the note');

  // A Chinese word inside messages: hits with the word marked.
  const hits = await search(c.page, '退货', '[data-testid="fd-c-hit"][data-field="message"]');
  assert.equal(await hits.count(), 2);
  assert.equal(await hits.first().locator('mark').first().innerText(), '退货');
  // The partnerid finds the visitor's profile.
  const profile = await search(c.page, 'vip-42', '[data-testid="fd-c-hit"][data-field="profile"]');
  assert.match(await profile.first().innerText(), /王小明/);
  // The note is searchable too, and a hit opens the conversation read-only, note included.
  const noteHit = await search(c.page, '着急', '[data-testid="fd-c-hit"][data-field="note"]');
  await noteHit.first().getByRole('button').click();
  const viewer = c.page.getByTestId('fd-c-viewer');
  await viewer.getByTestId('fd-c-viewer-msg').filter({ hasText: '我想退货' }).waitFor();
  await viewer.getByTestId('fd-c-viewer-note').filter({ hasText: 'NOTE-秘密' }).waitFor();
  assert.equal(await viewer.locator('textarea, input').count(), 0, 'read only');
  await c.page.getByTestId('fd-c-viewer-close').click();
  await viewer.waitFor({ state: 'detached' });

  // Ending the chat asks for its summary; labels are searchable afterwards.
  await c.page.getByTestId('fd-c-end').click();
  await c.page.getByTestId('fd-c-end-category').fill('售后');
  await c.page.getByTestId('fd-c-end-summary').fill('退货已安排上门取件');
  await c.page.getByTestId('fd-c-end-labels').fill('vip, refund');
  await c.page.getByTestId('fd-c-end-confirm').click();
  await guest.waitFor({ state: 'detached' });
  const summary = await search(c.page, 'refund', '[data-testid="fd-c-hit"][data-field="summary"]');
  await summary.first().getByRole('button').click();
  await viewer.getByTestId('fd-c-viewer-summary').filter({ hasText: '退货已安排上门取件' }).waitFor();
  assert.deepEqual(await viewer.getByTestId('fd-c-viewer-label').allInnerTexts(), ['vip', 'refund']);

  assert.deepEqual(c.log.errors, []);
  await vctx.close();
  await c.context.close();
});

test('workbench: /hi puts the canned reply with the visitor\'s name in the reply box; it is sent', async () => {
  const c = await openConsole(browser, server);
  const vctx = await browser.newContext();
  const vpage = await vctx.newPage();
  await vpage.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&uname=Chen&locale=en`);
  const chat = new Chat(vpage);
  await chat.input.waitFor();
  await chat.send('hello?');
  const guest = c.c.guest('mine', 'Chen');
  await guest.waitFor();
  await guest.getByRole('button').click();
  await c.c.message('hello?', 'visitor').waitFor();

  // The panel lists the site's reply; typing its shortcut offers it.
  await c.page.getByTestId('fd-c-canned-item').filter({ hasText: '/hi' }).waitFor({ state: 'attached' });
  await c.c.input.pressSequentially('/h');
  await c.page.getByTestId('fd-c-canned-option').filter({ hasText: '/hi' }).waitFor();
  await c.c.input.press('Enter');
  assert.equal(await c.c.input.inputValue(), 'Chen您好，我是Kim，请问有什么可以帮您？');
  await c.c.input.press('Enter');
  await chat.message('Chen您好，我是Kim，请问有什么可以帮您？', 'agent').waitFor();
  assert.equal(await c.c.input.inputValue(), '');

  // An agent's own reply, added in the panel, is offered too (clicked this time).
  await c.page.locator('[data-testid="fd-c-canned"] > summary').click();
  await c.page.getByTestId('fd-c-canned-shortcut').fill('bye');
  await c.page.getByTestId('fd-c-canned-text').fill('再见，{name}！');
  await c.page.getByTestId('fd-c-canned-add').click();
  await c.page.getByTestId('fd-c-canned-item').filter({ hasText: 'mine' }).waitFor();
  await c.c.input.pressSequentially('/by');
  await c.page.getByTestId('fd-c-canned-option').filter({ hasText: '/bye' }).click();
  assert.equal(await c.c.input.inputValue(), '再见，Chen！');
  await c.page.getByTestId('fd-c-send').click();
  await chat.message('再见，Chen！', 'agent').waitFor();

  assert.deepEqual(c.log.errors, []);
  await vctx.close();
  await c.context.close();
});

test('workbench: the site admin blocks a visitor and an address; they get a polite refusal and leave the agent\'s list', async () => {
  const c = await openConsole(browser, server);
  const vctx = await browser.newContext();
  const vpage = await vctx.newPage();
  await vpage.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&uname=Troll&locale=en`);
  const chat = new Chat(vpage);
  await chat.input.waitFor();
  await chat.send('you are all useless');
  const guest = c.c.guest('mine', 'Troll');
  await guest.waitFor();
  const gid = await guest.getAttribute('data-gid');
  assert.match(gid, /^\d+$/);

  // The site admin view: bad input is refused with the reason; then the visitor is blocked.
  const actx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const apage = await actx.newPage();
  const alog = watchConsole(apage);
  await apage.goto(`${server.url}/console/?admin`);
  await apage.getByTestId('fd-a-appid').fill(site.appid);
  await apage.getByTestId('fd-a-secret').fill(site.secret);
  await apage.getByTestId('fd-a-signin').click();
  await apage.getByTestId('fd-a-blocks').waitFor({ state: 'attached' });
  const notice = apage.getByTestId('fd-a-notice');
  await apage.getByTestId('fd-a-block-kind').selectOption('ip');
  await apage.getByTestId('fd-a-block-target').fill('300.1.2.3');
  await apage.getByTestId('fd-a-block-add').click();
  await notice.filter({ hasText: 'not an IP address' }).waitFor();
  await apage.getByTestId('fd-a-block-kind').selectOption('visitor');
  await apage.getByTestId('fd-a-block-target').fill(gid);
  await apage.getByTestId('fd-a-block-reason').fill('abusive language');
  await apage.getByTestId('fd-a-block-days').fill('0');
  await apage.getByTestId('fd-a-block-add').click();
  await notice.filter({ hasText: 'days is 1-3650' }).waitFor();
  await apage.getByTestId('fd-a-block-days').fill('30');
  await apage.getByTestId('fd-a-block-add').click();
  await notice.filter({ hasText: /Block \d+ added/ }).waitFor();
  const row = apage.getByTestId('fd-a-block').filter({ hasText: `visitor ${gid}` });
  await row.filter({ hasText: 'abusive language' }).waitFor();

  // The visitor's next message is refused politely; the agent's list drops them.
  await chat.send('hello??');
  await vpage.getByTestId('fd-status').filter({ hasText: 'Sorry, we cannot offer you a chat at the moment.' }).waitFor();
  await guest.waitFor({ state: 'detached', timeout: 5000 }); // told at once (32802), not at the next list poll
  assert.equal(await c.c.message('hello??').count(), 0);

  // An address range: a new visitor from it sees the refusal and no chat box; deleted, they chat.
  await row.getByTestId('fd-a-block-delete').click();
  await row.waitFor({ state: 'detached' });
  await apage.getByTestId('fd-a-block-kind').selectOption('ip');
  await apage.getByTestId('fd-a-block-target').fill('127.0.0.0/8');
  await apage.getByTestId('fd-a-block-days').fill('');
  await apage.getByTestId('fd-a-block-add').click();
  const range = apage.getByTestId('fd-a-block').filter({ hasText: 'address 127.0.0.0/8' });
  await range.waitFor();
  const nctx = await browser.newContext();
  const npage = await nctx.newPage();
  await npage.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&locale=en`);
  await npage.getByTestId('fd-status').filter({ hasText: 'Sorry, we cannot offer you a chat at the moment.' }).waitFor();
  assert.equal(await npage.getByTestId('fd-input').count(), 0);
  await range.getByTestId('fd-a-block-delete').click();
  await range.waitFor({ state: 'detached' });
  await npage.reload();
  const again = new Chat(npage);
  await again.input.waitFor();
  await again.send('may I ask something?');
  await again.message('may I ask something?', 'visitor').waitFor();

  assert.deepEqual(alog.errors, []);
  assert.deepEqual(c.log.errors, []);
  await nctx.close();
  await actx.close();
  await vctx.close();
  await c.context.close();
});

test('workbench: the admin view\'s report draws its charts from the conversations made here and exports CSV', async () => {
  // A conversation made now: asked, answered, ended.
  const c = await openConsole(browser, server);
  const vctx = await browser.newContext();
  const vpage = await vctx.newPage();
  await vpage.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&uname=${encodeURIComponent('报表客户')}&locale=en`);
  const chat = new Chat(vpage);
  await chat.input.waitFor();
  await chat.send('运费多少？');
  const guest = c.c.guest('mine', '报表客户');
  await guest.waitFor();
  await guest.getByRole('button').click();
  await c.c.send('包邮。');
  await chat.message('包邮。', 'agent').waitFor();
  await c.page.getByTestId('fd-c-end').click();
  await c.page.getByTestId('fd-c-end-confirm').click();
  await guest.waitFor({ state: 'detached' });

  // The same figures as the JSON endpoint says, for the browser's last 7 days.
  const tok = await (await fetch(`${server.url}/cgi-bin/token?grant_type=client_credential&appid=${site.appid}&secret=${site.secret}`)).json();
  const actx = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
  const apage = await actx.newPage();
  const alog = watchConsole(apage);
  await apage.goto(`${server.url}/console/?admin`);
  await apage.getByTestId('fd-a-token').fill(tok.access_token);
  await apage.getByTestId('fd-a-signin').click();
  const tz = await apage.getByTestId('fd-a-rep-tz').inputValue();
  assert.ok(tz.length > 0);
  // Bad input is refused with the reason.
  await apage.getByTestId('fd-a-rep-since').fill('yesterday');
  await apage.getByTestId('fd-a-rep-show').click();
  await apage.getByTestId('fd-a-notice').filter({ hasText: 'YYYY-MM-DD' }).waitFor();
  await apage.getByTestId('fd-a-rep-since').fill('');
  await apage.getByTestId('fd-a-rep-show').click();
  const days = apage.getByTestId('fd-a-chart-days').getByTestId('fd-a-bar');
  await days.first().waitFor({ state: 'attached' });
  const api = await (await fetch(`${server.url}/api/admin/report?tz=${encodeURIComponent(tz)}`, {
    headers: { authorization: `Bearer ${tok.access_token}` },
  })).json();
  assert.equal(api.errcode, 0, JSON.stringify(api));
  const r = api.report;
  assert.ok(r.conversations >= 1 && r.messages >= 2, JSON.stringify(r));
  const values = async (chart) => apage.getByTestId(chart).getByTestId('fd-a-bar')
    .evaluateAll((l) => l.map((e) => Number(e.dataset.value)));
  assert.deepEqual(await values('fd-a-chart-days'), r.by_day.map((b) => b.conversations));
  assert.deepEqual(await values('fd-a-chart-messages'), r.by_day.map((b) => b.messages));
  assert.deepEqual(await values('fd-a-chart-hours'), r.by_hour.map((b) => b.conversations));
  assert.equal((await values('fd-a-chart-days')).length, 7);
  assert.equal((await values('fd-a-chart-hours')).length, 24);
  assert.equal(await apage.locator('[data-testid="fd-a-rep"][data-key="conversations"]').innerText(), String(r.conversations));
  // Today's bar holds the conversation made above, drawn (SVG, a visible bar).
  assert.ok((await values('fd-a-chart-days')).at(-1) >= 1);
  await days.last().waitFor();
  assert.equal(await days.last().evaluate((e) => e.namespaceURI), 'http://www.w3.org/2000/svg');
  assert.ok((await days.last().boundingBox()).height > 10);
  assert.ok((await apage.getByTestId('fd-a-rep-agent').filter({ hasText: 'Kim' }).count()) === 1);
  const href = await apage.getByTestId('fd-a-rep-csv').getAttribute('href');
  const csv = decodeURIComponent(href.replace(/^data:text\/csv;charset=utf-8,/, ''));
  assert.ok(csv.startsWith('day,conversations,messages\n'), csv);
  assert.ok(csv.includes(`${r.by_day.at(-1).key},${r.by_day.at(-1).conversations},${r.by_day.at(-1).messages}`), csv);

  assert.deepEqual(alog.errors, []);
  await actx.close();
  await vctx.close();
  await c.context.close();
});
