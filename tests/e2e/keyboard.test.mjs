// Nothing needs a mouse: generate, go back, open Inside, select and switch off heads, start and
// pause a training run, with key presses only (the test fails on any pointer event).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserPerFile, openApp, stepCount, screenshot } from './harness.mjs';

const shared = browserPerFile();

const waitSteps = (page, n) => page.waitForFunction((n) => {
  const s = document.querySelector('[data-testid="step-status"]');
  return Number(s.dataset.steps) === n && s.dataset.busy === 'false';
}, n, { timeout: 60_000 });

/** Presses Tab until the focused element matches `selector` (at most `limit` presses). */
async function tabTo(page, selector, limit = 150) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
  }
  assert.fail(`Tab never reached ${selector}`);
}

const focused = (page) => page.evaluate(() => ({ ...document.activeElement.dataset }));

test('generate, go back, pick heads, switch one off, train and pause: keyboard only', async () => {
  const { page, errors } = await openApp(shared.browser, shared.served, '?backend=cpu&view=visualize');
  await page.evaluate(() => {
    window.pointerEvents = 0;
    for (const type of ['pointerdown', 'mousedown', 'wheel']) addEventListener(type, () => window.pointerEvents++, true);
  });

  // → steps, n steps, ← goes back.
  for (let i = 1; i <= 5; i++) {
    await page.keyboard.press(i % 2 ? 'ArrowRight' : 'n');
    await waitSteps(page, i);
  }
  await page.keyboard.press('ArrowLeft');
  await waitSteps(page, 4);

  // Arrow keys move the selected head in the attention grid once a thumbnail has focus.
  await tabTo(page, '[data-testid="attention-thumb"]');
  const start = await focused(page);
  await page.keyboard.press('Enter');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  const moved = await focused(page);
  assert.equal(Number(moved.layer), Number(start.layer) + 1);
  assert.equal(Number(moved.head), Number(start.head) + 1);
  const primary = await page.$eval('[data-testid="attention-thumb"].primary', (e) => ({ ...e.dataset }));
  assert.deepEqual([primary.layer, primary.head], [moved.layer, moved.head], 'the focused head is the selected one');
  assert.equal(await stepCount(page), 4, 'arrows on the grid do not step');

  // The large heatmap takes the focus; the arrow keys walk its cells and the read-out names each.
  await tabTo(page, '[data-testid="attention-detail-canvas"]');
  const readout = () => page.getByTestId('attention-detail-hover').textContent();
  const last = await readout();
  const cell = /^query (\d+) “.*” → key (\d+) “.*”: (0\.\d{4}|1\.0000)$/s;
  const [, q0, k0] = last.match(cell) ?? assert.fail(`the focused map reads its last cell: ${last}`);
  assert.equal(q0, k0, 'it starts on the last query attending to itself');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowUp');
  const [, q1, k1] = (await readout()).match(cell) ?? assert.fail(await readout());
  assert.deepEqual([Number(q1), Number(k1)], [Number(q0) - 1, Number(k0) - 1]);
  await page.keyboard.press('ArrowRight');
  assert.match(await readout(), /masked \(the future is hidden\)/, 'a future key reads as masked');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown'); // at the edge: stays, and does not step
  assert.equal(await stepCount(page), 4, 'arrows on the heatmap do not step or go back');
  await screenshot(page, 'keyboard-heatmap-cell');

  // 3 opens Inside; a head is switched off from its toggle.
  await page.keyboard.press('Escape'); // nothing open: harmless
  await page.evaluate(() => document.activeElement.blur());
  await page.keyboard.press('3');
  await page.waitForSelector('[data-testid="head-ablation"]');
  await tabTo(page, '[data-testid="ablation-toggle"]');
  const toggle = await focused(page);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`[data-testid="ablation-toggle"][data-layer="${toggle.layer}"][data-head="${toggle.head}"][aria-pressed="true"]`);
  await page.keyboard.press(' '); // Space on the focused toggle presses it (it does not Play)
  await page.waitForSelector(`[data-testid="ablation-toggle"][data-layer="${toggle.layer}"][data-head="${toggle.head}"][aria-pressed="false"]`);
  await page.waitForTimeout(500);
  assert.equal(await stepCount(page), 4, 'Space on a button presses the button, not Play');

  // ? lists the shortcuts, Escape closes the list.
  await page.keyboard.press('?');
  await page.getByTestId('shortcuts-overlay').waitFor();
  assert.match(await page.getByTestId('shortcuts-overlay').textContent(), /Step: generate one token/);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'shortcuts-close');
  await screenshot(page, 'keyboard-shortcuts');
  await page.keyboard.press('Escape');
  await page.getByTestId('shortcuts-overlay').waitFor({ state: 'detached' });

  // 4 opens Train; Space starts the run, Space again pauses it.
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('4');
  await page.getByTestId('train-phase').waitFor();
  await page.keyboard.press(' ');
  await page.waitForSelector('[data-testid="train-phase"][data-phase="running"]', { timeout: 120_000 });
  await page.keyboard.press(' ');
  await page.waitForSelector('[data-testid="train-phase"][data-phase="paused"]', { timeout: 120_000 });

  // Typing in a field never triggers a shortcut.
  await page.keyboard.press('2');
  await page.getByTestId('prompt-input').focus();
  await page.keyboard.type(' n3r');
  assert.equal(await page.getByTestId('view-visualize').getAttribute('aria-selected'), 'true');
  assert.match(await page.getByTestId('prompt-input').inputValue(), / n3r$/);

  assert.equal(await page.evaluate(() => window.pointerEvents), 0, 'no pointer event');
  assert.deepEqual(errors, []);
  await page.close();
});

test('focus is visible on every kind of control', async () => {
  const { page } = await openApp(shared.browser, shared.served, '?backend=cpu&view=visualize');
  for (const selector of ['[data-testid="step-button"]', '[data-testid="prompt-input"]', '[data-testid="strategy-select"]', '[data-testid="view-inside"]']) {
    await tabTo(page, selector);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none', `${selector} shows its focus`);
  }
  await page.close();
});
