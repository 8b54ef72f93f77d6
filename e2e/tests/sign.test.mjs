// Seed 003's security check as a visitor's browser meets it (item 7 of issue 10): with the
// check on, a chat without partnerid + sign, or with a wrong sign, shows the seed's refusal
// text (in the page's locale) and opens no session; the right sign chats. MD5 (the seed's
// scheme) and HMAC-SHA256. The host page is the seed's snippet on another origin.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { admin, watchConsole, HostPage, seedSnippet, withWorld } from '../lib.mjs';

const fixture = withWorld({ shop: true });

const REFUSED_CN = '经验证当前用户为非法用户,不予接入客户服务中心';
const REFUSED_EN = 'Verification failed: this user may not access the customer service center';

for (const scheme of ['md5', 'hmac']) {
  test(`sign check ${scheme}: missing or wrong sign is refused with the seed's text; the right one chats`, async () => {
    const { db, server, browser, shop } = fixture;
    const key = `key-${scheme}-0123456789`;
    const site = admin(db, 'site', 'create', '--name', `Signed ${scheme}`, '--sign-key', key);
    execFileSync(process.env.FRONTDESK_BIN, ['admin', '--database-url', db, 'site', 'set', '--site', site.sysnum, '--sign-check', scheme]);
    const sign = (partnerid) => (scheme === 'md5'
      ? createHash('md5').update(site.sysnum + key + partnerid).digest('hex')
      : createHmac('sha256', key).update(site.sysnum + partnerid).digest('hex'));

    async function visit(config) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const log = watchConsole(page);
      const frames = [];
      page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))));
      await shop.open(page, `<!DOCTYPE html><html><body>${seedSnippet(server.url, site.sysnum, { extra: `zc("config", ${JSON.stringify(config)})` })}</body></html>`);
      const host = new HostPage(page);
      await host.launcher.click();
      await host.frameElement.waitFor({ state: 'visible' });
      return { context, page, log, host, frames };
    }

    for (const [config, refusal] of [
      [{}, REFUSED_CN],
      [{ partnerid: 'vip-1' }, REFUSED_CN],
      [{ partnerid: 'vip-1', sign: sign('vip-2') }, REFUSED_CN],
      [{ partnerid: 'vip-1', sign: 'not a sign', locale: 'en' }, REFUSED_EN],
    ]) {
      const { context, host, log, frames } = await visit(config);
      const status = host.chat.root.getByTestId('fd-status');
      await status.filter({ hasText: refusal }).waitFor();
      assert.ok(frames.every((f) => !f.includes('"welcome"')), `no session for ${JSON.stringify(config)}: ${frames}`);
      assert.deepEqual(log.errors, []);
      await context.close();
    }

    // The right sign: a session, and the visitor's message is stored.
    const { context, host, frames } = await visit({ partnerid: 'vip-1', sign: sign('vip-1'), uname: 'Vip' });
    await host.chat.input.waitFor();
    await host.chat.send(`signed ${scheme}`);
    await host.chat.message(`signed ${scheme}`, 'visitor').waitFor();
    assert.ok(frames.some((f) => f.includes('"welcome"')));
    await context.close();
  });
}
