// Robustness of the visualizer: link values out of bounds are refused with a message, models that
// cannot be opened leave the open one stepping, a second model of another shape replaces the first
// cleanly, Play runs at full context with flat memory, and odd click sequences break nothing.
// After every scenario: no page error, no panic banner ever shown, the page answers within a
// second, and (where it applies) the model still steps. One browser; a fresh page per test.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import {
  screenshot, step, stepCount, candidates, thumbnailsDrawn, repoRoot, browserPerFile,
} from './harness.mjs';

const fixture = join(repoRoot, 'tests/fixtures/gpt2-tiny');
const GPT2_FILES = ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt'].map((f) => join(fixture, f));
const SHIPPED = join(repoRoot, 'assets/glassbox-shakespeare.safetensors');
const HAMLET = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n"
  + 'The slings and arrows of outrageous fortune,\nOr to take arms against a sea of troubles';

const shared = browserPerFile();

/** A fresh 1280×720 page on the app (CPU backend, plus `query`), once the model is ready. Unlike
 * the harness's openApp it installs, before the page's own scripts run, a listener keeping the wasm
 * exports (`window.__wasm`, for the memory size) and an observer noting any panic banner that ever
 * appeared (`window.__panic`, even if something removed it later). */
async function open(query = '', { timeout = 180_000 } = {}) {
  const page = await shared.browser.newPage({ viewport: { width: 1280, height: 720 } });
  const errors = [];
  const consoleErrors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
    if (process.env.E2E_CONSOLE) console.log(`[page ${m.type()}] ${m.text()}`);
  });
  await page.addInitScript(() => {
    // trunk's loader: dispatchEvent(new CustomEvent("TrunkApplicationStarted", {detail: {wasm}})),
    // `wasm` being wasm-bindgen's exports (with `memory`).
    window.addEventListener('TrunkApplicationStarted', (e) => { window.__wasm = e.detail?.wasm; });
    new MutationObserver(() => {
      const banner = document.querySelector('[data-testid="panic-banner"]');
      if (banner && window.__panic === undefined) window.__panic = banner.textContent;
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(`${shared.served.url}?backend=cpu${query ? `&${query}` : ''}`);
  await page.waitForSelector('[data-testid="model-status"][data-state="ready"]', { timeout });
  return { page, errors, consoleErrors };
}

/** Runs `body` on a fresh page, closing it after (pass or fail). */
async function withPage(query, body) {
  const opened = await open(query);
  try {
    await body(opened);
  } finally {
    await opened.page.close();
  }
}

/** Bytes of the page's wasm memory. */
async function wasmMemory(page) {
  const bytes = await page.evaluate(() => window.__wasm?.memory?.buffer?.byteLength);
  assert.ok(Number.isFinite(bytes) && bytes > 0, `wasm memory not readable (got ${bytes}): trunk's loader changed?`);
  return bytes;
}

/** The page runs a script and answers within `ms`. */
async function answersWithin(page, ms = 1000) {
  const start = Date.now();
  const answer = page.evaluate(() => 1);
  answer.catch(() => {}); // a late rejection after the race must not go unhandled
  const result = await Promise.race([answer, new Promise((resolve) => setTimeout(() => resolve('no answer'), ms))]);
  assert.equal(result, 1, `the page did not answer within ${ms} ms`);
  return Date.now() - start;
}

const status = (page) => page.getByTestId('model-status');
const bannerText = (page) => page.getByTestId('error-banner').textContent();
const isPlaying = async (page) => (await page.getByTestId('play-button').textContent()).trim() === 'Pause';
const stepsAre = (page, n) => page.waitForFunction(
  (n) => Number(document.querySelector('[data-testid="step-status"]').dataset.steps) === n, n, { timeout: 10_000 });
const notBusy = (page, timeout = 60_000) => page.waitForFunction(
  () => document.querySelector('[data-testid="step-status"]')?.dataset.busy === 'false', null, { timeout });

/** Pauses Play if it runs and waits for the running step to land. */
async function pause(page) {
  if (await isPlaying(page)) await page.getByTestId('play-button').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="play-button"]').textContent.trim() === 'Play');
  await notBusy(page);
}

/** Clicks where `testid` is, as a user would, whether or not it is enabled (a disabled button
 * ignores it; Playwright's click would wait for it to be enabled instead). */
async function clickAnyway(page, testid) {
  const box = await page.getByTestId(testid).boundingBox();
  assert.ok(box, `${testid} is on screen`);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

/** The checks after every scenario: no page error, no panic banner (now or ever), the page answers
 * within a second, and the model steps (on the Generate view, paused first). */
async function assertHealthy({ page, errors, consoleErrors }, { steps = true } = {}) {
  const context = () => (consoleErrors.length ? `; console errors: ${consoleErrors.join(' | ')}` : '');
  assert.deepEqual(errors, [], `no page error${context()}`);
  const panic = await page.evaluate(() => window.__panic ?? document.querySelector('[data-testid="panic-banner"]')?.textContent ?? null);
  assert.equal(panic, null, `the panic banner appeared${context()}`);
  await answersWithin(page, 1000);
  if (!steps) return;
  if (await page.getByTestId('view-visualize').getAttribute('aria-selected') !== 'true') {
    await page.getByTestId('view-visualize').click();
  }
  await pause(page);
  await page.waitForSelector('[data-testid="model-status"][data-state="ready"]', { timeout: 60_000 });
  await step(page);
  assert.deepEqual(errors, [], `no page error while stepping${context()}`);
  assert.equal(await page.getByTestId('panic-banner').count(), 0, `no panic banner after stepping${context()}`);
  if (consoleErrors.length) console.log(`# console errors (not failures): ${consoleErrors.join(' | ')}`);
}

/** A safetensors file with no tensors, only the `__metadata__` entry (8-byte little-endian header
 * length, then the JSON header, padded with spaces to a multiple of 8 as safetensors writes it). */
function safetensors(metadata) {
  let header = JSON.stringify({ __metadata__: metadata });
  header += ' '.repeat((8 - (Buffer.byteLength(header) % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(header)));
  return Buffer.concat([length, Buffer.from(header)]);
}

/** The shipped checkpoint's Glassbox metadata (a JSON string), edited as text: JSON.parse would
 * round its u64 param ids. */
async function shippedMetadata() {
  const bytes = await readFile(SHIPPED);
  const length = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + length).toString()).__metadata__.glassbox;
}

async function tempFile(name, bytes) {
  const path = join(await mkdtemp(join(tmpdir(), 'glassbox-robustness-')), name);
  await writeFile(path, bytes);
  return path;
}

// ---------------------------------------------------------------------------------------------
// Link values out of bounds

test('a link asking for a beam width of 10,000 is refused with a message and the defaults used', { timeout: 240_000 }, async () => {
  await withPage('strategy=beam&beams=10000', async (opened) => {
    const { page } = opened;
    await page.getByTestId('error-banner').waitFor();
    const text = await bannerText(page);
    assert.match(text, /beam width is 10,000/, text);
    assert.equal(await page.getByTestId('strategy-select').inputValue(), 'greedy', 'the default strategy is used');
    assert.doesNotMatch(page.url(), /beams=10000/, 'the shared link no longer carries the refused value');
    await screenshot(page, 'robustness-beam-width-refused');
    await assertHealthy(opened);
    assert.equal(await page.getByTestId('beam').count(), 0, 'no beams: the step was greedy');
  });
});

test('a Train link asking for a 1,000,000-layer model is refused, naming the tab\'s memory', { timeout: 240_000 }, async () => {
  await withPage('view=train&preset=custom&layers=1000000&width=8192', async (opened) => {
    const { page } = opened;
    await page.waitForSelector('[data-testid="train-view"]');
    await page.getByTestId('error-banner').waitFor();
    const text = await bannerText(page);
    assert.match(text, /1,000,000-layer/, text);
    assert.match(text, /browser tab/, text);
    assert.match(text, /not even one layer|at most [\d,]+ layers? fit/, text);
    assert.notEqual(await page.getByTestId('train-layers').inputValue(), '1000000', 'the default form is used');
    assert.doesNotMatch(page.url(), /layers=1000000/);
    await screenshot(page, 'robustness-train-layers-refused');
    await assertHealthy(opened);
  });
});

test('sampling at temperature 1e-40 gives finite probabilities and picks the top token (the greedy limit)', { timeout: 240_000 }, async () => {
  await withPage('strategy=sample&temperature=1e-40', async (opened) => {
    const { page } = opened;
    assert.equal(await page.getByTestId('error-banner').count(), 0, 'a valid link: no message');
    assert.equal(await page.getByTestId('strategy-select').inputValue(), 'sample');
    await step(page, 3);
    const rows = await candidates(page);
    assert.ok(rows.length > 0);
    for (const r of rows) {
      assert.ok(Number.isFinite(r.prob) && Number.isFinite(r.rawProb), `token ${JSON.stringify(r.token)}: prob ${r.prob}, raw ${r.rawProb}`);
    }
    assert.ok(Math.abs(rows[0].prob - 1) < 1e-4, `top candidate's probability ${rows[0].prob}`);
    assert.ok(rows.slice(1).every((r) => r.prob < 1e-4), 'the others get (almost) nothing');
    assert.ok(rows[0].chosen, 'the top token is the one drawn');
    for (const testid of ['candidates-rest', 'entropy']) {
      const value = Number(await page.getByTestId(testid).getAttribute(testid === 'entropy' ? 'data-value' : 'data-prob'));
      assert.ok(Number.isFinite(value), `${testid}: ${value}`);
    }
    await assertHealthy(opened);
  });
});

// ---------------------------------------------------------------------------------------------
// Models of another shape, and files that are not models

test('opening the smaller GPT-2 folder after stepping the shipped model on its last head, and back', { timeout: 300_000 }, async () => {
  await withPage('', async (opened) => {
    const { page } = opened;
    assert.equal(await page.getByTestId('attention-thumb').count(), 16);
    await step(page, 2);
    await page.getByTestId('attention-thumb').last().click(); // layer 4, head 4
    assert.equal(await page.getByTestId('attention-detail').getAttribute('data-layer'), '3');
    assert.equal(await page.getByTestId('attention-detail').getAttribute('data-head'), '3');

    // 2 layers × 4 heads: the selected head (layer 4) is outside it.
    await page.getByTestId('open-folder-input').setInputFiles(fixture);
    await page.waitForFunction(() => {
      const s = document.querySelector('[data-testid="model-status"]');
      return s.dataset.state === 'ready' && s.textContent.includes('GPT-2 folder');
    }, null, { timeout: 120_000 });
    assert.match(await status(page).textContent(), /2 layers × 4 heads/);
    assert.equal(await page.getByTestId('attention-thumb').count(), 8, '2 rows of 4 heads');
    assert.equal(await page.locator('.attention-grid .grid-row').count(), 2);
    assert.equal(await stepCount(page), 0, 'a fresh session');
    await step(page, 2);
    assert.deepEqual(await thumbnailsDrawn(page), Array(8).fill(true));
    assert.equal(await page.getByTestId('attention-detail').getAttribute('data-layer'), '0', 'the view moved inside the new shape');
    assert.ok((await candidates(page)).every((c) => Number.isFinite(c.prob)));
    await assertHealthy(opened);

    // The reverse: from the GPT-2's last head back to the 4-layer shipped checkpoint, as a file.
    await page.getByTestId('attention-thumb').last().click(); // layer 2, head 4
    await page.getByTestId('open-model-input').setInputFiles(SHIPPED);
    await page.waitForFunction(() => {
      const s = document.querySelector('[data-testid="model-status"]');
      return s.dataset.state === 'ready' && s.textContent.includes('glassbox-shakespeare.safetensors');
    }, null, { timeout: 120_000 });
    assert.match(await status(page).textContent(), /4 layers × 4 heads/);
    assert.equal(await page.getByTestId('attention-thumb').count(), 16);
    await step(page, 2);
    assert.deepEqual(await thumbnailsDrawn(page), Array(16).fill(true));
    await screenshot(page, 'robustness-reopened-shipped');
    await assertHealthy(opened);
  });
});

test('a checkpoint whose metadata claims 100,000,000 layers is refused and the open model stays', { timeout: 240_000 }, async () => {
  const original = await shippedMetadata();
  const claimed = original
    .replace(/"n_layer":4,/, '"n_layer":100000000,')
    .replace(/"param_ids":\{[^}]*\}/, '"param_ids":{}')
    .replace(/"weights_crc32":\d+/, '"weights_crc32":0'); // crc32 of no bytes
  assert.notEqual(claimed, original);
  assert.match(claimed, /"n_layer":100000000,/);
  const path = await tempFile('enormous.safetensors', safetensors({ glassbox: claimed }));
  after(() => rm(dirname(path), { recursive: true, force: true }));
  await withPage('', async (opened) => {
    const { page } = opened;
    await step(page);
    const before = await status(page).textContent();
    await page.getByTestId('open-model-input').setInputFiles(path);
    await page.getByTestId('error-banner').waitFor({ timeout: 60_000 });
    const text = await bannerText(page);
    assert.match(text, /n_layer is 100,000,000/, text);
    await page.waitForSelector('[data-testid="model-status"][data-state="ready"]');
    assert.equal(await status(page).textContent(), before, 'the open model is unchanged');
    assert.equal(await page.getByTestId('attention-thumb').count(), 16);
    await screenshot(page, 'robustness-enormous-checkpoint-refused');
    await assertHealthy(opened);
  });
});

test('a file that is not safetensors at all is refused and the open model stays', { timeout: 240_000 }, async () => {
  // Fixed pseudo-random bytes (the same file every run).
  const bytes = Buffer.alloc(4096);
  let x = 0x2545f491;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  const path = await tempFile('x.safetensors', bytes);
  after(() => rm(dirname(path), { recursive: true, force: true }));
  await withPage('', async (opened) => {
    const { page } = opened;
    const before = await status(page).textContent();
    await page.getByTestId('open-model-input').setInputFiles(path);
    await page.getByTestId('error-banner').waitFor({ timeout: 60_000 });
    const text = await bannerText(page);
    assert.match(text, /x\.safetensors/, text);
    assert.match(text, /not a valid safetensors file/, text);
    await page.waitForSelector('[data-testid="model-status"][data-state="ready"]');
    assert.equal(await status(page).textContent(), before);
    await screenshot(page, 'robustness-not-safetensors-refused');
    await assertHealthy(opened);
  });
});

// ---------------------------------------------------------------------------------------------
// Play at full context

test('Play at full context: memory stays flat over the steps, the page answers, Back redraws old steps', { timeout: 15 * 60_000 }, async (t) => {
  await withPage('', async (opened) => {
    const { page } = opened;
    // 120 characters: the 128-token window is full from the 9th step on, so the figures after 100
    // steps and after N are both taken at full context (the window slides).
    await page.getByTestId('prompt-input').fill(HAMLET.slice(0, 120));
    await page.locator('select.speed').selectOption('0');
    const TARGET = 2000;
    const started = Date.now();
    const deadline = started + 10 * 60_000; // if 2000 steps do not fit in 10 minutes, as many as do
    await page.getByTestId('play-button').click();
    let at100;
    let slowest = 0;
    let count = 0;
    const series = []; // (steps, MB, s) about every 250 steps: growth with the step count shows here
    while (count < TARGET && Date.now() < deadline) {
      await page.waitForTimeout(2000);
      slowest = Math.max(slowest, await answersWithin(page, 1000));
      count = await stepCount(page);
      assert.ok(await isPlaying(page) || count >= TARGET, `Play stopped by itself at step ${count}: ${await page.getByTestId('error-banner').count() ? await bannerText(page) : 'no message'}`);
      if (count >= 250 * (series.length + 1)) series.push(`${count}: ${(await wasmMemory(page) / 2 ** 20).toFixed(1)} MB at ${((Date.now() - started) / 1000).toFixed(0)} s`);
      if (!at100 && count >= 100) {
        at100 = { steps: count, bytes: await wasmMemory(page), ms: Date.now() - started };
        const projected = (at100.ms / at100.steps) * TARGET;
        t.diagnostic(`${at100.steps} steps in ${(at100.ms / 1000).toFixed(1)} s; ${TARGET} projected at ${(projected / 60_000).toFixed(1)} min`);
      }
    }
    const end = { steps: count, bytes: await wasmMemory(page), ms: Date.now() - started };
    await pause(page);
    const paused = await stepCount(page);
    assert.ok(at100, `Play reached ${count} steps only`);
    const growth = end.bytes - at100.bytes;
    const mb = (b) => (b / 2 ** 20).toFixed(1);
    const figures = `wasm memory ${mb(at100.bytes)} MB after ${at100.steps} steps, ${mb(end.bytes)} MB after ${end.steps} steps `
      + `(${(end.ms / 1000).toFixed(0)} s), growth ${mb(growth)} MB; slowest answer while playing ${slowest} ms`;
    t.diagnostic(figures);
    t.diagnostic(`memory by step: ${series.join(', ')}`);
    console.log(`# ${figures}`);
    if (end.steps < TARGET) t.diagnostic(`only ${end.steps} of ${TARGET} steps fit in 10 minutes`);
    assert.ok(end.steps >= Math.min(TARGET, 500), `too few steps to judge: ${end.steps}`);
    assert.ok(growth <= 100 * 2 ** 20, figures);

    // Old steps' attention was dropped; going back recomputes it in the background.
    const back = page.getByTestId('back-button');
    for (let i = 0; i < 3; i++) await back.click();
    await stepsAre(page, paused - 3);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="attention-thumb"] canvas')].every((c) => {
      if (!c.width || !c.height) return false;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;
      return false;
    }), null, { timeout: 10_000, polling: 250 });
    assert.deepEqual(await thumbnailsDrawn(page), Array(16).fill(true));
    await assertHealthy(opened);
  });
});

// ---------------------------------------------------------------------------------------------
// Odd click sequences

test('Step clicked while a model is opening', { timeout: 300_000 }, async () => {
  await withPage('', async (opened) => {
    const { page } = opened;
    await step(page);
    await page.getByTestId('open-model-input').setInputFiles(GPT2_FILES);
    for (let i = 0; i < 5; i++) await clickAnyway(page, 'step-button');
    await page.waitForFunction(() => {
      const s = document.querySelector('[data-testid="model-status"]');
      return s.dataset.state === 'ready' && s.textContent.includes('GPT-2 folder');
    }, null, { timeout: 120_000 });
    await notBusy(page);
    assert.equal(await page.getByTestId('attention-thumb').count(), 8);
    await assertHealthy(opened);
  });
});

test('a model opened while a step is running', { timeout: 300_000 }, async (t) => {
  await withPage('', async (opened) => {
    const { page } = opened;
    await page.getByTestId('step-button').click();
    await page.getByTestId('open-model-input').setInputFiles(GPT2_FILES);
    // Either the step was still running (the page says to wait) or it had landed (the model opens).
    await page.waitForFunction(() => {
      const s = document.querySelector('[data-testid="model-status"]');
      const banner = document.querySelector('[data-testid="error-banner"]');
      return (s.dataset.state === 'ready' && s.textContent.includes('GPT-2 folder'))
        || /wait for the current step/.test(banner?.textContent ?? '');
    }, null, { timeout: 120_000 });
    await notBusy(page);
    t.diagnostic(await page.getByTestId('error-banner').count()
      ? `refused: ${await bannerText(page)}` : `opened: ${await status(page).textContent()}`);
    await assertHealthy(opened);
  });
});

test('Reset pressed during Play', { timeout: 240_000 }, async (t) => {
  await withPage('', async (opened) => {
    const { page } = opened;
    await page.locator('select.speed').selectOption('0');
    await page.getByTestId('play-button').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-status"]').dataset.steps) >= 5, null, { timeout: 60_000 });
    // Reset is disabled while Play runs; if it is not, it must stop Play and start over.
    const enabled = await page.getByTestId('reset-button').isEnabled();
    t.diagnostic(`Reset during Play is ${enabled ? 'enabled' : 'disabled'}`);
    await clickAnyway(page, 'reset-button');
    if (enabled) {
      await page.waitForFunction(() => document.querySelector('[data-testid="play-button"]').textContent.trim() === 'Play', null, { timeout: 30_000 });
    }
    await answersWithin(page);
    await pause(page);
    await page.getByTestId('reset-button').click();
    await stepsAre(page, 0); // Reset after pausing starts over
    assert.equal(await page.locator('[data-testid="token"][data-kind="generated"]').count(), 0);
    await assertHealthy(opened);
  });
});

test('switching tabs during Play', { timeout: 300_000 }, async () => {
  await withPage('', async (opened) => {
    const { page } = opened;
    await page.locator('select.speed').selectOption('0');
    await page.getByTestId('play-button').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-status"]').dataset.steps) >= 3, null, { timeout: 60_000 });
    for (const tab of ['view-inside', 'view-train', 'view-experiments', 'view-visualize', 'view-train', 'view-inside', 'view-visualize']) {
      await page.getByTestId(tab).click();
      await page.waitForTimeout(700);
      await answersWithin(page);
      assert.deepEqual(opened.errors, [], `no page error after ${tab}`);
    }
    const during = await stepCount(page);
    assert.ok(during >= 3, `steps ${during}`);
    await assertHealthy(opened);
  });
});

test('Back at step 0, then Back and Step in turn', { timeout: 240_000 }, async () => {
  await withPage('', async (opened) => {
    const { page } = opened;
    const back = page.getByTestId('back-button');
    assert.equal(await stepCount(page), 0);
    if (await back.isEnabled()) await back.click(); // disabled at step 0: nothing to undo
    else await clickAnyway(page, 'back-button');
    await page.waitForTimeout(300);
    assert.equal(await stepCount(page), 0);
    await step(page, 3);
    const timeline = () => page.$$eval('[data-testid="token"]', (els) => els.map((e) => e.dataset.text).join(''));
    const third = await timeline();
    await back.click();
    await stepsAre(page, 2);
    await step(page);
    assert.equal(await stepCount(page), 3);
    assert.equal(await timeline(), third, 'greedy picks the same token again');
    // Back to the start, and once more past it.
    for (let i = 0; i < 3; i++) await back.click();
    await stepsAre(page, 0);
    assert.equal(await back.isEnabled(), false);
    await clickAnyway(page, 'back-button');
    await step(page, 2);
    // Step and Back in quick succession (Back is disabled while the step runs).
    await page.getByTestId('step-button').click();
    await clickAnyway(page, 'back-button');
    await notBusy(page);
    const n = await stepCount(page);
    assert.ok(n === 2 || n === 3, `steps ${n}`);
    await assertHealthy(opened);
  });
});
