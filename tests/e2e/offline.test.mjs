// A second visit with the network gone: after one visit the service worker holds the app and the
// shipped model, so a reload offline opens the app and it steps; a new version of the page is
// picked up on the next visit online.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { browserPerFile, repoRoot, step, generatedText } from './harness.mjs';
import { serve } from '../../scripts/static-server.mjs';

const shared = browserPerFile();
const ready = (page) => page.waitForSelector('[data-testid="model-status"][data-state="ready"]', { timeout: 180_000 });

/** Waits until the service worker controls the page and its cache holds the page, its wasm and
 * the shipped model; returns the cached paths. */
async function cached(page) {
  return page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    for (;;) {
      const cache = await caches.open('glassbox');
      const paths = (await cache.keys()).map((r) => new URL(r.url).pathname);
      if (paths.some((p) => p.endsWith('.wasm')) && paths.some((p) => p.endsWith('.safetensors'))
        && navigator.serviceWorker.controller) return paths;
      await new Promise((r) => setTimeout(r, 200));
    }
  });
}

test('a reload with the network gone opens the app from the cache, and it steps', { timeout: 240_000 }, async () => {
  const context = await shared.browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${shared.served.url}?backend=cpu&view=visualize`);
  await ready(page);
  const paths = await cached(page);
  assert.ok(paths.includes('/'), `the page itself is kept: ${paths}`);

  await context.setOffline(true);
  // Offline, nothing may come from the network: the page must come from the service worker.
  const fromNetwork = [];
  page.on('requestfailed', (r) => fromNetwork.push(`${r.url()} ${r.failure()?.errorText}`));
  await page.reload();
  await ready(page);
  await step(page, 3);
  assert.equal((await generatedText(page)).length > 0, true, 'it generated offline');
  assert.deepEqual(fromNetwork.filter((l) => !l.includes('favicon')), [], 'no app file was missing offline');
  assert.deepEqual(errors, []);
  await context.close();
});

test('an update to the page is picked up on the next visit', { timeout: 240_000 }, async () => {
  // A copy of dist/ that this test can change, as a deploy would.
  const root = await mkdtemp(join(tmpdir(), 'glassbox-update-'));
  await cp(join(repoRoot, 'dist'), root, { recursive: true });
  const served = await serve(root);
  const context = await shared.browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${served.url}?backend=cpu`);
    await ready(page);
    await cached(page);
    const index = join(root, 'index.html');
    await writeFile(index, (await readFile(index, 'utf8')).replace('<title>', '<title>updated '));
    // The page is fetched network-first (the cache only answers offline), so the next visit has it.
    await page.reload();
    await ready(page);
    assert.match(await page.title(), /^updated /);
  } finally {
    await context.close();
    served.server.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('the service worker keeps hashed files whatever the hash length (trunk drops leading zeros)', async () => {
  // The worker's own source, run with a stub `self`, exposes its `assetsOf`.
  const source = await readFile(join(repoRoot, 'web/sw.js'), 'utf8');
  const sandbox = { self: { registration: { scope: 'http://host/app/' }, addEventListener() {} }, URL };
  vm.runInNewContext(`${source}\nglobalThis.assetsOf = assetsOf; globalThis.HASHED = HASHED;`, sandbox);
  const html = `<script src="/glassbox-app-e149e80205980ff.js"></script>
    <link href="/glassbox-app-61b4c1fdb547858e_bg.wasm"><link href="/style-00ff97bfeb9dc8ec.css">`;
  assert.deepEqual([...sandbox.assetsOf(html)], [
    'http://host/app/glassbox-app-e149e80205980ff.js',
    'http://host/app/glassbox-app-61b4c1fdb547858e_bg.wasm',
    'http://host/app/style-00ff97bfeb9dc8ec.css',
  ]);
  assert.ok(sandbox.HASHED.test('/app/glassbox-app-e149e80205980ff.js'));
  assert.ok(!sandbox.HASHED.test('/app/glassbox-shakespeare.safetensors'));
});
