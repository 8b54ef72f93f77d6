// Rating a chat (issue 24, item 4) against the real binary, from a shop page of another
// origin: feedback_flag shows the control once an agent has answered (not before); the
// visitor picks stars and comments, the rating is stored and listed by `admin ratings`; the
// tags offered for the chosen score (complaints for 1–3 stars, praise for 4–5, in the page's
// language) are toggle buttons, sent and stored with it and shown in the console;
// satDegree_A offers it when the agent ends the chat, for the next chat's own rating.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  admin, Agent, openConsole, openShopChat, withWorld,
} from '../lib.mjs';

let db, server, browser, site, shop;
withWorld({ shop: true, ready: (w) => ({ db, server, browser, site, shop } = w) });

const chatWith = (extra) => openShopChat(browser, shop, server, site, extra);

test('feedback_flag: rate once an agent answered; stored and listed; changeable', async () => {
  const agent = await Agent.login(server);
  const { ctx, log, host, frame } = await chatWith('zc("config", {feedback_flag: 1, locale: "en"});');
  await host.chat.send('Is it waterproof?');
  const push = await agent.visitorMessage('Is it waterproof?');
  assert.equal(await frame.getByTestId('fd-rate-open').count(), 0, 'nothing to rate before an answer');
  await agent.request({ api_key: 32300, gid: push.data.gid, msg: 'Yes, to 50 m.', file_type: 0 });
  await host.chat.message('Yes, to 50 m.', 'agent').waitFor();
  await frame.getByTestId('fd-rate-open').click();
  const panel = frame.getByTestId('fd-rate');
  await panel.getByTestId('fd-rate-send').click();
  await panel.getByTestId('fd-rate-error').filter({ hasText: 'Please choose' }).waitFor();
  await panel.getByLabel('4 stars: satisfied').check({ force: true });
  await panel.getByTestId('fd-rate-comment').fill('Quick <b>answer</b>');
  await panel.getByTestId('fd-rate-send').click();
  await panel.getByTestId('fd-rate-done').filter({ hasText: 'Thank you' }).waitFor();
  let list = admin(db, 'ratings', '--site', site.sysnum);
  assert.equal(list.length, 1);
  assert.deepEqual([list[0].gid, list[0].agent, list[0].score, list[0].comment], [push.data.gid, 'kf1@e2e', 4, 'Quick <b>answer</b>']);
  // Changed before the next chat: still one rating.
  await panel.getByLabel('2 stars: dissatisfied').check({ force: true });
  await panel.getByTestId('fd-rate-send').click();
  await panel.getByTestId('fd-rate-done').waitFor();
  await new Promise((r) => setTimeout(r, 300));
  list = admin(db, 'ratings', '--site', site.sysnum);
  assert.deepEqual(list.map((r) => r.score), [2]);
  assert.deepEqual(log.errors, []);
  // The agent sees it beside the conversation in the console (the comment as text).
  const con = await openConsole(browser, server);
  await con.c.guest('mine', 'Yes, to 50 m.').getByRole('button').click();
  const rating = con.page.getByTestId('fd-c-rating');
  await rating.waitFor();
  assert.match(await rating.innerText(), /2\/5 kf1@e2e Quick <b>answer<\/b>/);
  await con.context.close();
  await agent.request({ api_key: 32600, gid: push.data.gid });
  agent.close();
  await ctx.close();
});

test('tags: the chosen score\'s set in the page\'s language, toggled by mouse or keyboard; stored and shown to the agent', async () => {
  const agent = await Agent.login(server);
  const { ctx, page, log, host, frame } = await chatWith('zc("config", {feedback_flag: 1, locale: "en"});');
  await host.chat.send('Where is my refund?');
  const push = await agent.visitorMessage('Where is my refund?');
  await agent.request({ api_key: 32300, gid: push.data.gid, msg: 'Still checking.', file_type: 0 });
  await host.chat.message('Still checking.', 'agent').waitFor();
  await frame.getByTestId('fd-rate-open').click();
  const panel = frame.getByTestId('fd-rate');
  const tags = panel.getByTestId('fd-rate-tag');
  const tag = (t) => panel.locator(`[data-testid="fd-rate-tag"][data-tag="${t}"]`);
  const pressed = () => tags.evaluateAll((bs) => bs.filter((b) => b.getAttribute('aria-pressed') === 'true').map((b) => b.dataset.tag));
  assert.equal(await tags.count(), 0, 'no tags before a score');
  await panel.getByLabel('5 stars: very satisfied').check({ force: true });
  assert.deepEqual(await tags.allInnerTexts(), ['Fast', 'Solved my problem', 'Friendly', 'Clear answers']);
  await tag('Fast').click();
  assert.deepEqual(await pressed(), ['Fast']);
  // 4 stars: the same set, kept as chosen; 2 stars: the other set, nothing chosen.
  await panel.getByLabel('4 stars: satisfied').check({ force: true });
  assert.deepEqual(await pressed(), ['Fast']);
  await panel.getByLabel('2 stars: dissatisfied').check({ force: true });
  assert.deepEqual(await tags.allInnerTexts(), ['Slow to answer', 'Problem not solved', 'Unfriendly', 'Had to repeat myself']);
  assert.deepEqual(await pressed(), []);
  await tag('Slow to answer').click();
  await tag('Unfriendly').click();
  await tag('Unfriendly').click(); // and off again
  // From the keyboard: a tag is a button (Tab reaches it, Space toggles it).
  await tag('Had to repeat myself').focus();
  await frame.locator(':focus').press('Space');
  assert.deepEqual(await pressed(), ['Slow to answer', 'Had to repeat myself']);
  assert.equal(await tag('Slow to answer').getAttribute('aria-pressed'), 'true');
  // Chosen and not: readable (≥ 4.5:1) and named, as axe-core (npm) checks them.
  const chat = page.frames().find((f) => f.url().includes('/chat/h5/v2/'));
  await chat.evaluate(readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));
  const axe = await chat.evaluate(async () => (await axe.run('#fd-rt-tg', {
    runOnly: ['color-contrast', 'button-name', 'aria-allowed-attr', 'aria-valid-attr-value'],
  })).violations.map((v) => v.id));
  assert.deepEqual(axe, []);
  await panel.getByTestId('fd-rate-send').click();
  await panel.getByTestId('fd-rate-done').waitFor();
  const mine = admin(db, 'ratings', '--site', site.sysnum).filter((r) => r.gid === push.data.gid);
  assert.deepEqual(mine.map((r) => [r.score, r.tags]), [[2, ['Slow to answer', 'Had to repeat myself']]]);
  assert.deepEqual(log.errors, []);
  // The agent reads them beside the conversation.
  const con = await openConsole(browser, server);
  await con.c.guest('mine', 'Still checking.').getByRole('button').click();
  await con.page.getByTestId('fd-c-rating-tag').first().waitFor();
  assert.deepEqual(await con.page.getByTestId('fd-c-rating-tag').allInnerTexts(), ['Slow to answer', 'Had to repeat myself']);
  await con.context.close();
  await agent.request({ api_key: 32600, gid: push.data.gid });
  agent.close();
  await ctx.close();
});

test('satDegree_A: when the agent ends the chat the visitor is asked to rate it', async () => {
  const agent = await Agent.login(server);
  const { ctx, host, frame } = await chatWith('zc("config", {satDegree_A: 1});');
  await host.chat.send('我想退货');
  const push = await agent.visitorMessage('我想退货');
  await agent.request({ api_key: 32300, gid: push.data.gid, msg: '好的，已为您办理', file_type: 0 });
  await host.chat.message('好的，已为您办理', 'agent').waitFor();
  assert.equal(await frame.getByTestId('fd-rate-open').count(), 0, 'satDegree_A: only after the chat ends');
  await agent.request({ api_key: 32600, gid: push.data.gid });
  await frame.getByTestId('fd-rate-open').filter({ hasText: '评价本次服务' }).click();
  await frame.getByTestId('fd-rate').getByLabel('5 星：非常满意').check({ force: true });
  assert.deepEqual(await frame.getByTestId('fd-rate-tag').allInnerTexts(), ['回复快', '解决了问题', '态度友好', '解答清楚']);
  await frame.getByTestId('fd-rate-send').click();
  await frame.getByTestId('fd-rate-done').waitFor();
  const list = admin(db, 'ratings', '--site', site.sysnum);
  const mine = list.filter((r) => r.gid === push.data.gid);
  assert.deepEqual(mine.map((r) => r.score), [5]);
  agent.close();
  await ctx.close();
});

test('show_evaluate: closing the window of an answered chat asks for a rating first, then closes', async () => {
  const agent = await Agent.login(server);
  const { ctx, page, host, frame } = await chatWith('zc("config", {show_evaluate: 1, locale: "en"});');
  // Nothing answered yet: closing closes.
  await frame.getByTestId('fd-collapse').click();
  await host.frameElement.waitFor({ state: 'hidden' });
  await host.open();
  await host.chat.send('Do you ship to Macau?');
  const push = await agent.visitorMessage('Do you ship to Macau?');
  await agent.request({ api_key: 32300, gid: push.data.gid, msg: 'Yes, in 3 days.', file_type: 0 });
  await host.chat.message('Yes, in 3 days.', 'agent').waitFor();
  await frame.getByTestId('fd-collapse').click();
  await frame.getByTestId('fd-rate').waitFor();
  assert.ok(await host.frameElement.isVisible(), 'the window stays open for the rating');
  // The next close closes.
  await frame.getByTestId('fd-collapse').click();
  await host.frameElement.waitFor({ state: 'hidden' });
  assert.ok(page);
  await agent.request({ api_key: 32600, gid: push.data.gid });
  agent.close();
  await ctx.close();
});
