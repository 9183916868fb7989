// WebGPU (headless Chromium's software adapter): the visualizer gives the same tokens and the same
// probabilities as the CPU backend, and the Train view trains there. Kept small: shaders compile on
// the CPU here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  screenshot, openApp, step, generatedText, candidates, thumbnailsDrawn, cliGenerate, browserPerFile,
} from './harness.mjs';
import {
  trainPage, setTrainField, trainStep, waitForPhase, downloadCurve, curveUpTo, assertSameCurve, reloadAndResume,
} from './train-harness.mjs';

const shared = browserPerFile({ webgpu: true });

test('WebGPU steps greedily like the CLI and agrees with the CPU backend to 1e-3', { timeout: 600_000 }, async () => {
  const query = `?prompt=${encodeURIComponent('ROMEO:\n')}`;
  const gpu = await openApp(shared.browser, shared.served, `${query}&backend=webgpu`, { timeout: 300_000 });
  assert.match(await gpu.page.getByTestId('backend-badge').textContent(), /WebGPU/);
  assert.equal(await gpu.page.getByTestId('error-banner').count(), 0, 'no fallback to the CPU');
  await step(gpu.page, 5, { timeout: 120_000 });
  const cli = cliGenerate(['--prompt', 'ROMEO:\n', '--strategy', 'greedy', '--max-new', '5']);
  assert.equal(await generatedText(gpu.page), cli.new_text);
  assert.deepEqual(await thumbnailsDrawn(gpu.page), Array(16).fill(true));
  await screenshot(gpu.page, 'webgpu-stepped');

  const cpu = await openApp(shared.browser, shared.served, `${query}&backend=cpu`);
  await step(cpu.page, 5);
  const [a, b] = [await candidates(gpu.page), await candidates(cpu.page)];
  assert.deepEqual(a.map((r) => r.token), b.map((r) => r.token));
  const worst = Math.max(...a.map((r, i) => Math.abs(r.rawProb - b[i].rawProb)));
  assert.ok(worst <= 1e-3, `largest probability difference ${worst}`);
  assert.deepEqual([...gpu.errors, ...cpu.errors], []);
});

test('without ?backend= the page starts on the CPU, times WebGPU too and keeps the faster', { timeout: 600_000 }, async () => {
  const { page, errors } = await openApp(shared.browser, shared.served, '', { timeout: 300_000 });
  const timings = page.getByTestId('backend-timings');
  await page.waitForFunction(() => /WebGPU [\d.]+ ms/.test(document.querySelector('[data-testid="backend-timings"]').textContent)
    && document.querySelector('[data-testid="model-status"]').dataset.state === 'ready', null, { timeout: 300_000 });
  const [, cpu, gpu] = (await timings.textContent()).match(/CPU ([\d.]+) ms · WebGPU ([\d.]+) ms/).map(Number);
  const badge = await page.getByTestId('backend-badge').textContent();
  assert.match(badge, gpu < cpu ? /WebGPU/ : /CPU/, `CPU ${cpu} ms, WebGPU ${gpu} ms`);
  // A bare address is a first visit: it opens on the lessons, Generate one click away.
  assert.equal(await page.getByTestId('view-learn').getAttribute('aria-selected'), 'true');
  await page.getByTestId('view-visualize').click();
  await step(page, 1, { timeout: 120_000 });
  assert.deepEqual(errors, []);
});

/** The first 30 steps of the uninterrupted WebGPU run, and its page (reused by the reload test). */
let reference, trained;
const COMPARED = 30;

test('the tiny preset trains for 60 steps on WebGPU and learns', { timeout: 900_000 }, async () => {
  trained = await trainPage(shared.browser, shared.served, '?backend=webgpu', { timeout: 300_000 });
  const { page, errors } = trained;
  await setTrainField(page, 'train-steps', 60);
  await setTrainField(page, 'train-every', 10);
  await page.getByTestId('train-start').click();
  await waitForPhase(page, 'finished', 800_000);
  assert.match(await page.getByTestId('train-phase').getAttribute('title'), /WebGPU/);
  assert.equal(await trainStep(page), 60);
  const curve = await downloadCurve(page);
  reference = curve.slice(0, COMPARED);
  const losses = curve.map((p) => p.loss);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const [first, last] = [mean(losses.slice(0, 10)), mean(losses.slice(-10))];
  assert.ok(last < first && last < Math.log(84), `first 10 ${first}, last 10 ${last}`);
  await screenshot(page, 'train-webgpu-finished');
  assert.deepEqual(errors, []);
});

test('a WebGPU run reloaded mid-run resumes exactly (weights and AdamW moments saved)', { timeout: 900_000 }, async () => {
  const { page, errors } = trained;
  const saved = await reloadAndResume(page, 60, 600_000);
  assert.ok(saved < COMPARED, `saved at ${saved}`);
  assert.match(await page.getByTestId('train-phase').getAttribute('title'), /WebGPU/);
  assertSameCurve(await curveUpTo(page, COMPARED, 600_000), reference);
  assert.deepEqual(errors, []);
});

test('the Inside view computes on WebGPU what it computes on the CPU', { timeout: 900_000 }, async () => {
  const inside = async (backend) => {
    const { page, errors } = await openApp(shared.browser, shared.served, `?backend=${backend}`, { timeout: 300_000 });
    await step(page, 2, { timeout: 120_000 });
    await page.getByTestId('view-inside').click();
    await page.waitForSelector('[data-testid="lens-row"]', { timeout: 600_000 });
    await page.waitForSelector('[data-testid="tf-loss"][data-value]', { timeout: 600_000 });
    await page.waitForFunction(() => !document.querySelector('[data-testid="inside-busy"]'), null, { timeout: 600_000 });
    const lens = await page.$$eval('[data-testid="lens-row"]', (els) => els.map((e) => [Number(e.dataset.topId), Number(e.dataset.topProb)]));
    const loss = Number(await page.getByTestId('tf-loss').getAttribute('data-value'));
    return { page, errors, lens, loss };
  };
  const gpu = await inside('webgpu');
  await screenshot(gpu.page, 'webgpu-inside');
  const cpu = await inside('cpu');
  assert.deepEqual(gpu.lens.map((r) => r[0]), cpu.lens.map((r) => r[0]));
  gpu.lens.forEach((r, i) => assert.ok(Math.abs(r[1] - cpu.lens[i][1]) < 1e-3, `layer ${i}: ${r[1]} vs ${cpu.lens[i][1]}`));
  assert.ok(Math.abs(gpu.loss - cpu.loss) < 1e-3, `loss ${gpu.loss} vs ${cpu.loss}`);
  assert.deepEqual([...gpu.errors, ...cpu.errors], []);
});
