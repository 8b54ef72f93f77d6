// The core visitor flows (flows.mjs) in Firefox and in WebKit: one suite per engine, its
// browser started once before the flows and always ended after them. FRONTDESK_ENGINES
// (e.g. `webkit`) runs only the engines it names. Run through `./x e2e` (or see
// docs/development.md): node --test engines/run.test.mjs.

import { after, before, describe, test } from 'node:test';
import * as firefox from './firefox.mjs';
import * as webkit from './webkit.mjs';
import { FLOWS, inWorld } from './flows.mjs';

const wanted = (process.env.FRONTDESK_ENGINES ?? 'firefox,webkit').split(',').map((s) => s.trim());
const ENGINES = [firefox, webkit].filter((e) => wanted.includes(e.name));
if (ENGINES.length === 0) throw new Error(`FRONTDESK_ENGINES names no engine: ${wanted}`);

for (const mod of ENGINES) {
  describe(mod.name, { timeout: 150000 }, () => {
    let engine;
    before(async () => { engine = await mod.start(); });
    after(async () => { await engine?.close(); });
    for (const [title, flow] of FLOWS) {
      test(`${mod.name}: ${title}`, { timeout: 60000 }, () => inWorld(engine, flow));
    }
  });
}
