// Avatars (issue 24 item 6, seed 003 show_face) against the real binary, from a shop page of
// another origin: with show_face the agent's messages carry the avatar operators set
// (`admin agent set --avatar`, given encoded), and the visitor's the page's `face` (the
// seed's example verbatim); an agent without an avatar gets the nick's initial, after a
// reload too; a `face` that is not http(s) is never used; without show_face nothing shows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Agent, openShopChat, withWorld } from '../lib.mjs';

let db, server, browser, site, shop;
withWorld({ shop: true, ready: (w) => ({ db, server, browser, site, shop } = w) });

const FACE = 'https://img.sobot.com/console/common/face/admin.png';
const AVATAR = 'https://img.example.com/kf1.png';

function setAgent(...args) {
  execFileSync(process.env.FRONTDESK_BIN, ['admin', '--database-url', db, 'agent', 'set', '--account', 'kf1@e2e', ...args]);
}

const chatWith = (extra) => openShopChat(browser, shop, server, site, extra);

/** The avatar of the bubble holding `text`: [tag, src or text, data-nick]. */
function faceOf(frame, text) {
  return frame.locator('.fd-m', { has: frame.locator('[data-testid="fd-msg"]', { hasText: text }) })
    .getByTestId('fd-face')
    .evaluate((e) => [e.tagName.toLowerCase(), e.getAttribute('src') ?? e.textContent, e.dataset.nick ?? null]);
}

test('show_face: the agent\'s avatar and the visitor\'s face beside their messages; the initial without an avatar', async () => {
  setAgent('--avatar', encodeURIComponent(AVATAR), '--nick', 'Kim');
  const agent = await Agent.login(server);
  const { ctx, page, log, host, frame } = await chatWith(`zc("config", {
  show_face: 1,
  face:'${FACE}', //客户头像
  locale: "en"
});`);
  await host.chat.send('Do you ship to Macau?');
  const push = await agent.visitorMessage('Do you ship to Macau?');
  await host.chat.message('Do you ship to Macau?', 'visitor').waitFor();
  await frame.locator('.fd-v [data-testid="fd-face"]').first().waitFor({ state: 'attached' });
  assert.deepEqual(await faceOf(frame, 'Do you ship to Macau?'), ['img', FACE, null]);
  await agent.request({ api_key: 32300, gid: push.data.gid, msg: 'Yes, in 3 days.', file_type: 0 });
  await host.chat.message('Yes, in 3 days.', 'agent').waitFor();
  await frame.locator('.fd-a [data-testid="fd-face"][src]').first().waitFor({ state: 'attached' });
  assert.deepEqual(await faceOf(frame, 'Yes, in 3 days.'), ['img', AVATAR, 'Kim']);
  assert.equal(await frame.locator('.fd-a img[data-testid="fd-face"]').getAttribute('alt'), '');

  // Without an avatar: the nick's initial, on the replay after a reload.
  setAgent('--avatar', '');
  await page.reload();
  await host.open();
  await host.chat.message('Yes, in 3 days.', 'agent').waitFor();
  await frame.locator('.fd-a span[data-testid="fd-face"]').first().waitFor({ state: 'attached' });
  assert.deepEqual(await faceOf(frame, 'Yes, in 3 days.'), ['span', 'K', 'Kim']);
  assert.deepEqual(await faceOf(frame, 'Do you ship to Macau?'), ['img', FACE, null]);
  assert.deepEqual(log.errors, []);
  await agent.request({ api_key: 32600, gid: push.data.gid });
  agent.close();
  await ctx.close();
});

test('a face that is not http(s) is never used, and without show_face no avatar shows', async () => {
  for (const config of ['{show_face: 1, face: "javascript:alert(1)"}', `{face: '${FACE}'}`]) {
    const agent = await Agent.login(server);
    const { ctx, log, host, frame } = await chatWith(`zc("config", ${config});`);
    await host.chat.send(`hello ${config.length}`);
    const push = await agent.visitorMessage(`hello ${config.length}`);
    await agent.request({ api_key: 32300, gid: push.data.gid, msg: `answer ${config.length}`, file_type: 0 });
    await host.chat.message(`answer ${config.length}`, 'agent').waitFor();
    await new Promise((r) => setTimeout(r, 500));
    const shown = await frame.locator('[data-testid="fd-face"]').evaluateAll((es) => es.map((e) => e.outerHTML));
    if (config.includes('show_face')) {
      // The agent's initial only: the visitor's face was refused.
      assert.equal(shown.length, 1, shown.join('\n'));
      assert.match(shown[0], /^<span/);
      assert.ok(!shown.join('').includes('javascript'));
    } else {
      assert.deepEqual(shown, []);
    }
    assert.deepEqual(log.errors, []);
    await agent.request({ api_key: 32600, gid: push.data.gid });
    agent.close();
    await ctx.close();
  }
});
