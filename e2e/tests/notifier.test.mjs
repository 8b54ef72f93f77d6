// The notifier frame (issue 22, medium 3): it took `host` from its query and the visitor's
// token from our origin's storage, so a page of the same site as the shop (another port or
// subdomain: the browser gives the frame the same storage there) that framed
// notify.html?host=<itself> read the visitor's live agent messages. Now the token is bound to
// the host page it was first used on, and the frame does nothing for any other.
// Here the shop and the attacker are both on 127.0.0.1 (other ports): same site as the
// server, so the frames have storage and share it, as with a blog on another subdomain.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Agent, HostPage, seedSnippet, withWorld } from '../lib.mjs';

let server, browser, site;
withWorld({ ready: (w) => ({ server, browser, site } = w) });

/** A page at `http://127.0.0.1:PORT/` serving `html`. */
async function pageAt(html) {
  const s = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${s.address().port}`, close: () => new Promise((r) => s.close(r)) };
}

test('a page of another origin that frames the notifier learns nothing of the visitor', async (t) => {
  const shop = await pageAt(`<!DOCTYPE html><html><body>${seedSnippet(server.url, site.sysnum, {
    extra: `window.__rcv = []; zc('receive_message', function (res) { window.__rcv.push(res); });`,
  })}</body></html>`);
  t.after(() => shop.close());
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(shop.origin + '/');
  const host = new HostPage(page);
  await host.launcher.waitFor();
  const agent = await Agent.login(server);
  t.after(() => agent.close());
  await host.open();
  await host.chat.send('hello from the shop');
  const push = await agent.visitorMessage('hello from the shop');

  // The attacker's page, same site, frames the notifier naming itself as the host.
  const evil = await pageAt(`<!DOCTYPE html><html><body><script>
window.__got = [];
addEventListener('message', function (e) { window.__got.push(String(e.data)); });
</script><iframe id="n"></iframe></body></html>`);
  t.after(() => evil.close());
  const attacker = await context.newPage();
  const sockets = [];
  attacker.on('websocket', (ws) => sockets.push(ws.url()));
  await attacker.goto(evil.origin + '/');
  await attacker.evaluate(({ url, sysnum, origin }) => {
    document.getElementById('n').src = `${url}/chat/frame/v2/notify.html?sysnum=${sysnum}&host=${encodeURIComponent(origin)}`;
  }, { url: server.url, sysnum: site.sysnum, origin: evil.origin });
  await attacker.frameLocator('#n').locator('script').first().waitFor({ state: 'attached' });
  // The agent answers while the shop's window is collapsed: the shop hears it, the attacker
  // hears nothing, and its frame opened no socket.
  await host.chat.root.getByTestId('fd-collapse').click();
  await host.frameElement.waitFor({ state: 'hidden' });
  const r = await agent.request({ api_key: 32300, gid: push.data.gid, msg: 'your parcel is on its way' });
  assert.equal(r.code, 200);
  await page.waitForFunction(() => window.__rcv.length === 1);
  await attacker.waitForTimeout(1500);
  assert.deepEqual(await attacker.evaluate(() => window.__got), [], 'nothing posted to the attacker');
  assert.deepEqual(sockets, [], 'the attacker-framed notifier opened no socket');
});
