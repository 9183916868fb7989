// Saved training runs under odd but ordinary events: the worker dies mid-run (the run resumes
// from its last save without a reload, and Download serves that save), a record from another
// version of Glassbox (offered for download or discard, never blocking the page), and Start with a
// run this tab did not save (it asks first). CPU backend, tiny preset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { screenshot, step, browserPerFile } from './harness.mjs';
import { trainPage, setTrainField, trainStep, waitForStep, waitForPhase } from './train-harness.mjs';

const shared = browserPerFile();

/** No panic banner, no page error, and the page answers within a second. */
async function assertAlive(page, errors) {
  assert.deepEqual(errors, []);
  assert.equal(await page.getByTestId('panic-banner').count(), 0);
  const answered = await Promise.race([
    page.evaluate(() => true),
    new Promise((resolve) => setTimeout(() => resolve(false), 1000)),
  ]);
  assert.ok(answered, 'the page answers within a second');
}

const savedStep = (page) => page.getByTestId('train-saved').textContent()
  .then((t) => Number((t.match(/step (\d+)/) ?? [])[1]));

test('a worker that dies leaves the run resumable from its last save, and Download serves it', { timeout: 300_000 }, async () => {
  const { page, errors } = await trainPage(shared.browser, shared.served, '?backend=cpu');
  await setTrainField(page, 'train-steps', 400);
  await setTrainField(page, 'train-every', 10);
  await page.getByTestId('train-start').click();
  await page.waitForFunction(() => /step \d+/.test(document.querySelector('[data-testid="train-saved"]').textContent), null, { timeout: 120_000 });
  const [worker] = page.workers();
  assert.ok(worker, 'the training worker runs');
  // An uncaught error inside the worker: the page sees it die.
  await worker.evaluate(() => setTimeout(() => { throw new Error('simulated crash'); }));
  await page.waitForFunction(() => document.querySelector('[data-testid="error-banner"]')?.textContent.includes('stopped'), null, { timeout: 30_000 });
  const banner = await page.getByTestId('error-banner').textContent();
  const saved = await savedStep(page);
  assert.match(banner, new RegExp(`last save \\(step ${saved}\\) is kept`));
  await screenshot(page, 'saved-runs-worker-died');
  await waitForPhase(page, 'paused');

  const downloading = page.waitForEvent('download');
  await page.getByTestId('train-download').click();
  const bytes = await readFile(await (await downloading).path());
  assert.ok(bytes.length > 1000, 'the save downloads');

  await page.getByTestId('train-resume').click();
  await waitForPhase(page, 'running', 60_000);
  await waitForStep(page, saved + 5, 120_000);
  assert.ok(await trainStep(page) > saved);
  await page.getByTestId('train-pause').click();
  await waitForPhase(page, 'paused');
  await assertAlive(page, errors);
  await page.close();
});

test('a record from another version is offered for download or discard and blocks nothing', { timeout: 180_000 }, async () => {
  const { page, errors } = await trainPage(shared.browser, shared.served, '?backend=cpu');
  // What an older Glassbox left: no version field.
  await page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('glassbox', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('runs');
    open.onsuccess = () => {
      const tx = open.result.transaction('runs', 'readwrite');
      tx.objectStore('runs').put({ record: '{"old":true}', corpus: null, checkpoint: new Uint8Array([1, 2, 3, 4]) }, 'current');
      tx.oncomplete = () => { open.result.close(); resolve(); };
      tx.onerror = () => reject(tx.error);
    };
    open.onerror = () => reject(open.error);
  }));
  await page.reload();
  await page.waitForSelector('[data-testid="resume-offer"][data-unreadable="true"]', { timeout: 120_000 });
  assert.match(await page.getByTestId('resume-offer').textContent(), /older version of Glassbox/);
  await screenshot(page, 'saved-runs-unreadable-offer');
  const downloading = page.waitForEvent('download');
  await page.getByTestId('resume-download').click();
  assert.deepEqual([...await readFile(await (await downloading).path())], [1, 2, 3, 4]);
  // Start asks before replacing it; "Keep it" keeps it.
  await page.getByTestId('train-start').click();
  await page.waitForSelector('[data-testid="start-confirm"]');
  await screenshot(page, 'saved-runs-start-asks');
  await page.getByTestId('start-confirm-keep').click();
  assert.equal(await page.getByTestId('train-phase').getAttribute('data-phase'), 'idle');
  await page.getByTestId('resume-discard').click();
  assert.equal(await page.getByTestId('resume-offer').count(), 0);
  // The page still steps.
  await page.getByTestId('view-visualize').click();
  await step(page, 2);
  await assertAlive(page, errors);
  await page.close();
});

test('Start with a run saved by an earlier visit asks, and Replace starts the new run', { timeout: 300_000 }, async () => {
  const { page, errors } = await trainPage(shared.browser, shared.served, '?backend=cpu');
  await setTrainField(page, 'train-steps', 300);
  await setTrainField(page, 'train-every', 10);
  await page.getByTestId('train-start').click();
  await page.waitForFunction(() => /step \d+/.test(document.querySelector('[data-testid="train-saved"]').textContent), null, { timeout: 120_000 });
  await page.reload();
  await page.waitForSelector('[data-testid="resume-offer"]', { timeout: 120_000 });
  await page.getByTestId('train-start').click();
  await page.waitForSelector('[data-testid="start-confirm"]');
  assert.equal(await page.getByTestId('train-phase').getAttribute('data-phase'), 'idle', 'nothing starts before the answer');
  await page.getByTestId('start-confirm-replace').click();
  await waitForStep(page, 3, 120_000);
  assert.equal(await page.getByTestId('resume-offer').count(), 0);
  await page.getByTestId('train-pause').click();
  await waitForPhase(page, 'paused');
  // Starting again in the same tab replaces its own run without asking.
  await page.getByTestId('train-start').click();
  assert.equal(await page.getByTestId('start-confirm').count(), 0);
  await waitForStep(page, 2, 120_000);
  await assertAlive(page, errors);
  await page.close();
});
