// Browser benchmark (not a test): model load, one generation step at 16 tokens and at the full
// context (forward + trace + render, measured from the click to the next painted frame), and the
// attention grid's redraw, on the CPU (wasm) and WebGPU backends. Writes bench-results/browser.json.
//   node tests/e2e/bench.mjs [cpu|webgpu ...]
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
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

const served = await serveDist();
const results = { date: new Date().toISOString(), browser: null, machine: `${(await import('node:os')).cpus().length} cores`, backends: {} };
for (const backend of backends) {
  const browser = await launchBrowser({ webgpu: backend === 'webgpu' });
  results.browser = browser.version();
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
