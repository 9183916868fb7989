// The visualizer on the CPU backend: stepping, candidates, decoding controls, attention, URL state,
// bad input. One page is driven through the tests in order, as a user would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  screenshot, openApp, step, stepCount, generatedText, candidates, setField,
  thumbnailsDrawn, cliGenerate, browserPerFile,
} from './harness.mjs';

const HAMLET = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n"
  + 'The slings and arrows of outrageous fortune,\nOr to take arms against a sea of troubles';

let page, errors;
const shared = browserPerFile({}, async (browser, served) => {
  ({ page, errors } = await openApp(browser, served, '?backend=cpu'));
});

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const attr = (testid, name) => page.getByTestId(testid).getAttribute(name);

test('loads the shipped model on the CPU backend with an empty grid of every head', async () => {
  assert.match(await page.getByTestId('model-status').textContent(), /4 layers × 4 heads/);
  assert.match(await page.getByTestId('backend-badge').textContent(), /CPU/);
  assert.equal(await page.getByTestId('attention-thumb').count(), 16);
  assert.equal(await stepCount(page), 0);
  await screenshot(page, 'visualizer-ready');
});

test('five steps add five generated tokens and draw every head', async () => {
  await page.getByTestId('prompt-input').fill('ROMEO:\n');
  await step(page, 5);
  assert.equal(await page.locator('[data-testid="token"][data-kind="generated"]').count(), 5);
  assert.equal(await page.locator('[data-testid="token"][data-kind="prompt"]').count(), 7);
  assert.deepEqual(await thumbnailsDrawn(page), Array(16).fill(true));
  await page.locator('[data-testid="attention-thumb"][data-layer="2"][data-head="1"]').click();
  assert.equal(await attr('attention-detail', 'data-layer'), '2');
  assert.equal(await attr('attention-detail', 'data-head'), '1');
  await screenshot(page, 'visualizer-stepped');
});

test('candidate probabilities are consistent and greedy picks the top one', async () => {
  const rows = await candidates(page);
  assert.equal(rows.length, 20);
  const restProb = Number(await attr('candidates-rest', 'data-prob'));
  const restRaw = Number(await attr('candidates-rest', 'data-raw-prob'));
  assert.ok(Math.abs(sum(rows.map((r) => r.prob)) + restProb - 1) < 1e-4);
  assert.ok(Math.abs(sum(rows.map((r) => r.rawProb)) + restRaw - 1) < 1e-4);
  assert.deepEqual(rows.filter((r) => r.chosen).map((r) => r.token), [rows[0].token]);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1].rawProb >= rows[i].rawProb);
});

test('temperature reshapes the shown distribution without a new forward pass', async () => {
  const steps = await stepCount(page);
  const entropy = async () => Number(await attr('entropy', 'data-value'));
  const base = await entropy();
  const rawBefore = (await candidates(page)).map((r) => r.rawProb);
  await setField(page, 'temperature-input', 2);
  await page.waitForFunction((b) => Number(document.querySelector('[data-testid="entropy"]').dataset.value) > b, base);
  const hot = await entropy();
  await setField(page, 'temperature-input', 0.5);
  await page.waitForFunction((h) => Number(document.querySelector('[data-testid="entropy"]').dataset.value) < h, hot);
  assert.ok(await entropy() < base, 'T=0.5 sharpens the distribution');
  assert.deepEqual((await candidates(page)).map((r) => r.rawProb), rawBefore, 'the raw softmax is unchanged');
  assert.equal(await stepCount(page), steps);
  await setField(page, 'temperature-input', 1);
});

test('top-k = 3 leaves exactly three candidates, the rest get probability 0', async () => {
  await setField(page, 'top-k-input', 3);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="candidate"][data-excluded="false"]').length === 3);
  const rows = await candidates(page);
  assert.equal(rows.filter((r) => !r.excluded).length, 3);
  assert.ok(rows.filter((r) => r.excluded).every((r) => r.prob === 0));
  assert.ok(Math.abs(sum(rows.filter((r) => !r.excluded).map((r) => r.prob)) - 1) < 1e-5);
  assert.equal(Number(await attr('candidates-rest', 'data-prob')), 0);
  await screenshot(page, 'visualizer-top-k');
  await setField(page, 'top-k-input', 0);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="candidate"][data-excluded="true"]').length === 0);
});

test('Back restores the previous timeline and distribution exactly', async () => {
  const timeline = () => page.$$eval('[data-testid="token"]', (els) => els.map((e) => `${e.dataset.kind}:${e.dataset.text}`));
  const beforeTokens = await timeline();
  const beforeRows = await candidates(page);
  await step(page);
  assert.equal((await timeline()).length, beforeTokens.length + 1);
  await page.getByTestId('back-button').click();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="step-status"]').dataset.steps) === n, 5);
  assert.deepEqual(await timeline(), beforeTokens);
  assert.deepEqual(await candidates(page), beforeRows);
});

test('clicking a generated token re-opens its step', async () => {
  const first = page.locator('[data-testid="token"][data-kind="generated"]').first();
  await first.click();
  await page.waitForFunction(() => /Step 1:/.test(document.querySelector('.step-header').textContent));
  const rows = await candidates(page);
  assert.equal(rows.find((r) => r.chosen).token, await first.getAttribute('data-text'));
});

test('greedy in the browser equals the CLI, past the context length the window slides', async () => {
  const prompt = HAMLET.slice(0, 125);
  await page.getByTestId('prompt-input').fill(prompt);
  await page.getByTestId('reset-button').click();
  await step(page, 8);
  const cli = cliGenerate(['--prompt', prompt, '--strategy', 'greedy', '--max-new', '8']);
  assert.equal(await generatedText(page), cli.new_text);
  // 133 tokens, window 128: the first five are no longer seen.
  const outside = await page.locator('[data-testid="token"][data-in-window="false"]').count();
  assert.equal(outside, 133 - 128);
  await screenshot(page, 'visualizer-sliding-window');
});

test('sampling with a seed is reproducible and equals the CLI', async () => {
  await page.getByTestId('prompt-input').fill('JULIET:\n');
  await page.getByTestId('strategy-select').selectOption('sample');
  await setField(page, 'seed-input', 7);
  await setField(page, 'temperature-input', 0.8);
  await setField(page, 'top-k-input', 10);
  await page.getByTestId('reset-button').click();
  await step(page, 12);
  const first = await generatedText(page);
  const cli = cliGenerate(['--prompt', 'JULIET:\n', '--strategy', 'sample', '--seed', '7', '--temperature', '0.8',
    '--top-k', '10', '--max-new', '12']);
  assert.equal(first, cli.new_text);
  await page.getByTestId('reset-button').click();
  await step(page, 12);
  assert.equal(await generatedText(page), first);
  await setField(page, 'top-k-input', 0);
  await setField(page, 'temperature-input', 1);
});

test('Play steps on its own until paused', async () => {
  const start = await stepCount(page);
  await page.getByTestId('play-button').click();
  await page.waitForFunction((s) => Number(document.querySelector('[data-testid="step-status"]').dataset.steps) >= s + 3, start, { timeout: 60_000 });
  await page.getByTestId('play-button').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="step-status"]').dataset.busy === 'false');
  const paused = await stepCount(page);
  await page.waitForTimeout(800);
  assert.equal(await stepCount(page), paused, 'no steps after pausing');
});

test('beam search shows its live beams', async () => {
  await page.getByTestId('strategy-select').selectOption('beam');
  await setField(page, 'beam-width-input', 3);
  await page.getByTestId('reset-button').click();
  await step(page, 4);
  assert.equal(await page.getByTestId('beam').count(), 3);
  assert.equal(await page.locator('[data-testid="token"][data-kind="generated"]').count(), 4);
  await screenshot(page, 'visualizer-beams');
  await page.getByTestId('strategy-select').selectOption('greedy');
});

test('compare two heads side by side with their difference, and save a PNG', async () => {
  await page.getByTestId('compare-toggle').check();
  await page.locator('input[name="pick"]').nth(1).check();
  await page.locator('[data-testid="attention-mean"][data-layer="3"]').click();
  assert.equal(await attr('attention-detail-b', 'data-layer'), '3');
  assert.equal(await attr('attention-detail-b', 'data-head'), 'mean');
  await page.getByTestId('attention-difference').waitFor();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('attention-detail').getByRole('button', { name: 'Save PNG' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /\.png$/);
  // Focus a query token: its row is highlighted in every thumbnail.
  await page.locator('[data-testid="focus-tokens"] .chip').nth(10).click();
  await screenshot(page, 'visualizer-compare');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'visualizer-compare-dark');
  await page.emulateMedia({ colorScheme: 'light' });
});

test('the URL carries prompt, settings and heads: opening it shows the same state', async () => {
  await page.getByTestId('strategy-select').selectOption('sample');
  await setField(page, 'temperature-input', 1.3);
  await page.getByTestId('prompt-input').fill('KING:\n');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('prompt') === 'KING:\n');
  const url = page.url();
  assert.match(url, /strategy=sample/);
  const { page: other, errors: otherErrors } = await openApp(shared.browser, shared.served, new URL(url).search);
  assert.equal(await other.getByTestId('prompt-input').inputValue(), 'KING:\n');
  assert.equal(await other.getByTestId('strategy-select').inputValue(), 'sample');
  assert.equal(await other.getByTestId('temperature-input').inputValue(), '1.3');
  assert.equal(await other.getByTestId('compare-toggle').isChecked(), true);
  await step(other, 1);
  assert.equal(await other.getByTestId('attention-detail').getAttribute('data-layer'), '2');
  assert.equal(await other.getByTestId('attention-detail-b').getAttribute('data-head'), 'mean');
  assert.deepEqual(otherErrors, []);
  await other.close();
  await page.getByTestId('strategy-select').selectOption('greedy');
  await setField(page, 'temperature-input', 1);
});

test('bad input gets a clear message and the page stays usable', async () => {
  const banner = page.getByTestId('error-banner');
  const before = await generatedText(page);
  assert.ok(before.length > 0);
  await page.getByTestId('prompt-input').fill('Zoë ~');
  await page.getByTestId('step-button').click();
  await banner.waitFor();
  assert.match(await banner.textContent(), /'~', 'ë'/);
  assert.equal(await generatedText(page), before, 'the generation on screen is kept');
  await screenshot(page, 'visualizer-unknown-characters');
  await page.getByTestId('prompt-input').fill('');
  await page.getByTestId('step-button').click();
  await page.waitForFunction(() => /empty/.test(document.querySelector('[data-testid="error-banner"]').textContent));
  await setField(page, 'top-p-input', 1.5);
  await page.waitForFunction(() => /top-p/i.test(document.querySelector('[data-testid="error-banner"]')?.textContent ?? ''));
  await setField(page, 'top-p-input', 0.9);
  await page.getByTestId('prompt-input').fill('ROMEO:');
  await page.getByTestId('reset-button').click();
  await step(page, 2);
  assert.equal(await banner.count(), 0, 'a good step clears the message');
  assert.equal(await page.locator('[data-testid="token"][data-kind="generated"]').count(), 2);
  assert.deepEqual(errors, []);
});
