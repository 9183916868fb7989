// axe-core inside the page on every tab (after a few steps, so candidates, the timeline and the
// heatmaps are drawn), with a lesson open and with the shortcuts list open: no serious or
// critical violation anywhere, in the normal and the presenter type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { browserPerFile, openApp, repoRoot, step } from './harness.mjs';

const shared = browserPerFile();
const axeSource = await readFile(join(repoRoot, 'tests/e2e/node_modules/axe-core/axe.min.js'), 'utf8');
const TABS = ['view-learn', 'view-visualize', 'view-inside', 'view-train', 'view-experiments'];

/** The serious and critical violations on the page as it stands, one line each. */
async function violations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axeSource });
  const found = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
      .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${n.failureSummary.split('\n').slice(1, 2).join('').trim()}`));
  });
  return found;
}

async function auditTabs(page, where) {
  for (const tab of TABS) {
    await page.getByTestId(tab).click();
    await page.waitForTimeout(300);
    assert.deepEqual(await violations(page), [], `${where}: ${tab}`);
  }
}

test('no serious or critical axe violation on any tab', { timeout: 300_000 }, async () => {
  const { page, errors } = await openApp(shared.browser, shared.served, '?backend=cpu');
  await auditTabs(page, 'before a step');
  await page.getByTestId('view-visualize').click();
  await step(page, 3);
  await auditTabs(page, 'after three steps');
  await page.getByTestId('presenter-toggle').click();
  await auditTabs(page, 'presenter mode');
  await page.getByTestId('presenter-toggle').click();
  assert.deepEqual(errors, []);
  await page.close();
});

test('no serious or critical axe violation with a lesson or the shortcuts list open', { timeout: 300_000 }, async () => {
  const { page, errors } = await openApp(shared.browser, shared.served, '?backend=cpu&lesson=2&step=1');
  await page.waitForSelector('[data-testid="lesson-panel"][data-lesson="2"]');
  assert.deepEqual(await violations(page), [], 'lesson 2 open');
  await page.getByTestId('shortcuts-button').click();
  await page.getByTestId('shortcuts-overlay').waitFor();
  assert.deepEqual(await violations(page), [], 'shortcuts list open');
  assert.deepEqual(errors, []);
  await page.close();
});
