// Leave a message (issue 24, item 3) against the real binary: a visitor on a customer page of
// another origin writes while nobody is online, is offered the form beside the offline text,
// gets visible reasons for bad values, leaves a message; an agent lists and answers it over
// the agent socket; the visitor sees the answer in the chat on the next visit. Seed 003's
// stand-alone leavemessage.html with a site's template, in English; msg_flag=1 turns the
// offer off.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  admin, Agent, Chat, HostPage, openConsole, seedSnippet, watchConsole, withWorld,
} from '../lib.mjs';

let db, server, browser, site, shop;
withWorld({
  shop: true,
  prepare: (w) => {
    admin(w.db, 'leave', 'template', 'add', '--site', w.site.sysnum, '--name', 'After-sales',
      '--field', 'text*:Order number', '--field', 'email:Email');
  },
  ready: (w) => ({ db, server, browser, site, shop } = w),
});

async function shopPage(ctx, extra = '') {
  const page = await ctx.newPage();
  await shop.open(page, `<!doctype html><meta charset="utf-8"><title>Shop</title><body><h1>Shop</h1>
${seedSnippet(server.url, site.sysnum, { extra })}</body>`);
  return page;
}

test('nobody online: the chat offers the form, bad values get a reason, the answer is in the chat on the next visit', async () => {
  const ctx = await browser.newContext();
  const page = await shopPage(ctx);
  const log = watchConsole(page);
  const host = new HostPage(page);
  await host.open();
  const frame = page.frameLocator('[data-testid="fd-frame"]');
  await host.chat.send('有人吗？');
  await frame.getByTestId('fd-offline').waitFor();
  await frame.getByTestId('fd-leave-open').click();
  const form = frame.getByTestId('fd-leave');
  await form.waitFor();
  assert.equal(await frame.getByTestId('fd-input').isVisible(), false, 'the form stands in for the conversation');

  // Empty: the message is required, said beside it.
  await form.getByTestId('fd-leave-send').click();
  await form.getByTestId('fd-leave-error').filter({ hasText: '请填写此项' }).waitFor();
  assert.equal(await form.getByTestId('fd-leave-content').getAttribute('aria-invalid'), 'true');
  // No way to be reached: phone or email.
  await form.getByTestId('fd-leave-content').fill('<b>想批量采购</b>，请联系我');
  await form.getByTestId('fd-leave-send').click();
  await form.getByTestId('fd-leave-error').filter({ hasText: '请留下手机号或邮箱' }).waitFor();
  const phone = form.locator('[data-testid="fd-leave-field"][data-name="phone"]');
  await phone.fill('12');
  await form.getByTestId('fd-leave-send').click();
  await form.getByTestId('fd-leave-error').filter({ hasText: '格式不正确' }).waitFor();
  assert.equal(await phone.getAttribute('aria-invalid'), 'true');
  await phone.fill('138 0013 8000');
  await form.getByTestId('fd-leave-send').click();
  await form.getByTestId('fd-leave-done').waitFor();
  await form.getByTestId('fd-leave-cancel').click();
  await frame.getByTestId('fd-input').waitFor({ state: 'visible' });

  // The agent lists it (text as the visitor wrote it) and answers.
  const agent = await Agent.login(server);
  const list = await agent.request({ api_key: 34000, status: 0, page_index: 1, page_size: 20 });
  assert.equal(list.data.open, 1);
  const left = list.data.items[0];
  assert.equal(left.content, '<b>想批量采购</b>，请联系我');
  assert.deepEqual(left.fields, [{ label: 'phone', kind: 'phone', value: '138 0013 8000' }]);
  const answered = await agent.request({ api_key: 34100, id: left.id, msg: '您好，已安排专人联系您。' });
  assert.equal(answered.code, 200, JSON.stringify(answered));
  agent.close();
  assert.equal(admin(db, 'leave', 'list', '--site', site.sysnum)[0].answer, '您好，已安排专人联系您。');

  // The next visit: the answer is in the chat, as the agent's.
  await page.reload();
  await host.open();
  await host.chat.message('您好，已安排专人联系您。', 'agent').waitFor();
  assert.deepEqual(log.errors, []);
  await ctx.close();
});

test('the stand-alone leavemessage.html (seed 003 link) with a template, in English; the answer shows in the chat link', async () => {
  const ctx = await browser.newContext({ viewport: { width: 320, height: 640 }, isMobile: true });
  const page = await ctx.newPage();
  const log = watchConsole(page);
  const r = await page.goto(`${server.url}/chat/h5/v2/leavemessage.html?sysnum=${site.sysnum}&uid=shop-user-9&source=9&uname=Ann&templateid=1&groupid=&locale=en&t=${Date.now()}`);
  assert.equal(r.status(), 200);
  assert.match(r.headers()['content-security-policy'], /frame-ancestors/);
  const form = page.getByTestId('fd-leave');
  await form.getByTestId('fd-leave-send').waitFor();
  assert.equal(await page.getByRole('heading', { level: 2 }).innerText(), 'Leave a message');
  assert.ok(await page.getByLabel('Order number').isVisible());
  assert.ok(await page.getByLabel('Email (optional)').isVisible());
  assert.doesNotMatch(await page.locator('body').innerText(), /[\u4e00-\u9fff]/, 'no Chinese with locale=en');
  const box = await form.boundingBox();
  assert.ok(box.width <= 320, `fits 320 px: ${box.width}`);

  await page.getByLabel('Your message').fill('Where do I send the return?');
  await form.getByTestId('fd-leave-send').click();
  await form.getByTestId('fd-leave-error').filter({ hasText: 'Please fill this in' }).waitFor();
  assert.equal(await page.getByLabel('Order number').getAttribute('aria-invalid'), 'true');
  await page.getByLabel('Order number').fill('SO-1001');
  await form.getByTestId('fd-leave-send').click();
  await form.getByTestId('fd-leave-done').filter({ hasText: 'Thank you' }).waitFor();

  const agent = await Agent.login(server);
  const list = await agent.request({ api_key: 34000, page_index: 1, page_size: 20 });
  const left = list.data.items.find((m) => m.content === 'Where do I send the return?');
  assert.equal(left.templateid, 1);
  assert.equal(left.source, '9');
  assert.equal(left.uname, 'Ann');
  assert.deepEqual(left.fields, [{ label: 'Order number', kind: 'text', value: 'SO-1001' }]);
  await agent.request({ api_key: 34100, id: left.id, msg: 'Send it to 1 Main St.' });
  agent.close();

  // This browser's chat link (same origin, the token the page kept) shows the answer.
  await page.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&locale=en`);
  await new Chat(page).message('Send it to 1 Main St.', 'agent').waitFor();
  assert.deepEqual(log.errors, []);
  await ctx.close();
});

test('msg_flag=1: nobody online, no leave-message offer; leave_msg_flag=1: the input bar has the button; leave_customsys_url: a link', async () => {
  const ctx = await browser.newContext();
  const page = await shopPage(ctx, 'zc("config", {msg_flag: 1});');
  const host = new HostPage(page);
  await host.open();
  const frame = page.frameLocator('[data-testid="fd-frame"]');
  await host.chat.send('anyone?');
  await frame.getByTestId('fd-offline').waitFor();
  assert.equal(await frame.getByTestId('fd-leave-open').count(), 0);
  await ctx.close();

  const ctx2 = await browser.newContext();
  const page2 = await shopPage(ctx2, 'zc("config", {leave_msg_flag: 1});');
  const host2 = new HostPage(page2);
  await host2.open();
  const frame2 = page2.frameLocator('[data-testid="fd-frame"]');
  await frame2.locator('.fd-f [data-testid="fd-leave-open"]').click();
  await frame2.getByTestId('fd-leave').getByTestId('fd-leave-content').waitFor();
  await ctx2.close();

  // leave_customsys_flag + leave_customsys_url (encoded, as seed 003 passes URLs): the offer
  // is a link to the site's own page; a javascript: URL is never one.
  for (const [url, want] of [
    ['encodeURIComponent("https://shop.example/contact?from=chat")', 'https://shop.example/contact?from=chat'],
    ['"javascript:alert(1)"', null],
  ]) {
    const c = await browser.newContext();
    const p = await shopPage(c, `zc("config", {leave_customsys_flag: 1, leave_customsys_url: ${url}});`);
    const h = new HostPage(p);
    await h.open();
    const f = p.frameLocator('[data-testid="fd-frame"]');
    await h.chat.send('hello?');
    const offer = f.getByTestId('fd-leave-open');
    await offer.waitFor();
    if (want) {
      assert.equal(await offer.getAttribute('href'), want);
      assert.equal(await offer.getAttribute('target'), '_blank');
    } else {
      assert.equal(await offer.getAttribute('href'), null, 'not a link: the form instead');
    }
    await c.close();
  }
});

test('the console lists open left messages with their count, answers one (the visitor sees it) and marks one done', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const leave = async (text) => {
    await page.goto(`${server.url}/chat/h5/v2/leavemessage.html?sysnum=${site.sysnum}&source=9&uname=Bo`);
    await page.getByTestId('fd-leave-content').fill(text);
    await page.locator('[data-testid="fd-leave-field"][data-name="email"]').fill('bo@example.com');
    await page.getByTestId('fd-leave-send').click();
    await page.getByTestId('fd-leave-done').waitFor();
  };
  // Earlier tests answered theirs: these two are the open ones.
  await leave('<img src=x onerror=alert(1)> call me');
  await leave('second question');
  const con = await openConsole(browser, server);
  const count = con.page.getByTestId('fd-c-left-count');
  await count.filter({ hasText: '(2 open)' }).waitFor();
  const first = con.page.getByTestId('fd-c-left-item').filter({ hasText: 'call me' });
  assert.equal(await first.getByTestId('fd-c-left-content').innerText(), '<img src=x onerror=alert(1)> call me', 'as text');
  assert.equal(await con.page.locator('[data-testid="fd-c-left"] img').count(), 0);
  assert.match(await first.innerText(), /bo@example\.com/);
  await first.getByLabel('Answer').fill('Calling you at 3 pm.');
  await first.getByTestId('fd-c-left-send').click();
  await count.filter({ hasText: '(1 open)' }).waitFor();
  await con.page.getByTestId('fd-c-left-item').filter({ hasText: 'second question' }).getByTestId('fd-c-left-done').click();
  await count.filter({ hasText: '(0 open)' }).waitFor();
  assert.deepEqual(con.log.errors, []);
  // The visitor (this browser's token, kept by the page) sees the answer in the chat link.
  await page.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}`);
  await new Chat(page).message('Calling you at 3 pm.', 'agent').waitFor();
  await con.context.close();
  await ctx.close();
});

test('after the agent ends the chat the visitor is offered to leave a message (msg_flag 0); msg_flag=1 offers nothing', async () => {
  for (const [flag, offered] of [['', true], ['zc("config", {msg_flag: 1});', false]]) {
    const agent = await Agent.login(server);
    const ctx = await browser.newContext();
    const page = await shopPage(ctx, flag);
    const host = new HostPage(page);
    await host.open();
    const frame = page.frameLocator('[data-testid="fd-frame"]');
    const text = `Thanks, that is all ${offered}`;
    await host.chat.send(text);
    const push = await agent.visitorMessage(text);
    await agent.request({ api_key: 32300, gid: push.data.gid, msg: 'You are welcome', file_type: 0 });
    await host.chat.message('You are welcome', 'agent').waitFor();
    assert.equal(await frame.getByTestId('fd-leave-after-end').count(), 0, 'not while the chat goes on');
    await agent.request({ api_key: 32600, gid: push.data.gid });
    if (offered) {
      await frame.getByTestId('fd-leave-after-end').getByTestId('fd-leave-open').click();
      await frame.getByTestId('fd-leave').getByTestId('fd-leave-send').waitFor();
    } else {
      await host.chat.messages('system').last().waitFor();
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await frame.getByTestId('fd-leave-after-end').count(), 0, 'msg_flag=1: no entry');
    }
    agent.close();
    await ctx.close();
  }
});
