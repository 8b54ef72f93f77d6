// The agent console (/console/) against the real binary: a visitor on the demo page and an
// agent in the console chat both ways with unread badges and the tab title; a transfer to a
// second agent through the console; visitor-supplied HTML and javascript: stay text; paged
// history and ending a chat.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  admin, PASSWORD, Server, Agent, HostPage, Chat, openConsole, withWorld,
} from '../lib.mjs';

let db, server, browser, site;
withWorld({
  prepare: (w) => admin(w.db, 'agent', 'create', '--site', w.site.sysnum, '--account', 'kf2@e2e',
    '--nick', 'Lee', '--password', PASSWORD),
  ready: (w) => ({ db, server, browser, site } = w),
});

const consoleAs = (account) => openConsole(browser, server, account);

test('console: visitor and agent chat both ways; unread badge and tab title; read on open', async () => {
  const agent = await consoleAs('kf1@e2e');
  await agent.page.getByTestId('fd-c-suspend').waitFor();
  assert.equal(await agent.page.title(), 'Frontdesk');

  const vctx = await browser.newContext();
  const vpage = await vctx.newPage();
  await vpage.goto(`http://localhost:${server.port}/demo/?sysnum=${site.sysnum}`);
  const host = new HostPage(vpage);
  await host.open();
  await host.chat.send('Where is my parcel?');

  const item = agent.c.guest('mine', 'Where is my parcel?');
  await item.waitFor();
  await item.getByTestId('fd-c-unread').waitFor();
  assert.equal(await item.getByTestId('fd-c-unread').innerText(), '1');
  await agent.page.waitForFunction(() => document.title === '(1) Frontdesk');

  await item.getByRole('button').click();
  await agent.c.message('Where is my parcel?', 'visitor').waitFor();
  assert.equal(await item.getByTestId('fd-c-unread').count(), 0, 'opening the chat clears the badge');
  await agent.page.waitForFunction(() => document.title === 'Frontdesk');
  assert.equal(await agent.page.evaluate(() => document.activeElement?.dataset.testid), 'fd-c-input',
    'the input has the focus');

  await agent.c.send('It left the warehouse today.');
  await agent.c.message('It left the warehouse today.', 'agent').waitFor();
  await host.chat.message('It left the warehouse today.', 'agent').waitFor();

  // The open chat gets new visitor messages without a badge.
  await host.chat.send('Thanks!');
  await agent.c.message('Thanks!', 'visitor').waitFor();
  assert.equal(await item.getByTestId('fd-c-unread').count(), 0);

  // A reload keeps the session (sessionStorage) and the chat list.
  await agent.page.reload();
  await agent.c.guest('mine', 'Thanks!').waitFor();

  assert.deepEqual(agent.log.errors, []);
  await vctx.close();
  await agent.context.close();
});

test('console: wrong password is refused with a message', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/console/`);
  await page.getByTestId('fd-c-account').fill('kf1@e2e');
  await page.getByTestId('fd-c-password').fill('not the password');
  await page.getByTestId('fd-c-login').click();
  await page.getByTestId('fd-c-error').filter({ hasText: 'Wrong account or password' }).waitFor();
  await context.close();
});

test('console: transfer to a second agent; it gets the chat with history, the visitor a system line', async () => {
  const a = await consoleAs('kf1@e2e');
  const vctx = await browser.newContext();
  const vpage = await vctx.newPage();
  await vpage.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&uname=Transfer%20Tina&locale=en`);
  const chat = new Chat(vpage);
  await chat.input.waitFor();
  await chat.send('I need billing help');
  const item = a.c.guest('mine', 'Transfer Tina');
  await item.waitFor();

  const b = await consoleAs('kf2@e2e');
  await item.getByRole('button').click();
  await a.c.message('I need billing help', 'visitor').waitFor();
  await a.c.send('Let me get my colleague.');
  await a.c.message('Let me get my colleague.', 'agent').waitFor();
  const transfer = a.page.getByTestId('fd-c-transfer').filter({ hasText: 'Lee' });
  await transfer.waitFor({ timeout: 20000 });
  await transfer.click();

  // Gone from A's chats, in B's with its history.
  await item.waitFor({ state: 'detached' });
  const bItem = b.c.guest('mine', 'Transfer Tina');
  await bItem.waitFor();
  await bItem.getByRole('button').click();
  await b.c.message('I need billing help', 'visitor').waitFor();
  await b.c.message('Let me get my colleague.', 'agent').waitFor();
  await b.c.messages('system').first().waitFor();
  await chat.messages('system').first().waitFor();

  await b.c.send('Hi, billing here.');
  await chat.message('Hi, billing here.', 'agent').waitFor();

  assert.deepEqual(a.log.errors, []);
  assert.deepEqual(b.log.errors, []);
  await vctx.close();
  await a.context.close();
  await b.context.close();
});

test('console: visitor-supplied HTML and javascript: are shown as text and execute nothing', async () => {
  const agent = await consoleAs('kf1@e2e');
  const uname = '<img src=x onerror=alert(1)>';
  const vctx = await browser.newContext();
  const vpage = await vctx.newPage();
  await vpage.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&uname=${encodeURIComponent(uname)}&locale=en`);
  const chat = new Chat(vpage);
  await chat.input.waitFor();
  await chat.send('<img src=x onerror=alert(2)>');
  await chat.send('javascript:alert(3)');

  const item = agent.c.guest('mine', uname);
  await item.waitFor();
  await item.getByRole('button').click();
  const m2 = agent.c.message('onerror=alert(2)', 'visitor');
  await m2.waitFor();
  assert.equal(await m2.innerText(), '<img src=x onerror=alert(2)>');
  await agent.c.message('javascript:alert(3)', 'visitor').waitFor();
  assert.ok((await agent.page.getByTestId('fd-c-title').innerText()).includes(uname));
  assert.equal(await agent.c.messageList.locator('img').count(), 0, 'no img from message text');
  assert.equal(await agent.page.locator('img').count(), 0, 'no img anywhere in the console');
  assert.equal(await agent.page.locator('a[href^="javascript:"]').count(), 0);
  await agent.page.waitForTimeout(300);
  assert.deepEqual(agent.log.dialogs, [], 'nothing executed');
  await vctx.close();
  await agent.context.close();
});

test('console: older history loads in pages of 20 (32100), then the agent ends the chat (32600)', async () => {
  const c = await consoleAs('kf1@e2e');
  const vctx = await browser.newContext();
  const vpage = await vctx.newPage();
  await vpage.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&uname=Paging%20Pat&locale=en`);
  const chat = new Chat(vpage);
  await chat.input.waitFor();
  await chat.send('the very first question');
  await c.c.guest('mine', 'Paging Pat').waitFor();
  // 24 answers from the same agent's second connection make the history longer than a page.
  const raw = await Agent.login(server);
  const gid = await c.c.guest('mine', 'Paging Pat').getAttribute('data-gid');
  for (let i = 1; i <= 24; i++) {
    const r = await raw.request({ api_key: 32300, gid, msg: `answer ${String(i).padStart(2, '0')}`, file_type: 0 });
    assert.equal(r.code, 200);
  }
  raw.close();

  await c.c.guest('mine', 'Paging Pat').getByRole('button').click();
  await c.c.message('answer 24', 'agent').waitFor();
  assert.equal(await c.c.messages().count(), 20, 'the newest page only');
  assert.equal(await c.c.message('the very first question', 'visitor').count(), 0);
  await c.page.getByTestId('fd-c-older').click();
  await c.c.message('the very first question', 'visitor').waitFor();
  assert.equal(await c.c.message('answer 01', 'agent').count(), 1);
  await c.page.getByTestId('fd-c-older').waitFor({ state: 'detached' });

  await c.page.getByTestId('fd-c-end').click();
  await c.page.getByTestId('fd-c-end-confirm').click();
  await c.c.guest('mine', 'Paging Pat').waitFor({ state: 'detached' });
  assert.deepEqual(c.log.errors, []);
  await vctx.close();
  await c.context.close();
});

test('console: a suspended agent sees a new visitor in Waiting; resume toggles back', async () => {
  const c = await consoleAs('kf1@e2e');
  const suspend = c.page.getByTestId('fd-c-suspend');
  await suspend.click();
  await c.page.locator('[data-testid="fd-c-suspend"][aria-pressed="true"]').waitFor();
  assert.equal(await suspend.innerText(), 'Resume');

  const vctx = await browser.newContext();
  const vpage = await vctx.newPage();
  await vpage.goto(`${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&uname=Queue%20Quinn&locale=en`);
  const chat = new Chat(vpage);
  await chat.input.waitFor();
  await chat.send('anyone there?');
  // Nobody can serve: the visitor waits, and the console lists them (chat list refresh).
  await c.c.guest('waiting', 'Queue Quinn').waitFor({ timeout: 25000 });
  assert.equal(await c.c.guest('mine', 'Queue Quinn').count(), 0);

  await suspend.click();
  await c.page.locator('[data-testid="fd-c-suspend"][aria-pressed="false"]').waitFor();
  assert.deepEqual(c.log.errors, []);
  await vctx.close();
  await c.context.close();
});

test('console opened under another host name says why it cannot connect', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // The server's public URL is http://127.0.0.1:PORT; localhost is another origin.
  await page.goto(`http://localhost:${server.port}/console/`);
  const why = page.getByTestId('fd-c-wrong-origin');
  await why.waitFor();
  const text = await why.innerText();
  assert.ok(text.includes(`http://localhost:${server.port}`) && text.includes(server.url), text);
  assert.equal(await page.getByTestId('fd-c-account').count(), 0, 'no login form that cannot work');
  assert.equal(await page.getByTestId('fd-c-right-origin').getAttribute('href'), `${server.url}/console/`);
  await page.getByTestId('fd-c-right-origin').click();
  await page.getByTestId('fd-c-account').waitFor();
  await context.close();
});
