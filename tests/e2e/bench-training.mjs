// Training benchmark in the browser (not a test): tokens/s of the training worker for the tiny and
// the shipped-size presets, and the visualizer's step latency (click → painted frame) with the page
// idle and while the worker trains. Writes bench-results/browser-training.json.
//   node tests/e2e/bench-training.mjs [cpu|webgpu ...]
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { serveDist, launchBrowser, repoRoot, openApp, timedStep } from './harness.mjs';
import { setTrainField, trainRate, waitForStep } from './train-harness.mjs';

const backends = process.argv.slice(2).length ? process.argv.slice(2) : ['cpu'];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median click → painted-frame time of `n` visualizer steps. */
async function stepLatency(page, n) {
  const times = [];
  for (let i = 0; i < n; i++) times.push((await timedStep(page)).total);
  return Number(median(times).toFixed(1));
}

const served = await serveDist();
const results = { date: new Date().toISOString(), browser: null, machine: `${(await import('node:os')).cpus().length} cores`, backends: {} };
for (const backend of backends) {
  const browser = await launchBrowser({ webgpu: backend === 'webgpu' });
  results.browser = browser.version();
  const { page } = await openApp(browser, served, `?backend=${backend}&view=train`, { timeout: 600_000 });
  const entry = {};
  entry.tiny_tokens_per_s = await trainRate(page, 'tiny', backend === 'webgpu' ? 40 : 200, 16);
  entry.shipped_size_tokens_per_s = await trainRate(page, 'shipped', backend === 'webgpu' ? 4 : 20, 16);
  if (backend === 'cpu') {
    await page.getByTestId('view-visualize').click();
    await page.getByTestId('prompt-input').fill('ROMEO:\n');
    entry.visualizer_step_idle_ms = await stepLatency(page, 15);
    await page.getByTestId('view-train').click();
    await setTrainField(page, 'train-steps', 100_000);
    await page.getByTestId('train-start').click();
    await waitForStep(page, 1, 600_000);
    await page.getByTestId('view-visualize').click();
    entry.visualizer_step_while_training_ms = await stepLatency(page, 15);
  }
  results.backends[backend] = entry;
  console.log(backend, JSON.stringify(entry));
  await browser.close();
}
served.server.close();
await mkdir(join(repoRoot, 'bench-results'), { recursive: true });
await writeFile(join(repoRoot, 'bench-results/browser-training.json'), JSON.stringify(results, null, 2) + '\n');
console.log('wrote bench-results/browser-training.json');
