// Browser benchmark (not a test): model load, one generation step at 16 tokens and at the full
// context (forward + trace + render, measured from the click to the next painted frame), and the
// attention grid's redraw, on the CPU (wasm) and WebGPU backends; and the bytes a cold first visit
// moves before the model is ready (dist/ precompressed first, served as scripts/serve.sh serves
// it). Writes bench-results/browser.json.
//   node tests/e2e/bench.mjs [cpu|webgpu ...]
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { serveDist, launchBrowser, repoRoot, timedStep } from './harness.mjs';

const HAMLET = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n"
  + 'The slings and arrows of outrageous fortune,\nOr to take arms against a sea of troubles\nAnd by opposing end them.';
const backends = process.argv.slice(2).length ? process.argv.slice(2) : ['cpu', 'webgpu'];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(page, prompt, steps) {
  await page.getByTestId('prompt-input').fill(prompt);
  await page.getByTestId('reset-button').click();
  await timedStep(page); // warm-up (WebGPU compiles this shape's shaders)
  const runs = [];
  for (let i = 0; i < steps; i++) runs.push(await timedStep(page));
  const pick = (key) => Number(median(runs.map((r) => r[key])).toFixed(2));
  return { step_ms: pick('total'), forward_and_trace_ms: pick('forward'), grid_render_ms: pick('grid'), runs: steps };
}

/** What reaches the browser (compressed, headers included) from the first request of a cold visit
 * until the model is ready, per file; and which files it asked for only later. */
async function coldVisit(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const names = new Map();
  const files = {};
  let ready = false;
  const later = new Set();
  cdp.on('Network.requestWillBeSent', (e) => names.set(e.requestId, new URL(e.request.url).pathname.slice(1) || '(page)'));
  cdp.on('Network.loadingFinished', (e) => {
    const name = names.get(e.requestId) ?? '?';
    if (ready) later.add(name);
    else files[name] = (files[name] ?? 0) + e.encodedDataLength;
  });
  await page.goto(url);
  await page.waitForSelector('[data-testid="model-status"][data-state="ready"]', { timeout: 600_000 });
  ready = true;
  await page.waitForTimeout(2000); // what a page idle after loading still fetches
  await page.context().close();
  const total = Object.values(files).reduce((a, b) => a + b, 0);
  const mb = (n) => Number((n / 1e6).toFixed(2));
  return { total_mb: mb(total), files_mb: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, mb(v)])), fetched_after_ready: [...later].sort() };
}

execFileSync('node', [join(repoRoot, 'scripts/precompress.mjs'), join(repoRoot, 'dist')], { stdio: 'inherit' });
const served = await serveDist();
const results = { date: new Date().toISOString(), browser: null, machine: `${(await import('node:os')).cpus().length} cores`, backends: {} };
for (const backend of backends) {
  const browser = await launchBrowser({ webgpu: backend === 'webgpu' });
  results.browser = browser.version();
  if (backend === backends[0]) {
    results.cold_first_visit = await coldVisit(browser, served.url);
    console.log('cold first visit', JSON.stringify(results.cold_first_visit));
  }
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const start = Date.now();
  await page.goto(`${served.url}?backend=${backend}`);
  await page.waitForSelector('[data-testid="model-status"][data-state="ready"]', { timeout: 600_000 });
  const load_ms = Date.now() - start;
  const badge = await page.getByTestId('backend-badge').textContent();
  const steps = backend === 'webgpu' ? 5 : 15;
  const short = await measure(page, HAMLET.slice(0, 16), steps);
  // 128 tokens: every step reads a full window (it slides, so nothing is cached).
  const full = await measure(page, HAMLET.slice(0, 128), steps);
  results.backends[backend] = { badge, load_ms, context_16: short, context_full_128: full };
  console.log(backend, JSON.stringify(results.backends[backend]));
  await browser.close();
}
served.server.close();
await mkdir(join(repoRoot, 'bench-results'), { recursive: true });
await writeFile(join(repoRoot, 'bench-results/browser.json'), JSON.stringify(results, null, 2) + '\n');
console.log('wrote bench-results/browser.json');
