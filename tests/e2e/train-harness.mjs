// Helpers for the Train view's browser tests (CPU and WebGPU).
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
