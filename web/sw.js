// Glassbox's service worker: after one visit the app and its shipped model open with the
// network gone. Files named with a content hash (trunk names the page's script, wasm and style
// so) never change, so the cache answers them at once; everything else (the page, the model,
// the corpus, the training worker) comes from the network when it can, so a new version of the
// app is picked up on the next visit, and from the cache when it cannot.
const CACHE = 'glassbox';
const SHIPPED_MODEL = 'glassbox-shakespeare.safetensors';
// trunk's hash is a 64-bit number in hex without leading zeros: up to 16 digits, sometimes fewer.
const HASHED = /-[0-9a-f]{1,16}(_bg)?\.(js|wasm|css)$/;

const scope = () => new URL(self.registration.scope);
// Only the app's own files, directly under its folder (a test's routed fixtures, a file the
// user opens, anything cross-origin are left to the network).
const isAppFile = (url) => url.origin === scope().origin && url.pathname.startsWith(scope().pathname)
  && !url.pathname.slice(scope().pathname.length).includes('/');

/** The hashed files a page names (its script, wasm and style), each once (the page names its
 * script and wasm twice: to preload and to start). */
const assetsOf = (html) => [...new Set([...html.matchAll(/['"]\/?([\w.-]+-[0-9a-f]{1,16}(?:_bg)?\.(?:js|wasm|css))['"]/g)]
  .map((m) => new URL(m[1], scope()).href))];

/** Caches the page, what it names and the shipped model; drops hashed files of older versions. */
async function cacheApp() {
  const cache = await caches.open(CACHE);
  const page = await fetch(scope(), { cache: 'no-cache' });
  if (!page.ok) return;
  const html = await page.clone().text();
  await cache.put(scope(), page);
  const assets = assetsOf(html);
  const missing = [];
  for (const url of [...assets, new URL(SHIPPED_MODEL, scope()).href]) {
    if (!(await cache.match(url))) missing.push(url);
  }
  await cache.addAll(missing);
  for (const request of await cache.keys()) {
    if (HASHED.test(new URL(request.url).pathname) && !assets.includes(request.url)) await cache.delete(request);
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(cacheApp().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || !isAppFile(url)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // A navigation with a query (?lesson=3) is the same page.
    const key = request.mode === 'navigate' ? scope().href : request;
    if (HASHED.test(url.pathname)) {
      const cached = await cache.match(key);
      if (cached) return cached;
    }
    try {
      const response = await fetch(request);
      if (response.ok) {
        const copy = response.clone();
        event.waitUntil(cache.put(key, copy).then(() => request.mode === 'navigate' ? cacheApp() : undefined));
      }
      return response;
    } catch (offline) {
      const cached = await cache.match(key);
      if (cached) return cached;
      throw offline;
    }
  })());
});
