// The Experiments view: the Heads experiment on the tiny preset trains three variants one after
// another and fills the chart, the table and the verdict; results survive a reload; a custom pair
// runs two architectures of the user's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, openApp, browserPerFile } from './harness.mjs';

let page, errors;
browserPerFile({}, async (browser, served) => {
  ({ page, errors } = await openApp(browser, served, '?backend=cpu'));
});

const rows = () => page.$$eval('[data-testid="experiment-row"]', (els) => els.map((e) => ({
  name: e.dataset.name, val: Number(e.dataset.valLoss), params: Number(e.dataset.params),
  steps: Number(e.dataset.steps), tokensPerS: Number(e.dataset.tokensPerS),
})));
const finished = () => page.waitForSelector('[data-testid="experiment-verdict"][data-finished="true"]', { state: 'attached', timeout: 300_000 });

test('the Heads experiment trains 1, 4 and 8 heads and compares them', { timeout: 400_000 }, async () => {
  await page.getByTestId('view-experiments').click();
  await page.getByTestId('experiment-select').selectOption('heads');
  await page.getByTestId('experiment-preset').selectOption('tiny');
  await page.getByTestId('experiment-steps').fill('20');
  await page.getByTestId('experiment-steps').blur();
  await page.getByTestId('experiment-run').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="experiment-progress"]').textContent.includes('variant'));
  await finished();
  const table = await rows();
  assert.deepEqual(table.map((r) => r.name), ['1 head', '4 heads', '8 heads']);
  for (const r of table) {
    assert.equal(r.steps, 20);
    assert.ok(r.val > 0 && r.val < Math.log(84) + 0.5, `${r.name}: ${r.val}`);
    assert.ok(r.tokensPerS > 0);
  }
  assert.ok(table.every((r) => r.params === table[0].params), 'heads split the width: the same parameters');
  assert.equal(await page.getByTestId('experiment-chart').getAttribute('data-curves'), '3');
  const drawn = await page.$eval('[data-testid="experiment-chart"]', (c) => c.width > 300 && c.height > 200);
  assert.ok(drawn);
  const verdict = await page.getByTestId('experiment-verdict').textContent();
  const best = table.reduce((a, b) => (b.val < a.val ? b : a));
  assert.ok(verdict.includes(best.val.toFixed(3)) || verdict.startsWith('No clear difference'), verdict);
  await screenshot(page, 'experiment-heads');

  // A reload shows the same results (kept in browser storage).
  await page.reload();
  await page.waitForSelector('[data-testid="model-status"][data-state="ready"]', { timeout: 180_000 });
  await page.getByTestId('view-experiments').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="experiment-row"]').length === 3);
  assert.deepEqual(await rows(), table);
  assert.deepEqual(errors, []);
});

test('an experiment interrupted by a reload continues from its first unfinished variant', { timeout: 400_000 }, async () => {
  await page.getByTestId('experiment-select').selectOption('depth');
  await page.getByTestId('experiment-steps').fill('60');
  await page.getByTestId('experiment-steps').blur();
  await page.getByTestId('experiment-run').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="experiment-progress"]').textContent.includes('variant 2 of 3'), null, { timeout: 120_000 });
  const first = (await rows())[0];
  await page.reload();
  await page.waitForSelector('[data-testid="model-status"][data-state="ready"]', { timeout: 180_000 });
  await page.getByTestId('view-experiments').click();
  await page.getByTestId('experiment-continue').waitFor();
  assert.match(await page.getByTestId('experiment-continue').textContent(), /2 of 3 variants left/);
  await page.getByTestId('experiment-continue').click();
  await finished();
  const table = await rows();
  assert.deepEqual(table.map((r) => r.name), ['1 block', '2 blocks', '4 blocks']);
  assert.ok(table.every((r) => r.steps === 60));
  assert.deepEqual(table[0], first, 'the finished variant was kept as it was');
  assert.deepEqual(errors, []);
});

test('a custom pair trains model A and model B', { timeout: 300_000 }, async () => {
  await page.getByTestId('experiment-select').selectOption('custom');
  await page.getByTestId('custom-layers-b').fill('1');
  await page.getByTestId('custom-layers-b').blur();
  await page.getByTestId('experiment-steps').fill('10');
  await page.getByTestId('experiment-steps').blur();
  await page.getByTestId('experiment-run').click();
  await page.waitForSelector('[data-testid="experiment-verdict"][data-finished="false"]');
  await finished();
  const table = await rows();
  assert.equal(table.length, 2);
  assert.ok(table[0].name.startsWith('A: 2 blocks') && table[1].name.startsWith('B: 1 blocks'), JSON.stringify(table));
  assert.ok(table[0].params > table[1].params);
  await screenshot(page, 'experiment-custom');
  assert.deepEqual(errors, []);
});

test('post-training fine-tunes the shipped model on question/answer pairs: the loss on them falls', { timeout: 400_000 }, async () => {
  await page.getByTestId('view-experiments').click();
  await page.getByTestId('experiment-select').selectOption('post-training');
  await page.getByTestId('posttrain-pairs').fill('Q: Who?\nQ: Where?');
  await page.getByTestId('experiment-run').click();
  assert.match(await page.getByTestId('error-banner').textContent(), /line 2: expected "A: …"/);
  await page.getByTestId('posttrain-pairs').fill('Q: Who loves Juliet?\nA: Romeo loves Juliet.\n\nQ: Where do they live?\nA: In fair Verona.\n');
  await page.getByTestId('experiment-steps').fill('30');
  await page.getByTestId('experiment-steps').blur();
  await page.getByTestId('experiment-run').click();
  await finished();
  const result = page.getByTestId('posttrain-result');
  const [before, after] = [Number(await result.getAttribute('data-before')), Number(await result.getAttribute('data-after'))];
  assert.ok(after < before, `loss on the pairs ${before} → ${after}`);
  for (const id of ['posttrain-sample-before', 'posttrain-sample-after']) {
    assert.ok((await page.getByTestId(id).textContent()).startsWith('Q: Who loves Juliet?\nA:'));
  }
  assert.match(await page.getByTestId('posttrain-verdict').textContent(), /Loss on the pairs went from [\d.]+ to [\d.]+ nats in 30 steps/);
  await screenshot(page, 'experiment-post-training');
  assert.deepEqual(errors, []);
});
