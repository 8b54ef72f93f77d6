// Seed 003's CRM/routing parameters and browse trace (items 5 and 6 of issue 10): the seed's
// own examples as the host page on another origin; the agent reads what was stored over the
// agent socket with the extension 32800 (shared::visit), and sees it in the console.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, openConsole, watchConsole, HostPage, seedSnippet, withWorld } from '../lib.mjs';

let server, browser, site, shop;
withWorld({ shop: true, ready: (w) => ({ server, browser, site, shop } = w) });

const CRM = `zc("config",{
uname:"小丁哥", //客户名称
realname:"丁丁猫", //客户真实姓名
tel:"18888888888", //客户电话,
email:"dingmao@163.com", //客户邮箱
qq:"2345678", //客户qq号
face:'https://img.sobot.com/console/common/face/admin.png', //客户头像
remark:"vip客户,每次响应不能超过5秒钟" //客户备注信息
})
var args = {
等级:"Boss",
惯称:"智齿sobot",
来自:"北京"
};
zc("config",{
params:JSON.stringify(args)
})
zc("config",{
// 1 : 仅机器人客服模式
// 2 : 仅人工客服模式
// 3 : 机器人客服优先模式
// 4 : 人工客服优先模式
type:2, // people only: the message goes to the agent (3 would let the robot answer first)
robotid:2,
agentid:'1q2w3e4r', //人工客服id 指定客服接待
groupid:'4r3e2w1q', //配置技能组 当客户咨询人工客服时,会先选择需要咨询的业务
})
zc("config",{
is_vip:1, // 是否是VIP客户 0: 普通客户,1: VIP客户 默认普通客户
vip_level: "05bcdc56e68149d1841962caf593d077",
})
zc("config",{
man_trace:true, //开启收集用户方访问轨迹 默认不收集 也可在后台直接开启
})
zc("config",{
//上一页信息
pre_visit_args:{
'pre_visit_url': encodeURIComponent('https://shop.test/list?a=1&b=2'),
'pre_visit_title':'商品列表',
},
//当前页信息
cur_visit_args:{
'cur_abstract':'当前页的摘要',
'cur_visit_title':'商品 42',
'cur_tags':'sale'
}
})`;

const visitOf = async (agent, gid) => {
  const r = await agent.request({ api_key: 32800, gid });
  assert.equal(r.code, 200, JSON.stringify(r));
  return r.data;
};

async function until(fn, what) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('CRM and routing values and the browse trace reach the agent; a second zc("config") and zc("trace") update them', async () => {
  const agent = await Agent.login(server);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const log = watchConsole(page);
  await shop.open(page, `<!DOCTYPE html><html><head><title>Product 42</title></head><body>
<button id="traceBtn">trace</button>${seedSnippet(server.url, site.sysnum, { extra: CRM })}</body></html>`);
  const host = new HostPage(page);
  await host.launcher.waitFor();
  await host.open();
  await host.chat.send('Is it in stock?');
  const push = await agent.visitorMessage('Is it in stock?');
  const gid = push.data.gid;

  const v = await until(async () => { const d = await visitOf(agent, gid); return d.trace.some((p) => p.kind === 'chat') && d; }, 'the trace');
  assert.equal(v.gid, gid);
  assert.equal(v.params.tel, '18888888888');
  assert.equal(v.params.realname, '丁丁猫');
  assert.equal(v.params.type, '2');
  assert.equal(v.params.robotid, '2');
  assert.equal(v.params.groupid, '4r3e2w1q');
  assert.equal(v.params.is_vip, '1');
  assert.deepEqual(JSON.parse(v.params.params), { 等级: 'Boss', 惯称: '智齿sobot', 来自: '北京' });
  assert.equal(v.params.man_trace, undefined, 'presentation options are not stored');
  const land = v.trace[0];
  assert.equal(land.kind, 'land');
  assert.ok(land.url.startsWith(shop.origin), land.url);
  assert.equal(land.title, '商品 42', 'cur_visit_title overrides the document title');
  assert.equal(land.referrer, 'https://shop.test/list?a=1&b=2', 'pre_visit_url, decoded');
  assert.equal(land.cur.cur_tags, 'sale');
  assert.equal(land.pre.pre_visit_title, '商品列表');
  assert.ok(land.ts > 0);
  assert.equal(v.trace.filter((p) => p.kind === 'chat').length, 1, 'the page the chat started from');

  // A second config updates the stored values; zc("trace") adds a page (single-page apps).
  await page.evaluate(() => {
    zc('config', { tel: '19999999999' });
    zc('trace', { cur_visit_args: { cur_visit_url: encodeURIComponent('https://shop.test/p/43'), cur_visit_title: 'Product 43' } });
  });
  const v2 = await until(async () => { const d = await visitOf(agent, gid); return d.params.tel === '19999999999' && d.trace.some((p) => p.kind === 'manual') && d; }, 'the update');
  const manual = v2.trace.find((p) => p.kind === 'manual');
  assert.equal(manual.url, 'https://shop.test/p/43');
  assert.equal(manual.title, 'Product 43');
  assert.equal(v2.params.realname, '丁丁猫', 'the other values stay');

  // The next page of the same visit is a "view".
  await shop.open(page, `<!DOCTYPE html><html><head><title>Cart</title></head><body>${seedSnippet(server.url, site.sysnum, { extra: 'zc("config",{man_trace:true})' })}</body></html>`);
  const v3 = await until(async () => { const d = await visitOf(agent, gid); return d.trace.some((p) => p.kind === 'view') && d; }, 'the view');
  assert.equal(v3.trace.find((p) => p.kind === 'view').title, 'Cart');

  // The console shows them beside the conversation, as text.
  const con = await openConsole(browser, server);
  await con.page.getByTestId('fd-c-guest').filter({ hasText: '小丁哥' }).first().click();
  const visit = con.page.getByTestId('fd-c-visit');
  await visit.waitFor();
  await visit.filter({ hasText: '19999999999' }).waitFor();
  assert.ok((await visit.textContent()).includes('丁丁猫'));
  const items = con.page.getByTestId('fd-c-trace');
  assert.deepEqual(await items.evaluateAll((l) => l.map((e) => e.dataset.kind)), ['land', 'chat', 'manual', 'view']);
  assert.ok((await items.first().textContent()).includes('商品 42'));
  assert.deepEqual(con.log.errors, []);
  await con.context.close();

  // Bad requests to the extension get their codes.
  assert.equal((await agent.request({ api_key: 32800 })).code, -32801);
  assert.equal((await agent.request({ api_key: 32800, gid: '999999' })).code, -32303);
  assert.deepEqual(log.errors, []);
  agent.close();
  await context.close();
});

test('the visit endpoint refuses other origins, unknown tokens and oversized values', async () => {
  const post = (body, origin = server.url) => fetch(`${server.url}/api/visitor/visit`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify(body),
  });
  const token = 'a'.repeat(64);
  let r = await post({ sysnum: site.sysnum, token, params: { tel: '1' } }, 'http://evil.test');
  assert.equal(r.status, 403);
  r = await post({ sysnum: site.sysnum, token, params: { tel: '1' } });
  assert.equal(r.status, 401);
  assert.equal((await r.json()).error, 'unknown_visitor');
  r = await post({ sysnum: 'f'.repeat(32), token, params: {} });
  assert.equal(r.status, 404);
  r = await post({ sysnum: site.sysnum, token, page: { kind: 'land', url: 'x'.repeat(3000) } });
  assert.equal(r.status, 400);
  r = await fetch(`${server.url}/api/visitor/visit`, { method: 'POST', headers: { origin: server.url }, body: 'not json' });
  assert.equal(r.status, 400);
});

test('the customer beside the chat: CRM values as fields and badges, live on zc("config") again; an earlier conversation opens', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const log = watchConsole(page);
  await shop.open(page, `<!DOCTYPE html><html><head><title>Order 7</title></head><body>${seedSnippet(server.url, site.sysnum, { extra: `zc("config",{
uname:"阿明", realname:"王明", tel:"13800000000", email:"ming@example.com",
face:'https://img.sobot.com/console/common/face/admin.png',
params:JSON.stringify({等级:"Boss",来自:"北京"}), customer_fields:JSON.stringify({customField4:"北京智齿科技"}),
is_vip:1, user_label:"回头客", source:0, locale:"en", type:2, man_trace:true,
cur_visit_args:{cur_visit_title:'订单 7', cur_tags:'sale'}})` })}</body></html>`);
  const host = new HostPage(page);
  await host.launcher.waitFor();
  await host.open();
  await host.chat.send('Where is my order?');

  const c = await openConsole(browser, server);
  const guest = c.c.guest('mine', '阿明');
  await guest.waitFor();
  await guest.getByRole('button').click();
  const panel = c.page.getByTestId('fd-c-visit');
  const field = (key) => panel.locator(`[data-testid="fd-c-field"][data-key="${key}"]`);
  await field('tel').filter({ hasText: '13800000000' }).waitFor();
  assert.equal(await panel.getByTestId('fd-c-cust-name').innerText(), '王明');
  assert.equal(await panel.getByTestId('fd-c-vip').innerText(), 'VIP');
  assert.deepEqual(await panel.getByTestId('fd-c-label').allInnerTexts(), ['回头客']);
  assert.equal(await field('等级').innerText(), 'Boss');
  assert.equal(await field('来自').innerText(), '北京');
  assert.equal(await field('customField4').getAttribute('data-group'), 'customer_fields');
  assert.equal(await field('email').innerText(), 'ming@example.com');
  assert.equal(await panel.getByTestId('fd-c-origin').innerText(), 'PC website · en');
  // The avatar is on another host: it loads only when the agent asks.
  assert.equal(await panel.getByTestId('fd-c-face').count(), 0);
  await panel.getByTestId('fd-c-load').filter({ hasText: 'photo from img.sobot.com' }).waitFor();
  // The page they are on and the trace with its extras.
  await panel.getByTestId('fd-c-now').filter({ hasText: '订单 7' }).waitFor();
  await panel.getByTestId('fd-c-trace-extra').filter({ hasText: 'cur_tags: sale' }).first().waitFor();

  // The page calls zc("config") again: the panel follows without a click.
  await page.evaluate(() => zc('config', { tel: '17700000000', user_label: '回头客,大客户' }));
  await field('tel').filter({ hasText: '17700000000' }).waitFor();
  await panel.getByTestId('fd-c-label').filter({ hasText: '大客户' }).waitFor();

  // The chat ends; the customer writes again: the earlier conversation is listed and opens
  // read-only.
  await c.page.getByTestId('fd-c-end').click();
  await c.page.getByTestId('fd-c-end-confirm').click();
  await guest.waitFor({ state: 'detached' });
  await host.chat.send('One more thing');
  await guest.waitFor();
  await guest.getByRole('button').click();
  await c.c.message('One more thing', 'visitor').waitFor();
  await panel.locator('[data-testid="fd-c-earlier-list"] > summary').click();
  const earlier = panel.getByTestId('fd-c-earlier');
  await earlier.nth(1).waitFor();
  assert.equal(await earlier.count(), 2);
  assert.match(await earlier.first().innerText(), /going on/);
  await earlier.nth(1).click();
  const viewer = c.page.getByTestId('fd-c-viewer');
  await viewer.getByTestId('fd-c-viewer-msg').filter({ hasText: 'Where is my order?' }).waitFor();
  assert.equal(await viewer.getByTestId('fd-c-viewer-msg').filter({ hasText: 'One more thing' }).count(), 0);

  assert.deepEqual(c.log.errors, []);
  assert.deepEqual(log.errors, []);
  await c.context.close();
  await context.close();
});
