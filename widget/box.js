// The sealed outbox (lazy tier, served as extras/box.js; imported by the chat page through
// `fdBox` in widget/index.html, see widget/src/chat/host.rs). Used only where the browser
// denies the chat frame its own storage: the chat page's unsent messages are kept in the
// host page's storage through the launcher, sealed here with AES-GCM (WebCrypto) under a key
// only our origin gets from the server (POST /api/visitor/box-key, server/src/boxkey.rs), so
// the host page's scripts, which hold the visitor token, never read the text.
//
// A box is base64(iv ‖ AES-GCM(key, iv, outbox JSON, additional data = sysnum)).

const keys = new Map();

/** The key for this visitor (fetched once per token and page; a failure is retried next time). */
function key(sysnum, token) {
  let k = keys.get(token);
  if (!k) {
    k = fetch(new URL('/api/visitor/box-key', location.href), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sysnum, token }),
      credentials: 'omit',
      cache: 'no-store',
    })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error('box key: HTTP ' + r.status))))
      .then((j) => {
        const hex = String(j.key);
        if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error('box key: bad answer');
        const raw = new Uint8Array(32);
        for (let i = 0; i < 32; i++) raw[i] = parseInt(hex.substr(i * 2, 2), 16);
        return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
      });
    k.catch(() => keys.delete(token));
    keys.set(token, k);
  }
  return k;
}

const aad = (sysnum) => new TextEncoder().encode(sysnum);

/** Fetches the key ahead of need (the visitor started typing), so a box can be sealed later
 * even if the server is unreachable by then. */
export function prefetch(sysnum, token) {
  return key(sysnum, token).then(() => '');
}

let last = Promise.resolve();

/** Seals `json` (the outbox; `[]` or empty: nothing unsent, the box is removed) and hands
 * the box to the launcher at `host`, in call order. Resolves to '' once posted. */
export function save(sysnum, token, json, host) {
  const run = async () => {
    let box = null;
    if (json && json !== '[]') {
      const k = await key(sysnum, token);
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = new Uint8Array(
        await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(sysnum) }, k, new TextEncoder().encode(json)),
      );
      const all = new Uint8Array(12 + ct.length);
      all.set(iv);
      all.set(ct, 12);
      let s = '';
      for (let i = 0; i < all.length; i += 0x8000) s += String.fromCharCode.apply(null, all.subarray(i, i + 0x8000));
      box = btoa(s);
    }
    parent.postMessage(JSON.stringify({ name: 'fd_store', data: { op: 'box', box } }), host);
    return '';
  };
  last = last.then(run, run);
  return last;
}

/** Opens a box from the launcher: the outbox JSON, or '' for a box this visitor's key does not
 * open (sealed for another token, or tampered with: dropped). Rejects when the key cannot be
 * had (try again later). */
export async function open(sysnum, token, box) {
  const k = await key(sysnum, token);
  try {
    const all = Uint8Array.from(atob(box), (c) => c.charCodeAt(0));
    const pt = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: all.subarray(0, 12), additionalData: aad(sysnum) }, k, all.subarray(12),
    );
    return new TextDecoder().decode(pt);
  } catch (e) {
    console.warn('frontdesk: an unsent-messages box could not be opened and is dropped', e);
    return '';
  }
}
