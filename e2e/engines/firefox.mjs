// Firefox: Debian's firefox-esr, headless, driven over WebDriver BiDi (its own protocol, no
// geckodriver) by puppeteer-core, which never downloads a browser here. One browser process
// per run; each page is a fresh browser context (its own cookies and storage).

import puppeteer from 'puppeteer-core';
import { Page, within } from './driver.mjs';

export const name = 'firefox';
const BINARY = process.env.FRONTDESK_FIREFOX ?? '/usr/bin/firefox-esr';

class FirefoxPage extends Page {
  constructor(context, page) {
    super(name);
    this.context = context;
    this.page = page;
  }

  async frameOf(frame) {
    if (!frame) return this.page.mainFrame();
    const el = await this.page.$(frame);
    if (!el) throw new Error(`no ${frame}`);
    const f = await el.contentFrame();
    await el.dispose();
    if (!f) throw new Error(`${frame} has no document`);
    return f;
  }

  async element(frame, selector) {
    const el = await (await this.frameOf(frame)).$(selector);
    if (!el) throw new Error(`${name}: no ${selector}${frame ? ` in ${frame}` : ''}`);
    return el;
  }

  async goto(url) { await this.page.goto(url, { waitUntil: 'load' }); }
  async reload() { await this.page.reload({ waitUntil: 'load' }); }
  async evalIn(frame, fn, args) { return (await this.frameOf(frame)).evaluate(fn, ...args); }

  async click(frame, selector) {
    const el = await this.element(frame, selector);
    try { await el.click(); } finally { await el.dispose(); }
  }

  async type(frame, selector, text) {
    const el = await this.element(frame, selector);
    try { await el.type(text); } finally { await el.dispose(); }
  }

  async close() { await this.context.close(); }
}

export async function start() {
  const browser = await within(30000, `${name}: launching ${BINARY}`, () => puppeteer.launch({
    browser: 'firefox',
    executablePath: BINARY,
    headless: true,
    defaultViewport: { width: 1280, height: 800 },
    protocolTimeout: 20000,
  }));
  return {
    name,
    async page() {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      page.setDefaultTimeout(15000);
      return new FirefoxPage(context, page);
    },
    async close() {
      // A browser that does not end on request is killed (it is our child process).
      try {
        await within(10000, `${name}: closing`, () => browser.close());
      } catch {
        browser.process()?.kill('SIGKILL');
      }
    },
  };
}
