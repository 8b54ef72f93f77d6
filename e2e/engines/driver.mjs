// The one interface the engine flows (flows.mjs) are written against, so each flow exists once
// and runs in every engine: Firefox over WebDriver BiDi (firefox.mjs, puppeteer-core) and
// WebKit over W3C WebDriver classic (webkit.mjs, WebKitGTK's MiniBrowser). An engine module
// exports `name` and `start()` → an engine with `page()` (a fresh Page, its own cookies and
// storage) and `close()`.
//
// A Page implements six primitives: `goto(url)`, `reload()`, `evalIn(frame, fn, args)`,
// `click(frame, selector)`, `type(frame, selector, text)` and `close()`; `frame` is null for
// the top document or the CSS selector of an iframe in it (the launcher's chat frame). Clicks
// and typing are the engine's own input (WebDriver actions), not synthetic DOM events. The
// waits below are built from `evalIn` by polling, with a bounded timeout and a message that
// names the engine and what was awaited.

export const WAIT = 15000;
const POLL = 100;

/** `document.querySelectorAll(selector)` in the page, kept to those containing `text`. */
/** `texts`: of every element matching `selector`, for a failure's message. */
function probe(selector, text) {
  const every = [...document.querySelectorAll(selector)];
  const all = every.filter((e) => text == null || e.textContent.includes(text));
  const visible = all.filter((e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden');
  return { attached: all.length, visible: visible.length, texts: every.map((e) => e.textContent.trim().slice(0, 80)) };
}

export class Page {
  /** `engine`: the engine's name, for messages. */
  constructor(engine) { this.engine = engine; }

  /** Runs `fn(...args)` (a function without closure: its source is sent) in the top document. */
  evaluate(fn, ...args) { return this.evalIn(null, fn, args); }

  /**
   * Polls `fn(...args)` in `frame` until it returns something truthy, and returns that. A
   * frame that is not there yet, or between documents, is polled again.
   */
  async waitForFunction(fn, args = [], { frame = null, timeout = WAIT, what = String(fn) } = {}) {
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
      try {
        const v = await this.evalIn(frame, fn, args);
        if (v) return v;
        last = v;
      } catch (e) {
        last = e;
      }
      if (Date.now() > deadline) {
        throw new Error(`${this.engine}: not within ${timeout} ms: ${what}${frame ? ` (in ${frame})` : ''}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
      }
      await new Promise((r) => setTimeout(r, POLL));
    }
  }

  /** The elements matching `selector` (and containing `text`): `{ attached, visible, texts }`. */
  query(selector, { frame = null, text } = {}) {
    return this.evalIn(frame, probe, [selector, text ?? null]);
  }

  /**
   * Waits until `selector` (containing `text`) is `visible` (the default), `attached`,
   * `hidden` (none visible) or `detached` (none at all).
   */
  async waitFor(selector, { frame = null, text, state = 'visible', timeout = WAIT } = {}) {
    const ok = {
      visible: (q) => q.visible > 0,
      attached: (q) => q.attached > 0,
      hidden: (q) => q.visible === 0,
      detached: (q) => q.attached === 0,
    }[state];
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
      try {
        last = await this.query(selector, { frame, text });
        if (ok(last)) return last;
      } catch (e) {
        last = e;
      }
      if (Date.now() > deadline) {
        const seen = last instanceof Error ? `error: ${last.message}` : `found ${last.attached} (${last.visible} visible)${last.texts.length ? `; ${selector} has ${JSON.stringify(last.texts.slice(-5))}` : ''}`;
        throw new Error(`${this.engine}: ${selector}${text != null ? ` with "${text}"` : ''} not ${state} within ${timeout} ms${frame ? ` in ${frame}` : ''}; ${seen}`);
      }
      await new Promise((r) => setTimeout(r, POLL));
    }
  }

  /** How many elements match `selector` (containing `text`) now. */
  async count(selector, opts) { return (await this.query(selector, opts)).attached; }
}

/** `[data-testid="ID"]`, optionally with `data-from="FROM"`. */
export const tid = (id, from) => `[data-testid="${id}"]${from ? `[data-from="${from}"]` : ''}`;

/** Runs `fn` with `timeout` ms at most, rejecting with `what` after that. */
export async function within(timeout, what, fn) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${timeout} ms`)), timeout);
  });
  try {
    return await Promise.race([fn(), late]);
  } finally {
    clearTimeout(timer);
  }
}
