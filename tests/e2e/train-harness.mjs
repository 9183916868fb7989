// Helpers for the Train view's browser tests (CPU and WebGPU).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { openApp } from './harness.mjs';

/** The app on the Train view (the model loaded too: "use in visualizer" needs it). */
export async function trainPage(browser, served, query, options) {
  const opened = await openApp(browser, served, `${query}&view=train`, options);
  await opened.page.waitForSelector('[data-testid="train-view"]');
  return opened;
}

/** Sets a Train setting as a user would (type, then leave the field). */
export async function setTrainField(page, testid, value) {
  const field = page.getByTestId(testid);
  await field.fill(String(value));
  await field.blur();
}

export const trainStep = (page) => page.getByTestId('train-step').textContent().then(Number);

export const waitForStep = (page, n, timeout = 120_000) => page.waitForFunction(
  (n) => Number(document.querySelector('[data-testid="train-step"]').textContent) >= n, n, { timeout });

export const waitForPhase = (page, phase, timeout = 60_000) => page.waitForFunction(
  (p) => document.querySelector('[data-testid="train-phase"]')?.dataset.phase === p, phase, { timeout });

/** Trains `steps` steps of `preset` at `batch` and reads the page's tokens/s (its last 20 steps). */
export async function trainRate(page, preset, steps, batch) {
  await page.getByTestId('train-preset').selectOption(preset);
  await setTrainField(page, 'train-batch', batch);
  await setTrainField(page, 'train-steps', steps);
  await setTrainField(page, 'train-every', 1000);
  await page.getByTestId('train-start').click();
  await waitForPhase(page, 'finished', 1_800_000);
  return Number(await page.getByTestId('tokens-per-second').textContent());
}

/** The run's curve through the page's CSV export: [{ step, loss, val }]. */
export async function downloadCurve(page) {
  const downloading = page.waitForEvent('download');
  await page.getByTestId('train-curve-csv').click();
  const csv = await readFile(await (await downloading).path(), 'utf8');
  return csv.trim().split('\n').slice(1).map((line) => {
    const [step, loss, val] = line.split(',');
    return { step: Number(step), loss: Number(loss), val: val === '' ? null : Number(val) };
  });
}

/** Trains the current run to at least `n` steps, pauses, and returns its first `n` points. */
export async function curveUpTo(page, n, timeout = 300_000) {
  await waitForStep(page, n, timeout);
  await page.getByTestId('train-pause').click();
  await waitForPhase(page, 'paused', timeout);
  return (await downloadCurve(page)).slice(0, n);
}

/** The same steps with the same losses (to 1e-4) as `reference`. */
export function assertSameCurve(curve, reference) {
  assert.deepEqual(curve.map((p) => p.step), reference.map((p) => p.step));
  for (const [i, p] of curve.entries()) {
    assert.ok(Math.abs(p.loss - reference[i].loss) < 1e-4, `step ${p.step}: ${p.loss} vs ${reference[i].loss}`);
  }
}

/** Starts a run, reloads the page once it has saved, and accepts the resume offer there.
 * Returns the step the run was saved at. */
export async function reloadAndResume(page, steps, timeout = 120_000) {
  await page.getByTestId('train-start').click();
  await page.waitForFunction(() => /step \d+/.test(document.querySelector('[data-testid="train-saved"]').textContent), null, { timeout });
  await page.reload();
  await page.waitForSelector('[data-testid="resume-offer"]', { timeout });
  const offer = await page.getByTestId('resume-offer').textContent();
  const saved = Number(offer.match(new RegExp(`saved at step (\\d+) of ${steps}`))[1]);
  assert.ok(saved >= 10 && saved % 10 === 0, offer);
  await page.getByTestId('resume-accept').click();
  await waitForStep(page, saved, timeout);
  return saved;
}
