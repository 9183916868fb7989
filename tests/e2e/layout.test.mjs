// Every tab at a phone's, a laptop's and a projector's size: the page never scrolls sideways and
// no control is narrower than its text; presenter mode enlarges the type without breaking that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserPerFile, layoutFaults, screenshot, step } from './harness.mjs';

const shared = browserPerFile();
const TABS = ['view-learn', 'view-visualize', 'view-inside', 'view-train', 'view-experiments'];
const SIZES = [[390, 844], [1280, 720], [2560, 1440]];

async function openAt(width, height) {
  const page = await shared.browser.newPage({ viewport: { width, height } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${shared.served.url}?backend=cpu`);
  await page.waitForSelector('[data-testid="model-status"][data-state="ready"]', { timeout: 180_000 });
  return { page, errors };
}

/** Checks each tab; `name` prefixes the screenshots. */
async function checkTabs(page, name) {
  for (const tab of TABS) {
    await page.getByTestId(tab).click();
    await page.waitForTimeout(300);
    const faults = await layoutFaults(page);
    await screenshot(page, `${name}-${tab}`);
    assert.equal(faults.overflow, 0, `${name} ${tab}: the page scrolls ${faults.overflow} px sideways`);
    assert.deepEqual(faults.narrow, [], `${name} ${tab}: controls narrower than their text`);
  }
}

for (const [width, height] of SIZES) {
  test(`every tab fits ${width}×${height}`, async () => {
    const { page, errors } = await openAt(width, height);
    await page.getByTestId('view-visualize').click();
    await step(page, 3); // candidates, the timeline and the heatmaps have content
    await checkTabs(page, `layout-${width}`);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('presenter mode enlarges the type on every tab and is kept across a reload', async () => {
  const { page, errors } = await openAt(1280, 720);
  const rootFont = () => page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  const normal = await rootFont();
  const toggle = page.getByTestId('presenter-toggle');
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
  assert.ok(await rootFont() >= normal * 1.3, 'the type grows by at least a third');
  await page.getByTestId('view-visualize').click();
  await step(page, 2);
  await checkTabs(page, 'presenter-1280');
  await page.reload();
  await page.waitForSelector('[data-testid="model-status"][data-state="ready"]', { timeout: 180_000 });
  assert.equal(await page.getByTestId('presenter-toggle').getAttribute('aria-pressed'), 'true', 'kept across a reload');
  await page.getByTestId('presenter-toggle').click();
  assert.equal(await rootFont(), normal);
  assert.deepEqual(errors, []);
  await page.close();
});
