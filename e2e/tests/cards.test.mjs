// Cards from the page (seed 003 卡片参数) and seed 000's chat entry: the seed's examples
// pasted verbatim — zc("config") on a host page of another origin (encodeURIComponent URLs,
// JSON.stringify(goods)), the chat link with its raw goods=[…], seed 000's
// /index/index/home with its product JSON — show a card at the top of the chat; sent, the
// agent gets it as file_type 3 or 4 and the console shows it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Agent, Chat, HostPage, openConsole, seedSnippet, watchConsole, withWorld,
} from '../lib.mjs';

let server, browser, site, shop;
withWorld({ shop: true, ready: (w) => ({ server, browser, site, shop } = w) });

/** A context that never reaches the seeds' example hosts (img.sobot.com, wolive.cc). */
async function context(opts = {}) {
  const c = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...opts });
  await c.route(/^https?:\/\/(img\.sobot\.com|www\.sobot\.com|www\.wolive\.cc)\//, (r) => r.abort());
  return c;
}

/** The card the chat shows, once it is there. */
async function pageCard(root, kind) {
  const card = root.locator(`[data-testid="fd-page-card"][data-card="${kind}"]`);
  await card.waitFor();
  return card;
}

test('zc("config") product card (seed 003 example): shown at the top, sent as file_type 3, shown in the console', async () => {
  const agent = await Agent.login(server);
  const ctx = await context();
  const page = await ctx.newPage();
  const log = watchConsole(page);
  // The seed's example, verbatim.
  await shop.open(page, `<!DOCTYPE html><html><body>${seedSnippet(server.url, site.sysnum, {
    extra: `zc("config",{
card_title:"云客服_智齿客服",
card_url:encodeURIComponent("http://www.sobot.com"),
card_desc:"云客服,在线客服系统,云呼叫中心,机器人客服,工单客服,智能客服",
card_note:"1500,2000",
card_picture:encodeURIComponent("https://img.sobot.com/console/common/face/admin.png")
})`,
  })}</body></html>`);
  const host = new HostPage(page);
  await host.open();
  const chat = host.chat;
  const card = await pageCard(chat.root, 'product');
  assert.equal(await card.getByTestId('fd-card-title').innerText(), '云客服_智齿客服');
  assert.match(await card.innerText(), /1500,2000/);
  assert.equal(await card.locator('a').getAttribute('href'), 'http://www.sobot.com', 'the decoded card_url');
  assert.equal(await card.locator('img').getAttribute('src'), 'https://img.sobot.com/console/common/face/admin.png');
  // The card sits above the conversation.
  const [cardBox, listBox] = [await card.boundingBox(), await chat.root.locator('.fd-l').boundingBox()];
  assert.ok(cardBox.y < listBox.y, 'the card is at the top of the chat');

  await card.getByTestId('fd-page-card-send').click();
  await card.waitFor({ state: 'detached' });
  const push = await agent.next((f) => f.api_key === 32399 && f.data.message_info.file_type === 3, '32399 product card');
  const body = JSON.parse(push.data.message_info.msg);
  assert.equal(body.card_title, '云客服_智齿客服');
  assert.equal(body.card_url, 'http%3A%2F%2Fwww.sobot.com', 'the value as the page gave it');
  assert.equal(body.card_note, '1500,2000');
  // The visitor sees it as their own card message.
  await chat.root.locator('[data-testid="fd-msg"][data-from="visitor"][data-kind="3"] [data-testid="fd-card"]').waitFor();

  // The console renders it.
  const con = await openConsole(browser, server);
  await con.c.guest('mine', '[Product]').getByRole('button').click();
  const ccard = con.page.locator('[data-testid="fd-c-card"][data-card="product"]');
  await ccard.waitFor();
  assert.equal(await ccard.getByTestId('fd-c-card-title').innerText(), '云客服_智齿客服');
  assert.equal(await ccard.getAttribute('href'), 'http://www.sobot.com');
  assert.deepEqual(log.errors, []);
  await agent.request({ api_key: 32600, gid: push.data.gid });
  agent.close();
  await con.context.close();
  await ctx.close();
});

test('zc("config") order card (seed 003 组件调用, verbatim): status in the visitor\'s locale, sent as file_type 4', async () => {
  const agent = await Agent.login(server);
  const ctx = await context();
  const page = await ctx.newPage();
  await shop.open(page, `<!DOCTYPE html><html><body>${seedSnippet(server.url, site.sysnum, {
    extra: `zc("config",{locale:"en"});
var goods = [{"name":"saaadad","pictureUrl":encodeURIComponent("https://img.sobot.com/console/common/face/admin.png")}];
zc("config", {
order_status: 1,
status_custom: "自定义状态", //当order_status=0的时候,取该字段作为订单卡片的状态
create_time: "1586414406391",
order_code: 11111,
order_url: encodeURIComponent("http://www.sobot.com"),
goods_count: 2,
total_fee: 1000, //(以分为单位,total_fee=1000相当与total_fee=10.00元,不支持小数)
goods: JSON.stringify(goods),
});`,
  })}</body></html>`);
  const host = new HostPage(page);
  await host.open();
  const card = await pageCard(host.chat.root, 'order');
  assert.equal(await card.getByTestId('fd-order-status').innerText(), 'Awaiting payment');
  const text = await card.innerText();
  for (const want of ['Order no. 11111', '2 items', 'Total: ¥10.00', 'saaadad']) assert.ok(text.includes(want), `${want} in ${text}`);
  assert.equal(await card.locator('li img').getAttribute('src'), 'https://img.sobot.com/console/common/face/admin.png');
  assert.equal(await card.locator('a').getAttribute('href'), 'http://www.sobot.com');
  await card.getByTestId('fd-page-card-send').click();
  const push = await agent.next((f) => f.api_key === 32399 && f.data.message_info.file_type === 4, '32399 order card');
  const body = JSON.parse(push.data.message_info.msg);
  assert.equal(body.order_code, '11111');
  assert.equal(body.total_fee, '1000');
  assert.equal(JSON.parse(body.goods)[0].name, 'saaadad');
  const bubble = host.chat.root.locator('[data-testid="fd-msg"][data-from="visitor"][data-kind="4"]');
  await bubble.waitFor();
  assert.match(await bubble.innerText(), /Awaiting payment/);
  await agent.request({ api_key: 32600, gid: push.data.gid });
  agent.close();
  await ctx.close();
});

test('the chat link with the seed\'s raw goods=[…] (链接调用, verbatim) shows the order card and sends it', async () => {
  const agent = await Agent.login(server);
  const ctx = await context({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  // The seed's link, verbatim but for the host and sysnum.
  const href = `${server.url}/chat/h5/v2/index.html?sysnum=${site.sysnum}&order_status=1&create_time=1586414406391&order_code=121212&order_url=http://www.sobot.com&goods_count=2&total_fee=1000&goods=[{"name":"saaadad","pictureUrl":"https://img.sobot.com/console/common/face/admin.png"}]`;
  await shop.open(page, `<!DOCTYPE html><html><body><a href='${href}' target="_blank">欢迎咨询</a></body></html>`);
  const [chatPage] = await Promise.all([ctx.waitForEvent('page'), page.getByText('欢迎咨询').click()]);
  const card = await pageCard(chatPage, 'order');
  assert.equal(await card.getByTestId('fd-order-status').innerText(), '待付款', 'cn by default');
  assert.match(await card.innerText(), /订单编号:121212/);
  assert.match(await card.innerText(), /saaadad/);
  const box = await card.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 375, `fits 375 px: ${JSON.stringify(box)}`);
  await card.getByTestId('fd-page-card-send').click();
  const push = await agent.next((f) => f.api_key === 32399 && f.data.message_info.file_type === 4, '32399 order card');
  assert.equal(JSON.parse(push.data.message_info.msg).order_code, '121212');
  // Sent once: the visitor's own card message is in the conversation.
  await new Chat(chatPage).message('121212', 'visitor').waitFor();
  await agent.request({ api_key: 32600, gid: push.data.gid });
  agent.close();
  await ctx.close();
});

test('seed 000 entry: visiter_id resumes on another device, the product shows as a card, a bad business_id gets a page', async () => {
  const agent = await Agent.login(server);
  const product = '{"pid":1,"title":" Apple MacBook Air ","img":"http://www.wolive.cc/assets/images/pro.jpg","info":"13.3英寸笔记本电脑银色(2017款Core i5 处理器/8GB内存/128GB闪存 MQD32CH/A)","price":"¥7588.00","url":"http://www.wolive.cc/demo/index/product1"}';
  const entry = (extra = {}) => {
    const u = new URL(`${server.url}/index/index/home`);
    for (const [k, v] of Object.entries({
      visiter_id: 'wolive-42', visiter_name: '小王', avatar: 'http://www.wolive.cc/assets/images/a.png',
      business_id: String(site.business_id), groupid: '', product, ...extra,
    })) u.searchParams.set(k, v);
    return u.href;
  };
  const phone = await context({ viewport: { width: 375, height: 667 }, isMobile: true });
  const p1 = await phone.newPage();
  await p1.goto(entry());
  await p1.waitForURL(/\/chat\/h5\/v2\/index\.html/);
  const card = await pageCard(p1, 'product');
  assert.equal((await card.getByTestId('fd-card-title').innerText()).trim(), 'Apple MacBook Air');
  assert.match(await card.innerText(), /¥7588\.00/);
  await card.getByTestId('fd-page-card-send').click();
  const push = await agent.next((f) => f.api_key === 32399 && f.data.message_info.file_type === 3, '32399 seed 000 product');
  assert.equal(JSON.parse(push.data.message_info.msg).pid, 1);
  await new Chat(p1).send('is it in stock?');
  await agent.visitorMessage('is it in stock?');
  const list = await agent.request({ api_key: 32000 });
  const g = list.data.guest_list[push.data.gid];
  assert.equal(g.uname, '小王');
  assert.equal(g.partnerid, 'wolive-42');
  const visit = await agent.request({ api_key: 32800, gid: push.data.gid });
  assert.equal(visit.data.params.face, 'http://www.wolive.cc/assets/images/a.png', 'the avatar is shown to agents');

  // Another device with the same visiter_id: the same conversation.
  const desk = await context();
  const p2 = await desk.newPage();
  await p2.goto(entry({ product: '' }));
  await new Chat(p2).message('is it in stock?', 'visitor').waitFor();
  assert.equal(await p2.locator('[data-testid="fd-page-card"]').count(), 0, 'no product given, no card');
  await agent.request({ api_key: 32300, gid: push.data.gid, msg: 'Yes, it is.', file_type: 0 });
  await new Chat(p2).message('Yes, it is.', 'agent').waitFor();
  await new Chat(p1).message('Yes, it is.', 'agent').waitFor();

  // A bad business_id: a page that says so, not a 500.
  const bad = await desk.newPage();
  const r = await bad.goto(entry({ business_id: '987654' }));
  assert.equal(r.status(), 404);
  assert.match(await bad.getByTestId('fd-home-error').innerText(), /business_id/);
  await agent.request({ api_key: 32600, gid: push.data.gid });
  agent.close();
  await phone.close();
  await desk.close();
});
