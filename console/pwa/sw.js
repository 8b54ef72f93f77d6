// The agent console's service worker (served at /console/sw.js, so its scope is /console/).
// It makes the console installable and shows web pushes (server/src/webpush): the payload is
// shared::webpush::Notice {title, body, gid}, already decrypted by the browser. One
// notification per chat (tag chat-<gid>: a second push for the same chat replaces the first);
// a tap focuses an open console (which opens the chat) or opens /console/#chat=<gid>.
// Nothing is cached: the console needs its server anyway.
'use strict';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('push', (e) => {
  let n = {};
  try {
    n = e.data ? e.data.json() : {};
  } catch (_) {
    n = {};
  }
  const gid = typeof n.gid === 'string' ? n.gid : '';
  const title = typeof n.title === 'string' && n.title ? n.title : 'Frontdesk';
  e.waitUntil(self.registration.showNotification(title, {
    body: typeof n.body === 'string' ? n.body : '',
    tag: gid ? 'chat-' + gid : 'frontdesk',
    renotify: true,
    icon: '/console/icon-192.png',
    data: { gid },
  }));
});

self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const gid = (e.notification.data && e.notification.data.gid) || '';
  const hash = gid ? '#chat=' + encodeURIComponent(gid) : '';
  e.waitUntil((async () => {
    const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = wins.find((w) => new URL(w.url).pathname.startsWith('/console/'));
    if (open) {
      await open.focus();
      if (gid) open.postMessage({ type: 'frontdesk-open-chat', gid });
      return;
    }
    await self.clients.openWindow('/console/' + hash);
  })());
});
