// Real weights in the tab: the Hugging Face GPT-2 folder in tests/fixtures/gpt2-tiny opens through
// "Open model" and through a drop, and the visualizer then shows transformers' logits and attentions
// (reference.json); bad files get a message and the open model stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { screenshot, openApp, step, candidates, repoRoot, browserPerFile } from './harness.mjs';

const fixture = join(repoRoot, 'tests/fixtures/gpt2-tiny');
const FILES = ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt'];
const reference = JSON.parse(await readFile(join(fixture, 'reference.json'), 'utf8'));

let page, errors;
const shared = browserPerFile({}, async (browser, served) => {
  ({ page, errors } = await openApp(browser, served, '?backend=cpu'));
});

const status = () => page.getByTestId('model-status');
const waitReady = (text) => page.waitForFunction((t) => {
  const s = document.querySelector('[data-testid="model-status"]');
  return s.dataset.state === 'ready' && s.textContent.includes(t);
}, text, { timeout: 120_000 });

/** The detail heatmap's CSV: rows of weights (query × key). */
async function detailCsv() {
  const downloading = page.waitForEvent('download');
  await page.getByTestId('attention-detail-csv').click();
  const csv = await readFile(await (await downloading).path(), 'utf8');
  return csv.trim().split('\n').slice(1).map((line) => line.split(',').slice(1).map(Number));
}

test('"Open model" opens a GPT-2 folder and shows transformers\' logits and attentions', { timeout: 300_000 }, async () => {
  await page.getByTestId('open-model-input').setInputFiles(FILES.map((f) => join(fixture, f)));
  await waitReady('GPT-2 folder');
  assert.match(await status().textContent(), /2 layers × 4 heads, width 64, context 128, vocabulary 50257/);

  const prompt = reference.prompts[1];
  await page.getByTestId('prompt-input').fill(prompt.text);
  await step(page);
  const prompted = await page.$$eval('[data-testid="token"][data-kind="prompt"]', (els) => els.length);
  assert.equal(prompted, prompt.input_ids.length, 'the prompt is split into the reference tokens');

  // The candidates are the largest logits after the prompt, with transformers' values.
  const shown = await page.$$eval('[data-testid="candidate"]', (els) => els.map((e) => ({ id: Number(e.dataset.id), logit: Number(e.dataset.logit) })));
  const top = prompt.topk[prompt.topk.length - 1];
  assert.deepEqual(shown.slice(0, 5).map((c) => c.id), top.slice(0, 5).map(([id]) => id));
  for (const c of shown) {
    assert.ok(Math.abs(c.logit - prompt.last_logits[c.id]) < 1e-4, `token ${c.id}: ${c.logit} vs ${prompt.last_logits[c.id]}`);
  }
  assert.ok((await candidates(page)).every((c) => Number.isFinite(c.prob)));

  // Layer 1, head 2 (0-based, as the data attributes count): the first step's attention covers the prompt.
  await page.locator('[data-testid="attention-thumb"][data-layer="1"][data-head="2"]').click();
  const weights = await detailCsv();
  const expected = prompt.attentions[1][2];
  assert.equal(weights.length, expected.length);
  let worst = 0;
  expected.forEach((row, q) => row.forEach((w, k) => { worst = Math.max(worst, Math.abs(w - weights[q][k])); }));
  assert.ok(worst < 1e-5, `attention off by ${worst}`);
  await screenshot(page, 'gpt2-opened');
  assert.deepEqual(errors, []);
});

test('bad model files get a message and the open model stays', { timeout: 120_000 }, async () => {
  const before = await status().textContent();
  const weights = await readFile(join(fixture, 'model.safetensors'));
  const files = async (overrides) => Promise.all(FILES.map(async (name) => ({
    name, mimeType: 'application/octet-stream', buffer: overrides[name] ?? await readFile(join(fixture, name)),
  })));
  const banner = () => page.getByTestId('error-banner').textContent();
  const dismiss = () => page.getByTestId('error-banner').getByRole('button').click();

  await page.getByTestId('open-model-input').setInputFiles(await files({ 'model.safetensors': weights.subarray(0, weights.length / 2) }));
  await page.waitForSelector('[data-testid="error-banner"]');
  assert.match(await banner(), /model\.safetensors is not a valid safetensors file/);
  await dismiss();

  const huge = Buffer.from(weights);
  huge.writeBigUInt64LE(1n << 40n, 0);
  await page.getByTestId('open-model-input').setInputFiles(await files({ 'model.safetensors': huge }));
  await page.waitForSelector('[data-testid="error-banner"]');
  assert.match(await banner(), /its header claims 1099511627776 bytes/);
  await dismiss();

  await page.getByTestId('open-model-input').setInputFiles(await files({ 'merges.txt': Buffer.from('#version: 0.2\nĠ t\nthis line is garbage\n') }));
  await page.waitForSelector('[data-testid="error-banner"]');
  assert.match(await banner(), /merges\.txt line 3/);
  await dismiss();

  await page.getByTestId('open-model-input').setInputFiles((await files({})).slice(0, 2));
  await page.waitForSelector('[data-testid="error-banner"]');
  assert.match(await banner(), /vocab\.json, merges\.txt missing/);
  await dismiss();

  assert.equal(await status().textContent(), before, 'the open model is unchanged');
  await step(page);
  assert.deepEqual(errors, []);
});

test('dropping the files on the page opens the model', { timeout: 120_000 }, async () => {
  await page.goto(shared.served.url + '?backend=cpu');
  await page.waitForSelector('[data-testid="model-status"][data-state="ready"]');
  // The page fetches the files (served from the fixture folder) and drops them as a user would.
  await page.route('**/fixture/*', (route) => route.fulfill({ path: join(fixture, new URL(route.request().url()).pathname.split('/').pop()) }));
  const transfer = await page.evaluateHandle(async (names) => {
    const dt = new DataTransfer();
    for (const name of names) dt.items.add(new File([await (await fetch(`fixture/${name}`)).blob()], name));
    return dt;
  }, FILES);
  await page.dispatchEvent('header.top', 'dragover', { dataTransfer: transfer });
  assert.equal(await page.getByTestId('drop-overlay').count(), 1, 'the page shows where to drop');
  await page.dispatchEvent('header.top', 'drop', { dataTransfer: transfer });
  await waitReady('GPT-2 folder');
  assert.equal(await page.getByTestId('drop-overlay').count(), 0);
  await step(page);
  assert.deepEqual(errors, []);
});

test('the opened GPT-2 trains further in the Train view, with its own tokenizer', { timeout: 300_000 }, async () => {
  await page.getByTestId('view-train').click();
  await page.getByTestId('train-start-from').selectOption('open');
  const paragraph = 'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness. ';
  await page.getByTestId('train-corpus-input').fill(paragraph.repeat(200));
  for (const [field, value] of [['train-batch', 2], ['train-steps', 4], ['train-every', 2]]) {
    const input = page.getByTestId(field);
    await input.fill(String(value));
    await input.blur();
  }
  await page.getByTestId('train-start').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="train-phase"]')?.dataset.phase === 'finished', null, { timeout: 240_000 });
  assert.equal(Number(await page.getByTestId('train-step').textContent()), 4);
  const loss = Number(await page.getByTestId('train-loss').textContent());
  assert.ok(Number.isFinite(loss) && loss > 0, `loss ${loss}`);
  assert.match(await page.getByTestId('train-phase').getAttribute('title'), /training on/);
  await screenshot(page, 'gpt2-fine-tuned');
  assert.deepEqual(errors, []);
});
