// Reception with the FAQ robot (issue 11) against the real binary: a visitor on a customer
// page with zc("config", {type: 3, …}) is greeted by the robot (with its guide questions),
// asks it a question, taps a suggestion chip after an unsure answer (sent as their own
// message, answered by the robot), then taps
// "转人工"; the agent's console gets the chat with the robot's part marked as the robot's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  admin, HostPage, seedSnippet, openConsole, watchConsole, withWorld,
} from '../lib.mjs';

const ROBOT = '小智';
let db, server, browser, site, shop;
withWorld({
  shop: true,
  prepare: (w) => {
    const robot = admin(w.db, 'robot', 'create', '--site', w.site.sysnum, '--name', ROBOT,
      '--hello', '您好，我是小智');
    for (const [q, a] of [
      ['怎么退货', '七天内可以无理由退货。'],
      ['运费怎么算', '订单满99元包邮。'],
      ['发票怎么开', '在订单详情页申请电子发票。'],
      ['退款多久到账', '1-3 个工作日到账。'],
      ['退款失败怎么办', '请转人工客服处理。'],
    ]) {
      admin(w.db, 'faq', 'add', '--site', w.site.sysnum, '--robot', String(robot.robotid),
        '--question', q, '--answer', a);
    }
  },
  ready: (w) => ({ db, server, browser, site, shop } = w),
});

test('robot first: ask the robot, tap a suggestion, then talk to a person who sees the robot part', async () => {
  const agent = await openConsole(browser, server);

  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const log = watchConsole(page);
  const config = `zc("config", {type: 3, guide_flag: 1, locale: "cn",
    agent_hello_word: "您好，我是人工客服Kim"});`;
  await shop.open(page, `<!doctype html><meta charset="utf-8"><title>Shop</title><body><h1>Shop</h1>
${seedSnippet(server.url, site.sysnum, { extra: config })}</body>`);
  const host = new HostPage(page);
  await host.open();
  const chat = host.chat;
  const frame = page.frameLocator('[data-testid="fd-frame"]');

  // The robot greets (a robot bubble, not stored) and offers its guide questions.
  await frame.getByTestId('fd-greeting').filter({ hasText: '您好，我是小智' }).waitFor();
  const chips = frame.getByTestId('fd-chip');
  await chips.first().waitFor();
  assert.ok(await chips.count() >= 1);
  await frame.getByTestId('fd-manual').filter({ hasText: '转人工' }).waitFor();

  // A question it knows: a robot bubble with its name.
  await chat.send('请问怎么退货');
  await chat.message('七天内可以无理由退货。', 'robot').waitFor();
  assert.equal(await chips.count(), 0, 'the next message clears the chips');

  // Not sure: the robot offers the closest questions; tapping one sends it as the visitor's
  // own message, and the robot answers it.
  await chat.send('退款');
  await chat.message('您是不是想问：', 'robot').waitFor();
  const chip = chips.filter({ hasText: '退款多久到账' });
  await chip.click();
  await chat.message('退款多久到账', 'visitor').waitFor();
  await chat.message('1-3 个工作日到账。', 'robot').waitFor();
  await chips.first().waitFor({ state: 'detached' });

  // Talk to a person: the agent gets the chat with the robot's part, marked.
  await frame.getByTestId('fd-manual').click();
  await frame.getByTestId('fd-manual').waitFor({ state: 'hidden' });
  const item = agent.c.guest('mine', '');
  await item.first().waitFor();
  await item.first().getByRole('button').click();
  await agent.c.message('七天内可以无理由退货。', 'robot').waitFor();
  const label = agent.c.message('七天内可以无理由退货。', 'robot').getByTestId('fd-c-robot');
  assert.match(await label.innerText(), new RegExp(ROBOT));
  await agent.c.message('请问怎么退货', 'visitor').waitFor();

  // The page's greeting reaches the visitor — said as the site's (a system line), never as
  // the agent's own words (issue 22) — then they talk.
  await chat.message('您好，我是人工客服Kim', 'system').waitFor();
  await agent.c.send('我来帮您处理退货');
  await chat.message('我来帮您处理退货', 'agent').waitFor();
  await chat.send('谢谢');
  await agent.c.message('谢谢', 'visitor').waitFor();

  assert.deepEqual(log.errors, []);
  assert.deepEqual(agent.log.errors, []);
  await ctx.close();
  await agent.context.close();
});
