// The Learn tab in headless Chromium on the CPU backend: a first visit lands on it, every lesson is
// walked end to end doing what each step asks, each step notices it, and the explanation's numbers
// are the views' own (a quoted probability is a candidate's data-prob, a count a table cell's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserPerFile, openApp, screenshot, step, setField, candidates } from './harness.mjs';
import { waitForPhase } from './train-harness.mjs';

const shared = browserPerFile();

/** A probability as the page writes it ("12.3%"). */
const percent = (p) => (p >= 0.001 || p === 0 ? `${(p * 100).toFixed(1)}%` : p.toExponential(1));

/** Whether `text` quotes probability `p` as the page writes it (to the last digit shown). */
function quotes(text, p) {
  const shown = [...text.matchAll(/(\d+\.\d)%/g)].map((m) => Number(m[1]));
  return shown.some((v) => Math.abs(v - p * 100) <= 0.051);
}

/** "1,234,567". */
const count = (n) => Math.round(n).toLocaleString('en-US');

async function at(page, lesson, stepNumber) {
  await page.waitForSelector(`[data-testid="lesson-panel"][data-lesson="${lesson}"] [data-testid="lesson-step"][data-step="${stepNumber}"][aria-current="step"]`, { timeout: 120_000 });
  await page.waitForSelector('[data-testid="lesson-ask"][data-preparing="false"]', { timeout: 120_000 });
}

/** Waits until the step is noticed as done; returns the explanation. */
async function noticed(page, stepNumber, timeout = 120_000) {
  await page.waitForSelector(`[data-testid="lesson-step"][data-step="${stepNumber}"][data-done="true"]`, { timeout });
  const text = await page.getByTestId('lesson-explanation').textContent();
  assert.doesNotMatch(text, /NaN|undefined/);
  return text;
}

async function next(page, lesson, stepNumber) {
  await page.getByTestId('lesson-next').click();
  await at(page, lesson, stepNumber);
}

async function runExperiment(page) {
  await page.getByTestId('experiment-run').click();
}

/** The custom row's parameters and a named row's. */
const rowParams = (page, name) => page.locator(`[data-testid="shape-row"][data-name="${name}"]`).getAttribute('data-params').then(Number);

let page;
let errors;

test('a first visit to the bare address opens the Learn tab with the fourteen lessons', { timeout: 300_000 }, async () => {
  ({ page, errors } = await openApp(shared.browser, shared.served, ''));
  assert.equal(await page.getByTestId('view-learn').getAttribute('aria-selected'), 'true');
  assert.equal(await page.locator('[data-testid="lesson"]').count(), 14);
  assert.deepEqual(await page.locator('[data-testid="lesson"]').evaluateAll((els) => els.map((e) => Number(e.dataset.lesson))),
    Array.from({ length: 14 }, (_, i) => i + 1));
  await screenshot(page, 'learn-list');
});

test('lesson 1: inference adds one token per pass; training learns from many', { timeout: 400_000 }, async () => {
  await page.locator('[data-testid="lesson"][data-lesson="1"]').click();
  await at(page, 1, 1);
  assert.equal(await page.getByTestId('view-visualize').getAttribute('aria-selected'), 'true');
  await step(page, 3);
  const text = await noticed(page, 1);
  const [top] = await candidates(page);
  assert.ok(quotes(text, top.prob), `${text} / ${top.prob}`);
  assert.match(text, /^3 passes made 3 tokens/);
  await next(page, 1, 2);
  assert.equal(await page.getByTestId('view-train').getAttribute('aria-selected'), 'true');
  await page.getByTestId('train-start').click();
  const training = await noticed(page, 2, 300_000);
  assert.match(training, /The loss went from \d+\.\d{3} to \d+\.\d{3}/);
  await waitForPhase(page, 'finished', 300_000);
  await screenshot(page, 'learn-01');
});

test('lesson 2: candidates, temperature and top-k, quoted from the candidate rows', { timeout: 300_000 }, async () => {
  await next(page, 2, 1);
  await step(page, 1);
  const list = await candidates(page);
  const text = await noticed(page, 1);
  assert.ok(quotes(text, list[0].rawProb) && quotes(text, list[1].rawProb), text);
  await next(page, 2, 2);
  await setField(page, 'temperature-input', 1.5);
  const tempered = await noticed(page, 2);
  const [top] = await candidates(page);
  assert.ok(quotes(tempered, top.rawProb) && quotes(tempered, top.prob), `${tempered} / ${JSON.stringify(top)}`);
  assert.ok(top.prob < top.rawProb);
  await next(page, 2, 3);
  await setField(page, 'top-k-input', 5);
  const cut = await noticed(page, 3);
  assert.match(cut, /^Now 5 tokens can be drawn/);
  assert.ok(quotes(cut, (await candidates(page))[0].prob), cut);
  await screenshot(page, 'learn-02');
});

test('lesson 3: the depth experiment and the logit lens', { timeout: 600_000 }, async () => {
  await next(page, 3, 1);
  assert.equal(await page.getByTestId('experiment-select').inputValue(), 'depth');
  await runExperiment(page);
  const text = await noticed(page, 1, 500_000);
  assert.match(text, /1 block .*loss \d\.\d{3}/);
  await next(page, 3, 2);
  assert.equal(await page.getByTestId('view-inside').getAttribute('aria-selected'), 'true');
  assert.match(await noticed(page, 2), /block/);
  await screenshot(page, 'learn-03');
});

test('lesson 4: the table of real shapes counts parameters live', { timeout: 120_000 }, async () => {
  await next(page, 4, 1);
  const open = page.locator('[data-testid="shape-row"][data-name="open model"]');
  assert.equal(await open.getAttribute('data-params'), await open.getAttribute('data-model-params'),
    'the table counts what the open model holds');
  await setField(page, 'shape-layers', 12);
  const text = await noticed(page, 1);
  assert.ok(text.includes(count(await rowParams(page, 'your model'))), text);
  await next(page, 4, 2);
  await page.locator('[data-testid="shape-row"][data-name="GPT-3 175B"]').click();
  const gpt3 = await noticed(page, 2);
  assert.ok(gpt3.includes(count(await rowParams(page, 'GPT-3 175B'))), gpt3);
  assert.equal(await rowParams(page, 'GPT-2 small'), 124_439_808);
  await screenshot(page, 'learn-04');
});

test('lesson 5: the activation experiment and one MLP', { timeout: 600_000 }, async () => {
  await next(page, 5, 1);
  assert.equal(await page.getByTestId('experiment-select').inputValue(), 'activation');
  await runExperiment(page);
  assert.match(await noticed(page, 1, 500_000), /GELU/);
  await next(page, 5, 2);
  await noticed(page, 2);
  await screenshot(page, 'learn-05');
});

test('lesson 6: where a head looks', { timeout: 120_000 }, async () => {
  await next(page, 6, 1);
  await step(page, 1);
  const text = await noticed(page, 1);
  assert.match(text, /head L\d+ H\d+ puts \d+\.\d% of its attention/);
  await next(page, 6, 2);
  await page.locator('[data-testid="attention-thumb"][data-layer="0"]').nth(1).click();
  assert.match(await noticed(page, 2), /L1 H2/);
  await screenshot(page, 'learn-06');
});

test('lesson 7: two heads side by side, then one head alone', { timeout: 120_000 }, async () => {
  await next(page, 7, 1);
  await step(page, 1);
  await page.getByTestId('compare-toggle').check();
  await noticed(page, 1);
  await next(page, 7, 2);
  await page.locator('[data-testid="ablation-only"]').first().click();
  const text = await noticed(page, 2);
  assert.match(text, /\d+\.\d{3}/);
  await screenshot(page, 'learn-07');
});

test('lesson 8: the rank check, and one wide head has the same parameters as four', { timeout: 120_000 }, async () => {
  await next(page, 8, 1);
  await page.getByTestId('head-split-run').click();
  const text = await noticed(page, 1);
  const query = page.locator('[data-testid="head-split-row"][data-layer="0"][data-projection="query"]');
  const full = await query.getAttribute('data-full');
  assert.equal(full, await query.getAttribute('data-together'));
  assert.ok(text.includes(`with rank ${full}`), text);
  assert.equal(await page.locator('[data-testid="head-split-row"][data-whole="false"]').count(), 0);
  await next(page, 8, 2);
  await setField(page, 'shape-heads', 1);
  assert.match(await noticed(page, 2), /exactly the same/);
  await screenshot(page, 'learn-08');
});

test('lesson 9: attention in every block, and a later head switched off', { timeout: 600_000 }, async () => {
  await next(page, 9, 1);
  assert.equal(await page.getByTestId('experiment-select').inputValue(), 'attention');
  await runExperiment(page);
  await noticed(page, 1, 500_000);
  await next(page, 9, 2);
  await page.locator('[data-testid="ablation-toggle"][data-layer="1"]').first().click();
  assert.match(await noticed(page, 2), /\d+\.\d{3}/);
  await screenshot(page, 'learn-09');
});

test('lesson 10: an MLP made linear, and the softmax at temperature 0.5', { timeout: 120_000 }, async () => {
  await next(page, 10, 1);
  const text = await noticed(page, 1);
  const kl = Number(await page.getByTestId('mlp-linear-kl').getAttribute('data-value'));
  assert.ok(text.includes(`KL ${kl.toFixed(3)} nats`), `${text} / ${kl}`);
  await next(page, 10, 2);
  await setField(page, 'temperature-input', 0.5);
  const softmax = await noticed(page, 2);
  const [first] = await candidates(page);
  assert.ok(quotes(softmax, first.rawProb) && quotes(softmax, first.prob), softmax);
  await screenshot(page, 'learn-10');
});

test('lesson 11: a toy task trains in the background and its heads specialise', { timeout: 400_000 }, async () => {
  await next(page, 11, 1);
  assert.equal(await page.getByTestId('train-task').inputValue(), 'induction');
  await page.getByTestId('train-start').click();
  assert.match(await noticed(page, 1, 120_000), /differ by \d\.\d\d/);
  // The lesson stays usable while the worker trains: its answer opens.
  await page.locator('[data-testid="lesson-answer"] summary').click();
  assert.equal(await page.getByTestId('lesson-answer').evaluate((d) => d.open), true);
  await next(page, 11, 2);
  const text = await noticed(page, 2, 300_000);
  assert.match(text, /After \d+ steps the heads differ by/);
  const named = await page.getByTestId('train-head-patterns').textContent();
  assert.match(named, /Heads with a pattern: .*(previous token|induction)/, named);
  await screenshot(page, 'learn-11');
});

test('lesson 12: ranking heads by what switching each off costs, then the heads experiment', { timeout: 600_000 }, async () => {
  await next(page, 12, 1);
  await page.getByTestId('head-importance-run').click();
  assert.match(await noticed(page, 1, 200_000), /\d\.\d{3}/);
  await next(page, 12, 2);
  assert.equal(await page.getByTestId('experiment-select').inputValue(), 'heads');
  await runExperiment(page);
  await noticed(page, 2, 500_000);
  await screenshot(page, 'learn-12');
});

test('lesson 13: GPT-2 small\'s heads and Llama 3 70B\'s', { timeout: 120_000 }, async () => {
  await next(page, 13, 1);
  await setField(page, 'shape-width', 768);
  await setField(page, 'shape-heads', 12);
  assert.match(await noticed(page, 1), /Each head is 64 wide/);
  await next(page, 13, 2);
  await page.locator('[data-testid="shape-row"][data-name="Llama 3 70B"]').click();
  const text = await noticed(page, 2);
  assert.ok(text.includes(count(await rowParams(page, 'Llama 3 70B'))), text);
  assert.ok(text.includes('70,553,706,496'), text);
  await screenshot(page, 'learn-13');
});

test('lesson 14: the pretrained model continues text; post-training fine-tunes it', { timeout: 600_000 }, async () => {
  await next(page, 14, 1);
  await step(page, 5);
  await noticed(page, 1);
  await next(page, 14, 2);
  await runExperiment(page);
  const text = await noticed(page, 2, 500_000);
  const before = Number(await page.getByTestId('posttrain-result').getAttribute('data-before'));
  const after = Number(await page.getByTestId('posttrain-result').getAttribute('data-after'));
  assert.ok(text.includes(`from ${before.toFixed(3)} to ${after.toFixed(3)}`), `${text} / ${before} ${after}`);
  await page.locator('[data-testid="lesson-answer"] summary').waitFor();
  assert.equal(await page.getByTestId('lesson-answer').evaluate((d) => d.open), true);
  await screenshot(page, 'learn-14');
});

test('every lesson is done, and the progress survives a reload', { timeout: 200_000 }, async () => {
  await page.getByTestId('view-learn').click();
  const done = await page.locator('[data-testid="lesson"]').evaluateAll((els) => els.map((e) => e.dataset.done));
  assert.deepEqual(done, Array(14).fill('true'));
  await page.reload();
  await page.waitForSelector('[data-testid="model-status"][data-state="ready"]', { timeout: 180_000 });
  await page.getByTestId('view-learn').click();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="lesson"]')].every((e) => e.dataset.done === 'true'), null, { timeout: 30_000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a teacher\'s link opens a lesson step with its views set up; a bad one is refused', { timeout: 300_000 }, async () => {
  const { page: linked, errors: linkErrors } = await openApp(shared.browser, shared.served, '?backend=cpu&lesson=7&step=2');
  await at(linked, 7, 2);
  assert.equal(await linked.getByTestId('view-inside').getAttribute('aria-selected'), 'true');
  assert.ok(Number(await linked.getByTestId('step-status').getAttribute('data-steps')) >= 1, 'the step before was set up');
  assert.match(linked.url(), /lesson=7&step=2/);
  await linked.close();
  const { page: bad, errors: badErrors } = await openApp(shared.browser, shared.served, '?backend=cpu&lesson=99');
  assert.match(await bad.getByTestId('error-banner').textContent(), /lesson 99 does not exist/);
  assert.equal(await bad.getByTestId('lesson-panel').count(), 0);
  assert.deepEqual([...linkErrors, ...badErrors], []);
  await bad.close();
});
