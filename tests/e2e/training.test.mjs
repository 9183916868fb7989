// Training in the tab on the CPU backend: a tiny model learns, pause/resume and reload/resume
// continue the same curve, the visualizer stays responsive, checkpoints go to the CLI, divergence
// and a too-short corpus are refused clearly. One browser; pages are opened as a user would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { screenshot, openApp, step, candidates, repoRoot, browserPerFile } from './harness.mjs';
import {
  trainPage, setTrainField, trainStep, waitForStep, waitForPhase, downloadCurve, curveUpTo, assertSameCurve, reloadAndResume,
} from './train-harness.mjs';

let page, errors;
const shared = browserPerFile({}, async (browser, served) => {
  ({ page, errors } = await trainPage(browser, served, '?backend=cpu'));
});

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The first 40 steps of an uninterrupted 300-step run: the reference curve of later tests. */
let reference;
const COMPARED = 40;

test('a tiny model trained from scratch for 60 steps learns', { timeout: 600_000 }, async () => {
  await setTrainField(page, 'train-steps', 60);
  await setTrainField(page, 'train-every', 10);
  await page.getByTestId('train-start').click();
  await waitForPhase(page, 'finished', 300_000);
  assert.equal(await trainStep(page), 60);
  assert.equal(await page.getByTestId('loss-chart').getAttribute('data-points'), '60');
  const drawn = await page.$eval('[data-testid="loss-chart"]', (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4 * 7) colours.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
    return { width: c.width, height: c.height, colours: colours.size };
  });
  assert.ok(drawn.width > 300 && drawn.height > 200 && drawn.colours > 20, JSON.stringify(drawn));
  const curve = await downloadCurve(page);
  const losses = curve.map((p) => p.loss);
  assert.equal(losses.length, 60);
  const [first, last] = [mean(losses.slice(0, 10)), mean(losses.slice(-10))];
  assert.ok(last < first, `first 10 ${first}, last 10 ${last}`);
  assert.ok(last < Math.log(84), `last 10 ${last} vs ln 84`);
  assert.equal(curve.filter((p) => p.val !== null).length, 6, 'validation every 10 steps');
  assert.ok(Number(await page.getByTestId('val-loss').textContent()) < Math.log(84));
  assert.ok(Number(await page.getByTestId('tokens-per-second').textContent()) > 0);
  assert.ok((await page.getByTestId('train-sample').textContent()).startsWith('ROMEO:\n'));
  assert.equal(await page.getByTestId('train-thumb').count(), 6, '2 layers × (2 heads + mean)');
  await screenshot(page, 'train-finished');
});

test('pause and resume continue the count and the curve of an uninterrupted run', { timeout: 600_000 }, async () => {
  await setTrainField(page, 'train-steps', 300);
  await page.getByTestId('train-start').click();
  reference = await curveUpTo(page, COMPARED);
  assert.equal(reference.length, COMPARED);

  await page.getByTestId('train-start').click();
  await waitForStep(page, 5);
  await page.getByTestId('train-pause').click();
  await waitForPhase(page, 'paused');
  const paused = await trainStep(page);
  assert.ok(paused >= 5 && paused < COMPARED, `paused at ${paused}`);
  await page.waitForTimeout(1000);
  assert.equal(await trainStep(page), paused, 'nothing trains while paused');
  await page.getByTestId('train-resume').click();
  await waitForStep(page, paused + 1);
  assertSameCurve(await curveUpTo(page, COMPARED), reference);
});

test('while training runs, the visualizer still steps', { timeout: 600_000 }, async () => {
  await setTrainField(page, 'train-steps', 2000);
  await page.getByTestId('train-start').click();
  await waitForStep(page, 2);
  await page.getByTestId('view-visualize').click();
  await page.waitForSelector('[data-testid="model-status"][data-state="ready"]');
  const started = Date.now();
  await step(page, 3, { timeout: 30_000 });
  const perStep = (Date.now() - started) / 3;
  await screenshot(page, 'train-visualizer-while-training');
  const progress = () => page.locator('.tabs .hint').textContent().then((t) => Number(t.match(/step (\d+)/)?.[1]));
  const before = await progress();
  await page.waitForFunction((b) => Number(document.querySelector('.tabs .hint').textContent.match(/step (\d+)/)?.[1]) > b, before, { timeout: 60_000 });
  assert.ok(perStep < 5000, `a visualizer step took ${perStep} ms while training`);
  await page.getByTestId('view-train').click();
  await page.getByTestId('train-pause').click();
  await waitForPhase(page, 'paused');
});

test('a reload mid-run offers to resume, and resuming continues the same curve', { timeout: 600_000 }, async () => {
  await setTrainField(page, 'train-steps', 300);
  await reloadAndResume(page, 300);
  assertSameCurve(await curveUpTo(page, COMPARED), reference);
  await screenshot(page, 'train-resumed-after-reload');
});

test('the downloaded checkpoint loads in `glassbox eval` and `glassbox generate`', { timeout: 300_000 }, async () => {
  const downloading = page.waitForEvent('download');
  await page.getByTestId('train-download').click();
  const file = join(await mkdtemp(join(tmpdir(), 'glassbox-')), 'trained.safetensors');
  await (await downloading).saveAs(file);
  const glassbox = join(repoRoot, 'target/release/glassbox');
  const evaluated = execFileSync(glassbox, ['eval', '--model', file]).toString();
  const loss = Number(evaluated.match(/validation loss: ([\d.]+)/)[1]);
  assert.ok(loss > 0 && loss < Math.log(84), evaluated);
  const generated = JSON.parse(execFileSync(glassbox, ['generate', '--model', file, '--prompt', 'ROMEO:', '--max-new', '5', '--json']).toString());
  assert.equal([...generated.new_text].length, 5);
  // And back: a CLI-written checkpoint is accepted by the upload.
  await page.getByTestId('train-upload').setInputFiles(file);
  await page.waitForFunction(() => document.querySelector('[data-testid="train-start-from"]').value === 'uploaded');
});

test('a learning rate of 10 stops the run with a divergence message and usable weights', { timeout: 600_000 }, async () => {
  await page.getByTestId('train-reset').click();
  await page.getByTestId('train-start-from').selectOption('scratch');
  await setTrainField(page, 'train-steps', 200);
  await setTrainField(page, 'train-lr', 10);
  await page.getByTestId('train-start').click();
  await waitForPhase(page, 'diverged', 300_000);
  const banner = await page.getByTestId('error-banner').textContent();
  assert.match(banner, /diverged at step \d+/);
  assert.match(banner, /try a lower learning rate\. Set it to 1 or less/);
  await screenshot(page, 'train-diverged');
  await page.getByTestId('train-use').click();
  // The status was "ready" before the click too: wait for the trained model's.
  await page.waitForFunction(() => {
    const status = document.querySelector('[data-testid="model-status"]');
    return status.dataset.state === 'ready' && /the model being trained/.test(status.textContent);
  }, null, { timeout: 60_000 });
  await step(page, 1);
  const rows = await candidates(page);
  assert.ok(rows.length > 0 && rows.every((r) => Number.isFinite(r.rawProb)), 'finite probabilities');
  await page.getByTestId('view-train').click();
  await setTrainField(page, 'train-lr', 0.003);
});

test('a 5-character corpus is refused with a message', { timeout: 120_000 }, async () => {
  await page.getByTestId('train-reset').click();
  await page.getByTestId('train-corpus-input').fill('hello');
  await page.getByTestId('train-start').click();
  await page.waitForSelector('[data-testid="error-banner"]');
  assert.match(await page.getByTestId('error-banner').textContent(), /corpus has 5 tokens/);
  await waitForPhase(page, 'idle');
  assert.deepEqual(errors, []);
});
