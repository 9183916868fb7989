// The Inside view on the shipped model, on GPT-2 (tests/fixtures/gpt2-tiny) and on a model
// trained in the tab: logit lens, head ablation (also in Generate's candidates), head importance
// with cancel, head diversity, the MLP view, teacher forcing vs one pass per token, the beam tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { screenshot, openApp, step, candidates, repoRoot, browserPerFile } from './harness.mjs';
import { setTrainField, waitForPhase } from './train-harness.mjs';

let page, errors;
const shared = browserPerFile({}, async (browser, served) => {
  ({ page, errors } = await openApp(browser, served, '?backend=cpu'));
});

const attrs = (testid, names) => page.$$eval(`[data-testid="${testid}"]`,
  (els, names) => els.map((e) => Object.fromEntries(names.map((n) => [n, e.getAttribute(`data-${n}`)]))), names);
const idle = () => page.waitForFunction(() => !document.querySelector('[data-testid="inside-busy"]'), null, { timeout: 120_000 });

async function openInside() {
  await page.getByTestId('view-inside').click();
  await page.getByTestId('logit-lens').waitFor();
  await page.waitForSelector('[data-testid="lens-row"]', { timeout: 120_000 });
  await page.waitForSelector('[data-testid="tf-row"]', { timeout: 120_000 });
  await idle();
}

/** Checks every view renders for a model of `layers` × `heads`; returns the lens rows. */
async function checkViews(layers, heads) {
  const lens = await attrs('lens-row', ['layer', 'top-id', 'top-prob']);
  assert.equal(lens.length, layers, 'one lens row per layer');
  assert.deepEqual(lens.map((r) => Number(r.layer)), [...Array(layers).keys()]);
  assert.equal(await page.getByTestId('lens-embedding-row').count(), 1);
  assert.equal(await page.getByTestId('ablation-toggle').count(), layers * heads);
  assert.equal(await page.getByTestId('head-pattern').count(), layers * heads);
  const mean = Number(await page.getByTestId('head-similarity-mean').getAttribute('data-value'));
  assert.ok(mean >= 0 && mean <= 1, `mean distance ${mean}`);
  const drawn = await page.$eval('[data-testid="head-similarity-canvas"]', (c) => c.width > 100 && c.height > 100);
  assert.ok(drawn, 'the similarity matrix is drawn');
  assert.equal(await page.getByTestId('mlp-unit').count(), 10);
  await page.waitForSelector('[data-testid="mlp-linear-kl"]', { timeout: 60_000 });
  assert.ok(Number(await page.getByTestId('mlp-linear-kl').getAttribute('data-value')) > 0, 'the linear MLP predicts differently');
  return lens;
}

test('shipped model: every view, ablation changes the candidates, ranking is deterministic and cancellable', { timeout: 600_000 }, async () => {
  await step(page, 3);
  const top = (await candidates(page)).reduce((a, b) => (b.rawProb > a.rawProb ? b : a));
  const before = (await candidates(page)).map((c) => c.prob);
  await openInside();
  const lens = await checkViews(4, 4);
  const topToken = await page.$eval(`[data-testid="lens-row"][data-layer="3"] .chip`, (e) => e.textContent);
  assert.ok(topToken.length > 0);
  assert.equal(Number(lens[3]['top-prob']).toFixed(5), top.rawProb.toFixed(5), 'the last layer of the lens is the model\'s own prediction');
  await screenshot(page, 'inside-shipped');

  // Teacher forcing: one row per position, and replaying one token per pass agrees everywhere.
  const rows = await page.getByTestId('tf-row').count();
  await page.getByTestId('tf-replay').click();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="tf-passes"]').dataset.value) === n, rows, { timeout: 120_000 });
  const matches = await attrs('replay-cell', ['match']);
  assert.ok(matches.length === rows && matches.every((m) => m.match === 'true'), JSON.stringify(matches));
  await page.getByTestId('teacher-forcing-view').screenshot({ path: join(repoRoot, 'tests/e2e/screenshots/inside-teacher-forcing.png') });

  // Ablation: switch layer 1 head 2 off.
  await page.locator('[data-testid="ablation-toggle"][data-layer="0"][data-head="1"]').click();
  await page.waitForSelector('[data-testid="ablation-kl"]', { timeout: 60_000 });
  const kl = Number(await page.getByTestId('ablation-kl').getAttribute('data-value'));
  assert.ok(kl > 0, `KL ${kl}`);
  const compared = await attrs('ablation-candidate', ['prob', 'prob-base']);
  assert.ok(compared.length > 0 && compared.some((c) => c.prob !== c['prob-base']));
  await page.getByTestId('head-ablation').screenshot({ path: join(repoRoot, 'tests/e2e/screenshots/inside-ablation.png') });
  await page.getByTestId('view-visualize').click();
  await page.getByTestId('ablation-note').waitFor();
  await page.waitForSelector('[data-testid="candidate"][data-prob-base]');
  const after = (await candidates(page)).map((c) => c.prob);
  assert.notDeepEqual(after, before, 'the candidates show the distribution without the head');
  await screenshot(page, 'generate-ablated');
  await page.getByTestId('ablation-clear-generate').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="candidate"][data-prob-base]'));
  assert.deepEqual((await candidates(page)).map((c) => c.prob), before, 'every head back on: the original distribution');

  // Rank heads twice: the same order; then cancel a third run at once.
  await openInside();
  const rank = async () => {
    await page.getByTestId('head-importance-run').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="importance-row"]').length === 16
      && !document.querySelector('[data-testid="head-importance-progress"]'), null, { timeout: 120_000 });
    return attrs('importance-row', ['layer', 'head', 'increase']);
  };
  const first = await rank();
  const increases = first.map((r) => Number(r.increase));
  assert.ok(increases.every((v, i) => i === 0 || increases[i - 1] >= v), 'sorted by loss increase');
  assert.deepEqual(await rank(), first, 'deterministic');
  // A 16-head ranking is quick: cancel from the page the moment the button is drawn.
  await page.evaluate(() => new Promise((resolve) => {
    const watch = new MutationObserver(() => {
      const cancel = document.querySelector('[data-testid="head-importance-cancel"]');
      if (cancel) {
        watch.disconnect();
        cancel.click();
        resolve();
      }
    });
    watch.observe(document.body, { childList: true, subtree: true });
    document.querySelector('[data-testid="head-importance-run"]').click();
  }));
  await page.getByTestId('head-importance-cancelled').waitFor();
  assert.ok(await page.getByTestId('importance-row').count() < 16, 'cancelled before the end');

  // Beam tree: a 6-step beam search from the prompt.
  await page.getByTestId('beam-tree-run').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="beam-node"][data-step="5"]').length > 0, null, { timeout: 120_000 });
  await page.getByTestId('beam-vs-greedy').waitFor({ timeout: 60_000 });
  const nodes = await attrs('beam-node', ['step', 'fate', 'best', 'sum']);
  assert.ok(nodes.some((n) => n.fate === 'pruned') && nodes.some((n) => n.fate === 'kept'));
  assert.equal(nodes.filter((n) => n.best === 'true').length, 6, 'the best beam\'s path spans the 6 steps');
  const beam = Number(await page.getByTestId('beam-vs-greedy').getAttribute('data-beam'));
  const greedy = Number(await page.getByTestId('beam-vs-greedy').getAttribute('data-greedy'));
  assert.ok(Number.isFinite(beam) && Number.isFinite(greedy) && beam < 0 && greedy < 0);
  await page.getByTestId('beam-tree').screenshot({ path: join(repoRoot, 'tests/e2e/screenshots/inside-beam-tree.png') });
  await screenshot(page, 'inside-shipped-beam');
  assert.deepEqual(errors, []);
});

test('a long window: the lens table shows its last 64 positions', { timeout: 300_000 }, async () => {
  await page.getByTestId('view-visualize').click();
  await page.getByTestId('prompt-input').fill('ROMEO:\nBut soft, what light through yonder window breaks? It is the east, and Juliet is the sun.\n');
  await page.getByTestId('reset-button').click();
  await openInside();
  const columns = await page.$$eval('[data-testid="lens-grid"] thead th', (els) => els.length);
  assert.equal(columns, 1 + 64);
  assert.equal(await page.getByTestId('tf-row').count(), 97, 'the other views keep every position');
  assert.deepEqual(errors, []);
});

test('GPT-2: the lens ends at transformers\' prediction and the parallel pass gives its loss', { timeout: 300_000 }, async () => {
  const fixture = join(repoRoot, 'tests/fixtures/gpt2-tiny');
  const reference = JSON.parse(await readFile(join(fixture, 'reference.json'), 'utf8'));
  await page.getByTestId('view-visualize').click();
  await page.getByTestId('open-model-input').setInputFiles(['config.json', 'model.safetensors', 'vocab.json', 'merges.txt'].map((f) => join(fixture, f)));
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid="model-status"]');
    return s.dataset.state === 'ready' && s.textContent.includes('GPT-2 folder');
  }, null, { timeout: 120_000 });
  const prompt = reference.prompts[1];
  await page.getByTestId('prompt-input').fill(prompt.text);
  await page.getByTestId('reset-button').click();
  await openInside();
  const lens = await checkViews(2, 4);
  const last = prompt.topk[prompt.topk.length - 1][0][0];
  assert.equal(Number(lens[1]['top-id']), last, 'the last layer predicts transformers\' top token');
  const loss = Number(await page.getByTestId('tf-loss').getAttribute('data-value'));
  assert.ok(Math.abs(loss - prompt.loss) < 1e-4, `loss ${loss} vs ${prompt.loss}`);
  await page.locator('[data-testid="ablation-only"][data-layer="1"][data-head="3"]').click();
  await page.waitForSelector('[data-testid="ablation-kl"]', { timeout: 60_000 });
  assert.equal(await page.locator('[data-testid="ablation-toggle"][aria-pressed="true"]').count(), 7, 'all but one head off');
  await screenshot(page, 'inside-gpt2');
  assert.deepEqual(errors, []);
});

test('a model trained in the tab opens in every view', { timeout: 600_000 }, async () => {
  await page.getByTestId('view-train').click();
  await page.getByTestId('train-start-from').selectOption('scratch');
  await page.getByTestId('train-preset').selectOption('tiny');
  await setTrainField(page, 'train-steps', 30);
  await setTrainField(page, 'train-every', 10);
  await page.getByTestId('train-start').click();
  await waitForPhase(page, 'finished', 300_000);
  // Head diversity over the run: one point per attention snapshot (steps 0, 10, 20, 30).
  const diversity = page.getByTestId('train-head-diversity');
  assert.equal(await diversity.getAttribute('data-points'), '4');
  const last = Number(await diversity.getAttribute('data-last'));
  assert.ok(last > 0 && last <= 1, `head distance ${last}`);
  await screenshot(page, 'train-head-diversity');
  await page.getByTestId('train-use').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="model-status"]').dataset.state === 'ready');
  await step(page, 2);
  await openInside();
  await checkViews(2, 2);
  await screenshot(page, 'inside-trained');
  assert.deepEqual(errors, []);
});
